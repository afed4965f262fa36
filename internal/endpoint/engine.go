package endpoint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/internal/policy"
)

// ClientSource hands out EC2 clients per region.
type ClientSource interface {
	ForRegion(region string) awsclient.EC2
	DefaultRegion() string
}

// Engine converges endpoints. One Engine serves every reconciler of a manager.
type Engine struct {
	// Clients gives the EC2 client of a region.
	Clients ClientSource
	// Cluster is the manager's --cluster-name, written into ownership tags.
	Cluster string
	// PendingPoll is how soon to look again while AWS is working on an endpoint.
	PendingPoll time.Duration
	// ConsistencyBound (--consistency-bound) is how long after a recorded create AWS
	// may still not list what it made: until then "not found" means "not visible
	// yet", never "gone", and a deletion keeps looking before it concludes that
	// nothing was made. Zero means DefaultConsistencyBound.
	ConsistencyBound time.Duration
	// DefaultTags (--default-tags) go on every endpoint and security group the
	// controller creates; on an endpoint it keeps them like its other soft tags.
	DefaultTags map[string]string
	// Now is the engine's clock; nil means time.Now.
	Now func() time.Time

	// refusedModify remembers, per endpoint, a plan whose ModifyVpcEndpoint AWS
	// refused although a fresh read still asked for it, and when: the refusal may
	// answer a retried call whose first attempt succeeded (and whose change AWS does
	// not show yet), so it is terminal only after refusedModifyGrace. Losing it
	// costs a few retries.
	refusedModify sync.Map
}

// errNotYetVisible means EC2 does not list an endpoint the controller created.
var errNotYetVisible = errors.New("endpoint not visible yet")

// errGroupNotYetVisible means EC2 does not show a security group the controller created.
var errGroupNotYetVisible = errors.New("security group not visible yet")

// errPriorDeleting means the object's endpoint is being deleted outside the controller.
var errPriorDeleting = errors.New("endpoint being deleted outside the controller")

func (e *Engine) pendingPoll() time.Duration {
	if e.PendingPoll > 0 {
		return e.PendingPoll
	}
	return 2 * time.Second
}

func (e *Engine) client(req Request) (awsclient.EC2, string) {
	clients := e.Clients
	if req.Clients != nil {
		clients = req.Clients // the object's AWSAccount
	}
	region := req.Spec.Region
	if region == "" {
		region = clients.DefaultRegion()
	}
	return clients.ForRegion(region), region
}

// newOutcome starts from what the status already records, so a failed reconcile
// never loses an ID or a recorded intent.
func newOutcome(req Request, region string) Outcome {
	return Outcome{
		Region:         region,
		EndpointID:     req.Prior.EndpointID,
		ManagedGroupID: req.Prior.ManagedSecurityGroupID,
		EndpointIntent: req.Prior.EndpointIntent,
		GroupIntent:    req.Prior.GroupIntent,
		EndpointChange: req.Prior.EndpointChange,
		GroupChange:    req.Prior.GroupChange,
		Interfaces:     req.Prior.NetworkInterfaces,
		AppliedTagKeys: req.Prior.AppliedTagKeys,
	}
}

// Reconcile converges the endpoint of a live object and reports what AWS looks like.
func (e *Engine) Reconcile(ctx context.Context, req Request) Outcome {
	ctx = awsclient.WithCaller(ctx, req.Owner.UID) // its turn at the rate limit is kept when it is sent away
	cl, region := e.client(req)
	out := newOutcome(req, region)
	if kinds := freshKinds(req.Prior); kinds != 0 {
		ctx = ec2cache.WithFreshSince(ctx, kinds, req.Prior.GenerationSeen)
	}
	err := e.converge(ctx, cl, region, req, &out)
	if err == nil && out.Poll == 0 && (out.EndpointChange != nil || out.GroupChange != nil) {
		// Confirm the change with a read soon after: the record clears as soon as
		// AWS shows it, so a later revert is drift again, not "AWS lagging".
		out.Poll, out.PollBackoff = e.pendingPoll(), true
	}
	switch {
	case errors.Is(err, errNotYetVisible):
		what := "the endpoint it created"
		if out.EndpointID != "" {
			what = "endpoint " + out.EndpointID
		}
		if in := out.EndpointIntent; in != nil {
			what += fmt.Sprintf(", created %s ago", e.now().Sub(in.Since).Round(time.Second))
		}
		out.notReady(v1alpha1.ReasonPending, "waiting for AWS to list %s (AWS is eventually consistent)", what)
		out.Poll = time.Second
	case errors.Is(err, errGroupNotYetVisible):
		out.notReady(v1alpha1.ReasonPending, "waiting for AWS to show security group %s, created moments ago (AWS is eventually consistent)", out.ManagedGroupID)
		out.Poll = time.Second
	case errors.Is(err, errNotRecorded):
		out.notReady(v1alpha1.ReasonPending, "%v; retrying", err)
		out.Poll, out.PollBackoff = e.pendingPoll(), true
	case errors.Is(err, errPriorDeleting):
		out.notReady(v1alpha1.ReasonPending, "endpoint %s is being deleted outside the controller; a new one is created once it is gone", out.EndpointID)
		out.State = adapterOf(req.Spec.Type).names().deleting
		out.Observed = true
		out.Poll = e.pendingPoll()
	case err != nil:
		p := fromAWS(err, "reconciling")
		if p.Queued {
			// Not a failure: this object's turn at the EC2 rate limit comes later.
			out.notReady(v1alpha1.ReasonPending, "%s", p.Message)
			out.Poll, out.PollExact = p.RetryAfter, true
			return out
		}
		out.Problem = p
		if out.ReadyReason == "" || out.Ready {
			out.notReady(v1alpha1.ReasonNotSynced, "the spec is not applied: %s", p.Message)
		}
	}
	return out
}

// freshKinds are the kinds of data a reconcile must read as AWS has them now
// (within the cache's shared freshness window) rather than from the snapshot:
// everything for a new or edited spec. A create or a change the controller made
// needs no more: the cache never answers for a resource written since its last
// read until a read that started after the write (a new process starts with no
// snapshot at all), and a create recorded but never answered is repeated with its
// ClientToken, which returns what it made.
func freshKinds(p Prior) ec2cache.Kinds {
	if p.GenerationChanged {
		return ec2cache.All
	}
	return 0
}

// resolved is the spec turned into IDs.
type resolved struct {
	vpc      vpcInfo
	svc      serviceInfo
	desired  Desired
	subnetAZ map[string]string
	// subnets are the VPC's subnets by ID, and subnetProblem why the spec's
	// subnet selector matches none (Instance Connect Endpoints, whose subnet
	// matters only to a create).
	subnets       map[string]types.Subnet
	subnetProblem *Problem
}

// resolve turns the spec into IDs and desired state: the tags, the policy and the
// VPC here, the kind's own fields in its adapter. It writes nothing to AWS.
func (e *Engine) resolve(ctx context.Context, cl awsclient.EC2, region string, req Request, out *Outcome) (*resolved, error) {
	s := req.Spec
	r := &resolved{desired: Desired{Type: s.Type, OwnedTagKeys: req.Prior.AppliedTagKeys}}
	r.desired.Tags, r.desired.SoftTags = desiredTags(req.Owner, s.Tags, e.DefaultTags)
	if n := r.desired.tagCount(); n > maxTagsPerResource {
		return nil, problemf(v1alpha1.ReasonTooManyTags, "spec.tags: its %d tags and the controller's %d make %d, and AWS allows %d per resource; remove %d of spec.tags", len(s.Tags), n-len(s.Tags), n, maxTagsPerResource, n-maxTagsPerResource)
	}
	if s.Policy != nil {
		doc, err := policy.Compact(s.Policy)
		if err != nil {
			return nil, problemf(v1alpha1.ReasonInvalidPolicy, "spec.policy: %v; fix the policy document", err)
		}
		r.desired.Policy = doc
	}
	vpc, err := resolveVPC(ctx, cl, region, s)
	if err != nil {
		return nil, err
	}
	if err := checkVPCAllowed(s, region, vpc); err != nil {
		return nil, err
	}
	r.vpc = vpc
	out.VPCID = vpc.ID
	if err := adapterOf(s.Type).resolve(ctx, cl, region, req, r, out); err != nil {
		return nil, err
	}
	return r, nil
}

func (e *Engine) converge(ctx context.Context, cl awsclient.EC2, region string, req Request, out *Outcome) error {
	k := adapterOf(req.Spec.Type)
	r, err := e.resolve(ctx, cl, region, req, out)
	var p *Problem
	if errors.As(err, &p) && p.Class == awserr.Terminal {
		// Something the spec names may be newer than the cached inventory: look
		// once more at fresh data before blaming the spec.
		r, err = e.resolve(ec2cache.WithMaxAge(ctx, 0), cl, region, req, out)
	}
	if err != nil {
		return err
	}
	f, err := e.find(ctx, cl, k, req, r, out)
	if err != nil {
		return err
	}
	obs := f.obs
	if err := k.checkBeforeWrite(ctx, cl, req, r, obs, out); err != nil {
		return err
	}
	var group *types.SecurityGroup
	if req.Spec.Managed != nil {
		if group, err = e.findGroup(ctx, cl, req, r.vpc.ID, out); err != nil {
			return err
		}
	}
	if req.Spec.Managed != nil {
		// Record the group's create before making it.
		if err := e.intend(ctx, req, out, group == nil, false, ""); err != nil {
			return err
		}
		id, err := e.ensureGroup(ctx, cl, req, r.vpc, group, *req.Spec.Managed, out)
		if id != "" {
			out.ManagedGroupID = id
		}
		if err != nil {
			return err
		}
		r.desired.SecurityGroupIDs = sortedSet(append(r.desired.SecurityGroupIDs, id))
	}
	if obs == nil {
		// Record the resource's create before making it.
		if err := e.intend(ctx, req, out, false, true, f.goneID); err != nil {
			return err
		}
		return e.create(ctx, cl, k, req, r, out)
	}
	out.EndpointID = obs.ID
	if f.adopted {
		n := k.names()
		out.event(v1alpha1.EventAdopted, n.adoptAction, "Adopted %s %s", n.noun, obs.ID)
	}
	if err := e.update(ctx, cl, k, req, r, *obs, f.adopted, out); err != nil {
		return err
	}
	if out.groupSettling && out.Ready {
		// The managed group's rules are not known to be as the spec wants until AWS
		// shows the change recorded for them.
		out.notReady(v1alpha1.ReasonPending, "waiting for AWS to show the change made to security group %s at %s (AWS is eventually consistent)", out.ManagedGroupID, req.Prior.GroupChange.At.UTC().Format(time.RFC3339))
		out.Poll, out.PollBackoff = e.pendingPoll(), true
	}
	if req.Spec.Managed == nil {
		return e.dropManagedGroup(ctx, cl, req, out)
	}
	return nil
}

// dropManagedGroup deletes the managed security group of a spec that no longer asks
// for one, once the endpoint has let go of it (AWS answers DependencyViolation until
// the interfaces have moved to the new groups).
func (e *Engine) dropManagedGroup(ctx context.Context, cl awsclient.EC2, req Request, out *Outcome) error {
	if req.Prior.ManagedSecurityGroupID == "" && req.Prior.GroupIntent == nil {
		return nil // none was ever made or about to be
	}
	if slices.Contains(out.SecurityGroupIDs, out.ManagedGroupID) && out.ManagedGroupID != "" {
		out.Poll = e.pendingPoll()
		return nil
	}
	done, err := e.deleteManagedGroup(ctx, cl, req, out)
	if err != nil {
		return err
	}
	if done {
		out.ManagedGroupID = ""
		out.GroupIntent = nil
	} else if out.Poll == 0 {
		out.Poll = e.pendingPoll()
	}
	return nil
}

// inventoryStamper is the caching client's stamp of a VPC's inventory.
type inventoryStamper interface {
	InventoryStamp(ctx context.Context, vpcID string) (uint64, error)
}

// InventoryStamper returns what takes the stamp of what the object's region
// holds for the VPC vpcID (its subnets and route tables:
// ec2cache.Client.InventoryStamp), read no staler than the cache's inventory
// age; ok is false when a read failed. It returns nil when there is none to be
// had (no caching client, no VPC): the caller then reconciles in full.
func (e *Engine) InventoryStamper(req Request, vpcID string) func(context.Context) (uint64, bool) {
	if vpcID == "" {
		return nil
	}
	cl, _ := e.client(req)
	s, isCache := cl.(inventoryStamper)
	if !isCache {
		return nil
	}
	uid := req.Owner.UID
	return func(ctx context.Context) (uint64, bool) {
		stamp, err := s.InventoryStamp(awsclient.WithCaller(ctx, uid), vpcID)
		return stamp, err == nil
	}
}
