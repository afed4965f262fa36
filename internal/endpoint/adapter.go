package endpoint

import (
	"context"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// adapter is what differs between the kinds of AWS resource the engine
// converges: how to resolve the kind's own spec fields, read the resource by ID
// and by owner, create it with a ClientToken, change and delete it, and what
// its states mean. Everything else is written once in the engine and shared by
// every kind: the create intent recorded before a create, one ClientToken until
// the resource is seen, "not visible yet" rather than "gone" within the
// consistency bound, adoption's ownership checks, the managed security group,
// tags, drift events and the deletion policies.
type adapter interface {
	// names are the words and EC2 actions of the kind, for messages and events.
	names() kindNames
	// resolve turns the kind's own spec fields into r.desired (and r.svc), once
	// the engine has resolved the tags and the VPC. It writes nothing to AWS.
	resolve(ctx context.Context, cl awsclient.EC2, region string, req Request, r *resolved, out *Outcome) error
	// checkBeforeWrite refutes, before the first write of a reconcile, what only
	// AWS can refute (a conflict with another resource, a VPC setting); obs is the
	// resource found, nil when it is about to be created.
	checkBeforeWrite(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, obs *Observed, out *Outcome) error
	// mayHaveGroup reports whether objects of the kind can have a managed
	// security group, so deletion looks for one.
	mayHaveGroup() bool

	// describeByID returns the resource, or nil when EC2 does not know the ID.
	describeByID(ctx context.Context, cl awsclient.EC2, id string) (*Observed, error)
	// describeByOwner returns the live resources tagged as the owner's, oldest first.
	describeByOwner(ctx context.Context, cl awsclient.EC2, owner Owner) ([]Observed, error)
	// adoptable refuses a resource spec.endpointID names that the spec cannot
	// converge, beyond the checks every kind makes (it exists, is in the VPC, is
	// not another owner's).
	adoptable(req Request, r *resolved, o Observed) error

	// create makes the resource with the ClientToken and returns it as AWS
	// answered, or AWS's error unchanged.
	create(ctx context.Context, cl awsclient.EC2, r *resolved, token string) (Observed, error)
	// explainCreate adds to p, AWS's refusal of a create with this error code,
	// what the user needs to know (a reason of the kind, a hint).
	explainCreate(code string, p *Problem)
	// plan is the pure planner's answer for the kind: the changes from o to r.desired.
	plan(r *resolved, o Observed) Plan
	// modify makes the plan's changes other than tags in one call.
	modify(ctx context.Context, cl awsclient.EC2, o Observed, p Plan) error
	// applied is o as AWS shows it right after the plan is applied.
	applied(o Observed, p Plan) Observed
	// digest digests what the controller changes on the resource.
	digest(o Observed) string
	// remove deletes the resources; a resource already gone is no error.
	remove(ctx context.Context, cl awsclient.EC2, ids []string) error

	// classify says what a resource's state means.
	classify(o Observed) stateClass
	// report fills the kind's own fields of the outcome from the resource.
	report(ctx context.Context, cl awsclient.EC2, r *resolved, o Observed, out *Outcome)
}

// kindNames are the words and EC2 actions of a kind.
type kindNames struct {
	// noun names the resource: "VPC endpoint".
	noun string
	// createAction, modifyAction and deleteAction are the EC2 actions; adoptAction
	// and recreateAction name what the controller did in events.
	createAction, modifyAction, deleteAction, adoptAction, recreateAction string
	// deleting is the state AWS shows once a delete is accepted.
	deleting string
}

// phase is what a state means to the engine.
type phase int

const (
	// phaseWorking: AWS is creating or changing the resource; only tags may change.
	phaseWorking phase = iota
	// phaseReady: settled; converged, and Ready when nothing is left to change.
	phaseReady
	// phaseAwaitingAcceptance: waits for the owner of the service to accept it.
	phaseAwaitingAcceptance
	// phasePartial: provisioned in part, or the last change failed; converged,
	// never Ready (reason Partial unless the class names another).
	phasePartial
	// phaseStuck: AWS will not move on (rejected, failed, expired); the resource
	// stays until deleted, and only the user can help.
	phaseStuck
	// phaseDeleting: being deleted.
	phaseDeleting
	// phaseDeleted: deleted.
	phaseDeleted
)

// stateClass is what a state means: its phase and, for phaseStuck, the Ready
// reason and what to add to the message.
type stateClass struct {
	phase  phase
	reason string
	detail string
}

// gone reports whether the resource is going or gone for good.
func (c stateClass) gone() bool { return c.phase == phaseDeleting || c.phase == phaseDeleted }

// adapterOf returns the adapter of a spec's kind.
func adapterOf(t Type) adapter {
	switch t {
	case Gateway:
		return gatewayAdapter{}
	case InstanceConnect:
		return instanceConnectAdapter{}
	}
	return interfaceAdapter{}
}
