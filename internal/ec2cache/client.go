package ec2cache

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Options configure a caching client.
type Options struct {
	// ClusterTagKey and Cluster select the objects this manager owns.
	ClusterTagKey, Cluster string
	// SnapshotTTL bounds the age of the owned endpoints, Instance Connect
	// Endpoints and security groups served.
	SnapshotTTL time.Duration
	// InventoryTTL bounds the age of VPCs, subnets, route tables and by-ID group checks.
	InventoryTTL time.Duration
	// ServiceTTL bounds the age of endpoint services and prefix lists.
	ServiceTTL time.Duration
	// PollTTL bounds the age of endpoints AWS is working on (pending, deleting):
	// every poll of them in that time shares one snapshot refresh.
	PollTTL time.Duration
}

// Client is an EC2 client that answers the controller's reads from snapshots.
// Methods it does not override go to EC2 unchanged.
type Client struct {
	awsclient.EC2
	o   Options
	now func() time.Time

	vpcs        list[types.Vpc]
	subnets     list[types.Subnet]
	routeTables list[types.RouteTable]
	endpoints   owned[types.VpcEndpoint]
	groups      owned[types.SecurityGroup]
	ices        owned[types.Ec2InstanceConnectEndpoint]

	mu         sync.Mutex
	services   map[string]stampedOut[*ec2.DescribeVpcEndpointServicesOutput]
	prefixes   map[string]stampedOut[*ec2.DescribePrefixListsOutput]
	groupIDs   map[string]stampedOut[*ec2.DescribeSecurityGroupsOutput]
	attributes map[string]stampedOut[*ec2.DescribeVpcAttributeOutput]
}

type stampedOut[T any] struct {
	out T
	at  time.Time
}

// New wraps an EC2 client of one region.
func New(cl awsclient.EC2, o Options) *Client {
	return &Client{EC2: cl, o: o, now: time.Now,
		services:   map[string]stampedOut[*ec2.DescribeVpcEndpointServicesOutput]{},
		prefixes:   map[string]stampedOut[*ec2.DescribePrefixListsOutput]{},
		groupIDs:   map[string]stampedOut[*ec2.DescribeSecurityGroupsOutput]{},
		attributes: map[string]stampedOut[*ec2.DescribeVpcAttributeOutput]{},
	}
}

func (c *Client) clusterFilter() []types.Filter {
	return []types.Filter{{Name: aws.String("tag:" + c.o.ClusterTagKey), Values: []string{c.o.Cluster}}}
}

// hasClusterFilter reports whether filters restrict to this cluster's objects, so
// the owned snapshot can answer them.
func (c *Client) hasClusterFilter(filters []types.Filter) bool {
	for _, f := range filters {
		if aws.ToString(f.Name) == "tag:"+c.o.ClusterTagKey && len(f.Values) == 1 && f.Values[0] == c.o.Cluster {
			return true
		}
	}
	return false
}

// ----- owned endpoints -----

func (c *Client) endpointSnapshot(ctx context.Context) (map[string]types.VpcEndpoint, time.Time, map[string]bool, error) {
	items, at, err := c.endpoints.snap.get(ctx, c.now(), maxAge(ctx, c.o.SnapshotTTL), func(ctx context.Context) ([]types.VpcEndpoint, error) {
		var all []types.VpcEndpoint
		p := ec2.NewDescribeVpcEndpointsPaginator(c.EC2, &ec2.DescribeVpcEndpointsInput{Filters: c.clusterFilter(), MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			all = append(all, page.VpcEndpoints...)
		}
		return all, nil
	})
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	view, dirty := c.endpoints.view(items, at, func(e types.VpcEndpoint) string { return aws.ToString(e.VpcEndpointId) })
	return view, at, dirty, nil
}

// DescribeVpcEndpoints answers by-ID and cluster-filtered reads from the snapshot.
func (c *Client) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	if in.NextToken == nil && (len(in.VpcEndpointIds) > 0 || c.hasClusterFilter(in.Filters)) &&
		understood(in.Filters, "vpc-id", "service-name", "vpc-endpoint-id", "vpc-endpoint-state", "vpc-endpoint-type") {
		for _, age := range []time.Duration{maxAge(ctx, c.o.SnapshotTTL), c.o.PollTTL} {
			// First from the snapshot as it is; if that means answering with an
			// endpoint AWS is working on, from one at most PollTTL old.
			view, at, dirty, err := c.endpointSnapshot(WithMaxAge(ctx, age))
			if err != nil {
				break
			}
			out, ok, unsettled := c.answerEndpoints(in, view, dirty)
			if ok && (!unsettled || c.now().Sub(at) < c.o.PollTTL) {
				return out, nil
			}
			if !ok || c.o.PollTTL <= 0 {
				break
			}
		}
	}
	out, err := c.EC2.DescribeVpcEndpoints(ctx, in, opts...)
	if len(in.VpcEndpointIds) > 0 {
		c.rereadEndpoints(in.VpcEndpointIds, out, err)
	}
	return out, err
}

// answerEndpoints answers from the view; ok is false when only EC2 can answer, and
// unsettled is true when the answer holds an endpoint AWS is working on.
func (c *Client) answerEndpoints(in *ec2.DescribeVpcEndpointsInput, view map[string]types.VpcEndpoint, dirty map[string]bool) (out *ec2.DescribeVpcEndpointsOutput, ok, unsettled bool) {
	var cands []types.VpcEndpoint
	if len(in.VpcEndpointIds) > 0 {
		for _, id := range in.VpcEndpointIds {
			e, found := view[id]
			if !found || dirty[id] {
				return nil, false, false // unknown to the snapshot (not ours, or gone): ask EC2
			}
			cands = append(cands, e)
		}
	} else {
		for id := range dirty {
			if _, inView := view[id]; !inView {
				// Written (created) since the snapshot and never re-read: it may
				// match the filters, and only EC2 knows.
				return nil, false, false
			}
		}
		for _, e := range view {
			cands = append(cands, e)
		}
	}
	out = &ec2.DescribeVpcEndpointsOutput{}
	for _, e := range cands {
		m := matcher{tags: e.Tags, fields: map[string][]string{
			"vpc-id": {aws.ToString(e.VpcId)}, "service-name": {aws.ToString(e.ServiceName)},
			"vpc-endpoint-id": {aws.ToString(e.VpcEndpointId)}, "vpc-endpoint-state": {strings.ToLower(string(e.State))},
			"vpc-endpoint-type": {string(e.VpcEndpointType)},
		}}
		if matched, _ := m.match(in.Filters); matched {
			if dirty[aws.ToString(e.VpcEndpointId)] {
				return nil, false, false // written since the snapshot: only EC2 knows
			}
			unsettled = unsettled || !settled(e.State)
			out.VpcEndpoints = append(out.VpcEndpoints, e)
		}
	}
	sort.Slice(out.VpcEndpoints, func(i, j int) bool {
		return aws.ToString(out.VpcEndpoints[i].VpcEndpointId) < aws.ToString(out.VpcEndpoints[j].VpcEndpointId)
	})
	return out, true, unsettled
}

func (c *Client) rereadEndpoints(ids []string, out *ec2.DescribeVpcEndpointsOutput, err error) {
	if err != nil {
		if awserr.IsNotFound(err) {
			c.endpoints.reread(c.now(), nil, ids)
		}
		return
	}
	found := map[string]types.VpcEndpoint{}
	for _, e := range out.VpcEndpoints {
		found[aws.ToString(e.VpcEndpointId)] = e
	}
	var missing []string
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	c.endpoints.reread(c.now(), found, missing)
}

// ----- owned security groups, and by-ID group checks -----

func (c *Client) groupSnapshot(ctx context.Context) (map[string]types.SecurityGroup, map[string]bool, error) {
	items, at, err := c.groups.snap.get(ctx, c.now(), maxAge(ctx, c.o.SnapshotTTL), func(ctx context.Context) ([]types.SecurityGroup, error) {
		var all []types.SecurityGroup
		p := ec2.NewDescribeSecurityGroupsPaginator(c.EC2, &ec2.DescribeSecurityGroupsInput{Filters: c.clusterFilter(), MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			all = append(all, page.SecurityGroups...)
		}
		return all, nil
	})
	if err != nil {
		return nil, nil, err
	}
	view, dirty := c.groups.view(items, at, func(g types.SecurityGroup) string { return aws.ToString(g.GroupId) })
	return view, dirty, nil
}

// DescribeSecurityGroups answers cluster-filtered reads from the owned snapshot and
// caches by-ID reads (existence checks of user-named groups).
func (c *Client) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	if in.NextToken == nil && len(in.GroupIds) == 0 && c.hasClusterFilter(in.Filters) && understood(in.Filters, "vpc-id", "group-id", "group-name") {
		view, dirty, err := c.groupSnapshot(ctx)
		if err == nil {
			out, clean := &ec2.DescribeSecurityGroupsOutput{}, true
			for id := range dirty {
				if _, inView := view[id]; !inView {
					clean = false // created since the snapshot: only EC2 knows
				}
			}
			for id, g := range view {
				m := matcher{tags: g.Tags, fields: map[string][]string{"vpc-id": {aws.ToString(g.VpcId)}, "group-id": {id}, "group-name": {aws.ToString(g.GroupName)}}}
				if ok, _ := m.match(in.Filters); ok {
					clean = clean && !dirty[id]
					out.SecurityGroups = append(out.SecurityGroups, g)
				}
			}
			if clean {
				return out, nil
			}
		}
	}
	if len(in.GroupIds) > 0 && len(in.Filters) == 0 && in.NextToken == nil {
		// Owned groups (the managed group by its recorded ID) come from the snapshot.
		if view, dirty, err := c.groupSnapshot(ctx); err == nil {
			out, all := &ec2.DescribeSecurityGroupsOutput{}, true
			for _, id := range in.GroupIds {
				g, ok := view[id]
				if !ok || dirty[id] {
					all = false
					break
				}
				out.SecurityGroups = append(out.SecurityGroups, g)
			}
			if all {
				return out, nil
			}
		}
		// Groups the user names (checked for existence) are cached for the inventory TTL.
		key := strings.Join(sortedCopy(in.GroupIds), ",")
		c.mu.Lock()
		hit, ok := c.groupIDs[key]
		c.mu.Unlock()
		if ok && c.now().Sub(hit.at) < maxAge(ctx, c.o.InventoryTTL) {
			return hit.out, nil
		}
		out, err := c.EC2.DescribeSecurityGroups(ctx, in, opts...)
		if err != nil {
			if awserr.IsNotFound(err) {
				c.groups.reread(c.now(), nil, in.GroupIds)
			}
			return out, err
		}
		found, owned := map[string]types.SecurityGroup{}, false
		for _, g := range out.SecurityGroups {
			if hasTag(g.Tags, c.o.ClusterTagKey, c.o.Cluster) {
				found[aws.ToString(g.GroupId)] = g
				owned = true
			}
		}
		c.groups.reread(c.now(), found, nil)
		if !owned {
			c.mu.Lock()
			c.groupIDs[key] = stampedOut[*ec2.DescribeSecurityGroupsOutput]{out, c.now()}
			c.mu.Unlock()
		}
		return out, nil
	}
	return c.EC2.DescribeSecurityGroups(ctx, in, opts...)
}

// ----- inventory: VPCs, subnets, route tables -----

// DescribeVpcs answers from the region's VPC listing.
func (c *Client) DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	if in.NextToken != nil || !understood(in.Filters, "vpc-id", "cidr", "is-default") {
		return c.EC2.DescribeVpcs(ctx, in, opts...)
	}
	all, _, err := c.vpcs.get(ctx, c.now(), maxAge(ctx, c.o.InventoryTTL), func(ctx context.Context) ([]types.Vpc, error) {
		var items []types.Vpc
		p := ec2.NewDescribeVpcsPaginator(c.EC2, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			items = append(items, page.Vpcs...)
		}
		return items, nil
	})
	if err != nil {
		return c.EC2.DescribeVpcs(ctx, in, opts...)
	}
	vpcs, ok := pick(all, in.VpcIds, func(v types.Vpc) string { return aws.ToString(v.VpcId) }, func(v types.Vpc) bool {
		m := matcher{tags: v.Tags, fields: map[string][]string{"vpc-id": {aws.ToString(v.VpcId)}, "cidr": {aws.ToString(v.CidrBlock)}, "is-default": {boolString(aws.ToBool(v.IsDefault))}}}
		matched, _ := m.match(in.Filters)
		return matched
	})
	if !ok {
		return c.EC2.DescribeVpcs(ctx, in, opts...) // unknown IDs: let EC2 say so
	}
	out := &ec2.DescribeVpcsOutput{Vpcs: vpcs}
	return out, nil
}

// DescribeSubnets answers from the region's subnet listing.
func (c *Client) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	if in.NextToken != nil || !understood(in.Filters, "vpc-id", "subnet-id", "availability-zone") {
		return c.EC2.DescribeSubnets(ctx, in, opts...)
	}
	all, _, err := c.subnets.get(ctx, c.now(), maxAge(ctx, c.o.InventoryTTL), func(ctx context.Context) ([]types.Subnet, error) {
		var items []types.Subnet
		p := ec2.NewDescribeSubnetsPaginator(c.EC2, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			items = append(items, page.Subnets...)
		}
		return items, nil
	})
	if err != nil {
		return c.EC2.DescribeSubnets(ctx, in, opts...)
	}
	subnets, ok := pick(all, in.SubnetIds, func(sn types.Subnet) string { return aws.ToString(sn.SubnetId) }, func(sn types.Subnet) bool {
		m := matcher{tags: sn.Tags, fields: map[string][]string{"vpc-id": {aws.ToString(sn.VpcId)}, "subnet-id": {aws.ToString(sn.SubnetId)}, "availability-zone": {aws.ToString(sn.AvailabilityZone)}}}
		matched, _ := m.match(in.Filters)
		return matched
	})
	if !ok {
		return c.EC2.DescribeSubnets(ctx, in, opts...)
	}
	out := &ec2.DescribeSubnetsOutput{Subnets: subnets}
	return out, nil
}

// DescribeRouteTables answers from the region's route table listing.
func (c *Client) DescribeRouteTables(ctx context.Context, in *ec2.DescribeRouteTablesInput, opts ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	if in.NextToken != nil || !understood(in.Filters, "vpc-id", "route-table-id", "association.subnet-id", "association.main") {
		return c.EC2.DescribeRouteTables(ctx, in, opts...)
	}
	all, _, err := c.routeTables.get(ctx, c.now(), maxAge(ctx, c.o.InventoryTTL), func(ctx context.Context) ([]types.RouteTable, error) {
		var items []types.RouteTable
		p := ec2.NewDescribeRouteTablesPaginator(c.EC2, &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			items = append(items, page.RouteTables...)
		}
		return items, nil
	})
	if err != nil {
		return c.EC2.DescribeRouteTables(ctx, in, opts...)
	}
	tables, ok := pick(all, in.RouteTableIds, func(rt types.RouteTable) string { return aws.ToString(rt.RouteTableId) }, func(rt types.RouteTable) bool {
		fields := map[string][]string{"vpc-id": {aws.ToString(rt.VpcId)}, "route-table-id": {aws.ToString(rt.RouteTableId)}, "association.main": {"false"}}
		for _, a := range rt.Associations {
			if a.SubnetId != nil {
				fields["association.subnet-id"] = append(fields["association.subnet-id"], aws.ToString(a.SubnetId))
			}
			if aws.ToBool(a.Main) {
				fields["association.main"] = []string{"true"}
			}
		}
		m := matcher{tags: rt.Tags, fields: fields}
		matched, _ := m.match(in.Filters)
		return matched
	})
	if !ok {
		return c.EC2.DescribeRouteTables(ctx, in, opts...)
	}
	out := &ec2.DescribeRouteTablesOutput{RouteTables: tables}
	return out, nil
}

// ----- services and prefix lists -----

// DescribeVpcEndpointServices caches answers by service name.
func (c *Client) DescribeVpcEndpointServices(ctx context.Context, in *ec2.DescribeVpcEndpointServicesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error) {
	if len(in.Filters) > 0 || in.NextToken != nil || len(in.ServiceNames) == 0 {
		return c.EC2.DescribeVpcEndpointServices(ctx, in, opts...)
	}
	key := strings.Join(sortedCopy(in.ServiceNames), ",")
	c.mu.Lock()
	hit, ok := c.services[key]
	c.mu.Unlock()
	if ok && c.now().Sub(hit.at) < stableAge(ctx, c.o.ServiceTTL) {
		return hit.out, nil
	}
	out, err := c.EC2.DescribeVpcEndpointServices(ctx, in, opts...)
	if err == nil {
		c.mu.Lock()
		c.services[key] = stampedOut[*ec2.DescribeVpcEndpointServicesOutput]{out, c.now()}
		c.mu.Unlock()
	}
	return out, err
}

// DescribePrefixLists caches answers by filter.
func (c *Client) DescribePrefixLists(ctx context.Context, in *ec2.DescribePrefixListsInput, opts ...func(*ec2.Options)) (*ec2.DescribePrefixListsOutput, error) {
	if in.NextToken != nil {
		return c.EC2.DescribePrefixLists(ctx, in, opts...)
	}
	var parts []string
	for _, f := range in.Filters {
		parts = append(parts, aws.ToString(f.Name)+"="+strings.Join(f.Values, "|"))
	}
	key := strings.Join(append(parts, in.PrefixListIds...), ";")
	c.mu.Lock()
	hit, ok := c.prefixes[key]
	c.mu.Unlock()
	if ok && c.now().Sub(hit.at) < c.o.ServiceTTL {
		return hit.out, nil
	}
	out, err := c.EC2.DescribePrefixLists(ctx, in, opts...)
	if err == nil {
		c.mu.Lock()
		c.prefixes[key] = stampedOut[*ec2.DescribePrefixListsOutput]{out, c.now()}
		c.mu.Unlock()
	}
	return out, err
}

// DescribeVpcAttribute caches the VPC DNS attributes private DNS depends on.
func (c *Client) DescribeVpcAttribute(ctx context.Context, in *ec2.DescribeVpcAttributeInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	key := aws.ToString(in.VpcId) + "/" + string(in.Attribute)
	c.mu.Lock()
	hit, ok := c.attributes[key]
	c.mu.Unlock()
	if ok && c.now().Sub(hit.at) < stableAge(ctx, c.o.InventoryTTL) {
		return hit.out, nil
	}
	out, err := c.EC2.DescribeVpcAttribute(ctx, in, opts...)
	if err == nil {
		c.mu.Lock()
		c.attributes[key] = stampedOut[*ec2.DescribeVpcAttributeOutput]{out, c.now()}
		c.mu.Unlock()
	}
	return out, err
}

// ModifyVpcAttribute changes an attribute and forgets the cached ones of the VPC.
func (c *Client) ModifyVpcAttribute(ctx context.Context, in *ec2.ModifyVpcAttributeInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error) {
	defer func() {
		c.mu.Lock()
		for k := range c.attributes {
			if strings.HasPrefix(k, aws.ToString(in.VpcId)+"/") {
				delete(c.attributes, k)
			}
		}
		c.mu.Unlock()
	}()
	return c.EC2.ModifyVpcAttribute(ctx, in, opts...)
}

// ----- writes: pass through, then mark what they touched -----

// CreateVpcEndpoint creates and marks the new endpoint for re-reading.
func (c *Client) CreateVpcEndpoint(ctx context.Context, in *ec2.CreateVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error) {
	out, err := c.EC2.CreateVpcEndpoint(ctx, in, opts...)
	if err == nil && out.VpcEndpoint != nil {
		c.endpoints.markDirty(c.now(), aws.ToString(out.VpcEndpoint.VpcEndpointId))
	}
	return out, err
}

// ModifyVpcEndpoint modifies and marks the endpoint.
func (c *Client) ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	defer func() { c.endpoints.markDirty(c.now(), aws.ToString(in.VpcEndpointId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.ModifyVpcEndpoint(ctx, in, opts...)
}

// DeleteVpcEndpoints deletes and marks the endpoints.
func (c *Client) DeleteVpcEndpoints(ctx context.Context, in *ec2.DeleteVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error) {
	defer func() { c.endpoints.markDirty(c.now(), in.VpcEndpointIds...) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.DeleteVpcEndpoints(ctx, in, opts...)
}

// CreateTags tags and marks the resources.
func (c *Client) CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	defer func() { c.markResources(in.Resources) }()
	return c.EC2.CreateTags(ctx, in, opts...)
}

// DeleteTags untags and marks the resources.
func (c *Client) DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, opts ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error) {
	defer func() { c.markResources(in.Resources) }()
	return c.EC2.DeleteTags(ctx, in, opts...)
}

// CreateSecurityGroup creates and marks the group.
func (c *Client) CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	out, err := c.EC2.CreateSecurityGroup(ctx, in, opts...)
	if err == nil {
		c.groups.markDirty(c.now(), aws.ToString(out.GroupId))
	}
	return out, err
}

// DeleteSecurityGroup deletes and marks the group.
func (c *Client) DeleteSecurityGroup(ctx context.Context, in *ec2.DeleteSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.DeleteSecurityGroup(ctx, in, opts...)
}

// AuthorizeSecurityGroupIngress authorizes and marks the group.
func (c *Client) AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.AuthorizeSecurityGroupIngress(ctx, in, opts...)
}

// RevokeSecurityGroupIngress revokes and marks the group.
func (c *Client) RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.RevokeSecurityGroupIngress(ctx, in, opts...)
}

func (c *Client) markResources(ids []string) {
	now := c.now()
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "vpce-"):
			c.endpoints.markDirty(now, id)
		case strings.HasPrefix(id, "sg-"):
			c.groups.markDirty(now, id)
		case strings.HasPrefix(id, "eice-"):
			c.ices.markDirty(now, id)
		}
	}
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

// pick selects from a listing the items with the given IDs (all when none are given)
// that match; ok is false when an ID is not in the listing, for EC2 to answer.
func pick[T any](all []T, ids []string, id func(T) string, match func(T) bool) (out []T, ok bool) {
	want, missing := idSet(ids), idSet(ids)
	for _, it := range all {
		k := id(it)
		if len(want) > 0 && !want[k] {
			continue
		}
		if match(it) {
			out = append(out, it)
			delete(missing, k)
		}
	}
	return out, len(missing) == 0
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func hasTag(tags []types.Tag, k, v string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == k && aws.ToString(t.Value) == v {
			return true
		}
	}
	return false
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

var _ awsclient.EC2 = (*Client)(nil)
