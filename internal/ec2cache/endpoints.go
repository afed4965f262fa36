package ec2cache

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// endpointFilterNames are the DescribeVpcEndpoints filters the cache evaluates.
var endpointFilterNames = []string{"vpc-id", "service-name", "vpc-endpoint-id", "vpc-endpoint-state", "vpc-endpoint-type"}

var endpointOps = kindOps[types.VpcEndpoint]{
	resource:    "VpcEndpoint",
	id:          func(e types.VpcEndpoint) string { return aws.ToString(e.VpcEndpointId) },
	tags:        func(e types.VpcEndpoint) []types.Tag { return e.Tags },
	typ:         func(e types.VpcEndpoint) string { return string(e.VpcEndpointType) },
	vpc:         func(e types.VpcEndpoint) string { return aws.ToString(e.VpcId) },
	settled:     func(e types.VpcEndpoint) bool { return settled(e.State) },
	fingerprint: endpointFingerprint,
	compact:     compactEndpoint,
}

// compactEndpoint keeps the fields the engine reads.
func compactEndpoint(e types.VpcEndpoint) types.VpcEndpoint {
	out := types.VpcEndpoint{
		VpcEndpointId: e.VpcEndpointId, VpcEndpointType: e.VpcEndpointType, VpcId: e.VpcId,
		ServiceName: e.ServiceName, State: e.State, PolicyDocument: e.PolicyDocument,
		RouteTableIds: e.RouteTableIds, SubnetIds: e.SubnetIds, IpAddressType: e.IpAddressType,
		DnsOptions: e.DnsOptions, PrivateDnsEnabled: e.PrivateDnsEnabled, NetworkInterfaceIds: e.NetworkInterfaceIds,
		CreationTimestamp: e.CreationTimestamp, Tags: e.Tags, OwnerId: e.OwnerId, LastError: e.LastError,
	}
	for _, g := range e.Groups {
		out.Groups = append(out.Groups, types.SecurityGroupIdentifier{GroupId: g.GroupId})
	}
	for _, d := range e.DnsEntries {
		out.DnsEntries = append(out.DnsEntries, types.DnsEntry{DnsName: d.DnsName, HostedZoneId: d.HostedZoneId})
	}
	return out
}

// endpointFingerprint sums up what the controller looks at, so a change of it
// between two reads is reported.
func endpointFingerprint(e types.VpcEndpoint) string {
	var b strings.Builder
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	w(aws.ToString(e.VpcEndpointId), strings.ToLower(string(e.State)), aws.ToString(e.PolicyDocument), string(e.IpAddressType), boolString(aws.ToBool(e.PrivateDnsEnabled)))
	w(sortedCopy(e.RouteTableIds)...)
	w(sortedCopy(e.SubnetIds)...)
	w(sortedCopy(e.NetworkInterfaceIds)...)
	var groups []string
	for _, g := range e.Groups {
		groups = append(groups, aws.ToString(g.GroupId))
	}
	w(sortedCopy(groups)...)
	if o := e.DnsOptions; o != nil {
		w(string(o.DnsRecordIpType), boolString(aws.ToBool(o.PrivateDnsOnlyForInboundResolverEndpoint)))
	}
	if e.LastError != nil {
		w(aws.ToString(e.LastError.Code), aws.ToString(e.LastError.Message))
	}
	w(tagStrings(e.Tags)...)
	return b.String()
}

// fetchEndpoints reads every page of one request and stores what it finds.
func (c *Client) fetchEndpoints(ctx context.Context, start time.Time, filters []types.Filter) ([]types.VpcEndpoint, error) {
	if len(filters) == 1 && aws.ToString(filters[0].Name) == "vpc-endpoint-id" {
		// By ID rather than by the vpc-endpoint-id filter, which not every EC2
		// implementation knows; an unknown ID fails the request, so halves are
		// asked until the unknown ones are found.
		var raw rawReads
		all, err := byIDs(ctx, filters[0].Values, func(ctx context.Context, ids []string) ([]types.VpcEndpoint, error) {
			u := unchangedOf(c, endpointSet, c.endpoints)
			out, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids}, u.option)
			if err != nil {
				return nil, err
			}
			raw.add(u)
			return out.VpcEndpoints, nil
		})
		if err != nil {
			return nil, err
		}
		// The interfaces first: a reconcile the notice starts reports them.
		c.prefetchInterfaces(ctx, c.interfacesChanged(all))
		c.notify(c.endpoints.mergeRead(start, filters[0].Values, all, raw))
		return append(all, c.endpoints.objects(raw.unchanged)...), nil
	}
	var all []types.VpcEndpoint
	var raw rawReads
	owned := c.isOwnedListing(filters)
	p := ec2.NewDescribeVpcEndpointsPaginator(c.EC2, &ec2.DescribeVpcEndpointsInput{Filters: filters, MaxResults: aws.Int32(1000)})
	pages := 0
	for p.HasMorePages() {
		// Members the store holds unchanged are not decoded (unchanged.go).
		u := unchangedOf(c, endpointSet, c.endpoints)
		page, err := p.NextPage(ctx, u.option)
		if err != nil {
			return nil, err
		}
		raw.add(u)
		pages++
		// The store and the callers keep the compact form: a read of many pages
		// holds one page in full at a time, not all.
		for _, e := range page.VpcEndpoints {
			all = append(all, compactEndpoint(e))
		}
	}
	c.prefetchInterfaces(ctx, c.interfacesChanged(all)) // before the notices, as above
	if owned {
		c.budget.record(pagesEndpoints, pages)
		c.notify(c.endpoints.mergeListing(start, all, raw))
		c.pruneInterfaces()
	} else {
		c.notify(c.endpoints.mergeRead(start, filterValues(filters, "vpc-endpoint-id"), all, raw))
	}
	return append(all, c.endpoints.objects(raw.unchanged)...), nil
}

// byIDs reads objects by ID with read, which fails NotFound when one ID is
// unknown: then each half is read on its own, down to the unknown IDs, which are
// left out of the answer.
func byIDs[T any](ctx context.Context, ids []string, read func(context.Context, []string) ([]T, error)) ([]T, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	items, err := read(ctx, ids)
	switch {
	case err == nil:
		return items, nil
	case !awserr.IsNotFound(err):
		return nil, err
	case len(ids) == 1:
		return nil, nil
	}
	half := len(ids) / 2
	first, err := byIDs(ctx, ids[:half], read)
	if err != nil {
		return nil, err
	}
	second, err := byIDs(ctx, ids[half:], read)
	if err != nil {
		return nil, err
	}
	return append(first, second...), nil
}

// isOwnedListing reports whether filters are exactly the cluster filter.
func (c *Client) isOwnedListing(filters []types.Filter) bool {
	return len(filters) == 1 && c.hasClusterFilter(filters)
}

// listEndpoints lists every owned endpoint, joining a listing about to start.
func (c *Client) listEndpoints(ctx context.Context) error {
	_, _, err := c.endpointReads.query(ctx, c.clusterFilter())
	return err
}

// DescribeVpcEndpoints answers by-ID reads and queries of the cluster's endpoints
// from the snapshot, re-reading in one shared request what is not fresh enough;
// other queries share one request per spacing with every query of the same kind.
func (c *Client) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	if in.NextToken != nil || in.MaxResults != nil || in.DryRun != nil || !understood(in.Filters, endpointFilterNames...) {
		return c.EC2.DescribeVpcEndpoints(ctx, in, opts...)
	}
	need := c.need(ctx, c.snapshotTTL(), Endpoints)
	switch {
	case len(in.VpcEndpointIds) > 0 && len(in.Filters) == 0:
		return c.endpointsByID(ctx, in.VpcEndpointIds, need, opts)
	case len(in.VpcEndpointIds) > 0:
		return c.EC2.DescribeVpcEndpoints(ctx, in, opts...)
	case c.hasClusterFilter(in.Filters):
		return c.ownedEndpoints(ctx, in, need, opts)
	}
	if vpcs := filterValues(in.Filters, "vpc-id"); len(vpcs) > 0 {
		// Endpoints of given VPCs, whoever owns them (the check for another
		// endpoint with private DNS): EC2 is asked for just those VPCs (and
		// services), in one request shared by every such query of a confirmation
		// window, or from a recent answer (vpcendpoints.go); the owned snapshot adds the endpoints this cluster made that
		// EC2's filtered answer may not show yet. Never a listing of the whole
		// region, whose cost would grow with every endpoint of it.
		items, err := c.vpcEndpoints(ctx, in.Filters, need)
		if err != nil {
			return nil, err
		}
		all := matchEndpoints(items, in.Filters)
		seen := make(map[string]struct{}, len(all))
		for _, e := range all {
			seen[aws.ToString(e.VpcEndpointId)] = struct{}{}
		}
		for _, e := range matchEndpoints(c.endpoints.inVPCs(vpcs), in.Filters) {
			if _, ok := seen[aws.ToString(e.VpcEndpointId)]; !ok {
				all = append(all, e)
			}
		}
		sort.Slice(all, func(i, j int) bool { return aws.ToString(all[i].VpcEndpointId) < aws.ToString(all[j].VpcEndpointId) })
		return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: all}, nil
	}
	items, _, err := c.endpointReads.query(ctx, in.Filters)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: matchEndpoints(items, in.Filters)}, nil
}

func (c *Client) endpointsByID(ctx context.Context, ids []string, need time.Time, opts []func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	if c.endpoints.listed().Before(c.now().Add(-c.snapshotTTL())) {
		// A cold snapshot (a new process, or no refresher): one listing answers
		// every owned endpoint's read.
		if err := c.listEndpoints(ctx); err != nil {
			return nil, err
		}
	}
	pollNeed := c.pollNeed()
	found := map[string]types.VpcEndpoint{}
	var stale []string
	for _, id := range ids {
		if e, ok := c.endpoints.lookup(id, need, pollNeed); ok {
			found[id] = e
		} else {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		items, _, err := c.endpointReads.confirm(ctx, Endpoints, idFilter("vpc-endpoint-id", stale))
		if err != nil {
			return nil, err
		}
		for _, e := range items {
			found[aws.ToString(e.VpcEndpointId)] = e
		}
		var missing []string
		for _, id := range stale {
			if _, ok := found[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			// Not listed: EC2 itself answers a read by ID (NotFound, or the
			// endpoint when listings lag behind reads by ID).
			out, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: missing}, opts...)
			if err != nil {
				return out, err
			}
			c.notify(c.endpoints.mergeRead(c.now(), nil, out.VpcEndpoints, rawReads{}))
			for _, e := range out.VpcEndpoints {
				found[aws.ToString(e.VpcEndpointId)] = e
			}
		}
	}
	out := &ec2.DescribeVpcEndpointsOutput{}
	for _, id := range sortedCopy(ids) {
		if e, ok := found[id]; ok && (len(out.VpcEndpoints) == 0 || aws.ToString(out.VpcEndpoints[len(out.VpcEndpoints)-1].VpcEndpointId) != id) {
			out.VpcEndpoints = append(out.VpcEndpoints, e)
		}
	}
	return out, nil
}

// ownedEndpoints answers a query of the cluster's endpoints from the snapshot,
// after reading what it lacks: a listing when the last is too old, and by ID
// the endpoints written or being worked on since their last read.
func (c *Client) ownedEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, need time.Time, opts []func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	uid := c.ownerUID(in.Filters)
	for attempt := 0; attempt < 3; attempt++ {
		cands, stale, listing := c.endpoints.ownedQuery(uid, need, c.pollNeed())
		switch {
		case listing:
			if err := c.listEndpoints(ctx); err != nil {
				return nil, err
			}
		case len(stale) > 0:
			if _, _, err := c.endpointReads.confirm(ctx, Endpoints, idFilter("vpc-endpoint-id", stale)); err != nil {
				return nil, err
			}
		default:
			return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: matchEndpoints(cands, in.Filters)}, nil
		}
	}
	return c.EC2.DescribeVpcEndpoints(ctx, in, opts...)
}

// matchEndpoints keeps the endpoints the filters select, sorted by ID.
func matchEndpoints(items []types.VpcEndpoint, filters []types.Filter) []types.VpcEndpoint {
	var out []types.VpcEndpoint
	for _, e := range items {
		m := matcher{tags: e.Tags, fields: map[string][]string{
			"vpc-id": {aws.ToString(e.VpcId)}, "service-name": {aws.ToString(e.ServiceName)},
			"vpc-endpoint-id": {aws.ToString(e.VpcEndpointId)}, "vpc-endpoint-state": {strings.ToLower(string(e.State))},
			"vpc-endpoint-type": {string(e.VpcEndpointType)},
		}}
		if ok, _ := m.match(filters); ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return aws.ToString(out[i].VpcEndpointId) < aws.ToString(out[j].VpcEndpointId) })
	return out
}

// settled reports whether an endpoint's state changes only when someone acts, so a
// snapshot of it stays true.
func settled(state types.State) bool {
	switch strings.ToLower(string(state)) {
	case "available", "rejected", "failed", "expired":
		return true
	}
	return false
}
