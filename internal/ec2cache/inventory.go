package ec2cache

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"
)

// Inventory: the region's VPCs, subnets and route tables (what selectors resolve
// against), endpoint services, prefix lists and VPC attributes. They change
// rarely; each is refreshed when a request needs it fresher, at most once per
// spacing, and one refresh serves every request waiting for it.

// list is a cached, region-wide listing. One refresh runs at a time, no sooner
// than spacing after the previous; concurrent readers wait for it and share it.
type list[T any] struct {
	clock   clock.Clock
	spacing time.Duration
	// vpcOf, when set, gives an item's VPC: the listing is then indexed by VPC.
	vpcOf func(T) *string
	// digestOf, when set, digests an item for the inventory stamp (stamp.go).
	digestOf func(T) uint64
	mu       sync.Mutex
	items    []T
	byVPC    map[string][]T
	at       time.Time // when the fetch that produced items started
	// digests are the latest listing's digests by VPC, worked out when first asked.
	digests map[string]uint64
}

// vpcDigest returns a digest of the latest listing's items in vpc: the sum of
// their digests (the listing's order does not matter) and their count (an item
// and its removal cannot cancel out). It is worked out once per listing.
func (l *list[T]) vpcDigest(vpc string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.digests[vpc]; ok {
		return d
	}
	items := l.byVPC[vpc]
	var sum uint64
	for _, it := range items {
		sum += l.digestOf(it)
	}
	d := sum + uint64(len(items))<<48
	if l.digests == nil {
		l.digests = map[string]uint64{}
	}
	l.digests[vpc] = d
	return d
}

func (l *list[T]) init(c clock.Clock, spacing time.Duration) { l.clock, l.spacing = c, spacing }

// inVPCs returns the items of the latest listing in the VPCs the first vpc-id
// filter names (all items when there is none, or no index), so a query of one
// VPC costs that VPC's items, not the region's: a sync of every object of a
// large region looked through every route table of the region once each.
// The latest listing is at least as fresh as the one get returned.
func (l *list[T]) inVPCs(all []T, filters []types.Filter) []T {
	var vpcs []string
	for _, f := range filters {
		if aws.ToString(f.Name) == "vpc-id" {
			vpcs = f.Values
			break
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if vpcs == nil || l.byVPC == nil {
		return all
	}
	if len(vpcs) == 1 {
		return l.byVPC[vpcs[0]]
	}
	var out []T
	for _, v := range compactStrings(sortedCopy(vpcs)) {
		out = append(out, l.byVPC[v]...)
	}
	return out
}

func indexByVPC[T any](items []T, vpcOf func(T) *string) map[string][]T {
	if vpcOf == nil {
		return nil
	}
	idx := map[string][]T{}
	for _, it := range items {
		v := aws.ToString(vpcOf(it))
		idx[v] = append(idx[v], it)
	}
	return idx
}

// get returns the listing, refreshed first when it started before need.
func (l *list[T]) get(ctx context.Context, need time.Time, fetch func(context.Context) ([]T, error)) ([]T, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.at.IsZero() && !l.at.Before(need) {
		return l.items, l.at, nil
	}
	if wait := l.at.Add(l.spacing).Sub(l.clock.Now()); !l.at.IsZero() && wait > 0 {
		select {
		case <-l.clock.After(wait):
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		}
	}
	start := l.clock.Now()
	items, err := fetch(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	l.items, l.byVPC, l.at, l.digests = items, indexByVPC(items, l.vpcOf), start, nil
	return items, start, nil
}

// keyed caches answers by key; concurrent requests of one key share one call,
// and a key is re-read at most once per spacing.
type keyed[T any] struct {
	clock   clock.Clock
	spacing time.Duration
	mu      sync.Mutex
	by      map[string]*keyedEntry[T]
}

type keyedEntry[T any] struct {
	mu  sync.Mutex
	out T
	at  time.Time
	ok  bool
}

func (k *keyed[T]) init(c clock.Clock, spacing time.Duration) {
	k.clock, k.spacing, k.by = c, spacing, map[string]*keyedEntry[T]{}
}

func (k *keyed[T]) get(ctx context.Context, key string, need time.Time, fetch func(context.Context) (T, error)) (T, error) {
	k.mu.Lock()
	e, ok := k.by[key]
	if !ok {
		e = &keyedEntry[T]{}
		k.by[key] = e
	}
	k.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ok && !e.at.Before(need) {
		return e.out, nil
	}
	if wait := e.at.Add(k.spacing).Sub(k.clock.Now()); e.ok && wait > 0 {
		select {
		case <-k.clock.After(wait):
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	start := k.clock.Now()
	out, err := fetch(ctx)
	if err != nil {
		return out, err
	}
	e.out, e.at, e.ok = out, start, true
	return out, nil
}

// forget drops the keys with the prefix.
func (k *keyed[T]) forget(prefix string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key := range k.by {
		if strings.HasPrefix(key, prefix) {
			delete(k.by, key)
		}
	}
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

// DescribeVpcs answers from the region's VPC listing.
func (c *Client) DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	if in.NextToken != nil || !understood(in.Filters, "vpc-id", "cidr", "is-default") {
		return c.EC2.DescribeVpcs(ctx, in, opts...)
	}
	all, err := c.listVPCs(ctx)
	if err != nil {
		return c.EC2.DescribeVpcs(ctx, in, opts...)
	}
	inVPC := vpcFilter(in.Filters)
	vpcs, ok := pick(c.vpcs.inVPCs(all, in.Filters), in.VpcIds, func(v types.Vpc) string { return aws.ToString(v.VpcId) }, func(v types.Vpc) bool {
		if !inVPC(v.VpcId) {
			return false
		}
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
	all, err := c.listSubnets(ctx)
	if err != nil {
		return c.EC2.DescribeSubnets(ctx, in, opts...)
	}
	inVPC := vpcFilter(in.Filters)
	subnets, ok := pick(c.subnets.inVPCs(all, in.Filters), in.SubnetIds, func(sn types.Subnet) string { return aws.ToString(sn.SubnetId) }, func(sn types.Subnet) bool {
		if !inVPC(sn.VpcId) {
			return false
		}
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
	all, err := c.listRouteTables(ctx)
	if err != nil {
		return c.EC2.DescribeRouteTables(ctx, in, opts...)
	}
	inVPC := vpcFilter(in.Filters)
	tables, ok := pick(c.routeTables.inVPCs(all, in.Filters), in.RouteTableIds, func(rt types.RouteTable) string { return aws.ToString(rt.RouteTableId) }, func(rt types.RouteTable) bool {
		if !inVPC(rt.VpcId) {
			return false
		}
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

// listVPCs returns the region's VPCs, listed again when older than the inventory's
// age (or than a fresh read asks for).
func (c *Client) listVPCs(ctx context.Context) ([]types.Vpc, error) {
	all, _, err := c.vpcs.get(ctx, c.need(ctx, c.inventoryTTL(), Inventory), func(ctx context.Context) ([]types.Vpc, error) {
		var items []types.Vpc
		p := ec2.NewDescribeVpcsPaginator(c.EC2, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1000)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			pages++
			items = append(items, page.Vpcs...)
		}
		c.budget.recordInventory(inventoryVPCs, pages)
		return items, nil
	})
	return all, err
}

// listSubnets returns the region's subnets, listed again when older than the inventory's
// age (or than a fresh read asks for).
func (c *Client) listSubnets(ctx context.Context) ([]types.Subnet, error) {
	all, _, err := c.subnets.get(ctx, c.need(ctx, c.inventoryTTL(), Inventory), func(ctx context.Context) ([]types.Subnet, error) {
		var items []types.Subnet
		p := ec2.NewDescribeSubnetsPaginator(c.EC2, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(1000)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			pages++
			items = append(items, page.Subnets...)
		}
		c.budget.recordInventory(inventorySubnets, pages)
		return items, nil
	})
	return all, err
}

// listRouteTables returns the region's route tables, listed again when older
// than the inventory's age (or than a fresh read asks for).
func (c *Client) listRouteTables(ctx context.Context) ([]types.RouteTable, error) {
	all, _, err := c.routeTables.get(ctx, c.need(ctx, c.inventoryTTL(), Inventory), func(ctx context.Context) ([]types.RouteTable, error) {
		var items []types.RouteTable
		p := ec2.NewDescribeRouteTablesPaginator(c.EC2, &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(100)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			pages++
			items = append(items, page.RouteTables...)
		}
		c.budget.recordInventory(inventoryRouteTables, pages)
		return items, nil
	})
	return all, err
}

// ----- services and prefix lists -----

// DescribeVpcEndpointServices caches answers by service name.
func (c *Client) DescribeVpcEndpointServices(ctx context.Context, in *ec2.DescribeVpcEndpointServicesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error) {
	if len(in.Filters) > 0 || in.NextToken != nil || len(in.ServiceNames) == 0 {
		return c.EC2.DescribeVpcEndpointServices(ctx, in, opts...)
	}
	key := strings.Join(sortedCopy(in.ServiceNames), ",")
	return c.services.get(ctx, key, c.now().Add(-stableAge(ctx, c.o.ServiceTTL)), func(ctx context.Context) (*ec2.DescribeVpcEndpointServicesOutput, error) {
		return c.EC2.DescribeVpcEndpointServices(ctx, in, opts...)
	})
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
	return c.prefixes.get(ctx, key, c.now().Add(-c.o.ServiceTTL), func(ctx context.Context) (*ec2.DescribePrefixListsOutput, error) {
		return c.EC2.DescribePrefixLists(ctx, in, opts...)
	})
}

// DescribeVpcAttribute caches the VPC DNS attributes private DNS depends on, for
// the service TTL: the engine reads them again (WithMaxAge 0) before it reports
// one off, and AWS refuses private DNS when one is off anyway.
func (c *Client) DescribeVpcAttribute(ctx context.Context, in *ec2.DescribeVpcAttributeInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	key := aws.ToString(in.VpcId) + "/" + string(in.Attribute)
	return c.attributes.get(ctx, key, c.now().Add(-stableAge(ctx, c.o.ServiceTTL)), func(ctx context.Context) (*ec2.DescribeVpcAttributeOutput, error) {
		return c.EC2.DescribeVpcAttribute(ctx, in, opts...)
	})
}

// ModifyVpcAttribute changes an attribute and forgets the cached ones of the VPC.
func (c *Client) ModifyVpcAttribute(ctx context.Context, in *ec2.ModifyVpcAttributeInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error) {
	defer c.attributes.forget(aws.ToString(in.VpcId) + "/")
	return c.EC2.ModifyVpcAttribute(ctx, in, opts...)
}
