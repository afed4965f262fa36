package endpoint

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// Delete carries out the object's deletion policy. It never blocks: while AWS is
// still deleting, the outcome asks for a poll, and Done is set once nothing is left.
func (e *Engine) Delete(ctx context.Context, req Request) Outcome {
	ctx = awsclient.WithCaller(ctx, req.Owner.UID) // its turn at the rate limit is kept when it is sent away
	cl, region := e.client(req)
	out := newOutcome(req, region)
	out.notReady(v1alpha1.ReasonDeleting, "the object is being deleted")
	if req.Prior.EndpointIntent != nil || req.Prior.GroupIntent != nil {
		// A create whose result was not seen: look at AWS now, not at a snapshot.
		ctx = ec2cache.WithFresh(ctx, ec2cache.Endpoints|ec2cache.Groups)
	}
	k := adapterOf(req.Spec.Type)
	var err error
	if req.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		err = e.retain(ctx, cl, k, req, &out)
	} else {
		err = e.remove(ctx, cl, k, req, &out)
	}
	if err != nil {
		out.Done = false
		if p := fromAWS(err, "deleting"); p.Queued {
			out.Poll, out.PollExact = p.RetryAfter, true
		} else {
			out.Problem = p
		}
	}
	return out
}

// ownedEndpoints returns the live resources that belong to the object: the one its
// status records and any carrying its ownership tags (created just before a crash).
func ownedEndpoints(ctx context.Context, cl awsclient.EC2, k adapter, req Request) ([]Observed, error) {
	var found []Observed
	seen := map[string]bool{}
	if id := req.Prior.EndpointID; id != "" {
		o, err := k.describeByID(ctx, cl, id)
		if err != nil {
			return nil, err
		}
		if o != nil && (o.Tags[TagOwnerUID] == req.Owner.UID || o.Tags[TagOwnerUID] == "") {
			found = append(found, *o)
			seen[o.ID] = true
		}
	}
	tagged, err := k.describeByOwner(ctx, cl, req.Owner)
	if err != nil {
		return nil, err
	}
	for _, o := range tagged {
		if !seen[o.ID] {
			found = append(found, o)
		}
	}
	return found, nil
}

// waitForCreate reports whether a deletion must keep looking before it concludes
// that a recorded create made nothing: AWS may not list what it made yet.
func (e *Engine) waitForCreate(eps []Observed, req Request, out *Outcome) bool {
	if len(eps) > 0 {
		out.EndpointIntent = nil // seen
		return false
	}
	in := req.Prior.EndpointIntent
	if !e.within(in) {
		return false
	}
	out.notReady(v1alpha1.ReasonDeleting, "looking for the endpoint created at %s before concluding none was made (for up to %s more: AWS is eventually consistent)", in.Since.UTC().Format(time.RFC3339), e.until(in))
	out.Poll, out.PollBackoff = e.pendingPoll(), true
	return true
}

func (e *Engine) remove(ctx context.Context, cl awsclient.EC2, k adapter, req Request, out *Outcome) error {
	n := k.names()
	eps, err := ownedEndpoints(ctx, cl, k, req)
	if err != nil {
		return err
	}
	if e.waitForCreate(eps, req, out) {
		return nil
	}
	var toDelete []string
	waiting := false
	for _, o := range eps {
		out.State = o.State
		switch state := k.classify(o); {
		case state.phase == phaseDeleted:
		case state.gone():
			waiting = true
		default:
			toDelete = append(toDelete, o.ID)
		}
	}
	if len(toDelete) > 0 {
		if err := k.remove(ctx, cl, toDelete); err != nil {
			return err
		}
		for _, id := range toDelete {
			out.event(v1alpha1.EventDeleted, n.deleteAction, "Deleted %s %s", n.noun, id)
		}
		waiting = true
	}
	out.Observed = true
	if waiting {
		out.State = n.deleting
		out.Poll = e.pendingPoll()
		return nil
	}
	out.State = ""
	if k.mayHaveGroup() {
		done, err := e.deleteManagedGroup(ctx, cl, req, out)
		if err != nil {
			return err
		}
		if !done {
			out.Poll = e.pendingPoll() // DependencyViolation, or a group AWS may not list yet
			return nil
		}
		out.ManagedGroupID, out.GroupIntent = "", nil
	}
	out.EndpointIntent = nil
	out.Done = true
	return nil
}

func isNotFoundCode(code string) bool { return strings.HasSuffix(code, ".NotFound") }

// retain leaves the endpoint (and its managed security group, which keeps guarding
// it) in AWS and removes the ownership tags, so nothing of this cluster claims them
// any more. The group keeps its name, which ends in the object's UID fragment, so
// a new object of the same name makes a group of its own.
func (e *Engine) retain(ctx context.Context, cl awsclient.EC2, k adapter, req Request, out *Outcome) error {
	eps, err := ownedEndpoints(ctx, cl, k, req)
	if err != nil {
		return err
	}
	if e.waitForCreate(eps, req, out) {
		return nil
	}
	keys := []types.Tag{{Key: aws.String(TagCluster)}, {Key: aws.String(TagOwner)}, {Key: aws.String(TagOwnerUID)}}
	var ids []string
	for _, o := range eps {
		if !k.classify(o).gone() {
			ids = append(ids, o.ID)
		}
	}
	if k.mayHaveGroup() {
		g, err := lookupManagedGroup(ctx, cl, req.Owner, req.Prior.ManagedSecurityGroupID, true)
		if err != nil {
			return err
		}
		if in := req.Prior.GroupIntent; g == nil && e.within(in) {
			out.notReady(v1alpha1.ReasonDeleting, "looking for the security group created at %s before concluding none was made (for up to %s more: AWS is eventually consistent)", in.Since.UTC().Format(time.RFC3339), e.until(in))
			out.Poll, out.PollBackoff = e.pendingPoll(), true
			return nil
		}
		if g != nil && tagMap(g.Tags)[TagOwnerUID] == req.Owner.UID {
			ids = append(ids, aws.ToString(g.GroupId))
		}
	}
	if len(ids) > 0 {
		if _, err := cl.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids, Tags: keys}); err != nil {
			return fromAWS(err, "removing ownership tags")
		}
		out.event(v1alpha1.EventRetained, "DeleteTags", "Left %v in AWS (deletionPolicy Retain) and removed the ownership tags", ids)
	}
	out.Done = true
	return nil
}
