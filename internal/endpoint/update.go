package endpoint

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// update brings an existing resource to the spec: the plan's changes while AWS
// has it settled, only tags while AWS works on it, nothing (and a condition)
// when AWS will not move on. A change AWS does not show yet is waited out.
func (e *Engine) update(ctx context.Context, cl awsclient.EC2, k adapter, req Request, r *resolved, o Observed, adopted bool, out *Outcome) error {
	n := k.names()
	if c := req.Prior.EndpointChange; e.settling(c, k.digest(o)) {
		// AWS still shows the endpoint as it was before the controller changed it:
		// neither drift nor a reason to change it again.
		out.notReady(v1alpha1.ReasonPending, "waiting for AWS to show the change made to endpoint %s at %s (AWS is eventually consistent)", o.ID, c.At.UTC().Format(time.RFC3339))
		out.Poll, out.PollBackoff = e.pendingPoll(), true
		return nil
	}
	out.EndpointChange = nil
	switch state := k.classify(o); state.phase {
	case phaseStuck:
		e.report(ctx, cl, k, r, o, out)
		msg := fmt.Sprintf("endpoint %s is %s", o.ID, o.State)
		if state.detail != "" {
			msg += ": " + state.detail
		}
		if o.LastError != "" {
			msg += ": " + o.LastError
		}
		out.notReady(state.reason, "%s", msg)
		return problemf(state.reason, "%s; delete this object (or its endpoint in AWS) to try again", msg)
	case phaseReady, phasePartial:
	default:
		// AWS is working on it (pending, pendingAcceptance): only tags may change now.
		p := k.plan(r, o)
		tagged := len(p.SetTags)+len(p.RemoveTags) > 0
		if tagged {
			if err := e.recordChange(ctx, req, out, &out.EndpointChange, k.digest(o)); err != nil {
				return err
			}
		}
		if err := applyTags(ctx, cl, o.ID, p); err != nil {
			out.EndpointChange = nil
			return err
		}
		// The first sight of a resource just created may lack its tags (AWS shows
		// them late): setting them again is part of making it, not a change.
		if tags := (Plan{SetTags: p.SetTags, RemoveTags: p.RemoveTags}); tags.HasChanges() && req.Prior.EndpointIntent == nil {
			out.changedOrRepaired(req, tags.Fields(), "UpdateTags", "Modified %s %s (%s): %s", "Repaired %s %s (%s): %s", n.noun, o.ID, o.State, tags)
		}
		e.report(ctx, cl, k, r, o, out)
		return nil
	}
	p := k.plan(r, o)
	if !p.HasChanges() {
		e.refusedModify.Delete(o.ID)
		e.report(ctx, cl, k, r, o, out)
		return nil
	}
	if err := e.recordChange(ctx, req, out, &out.EndpointChange, k.digest(o)); err != nil {
		return err
	}
	if err := applyPlan(ctx, cl, k, o, p); err != nil {
		out.EndpointChange = nil // the final status says what AWS shows
		fresh, rerr := e.recheckRefused(ctx, cl, k, r, o, p, err)
		if rerr != nil {
			return rerr
		}
		// The change is in AWS already: the call succeeded before, and its
		// response was lost (the SDK's retry of it was what AWS refused).
		o = *fresh
		e.report(ctx, cl, k, r, o, out)
		return nil
	}
	e.refusedModify.Delete(o.ID)
	switch {
	case adopted:
		out.event(v1alpha1.EventModified, n.modifyAction, "Brought adopted %s %s to the spec: %s", n.noun, o.ID, p)
	case req.Prior.SpecChanged:
		out.event(v1alpha1.EventModified, n.modifyAction, "Modified %s %s: %s", n.noun, o.ID, p)
	default:
		out.repaired(p.Fields(), n.modifyAction, "Repaired %s %s: %s", n.noun, o.ID, p)
	}
	e.report(ctx, cl, k, r, k.applied(o, p), out)
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
func (e *Engine) recheckRefused(ctx context.Context, cl awsclient.EC2, k adapter, r *resolved, o Observed, p Plan, err error) (*Observed, error) {
	prob := fromAWS(err, "modifying "+k.names().noun+" "+o.ID)
	if prob.Class != awserr.Terminal {
		return nil, prob
	}
	fresh, ferr := k.describeByID(ec2cache.WithMaxAge(ctx, 0), cl, o.ID)
	if ferr != nil || fresh == nil {
		return nil, prob
	}
	again := k.plan(r, *fresh)
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

// applyPlan makes the plan's changes: tags set first (an adopted resource must
// carry the ownership tags before the IAM policy lets the controller modify it),
// then the kind's one modify call, then tags removed.
func applyPlan(ctx context.Context, cl awsclient.EC2, k adapter, o Observed, p Plan) error {
	if err := applyTags(ctx, cl, o.ID, Plan{SetTags: p.SetTags}); err != nil {
		return err
	}
	if p.HasModify() {
		if err := k.modify(ctx, cl, o, p); err != nil {
			return err
		}
	}
	return applyTags(ctx, cl, o.ID, Plan{RemoveTags: p.RemoveTags})
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
