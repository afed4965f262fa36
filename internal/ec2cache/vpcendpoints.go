package ec2cache

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// maxVPCEndpointPasses bounds how many recent reads vpcEndpointAnswers keeps.
const maxVPCEndpointPasses = 16

// vpcEndpointAnswers remembers the recent reads of the endpoints of some VPCs
// (the private DNS check): the VPCs each asked EC2 for (the union of its
// callers'), what EC2 answered, and when the read started. A check of a VPC
// such a read covered, started late enough for the request, is answered from
// it without waiting.
//
// The reads are shared, one per confirmation window at most, and a check that
// always waited for the next one held its reconcile worker up to that window
// (30 s at AWS's pace) before every create of an interface endpoint with
// private DNS. In the fleet benchmark with one AWS account throttled (its
// reconciles holding half the interface workers), every other interface
// worker waited there once the gateway endpoints were made, with their turns
// at the rate limit due, and the other accounts' endpoint-write buckets went
// unused for 3-5 s of every 6 s window. A check accepts a read as old as any
// snapshot read (the snapshot TTL, or what the request asks: a new spec wants
// one made after it was first seen), as it did when it read a listing of the
// region; the endpoints this cluster made since come from the owned snapshot.
type vpcEndpointAnswers struct {
	mu     sync.Mutex
	passes []vpcEndpointPass
}

// vpcEndpointPass is one read: its filter values, EC2's answer (by VPC), its start.
type vpcEndpointPass struct {
	values map[string]map[string]struct{}
	items  []types.VpcEndpoint
	// byVPC indexes items by VPC: a read serves the checks of every VPC its
	// callers asked for (all of a region's VPCs while a fleet converges), and a
	// check that looked through all of them cost time in proportion to the
	// region's endpoints, at every create of an interface endpoint.
	byVPC map[string][]types.VpcEndpoint
	start time.Time
}

// covers reports whether the read asked EC2 for at least what filters select:
// each of its filters is among them, with every value they give it (the
// other filters are applied to its answer).
func (p vpcEndpointPass) covers(filters []types.Filter) bool {
	for name, vs := range p.values {
		found := false
		for _, f := range filters {
			if aws.ToString(f.Name) != name {
				continue
			}
			found = true
			for _, v := range f.Values {
				if _, ok := vs[v]; !ok {
					return false
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// get answers filters from the latest read that covers them and started at or
// after need.
func (a *vpcEndpointAnswers) get(filters []types.Filter, need time.Time) ([]types.VpcEndpoint, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.passes) - 1; i >= 0; i-- {
		if p := a.passes[i]; !p.start.Before(need) && p.covers(filters) {
			if vpcs := filterValues(filters, "vpc-id"); vpcs != nil {
				var in []types.VpcEndpoint
				for i, v := range vpcs {
					if !slices.Contains(vpcs[:i], v) {
						in = append(in, p.byVPC[v]...)
					}
				}
				return matchEndpoints(in, filters), true
			}
			return matchEndpoints(p.items, filters), true
		}
	}
	return nil, false
}

// put keeps a read that succeeded, dropping those that started before oldest
// (no request accepts them any more) and the oldest beyond maxVPCEndpointPasses.
func (a *vpcEndpointAnswers) put(values map[string]map[string]struct{}, items []types.VpcEndpoint, start, oldest time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	kept := a.passes[:0]
	for _, p := range a.passes {
		if !p.start.Before(oldest) {
			kept = append(kept, p)
		}
	}
	a.passes = append(kept, vpcEndpointPass{values: values, items: items, byVPC: byVPC(items), start: start})
	if n := len(a.passes) - maxVPCEndpointPasses; n > 0 {
		a.passes = append(a.passes[:0], a.passes[n:]...)
	}
}

// vpcEndpoints answers a query of the endpoints of some VPCs from a recent
// read that covered it, or from the next shared read. EC2 is asked for every
// endpoint of the VPCs, whatever the query's other filters (the service):
// each object with private DNS is the only one of its service in its VPC, so a
// read of just the services asked would hardly ever answer the next check,
// while a read of the VPC answers every check in it (AWS allows some tens of
// interface endpoints per VPC, so the read stays small as the region grows).
func (c *Client) vpcEndpoints(ctx context.Context, filters []types.Filter, need time.Time) ([]types.VpcEndpoint, error) {
	if items, ok := c.vpcAnswers.get(filters, need); ok {
		return items, nil
	}
	var vpcOnly []types.Filter
	for _, f := range filters {
		if aws.ToString(f.Name) == "vpc-id" {
			vpcOnly = append(vpcOnly, f)
		}
	}
	items, _, err := c.vpcEndpointReads.query(ctx, vpcOnly)
	if err != nil {
		return nil, err
	}
	if vpcs := filterValues(filters, "vpc-id"); vpcs != nil {
		// The shared read may hold other callers' VPCs too: only this query's
		// are looked through.
		want := make(map[string]bool, len(vpcs))
		for _, v := range vpcs {
			want[v] = true
		}
		var in []types.VpcEndpoint
		for _, e := range items {
			if want[aws.ToString(e.VpcId)] {
				in = append(in, e)
			}
		}
		items = in
	}
	return matchEndpoints(items, filters), nil
}

// byVPC indexes endpoints by their VPC.
func byVPC(items []types.VpcEndpoint) map[string][]types.VpcEndpoint {
	m := map[string][]types.VpcEndpoint{}
	for _, e := range items {
		id := aws.ToString(e.VpcId)
		m[id] = append(m[id], e)
	}
	return m
}

// keepVPCEndpointRead is the reads' done hook: it keeps each read for the
// checks that come after it.
func (c *Client) keepVPCEndpointRead(values map[string]map[string]struct{}, items []types.VpcEndpoint, start time.Time) {
	c.vpcAnswers.put(values, items, start, c.now().Add(-c.snapshotTTL()))
}
