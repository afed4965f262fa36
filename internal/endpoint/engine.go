package endpoint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
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
	// Now is the engine's clock; nil means time.Now.
	Now func() time.Time

	// refusedModify remembers, per endpoint, a plan whose ModifyVpcEndpoint AWS
	// refused although a fresh read still asked for it, and when: the refusal may
	// answer a retried call whose first attempt succeeded (and whose change AWS does
	// not show yet), so it is terminal only after refusedModifyGrace. Losing it
	// costs a few retries.
	refusedModify sync.Map
}

// freshness is how old cached EC2 data may be when a reconcile needs it current.
const freshness = time.Second

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
	region := req.Spec.Region
	if region == "" {
		region = e.Clients.DefaultRegion()
	}
	return e.Clients.ForRegion(region), region
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
	}
}

// Reconcile converges the endpoint of a live object and reports what AWS looks like.
func (e *Engine) Reconcile(ctx context.Context, req Request) Outcome {
	cl, region := e.client(req)
	out := newOutcome(req, region)
	if req.Prior.SpecChanged {
		// A new or edited spec acts on what AWS looks like now, not on a snapshot.
		ctx = ec2cache.WithMaxAge(ctx, freshness)
	}
	if req.Prior.EndpointIntent != nil || req.Prior.GroupIntent != nil {
		// A create whose result was not seen yet: look at AWS now, not at a snapshot.
		ctx = ec2cache.WithMaxAge(ctx, freshness)
	}
	err := e.converge(ctx, cl, region, req, &out)
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
		out.State = stateDeleting
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

// resolved is the spec turned into IDs.
type resolved struct {
	vpc      vpcInfo
	svc      serviceInfo
	desired  Desired
	subnetAZ map[string]string
}

func (e *Engine) resolve(ctx context.Context, cl awsclient.EC2, region string, req Request, out *Outcome) (*resolved, error) {
	s := req.Spec
	r := &resolved{desired: Desired{Type: s.Type, Tags: desiredTags(req.Owner, s.Tags)}}
	if n := len(r.desired.Tags); n > maxTagsPerResource {
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
	r.vpc = vpc
	out.VPCID = vpc.ID
	name := fullServiceName(region, s.Service)
	out.ServiceName = name
	if s.Type == Gateway {
		r.svc = serviceInfo{Name: name, PolicySupported: true}
		pl, err := resolvePrefixList(ctx, cl, name)
		if err != nil {
			return nil, err
		}
		out.PrefixListID = pl
		if r.desired.RouteTableIDs, err = resolveRouteTables(ctx, cl, vpc.ID, s); err != nil {
			return nil, err
		}
	} else {
		if r.svc, err = resolveService(ctx, cl, name, Interface); err != nil {
			return nil, err
		}
		if r.desired.SubnetIDs, r.subnetAZ, err = resolveSubnets(ctx, cl, vpc.ID, s, r.svc); err != nil {
			return nil, err
		}
		if err := checkSecurityGroups(ctx, cl, vpc.ID, s.SecurityGroupIDs); err != nil {
			return nil, err
		}
		r.desired.SecurityGroupIDs = sortedSet(s.SecurityGroupIDs)
		if s.PrivateDNS && r.svc.PrivateDNSName == "" {
			return nil, problemf(v1alpha1.ReasonInvalidPrivateDNS, "spec.privateDNS.enabled: service %s has no private DNS name; set spec.privateDNS.enabled: false", name)
		}
		pdns, inbound := s.PrivateDNS, s.PrivateDNS && s.OnlyInbound
		r.desired.PrivateDNS, r.desired.OnlyInbound = &pdns, &inbound
		r.desired.DNSRecordIPType, r.desired.IPAddressType = s.DNSRecordIPType, s.IPAddressType
		r.desired.ExplicitInbound = r.svc.OffersGateway
	}
	r.desired.ManagePolicy = r.svc.PolicySupported
	if !r.svc.PolicySupported && s.Policy != nil {
		return nil, problemf(v1alpha1.ReasonInvalidPolicy, "spec.policy: service %s does not support endpoint policies; remove spec.policy", name)
	}
	return r, nil
}

func (e *Engine) converge(ctx context.Context, cl awsclient.EC2, region string, req Request, out *Outcome) error {
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
	f, err := e.find(ctx, cl, req, r, out)
	if err != nil {
		return err
	}
	obs := f.obs
	wantDNS := r.desired.PrivateDNS != nil && *r.desired.PrivateDNS
	if wantDNS && (obs == nil || !obs.PrivateDNS) {
		if err := e.checkPrivateDNSConflict(ctx, cl, req, r, obs); err != nil {
			return err
		}
		dnsCtx := ctx
		if obs != nil && obs.State == stateAvailable {
			// Private DNS turned off (or asked for anew): the VPC attributes may have
			// been turned off with it since they were cached. Rare: look now.
			dnsCtx = ec2cache.WithMaxAge(ctx, 0)
		}
		err := checkVPCDNS(dnsCtx, cl, req, r.vpc.ID, out)
		var p *Problem
		if errors.As(err, &p) && p.Reason == v1alpha1.ReasonVPCDNSAttributesOff {
			// Cached attributes may predate the user's fix: look once more.
			err = checkVPCDNS(ec2cache.WithMaxAge(ctx, 0), cl, req, r.vpc.ID, out)
		}
		if err != nil {
			return err
		}
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
		// Record the endpoint's create before making it.
		if err := e.intend(ctx, req, out, false, true, f.goneID); err != nil {
			return err
		}
		return e.create(ctx, cl, req, r, out)
	}
	out.EndpointID = obs.ID
	if f.adopted {
		out.event(v1alpha1.EventAdopted, "AdoptVpcEndpoint", "Adopted VPC endpoint %s", obs.ID)
	}
	if err := e.update(ctx, cl, req, r, *obs, f.adopted, out); err != nil {
		return err
	}
	if req.Spec.Type == Interface && req.Spec.Managed == nil {
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

// found is what find learned about the object's endpoint.
type found struct {
	// obs is the endpoint, nil when there is none to converge.
	obs *Observed
	// adopted is set when obs is the endpoint spec.endpointID names, seen for the first time.
	adopted bool
	// goneID is the endpoint the status recorded and that is gone: its replacement
	// gets a ClientToken of its own.
	goneID string
}

// find returns the object's endpoint: the one its status records, else the one
// spec.endpointID adopts, else the one carrying its ownership tags. A recorded
// create not yet seen is "not visible yet" within the consistency bound, never
// gone; an endpoint the controller has seen is gone only when it is deleted, or
// when neither a read by ID nor the owner listing shows it.
func (e *Engine) find(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, out *Outcome) (found, error) {
	pending := req.Prior.EndpointIntent
	var f found
	if id := req.Prior.EndpointID; id != "" {
		o, err := describeByID(ctx, cl, id)
		if err != nil {
			return f, err
		}
		if o == nil && pending == nil {
			// Seen before and not found by ID now: the owner listing must agree.
			if o, err = e.listedOwned(ctx, cl, req.Owner, id); err != nil {
				return f, err
			}
		}
		switch {
		case o != nil && !gone(o.State):
			e.seen(out, o.ID)
			return found{obs: o}, nil
		case o != nil && o.State == stateDeleting:
			// Deleted outside the controller: a replacement created now could clash
			// with the routes or DNS names the old one still holds.
			e.seen(out, o.ID)
			return f, errPriorDeleting
		case o == nil && e.within(pending):
			return f, errNotYetVisible
		case o == nil && pending != nil:
			out.warning(v1alpha1.EventNeverListed, "CreateVpcEndpoint", "VPC endpoint %s, created at %s, was never listed by AWS within the consistency bound (%s); creating another", id, pending.Since.UTC().Format(time.RFC3339), e.bound())
		default:
			out.repaired([]string{DriftEndpoint}, "RecreateVpcEndpoint", "VPC endpoint %s was deleted outside the controller; creating a new one", id)
		}
		f.goneID = id
		pending = nil
	}
	if id := req.Spec.AdoptID; id != "" && id != req.Prior.EndpointID {
		o, err := e.checkAdoptable(ctx, cl, req, r, id)
		if o != nil {
			e.seen(out, o.ID)
		}
		return found{obs: o, adopted: o != nil, goneID: f.goneID}, err
	}
	listed, err := describeByOwner(ctx, cl, req.Owner)
	if err != nil {
		return f, err
	}
	for _, o := range listed {
		if o.ID != f.goneID {
			e.seen(out, o.ID)
			return found{obs: &o}, nil
		}
	}
	return f, nil
}

// seen records that AWS lists the object's endpoint: its create intent is settled.
func (e *Engine) seen(out *Outcome, id string) {
	out.EndpointID = id
	out.EndpointIntent = nil
}

// listedOwned returns the endpoint id from a fresh owner listing, or nil.
func (e *Engine) listedOwned(ctx context.Context, cl awsclient.EC2, owner Owner, id string) (*Observed, error) {
	listed, err := describeByOwner(ec2cache.WithMaxAge(ctx, freshness), cl, owner)
	if err != nil {
		return nil, err
	}
	for _, o := range listed {
		if o.ID == id {
			return &o, nil
		}
	}
	return nil, nil
}

func (e *Engine) checkAdoptable(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, id string) (*Observed, error) {
	o, err := describeByID(ctx, cl, id)
	if err != nil {
		return nil, err
	}
	switch {
	case o == nil || gone(o.State):
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s does not exist; remove spec.endpointID to create one", id)
	case o.VPCID != r.vpc.ID:
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is in %s, but spec.vpc resolves to %s", id, o.VPCID, r.vpc.ID)
	case o.ServiceName != r.svc.Name:
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is for %s, but spec.service resolves to %s", id, o.ServiceName, r.svc.Name)
	case o.Type != req.Spec.Type:
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is a %s endpoint, not a %s one", id, o.Type, req.Spec.Type)
	}
	if uid, ok := o.Tags[TagOwnerUID]; ok && (uid != req.Owner.UID || o.Tags[TagCluster] != req.Owner.Cluster) {
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is owned by %s in cluster %s; remove spec.endpointID or release it there first", id, o.Tags[TagOwner], o.Tags[TagCluster])
	}
	return o, nil
}

// checkVPCDNS makes sure private DNS can work: both VPC DNS attributes on, or turned
// on when spec.privateDNS.ensureVPCAttributes is set.
func checkVPCDNS(ctx context.Context, cl awsclient.EC2, req Request, vpcID string, out *Outcome) error {
	ensure := req.Spec.EnsureVPCDNS
	attrs := []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames}
	var off []types.VpcAttributeName
	for _, a := range attrs {
		res, err := cl.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: a})
		if err != nil {
			return fromAWS(err, "describing "+string(a)+" of "+vpcID)
		}
		v := res.EnableDnsSupport
		if a == types.VpcAttributeNameEnableDnsHostnames {
			v = res.EnableDnsHostnames
		}
		if v == nil || !aws.ToBool(v.Value) {
			off = append(off, a)
		}
	}
	if len(off) == 0 {
		return nil
	}
	if !ensure {
		names := make([]string, len(off))
		flags := ""
		for i, a := range off {
			names[i] = string(a)
			if a == types.VpcAttributeNameEnableDnsSupport {
				flags += " --enable-dns-support"
			} else {
				flags += " --enable-dns-hostnames"
			}
		}
		return problemf(v1alpha1.ReasonVPCDNSAttributesOff, "spec.privateDNS: private DNS needs the VPC attributes enableDnsSupport and enableDnsHostnames, but %v is off in %s; turn it on (aws ec2 modify-vpc-attribute --vpc-id %s%s) or set spec.privateDNS.ensureVPCAttributes: true", names, vpcID, vpcID, flags)
	}
	for _, a := range off {
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID)}
		if a == types.VpcAttributeNameEnableDnsSupport {
			in.EnableDnsSupport = &types.AttributeBooleanValue{Value: aws.Bool(true)}
		} else {
			in.EnableDnsHostnames = &types.AttributeBooleanValue{Value: aws.Bool(true)}
		}
		if _, err := cl.ModifyVpcAttribute(ctx, in); err != nil {
			return fromAWS(err, "turning on "+string(a)+" of "+vpcID)
		}
		out.changedOrRepaired(req, []string{DriftVPCDNSAttributes}, "ModifyVpcAttribute", "Turned on %s of %s for private DNS", "Turned %s of %s back on for private DNS", a, vpcID)
	}
	return nil
}

// create makes the endpoint with the recorded intent's ClientToken: a create
// repeated after a crash or a lost response returns the endpoint of the first.
func (e *Engine) create(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, out *Outcome) error {
	d := r.desired
	intent := out.EndpointIntent
	in := &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(r.vpc.ID),
		ServiceName:       aws.String(r.svc.Name),
		VpcEndpointType:   types.VpcEndpointType(d.Type),
		ClientToken:       aws.String(intent.ClientToken),
		TagSpecifications: tagSpec(types.ResourceTypeVpcEndpoint, d.Tags),
	}
	if d.ManagePolicy && d.Policy != "" {
		in.PolicyDocument = aws.String(d.Policy)
	}
	if d.Type == Gateway {
		in.RouteTableIds = d.RouteTableIDs
	} else {
		in.SubnetIds = d.SubnetIDs
		in.SecurityGroupIds = d.SecurityGroupIDs
		// Private DNS on a service that needs acceptance is enabled once accepted.
		dns := *d.PrivateDNS && !r.svc.AcceptanceRequired
		in.PrivateDnsEnabled = aws.Bool(dns)
		if d.IPAddressType != "" {
			in.IpAddressType = types.IpAddressType(d.IPAddressType)
		}
		in.DnsOptions = dnsOptions(d, r.svc, dns)
	}
	res, err := cl.CreateVpcEndpoint(ctx, in)
	if err != nil {
		p := fromAWS(err, "creating the VPC endpoint")
		switch code := awserr.Code(err); {
		case code == "IdempotentParameterMismatch" && e.within(intent):
			// An earlier attempt with this token made an endpoint (the spec changed
			// since): it is listed once AWS is consistent, and then converged.
			return errNotYetVisible
		case code == "RouteAlreadyExists":
			p.Message += "; another endpoint for this service already serves one of the route tables: remove the table from spec.routeTables or from the other endpoint"
		}
		if p.Class == awserr.Terminal && awserr.Code(err) != "IdempotentParameterMismatch" {
			// AWS refused the request, and a repeat of a successful one with the same
			// token would have returned it: nothing was made.
			out.EndpointIntent = nil
		}
		return p
	}
	o := observe(*res.VpcEndpoint)
	out.event(v1alpha1.EventCreated, "CreateVpcEndpoint", "Created VPC endpoint %s", o.ID)
	out.EndpointID = o.ID
	e.report(ctx, cl, r, o, out)
	return nil
}

// dnsOptions is the DnsOptions of a create. For a service that offers gateway
// endpoints too (S3), AWS turns PrivateDnsOnlyForInboundResolverEndpoint on by
// default when private DNS is, and then refuses the endpoint in a VPC without a
// gateway endpoint for the service: the controller always sends the spec's choice.
func dnsOptions(d Desired, svc serviceInfo, privateDNS bool) *types.DnsOptionsSpecification {
	var o *types.DnsOptionsSpecification
	if d.DNSRecordIPType != "" {
		o = &types.DnsOptionsSpecification{DnsRecordIpType: types.DnsRecordIpType(d.DNSRecordIPType)}
	}
	if privateDNS && (svc.OffersGateway || *d.OnlyInbound) {
		if o == nil {
			o = &types.DnsOptionsSpecification{}
		}
		o.PrivateDnsOnlyForInboundResolverEndpoint = aws.Bool(*d.OnlyInbound)
	}
	return o
}

func (e *Engine) update(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, o Observed, adopted bool, out *Outcome) error {
	if c := req.Prior.EndpointChange; e.settling(c, endpointDigest(o)) {
		// AWS still shows the endpoint as it was before the controller changed it:
		// neither drift nor a reason to change it again.
		out.notReady(v1alpha1.ReasonPending, "waiting for AWS to show the change made to endpoint %s at %s (AWS is eventually consistent)", o.ID, c.At.UTC().Format(time.RFC3339))
		out.Poll, out.PollBackoff = e.pendingPoll(), true
		return nil
	}
	out.EndpointChange = nil
	switch o.State {
	case stateRejected, stateFailed, stateExpired:
		e.report(ctx, cl, r, o, out)
		reason := map[string]string{stateRejected: v1alpha1.ReasonRejected, stateFailed: v1alpha1.ReasonFailed, stateExpired: v1alpha1.ReasonExpired}[o.State]
		msg := fmt.Sprintf("endpoint %s is %s", o.ID, o.State)
		if o.State == stateExpired {
			msg += ": the service owner did not accept the connection in time"
		}
		if o.LastError != "" {
			msg += ": " + o.LastError
		}
		out.notReady(reason, "%s", msg)
		return problemf(reason, "%s; delete this object (or its endpoint in AWS) to try again", msg)
	case stateAvailable, statePartial:
	default:
		// AWS is working on it (pending, pendingAcceptance): only tags may change now.
		p := ComputePlan(r.desired, o, r.subnetAZ)
		if err := applyTags(ctx, cl, o.ID, p); err != nil {
			return err
		}
		if tags := (Plan{SetTags: p.SetTags, RemoveTags: p.RemoveTags}); tags.HasChanges() {
			e.changed(&out.EndpointChange, endpointDigest(o))
			out.changedOrRepaired(req, tags.Fields(), "UpdateTags", "Modified VPC endpoint %s (%s): %s", "Repaired VPC endpoint %s (%s): %s", o.ID, o.State, tags)
		}
		e.report(ctx, cl, r, o, out)
		return nil
	}
	p := ComputePlan(r.desired, o, r.subnetAZ)
	if !p.HasChanges() {
		e.refusedModify.Delete(o.ID)
		e.report(ctx, cl, r, o, out)
		return nil
	}
	if err := applyPlan(ctx, cl, o.ID, p); err != nil {
		fresh, rerr := e.recheckRefused(ctx, cl, r, o, p, err)
		if rerr != nil {
			return rerr
		}
		// The change is in AWS already: the call succeeded before, and its
		// response was lost (the SDK's retry of it was what AWS refused).
		o, p = *fresh, ComputePlan(r.desired, *fresh, r.subnetAZ)
		e.report(ctx, cl, r, o, out)
		return nil
	}
	e.refusedModify.Delete(o.ID)
	e.changed(&out.EndpointChange, endpointDigest(o))
	switch {
	case adopted:
		out.event(v1alpha1.EventModified, "ModifyVpcEndpoint", "Brought adopted VPC endpoint %s to the spec: %s", o.ID, p)
	case req.Prior.SpecChanged:
		out.event(v1alpha1.EventModified, "ModifyVpcEndpoint", "Modified VPC endpoint %s: %s", o.ID, p)
	default:
		out.repaired(p.Fields(), "ModifyVpcEndpoint", "Repaired VPC endpoint %s: %s", o.ID, p)
	}
	applied := p.Applied(o)
	if o.Type == Interface && p.HasModify() {
		applied.State = statePending // AWS re-provisions the interfaces
	}
	e.report(ctx, cl, r, applied, out)
	if len(p.DeferredSubnets) > 0 {
		out.notReady(v1alpha1.ReasonPending, "removing a subnet before adding %v in the same zone", p.DeferredSubnets)
		out.Poll = e.pendingPoll()
	}
	return nil
}

// recheckRefused classifies a refused change only after a fresh read: when the
// endpoint already is as the spec wants, the refused call was a retry of one that
// succeeded and it returns the fresh endpoint; when it is partly changed, the rest
// is retried. When AWS still shows the endpoint unchanged, the first refusal of a
// plan is retried too (AWS may not show the change yet) and only a repeat is
// terminal.
func (e *Engine) recheckRefused(ctx context.Context, cl awsclient.EC2, r *resolved, o Observed, p Plan, err error) (*Observed, error) {
	prob := fromAWS(err, "modifying VPC endpoint "+o.ID)
	if prob.Class != awserr.Terminal {
		return nil, prob
	}
	fresh, ferr := describeByID(ec2cache.WithMaxAge(ctx, 0), cl, o.ID)
	if ferr != nil || fresh == nil {
		return nil, prob
	}
	again := ComputePlan(r.desired, *fresh, r.subnetAZ)
	switch {
	case !again.HasChanges():
		e.refusedModify.Delete(o.ID)
		return fresh, nil
	case again.String() != p.String():
		return nil, &Problem{Reason: prob.Reason, Message: prob.Message + "; part of the change is in AWS already, retrying the rest", Class: awserr.Retryable}
	}
	if prob.Reason != "InvalidParameter" {
		return nil, prob // not an answer an already-made change gets
	}
	first := e.now()
	if prev, ok := e.refusedModify.Load(o.ID); ok && prev.(refusal).plan == p.String() {
		first = prev.(refusal).at
	} else {
		e.refusedModify.Store(o.ID, refusal{plan: p.String(), at: first})
	}
	if e.now().Sub(first) < refusedModifyGrace {
		return nil, &Problem{Reason: prob.Reason, Message: prob.Message + "; checking again whether an earlier attempt made the change", Class: awserr.Retryable}
	}
	return nil, prob
}

// refusal is a plan AWS refused, and when it first did.
type refusal struct {
	plan string
	at   time.Time
}

// refusedModifyGrace is how long a refused change whose effect AWS does not show is
// retried before it is reported as needing the user: a retried call whose first
// attempt succeeded is refused too, and AWS may show that first attempt's change
// only seconds later.
const refusedModifyGrace = 30 * time.Second

// applyPlan makes the plan's changes: tags set first (an adopted endpoint must carry
// the ownership tags before the IAM policy lets the controller modify it), then one
// ModifyVpcEndpoint, then tags removed.
func applyPlan(ctx context.Context, cl awsclient.EC2, id string, p Plan) error {
	if err := applyTags(ctx, cl, id, Plan{SetTags: p.SetTags}); err != nil {
		return err
	}
	if p.HasModify() {
		in := &ec2.ModifyVpcEndpointInput{
			VpcEndpointId:          aws.String(id),
			AddRouteTableIds:       p.AddRouteTables,
			RemoveRouteTableIds:    p.RemoveRouteTables,
			AddSubnetIds:           p.AddSubnets,
			RemoveSubnetIds:        p.RemoveSubnets,
			AddSecurityGroupIds:    p.AddSecurityGroups,
			RemoveSecurityGroupIds: p.RemoveSecurityGroups,
			PolicyDocument:         p.Policy,
			PrivateDnsEnabled:      p.PrivateDNS,
		}
		if p.ResetPolicy {
			in.ResetPolicy = aws.Bool(true)
		}
		if p.IPAddressType != "" {
			in.IpAddressType = types.IpAddressType(p.IPAddressType)
		}
		if p.DNSRecordIPType != "" || p.OnlyInbound != nil {
			in.DnsOptions = &types.DnsOptionsSpecification{
				DnsRecordIpType:                          types.DnsRecordIpType(p.DNSRecordIPType),
				PrivateDnsOnlyForInboundResolverEndpoint: p.OnlyInbound,
			}
		}
		if _, err := cl.ModifyVpcEndpoint(ctx, in); err != nil {
			return fromAWS(err, "modifying VPC endpoint "+id)
		}
	}
	return applyTags(ctx, cl, id, Plan{RemoveTags: p.RemoveTags})
}

// applyTags makes the plan's tag changes on any resource.
func applyTags(ctx context.Context, cl awsclient.EC2, id string, p Plan) error {
	if len(p.SetTags) > 0 {
		if _, err := cl.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(p.SetTags)}); err != nil {
			prob := fromAWS(err, "tagging "+id)
			if _, claims := p.SetTags[TagCluster]; claims && awserr.Code(err) == "UnauthorizedOperation" {
				prob.Message += "; tagging an endpoint that lacks the " + TagCluster + " tag (adopting it with spec.endpointID, or restoring a tag removed outside the controller) needs the opt-in statement of config/iam/adoption-policy.json"
			}
			return prob
		}
	}
	if len(p.RemoveTags) > 0 {
		tags := make([]types.Tag, len(p.RemoveTags))
		for i, k := range p.RemoveTags {
			tags[i] = types.Tag{Key: aws.String(k)}
		}
		if _, err := cl.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: tags}); err != nil {
			return fromAWS(err, "removing tags of "+id)
		}
	}
	return nil
}

// report fills the outcome from an endpoint's state and sets Ready.
func (e *Engine) report(ctx context.Context, cl awsclient.EC2, r *resolved, o Observed, out *Outcome) {
	out.Observed = true
	out.EndpointID = o.ID
	out.State = o.State
	out.RouteTableIDs = o.RouteTableIDs
	out.SubnetIDs = o.SubnetIDs
	out.SecurityGroupIDs = o.SecurityGroupIDs
	out.PrivateDNS = o.PrivateDNS
	if o.Type == Interface {
		zones := r.svc.Zones
		out.DNSEntries = typedDNSEntries(o.DNSEntries, zones)
		if nis, err := describeInterfaces(ctx, cl, o.NetworkInterface, out.Interfaces); err == nil {
			out.Interfaces = nis
		}
	}
	switch o.State {
	case stateAvailable:
		out.Ready = true
		out.ReadyReason = v1alpha1.ReasonAvailable
		out.ReadyMessage = fmt.Sprintf("endpoint %s is available and matches the spec", o.ID)
	case statePendingAcceptance:
		out.notReady(v1alpha1.ReasonPendingAcceptance, "endpoint %s waits for the owner of %s to accept the connection", o.ID, o.ServiceName)
		out.Poll = 3 * e.pendingPoll()
		out.PollBackoff = true
	case statePartial:
		msg := fmt.Sprintf("endpoint %s is partial: AWS could not provision it in every subnet", o.ID)
		if o.LastError != "" {
			msg += " (" + o.LastError + ")"
		}
		out.notReady(v1alpha1.ReasonPartial, "%s", msg)
		out.Poll = 3 * e.pendingPoll()
		out.PollBackoff = true
	case stateRejected, stateFailed, stateExpired:
	default:
		out.notReady(v1alpha1.ReasonPending, "endpoint %s is %s", o.ID, o.State)
		out.Poll = e.pendingPoll()
	}
}
