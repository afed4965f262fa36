package endpoint

import (
	"context"
	"time"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

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
func (e *Engine) find(ctx context.Context, cl awsclient.EC2, k adapter, req Request, r *resolved, out *Outcome) (found, error) {
	pending := req.Prior.EndpointIntent
	n := k.names()
	var f found
	if id := req.Prior.EndpointID; id != "" {
		o, err := k.describeByID(ctx, cl, id)
		if err != nil {
			return f, err
		}
		if o == nil && pending == nil {
			// Seen before and not found by ID now: the owner listing must agree.
			if o, err = e.listedOwned(ctx, cl, k, req.Owner, id); err != nil {
				return f, err
			}
		}
		var state stateClass
		if o != nil {
			state = k.classify(*o)
		}
		switch {
		case o != nil && !state.gone():
			e.seen(out, o.ID)
			return found{obs: o}, nil
		case o != nil && state.phase == phaseDeleting:
			// Deleted outside the controller: a replacement created now could clash
			// with the routes or DNS names the old one still holds.
			e.seen(out, o.ID)
			return f, errPriorDeleting
		case o == nil && e.within(pending):
			return f, errNotYetVisible
		case o == nil && pending != nil:
			out.warning(v1alpha1.EventNeverListed, n.createAction, "%s %s, created at %s, was never listed by AWS within the consistency bound (%s); creating another", n.noun, id, pending.Since.UTC().Format(time.RFC3339), e.bound())
		default:
			out.repaired([]string{DriftEndpoint}, n.recreateAction, "%s %s was deleted outside the controller; creating a new one", n.noun, id)
		}
		f.goneID = id
		pending = nil
	}
	if id := req.Spec.AdoptID; id != "" && id != req.Prior.EndpointID {
		o, err := e.checkAdoptable(ctx, cl, k, req, r, id)
		if o != nil {
			e.seen(out, o.ID)
		}
		return found{obs: o, adopted: o != nil, goneID: f.goneID}, err
	}
	listed, err := k.describeByOwner(ctx, cl, req.Owner)
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
func (e *Engine) listedOwned(ctx context.Context, cl awsclient.EC2, k adapter, owner Owner, id string) (*Observed, error) {
	listed, err := k.describeByOwner(ec2cache.WithMaxAge(ctx, freshness), cl, owner)
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

// checkAdoptable returns the resource spec.endpointID names once it passes the
// checks of every kind (it exists, is in the spec's VPC, carries no other
// owner's tags) and those of the kind.
func (e *Engine) checkAdoptable(ctx context.Context, cl awsclient.EC2, k adapter, req Request, r *resolved, id string) (*Observed, error) {
	o, err := k.describeByID(ctx, cl, id)
	if err != nil {
		return nil, err
	}
	switch {
	case o == nil || k.classify(*o).gone():
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s does not exist; remove spec.endpointID to create one", id)
	case o.VPCID != r.vpc.ID:
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is in %s, but spec.vpc resolves to %s", id, o.VPCID, r.vpc.ID)
	}
	if err := k.adoptable(req, r, *o); err != nil {
		return nil, err
	}
	if uid, ok := o.Tags[TagOwnerUID]; ok && (uid != req.Owner.UID || o.Tags[TagCluster] != req.Owner.Cluster) {
		return nil, problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is owned by %s in cluster %s; remove spec.endpointID or release it there first", id, o.Tags[TagOwner], o.Tags[TagCluster])
	}
	return o, nil
}
