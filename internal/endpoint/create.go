package endpoint

import (
	"context"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// create makes the resource with the recorded intent's ClientToken: a create
// repeated after a crash or a lost response returns the resource of the first.
func (e *Engine) create(ctx context.Context, cl awsclient.EC2, k adapter, req Request, r *resolved, out *Outcome) error {
	n := k.names()
	intent := out.EndpointIntent
	o, err := k.create(ctx, cl, r, intent.ClientToken)
	if err != nil {
		p := fromAWS(err, "creating the "+n.noun)
		code := awserr.Code(err)
		if code == "IdempotentParameterMismatch" && e.within(intent) {
			// An earlier attempt with this token made the resource (the spec changed
			// since): it is listed once AWS is consistent, and then converged.
			return errNotYetVisible
		}
		k.explainCreate(code, p)
		if p.Class == awserr.Terminal && code != "IdempotentParameterMismatch" {
			// AWS refused the request, and a repeat of a successful one with the same
			// token would have returned it: nothing was made.
			out.EndpointIntent = nil
		}
		return p
	}
	out.event(v1alpha1.EventCreated, n.createAction, "Created %s %s", n.noun, o.ID)
	out.EndpointID = o.ID
	e.report(ctx, cl, k, r, o, out)
	out.AppliedTagKeys = appliedTagKeys(r.desired, r.desired.createTags())
	return nil
}
