package endpoint

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultConsistencyBound is how long, unless configured otherwise, AWS may take to
// list a resource the controller created. AWS documents no upper bound; its
// examples settle in seconds, and five minutes leaves a wide margin.
const DefaultConsistencyBound = 5 * time.Minute

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) bound() time.Duration {
	if e.ConsistencyBound > 0 {
		return e.ConsistencyBound
	}
	return DefaultConsistencyBound
}

// within reports whether a recorded create is recent enough that AWS may still not
// list what it made.
func (e *Engine) within(in *Intent) bool {
	return in != nil && e.now().Sub(in.Since) < e.bound()
}

// until is how long is left of a recorded create's consistency bound.
func (e *Engine) until(in *Intent) time.Duration {
	return in.Since.Add(e.bound()).Sub(e.now()).Round(time.Second)
}

// record writes the outcome's IDs and intents into the object's status, and fails
// when the API server did not store them: the caller then creates nothing.
func (e *Engine) record(ctx context.Context, req Request, out *Outcome) error {
	if req.Record == nil {
		return nil
	}
	if err := req.Record(ctx, out.durable()); err != nil {
		return fmt.Errorf("%w: %v", errNotRecorded, err)
	}
	return nil
}

// errNotRecorded means the status write that must precede a create failed, so
// nothing was created; the reconcile is retried.
var errNotRecorded = errors.New("the create was not recorded in the status, so it was not made")

// intend records, in one status write, the creates about to be made that have no
// recorded intent yet: the managed group's (group) or the endpoint's (endpoint,
// replacing goneID when set, which gets a fresh ClientToken). Each is recorded
// right before its create, so a deletion never waits for a create that was not
// about to be made.
func (e *Engine) intend(ctx context.Context, req Request, out *Outcome, group, endpoint bool, goneID string) error {
	changed := false
	now := e.now().Truncate(time.Second) // as the status stores it
	if group && out.GroupIntent == nil {
		out.GroupIntent = &Intent{Since: now}
		changed = true
	}
	if endpoint && (out.EndpointIntent == nil || goneID != "") {
		out.EndpointIntent = &Intent{ClientToken: clientToken(req.Owner, goneID), Since: now}
		if goneID != "" {
			out.EndpointID = ""
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return e.record(ctx, req, out)
}
