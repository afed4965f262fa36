package endpoint

import (
	"errors"
	"fmt"
	"time"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Problem is why the spec could not be applied: a Synced=False reason and a message
// that names the field and the fix, with the error class that sets the retry pace.
type Problem struct {
	Reason  string
	Message string
	Class   awserr.Class
	// Queued is set when the call was not made but queued behind the client-side
	// rate limit; RetryAfter says when its turn comes. It is not a failure.
	Queued     bool
	RetryAfter time.Duration
}

func (p *Problem) Error() string { return p.Reason + ": " + p.Message }

// problemf makes a terminal Problem.
func problemf(reason, format string, args ...any) *Problem {
	return &Problem{Reason: reason, Message: fmt.Sprintf(format, args...), Class: awserr.Terminal}
}

// fromAWS turns an AWS error into a Problem, classified once. context adds what the
// controller was doing.
func fromAWS(err error, context string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var q *awsclient.QueuedError
	if errors.As(err, &q) {
		return &Problem{Reason: v1alpha1.ReasonPending, Message: context + ": " + q.Error(), Class: awserr.Throttled, Queued: true, RetryAfter: q.RetryAfter}
	}
	class := awserr.Classify(err)
	reason := awserr.Reason(awserr.Code(err))
	switch class {
	case awserr.Throttled:
		reason = v1alpha1.ReasonThrottled
	case awserr.Retryable:
		if awserr.Code(err) == "" || reason == "InternalError" || reason == "Unavailable" || reason == "ServiceUnavailable" {
			reason = v1alpha1.ReasonAWSUnavailable
		}
	}
	return &Problem{Reason: reason, Message: context + ": " + awserr.Message(err), Class: class}
}

// Event is a Kubernetes event to record on the object.
type Event struct {
	Warning bool
	Reason  string
	// Action is what the controller did (CreateVpcEndpoint, ModifyVpcEndpoint, ...);
	// events of one reason and action on one object form a series.
	Action  string
	Message string
}

// Outcome is what one reconcile found and did.
type Outcome struct {
	Region           string
	VPCID            string
	ServiceName      string
	EndpointID       string
	State            string
	RouteTableIDs    []string
	PrefixListID     string
	SubnetIDs        []string
	SecurityGroupIDs []string
	ManagedGroupID   string
	// EndpointIntent and GroupIntent are the recorded creates not yet seen in AWS
	// (status.createIntent, status.securityGroupCreateIntent); nil once seen.
	EndpointIntent *Intent
	GroupIntent    *Intent
	// EndpointChange and GroupChange are the last changes AWS may not show yet.
	EndpointChange, GroupChange *Change
	PrivateDNS                  bool
	Interfaces                  []v1alpha1.NetworkInterface
	DNSEntries                  []v1alpha1.DNSEntry
	// Instance Connect Endpoints: the endpoint's ARN, DNS names, zone, network
	// interfaces and whether it preserves the client's IP.
	ARN                 string
	DNSName             string
	FIPSDNSName         string
	AvailabilityZone    string
	NetworkInterfaceIDs []string
	PreserveClientIP    bool
	// AccountID is the AWS account the endpoint lives in, as EC2 lists its owner.
	AccountID string
	// AppliedTagKeys are the keys of the tags the controller has set on the
	// endpoint (status.appliedTagKeys).
	AppliedTagKeys []string
	// Observed is true when the endpoint-derived fields above describe AWS now;
	// when false they are left as the status has them.
	Observed bool

	// Problem is nil when the spec was applied (Synced=True).
	Problem *Problem
	// Ready and why not.
	Ready        bool
	ReadyReason  string
	ReadyMessage string
	// Poll asks for a check after this delay (AWS is still working); zero means the
	// regular drift check.
	Poll time.Duration
	// PollBackoff makes successive polls slower: for waits that may be long (a
	// PrivateLink connection waiting for its owner's acceptance).
	PollBackoff bool
	// PollExact asks for the poll at exactly Poll, unjittered: a booked place in the
	// client-side rate limiter's queue.
	PollExact bool
	// Done is true when deletion finished and the finalizer may go.
	Done   bool
	Events []Event
	// DriftFields names what was repaired behind the controller's back, for metrics.
	DriftFields []string

	// groupSettling is set when AWS does not show the controller's last change to
	// the managed group yet.
	groupSettling bool
}

// durable is the part of the outcome that must survive a crash.
func (o *Outcome) durable() Durable {
	return Durable{EndpointID: o.EndpointID, EndpointIntent: o.EndpointIntent, ManagedGroupID: o.ManagedGroupID, GroupIntent: o.GroupIntent,
		EndpointChange: o.EndpointChange, GroupChange: o.GroupChange}
}

func (o *Outcome) warning(reason, action, format string, args ...any) {
	o.Events = append(o.Events, Event{Warning: true, Reason: reason, Action: action, Message: fmt.Sprintf(format, args...)})
}

func (o *Outcome) event(reason, action, format string, args ...any) {
	o.Events = append(o.Events, Event{Reason: reason, Action: action, Message: fmt.Sprintf(format, args...)})
}

func (o *Outcome) notReady(reason, format string, args ...any) {
	o.Ready = false
	o.ReadyReason = reason
	o.ReadyMessage = fmt.Sprintf(format, args...)
}
