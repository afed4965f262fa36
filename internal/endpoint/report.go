package endpoint

import (
	"context"
	"fmt"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// report fills the outcome from a resource's state and sets Ready.
func (e *Engine) report(ctx context.Context, cl awsclient.EC2, k adapter, r *resolved, o Observed, out *Outcome) {
	out.Observed = true
	reportAccount(r, o, out)
	out.EndpointID = o.ID
	out.State = o.State
	out.RouteTableIDs = o.RouteTableIDs
	out.SubnetIDs = o.SubnetIDs
	out.SecurityGroupIDs = o.SecurityGroupIDs
	out.PrivateDNS = o.PrivateDNS
	k.report(ctx, cl, r, o, out)
	switch state := k.classify(o); state.phase {
	case phaseReady:
		out.Ready = true
		out.ReadyReason = v1alpha1.ReasonAvailable
		out.ReadyMessage = fmt.Sprintf("endpoint %s is available and matches the spec", o.ID)
	case phaseAwaitingAcceptance:
		out.notReady(v1alpha1.ReasonPendingAcceptance, "endpoint %s waits for the owner of %s to accept the connection", o.ID, o.ServiceName)
		out.Poll = 3 * e.pendingPoll()
		out.PollBackoff = true
	case phasePartial:
		reason, msg := v1alpha1.ReasonPartial, fmt.Sprintf("endpoint %s is partial: AWS could not provision it in every subnet", o.ID)
		if state.reason != "" {
			reason, msg = state.reason, fmt.Sprintf("endpoint %s is %s: %s", o.ID, o.State, state.detail)
		}
		if o.LastError != "" {
			msg += " (" + o.LastError + ")"
		}
		out.notReady(reason, "%s", msg)
		out.Poll = 3 * e.pendingPoll()
		out.PollBackoff = true
	case phaseStuck:
	default:
		out.notReady(v1alpha1.ReasonPending, "endpoint %s is %s", o.ID, o.State)
		// Slower and slower: the snapshot cache re-reads endpoints AWS is working
		// on and reconciles the object the moment its state changes.
		out.Poll, out.PollBackoff = e.pendingPoll(), true
	}
}
