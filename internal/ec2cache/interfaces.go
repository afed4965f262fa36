package ec2cache

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The network interfaces of interface endpoints: their subnet, zone and addresses
// never change, so each is read once, in one request with every other interface
// asked for meanwhile, and kept while an endpoint in the snapshot lists it.

func compactInterface(n types.NetworkInterface) types.NetworkInterface {
	out := types.NetworkInterface{NetworkInterfaceId: n.NetworkInterfaceId, SubnetId: n.SubnetId, AvailabilityZone: n.AvailabilityZone,
		PrivateIpAddress: n.PrivateIpAddress, Description: n.Description, VpcId: n.VpcId}
	if len(n.Ipv6Addresses) > 0 {
		out.Ipv6Addresses = n.Ipv6Addresses[:1]
	}
	return out
}

func (c *Client) fetchInterfaces(ctx context.Context, _ time.Time, filters []types.Filter) ([]types.NetworkInterface, error) {
	var all []types.NetworkInterface
	p := ec2.NewDescribeNetworkInterfacesPaginator(c.EC2, &ec2.DescribeNetworkInterfacesInput{Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, page.NetworkInterfaces...)
	}
	c.mu.Lock()
	for _, n := range all {
		c.enis[aws.ToString(n.NetworkInterfaceId)] = compactInterface(n)
	}
	c.mu.Unlock()
	return all, nil
}

// DescribeNetworkInterfaces answers reads by ID from what was read before, and
// reads the rest in one request shared with every read of interfaces meanwhile.
func (c *Client) DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, opts ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	if len(in.NetworkInterfaceIds) == 0 || len(in.Filters) > 0 || in.NextToken != nil || in.MaxResults != nil || in.DryRun != nil {
		return c.EC2.DescribeNetworkInterfaces(ctx, in, opts...)
	}
	out := &ec2.DescribeNetworkInterfacesOutput{}
	var unknown []string
	c.mu.Lock()
	for _, id := range in.NetworkInterfaceIds {
		if n, ok := c.enis[id]; ok && maxAge(ctx, time.Hour) > 0 {
			out.NetworkInterfaces = append(out.NetworkInterfaces, n)
		} else {
			unknown = append(unknown, id)
		}
	}
	c.mu.Unlock()
	if len(unknown) == 0 {
		return out, nil
	}
	items, _, err := c.eniReads.query(ctx, idFilter("network-interface-id", unknown))
	if err != nil {
		return nil, err
	}
	want := idSet(unknown)
	for _, n := range items {
		if id := aws.ToString(n.NetworkInterfaceId); want[id] {
			out.NetworkInterfaces = append(out.NetworkInterfaces, compactInterface(n))
			delete(want, id)
		}
	}
	if len(want) > 0 {
		// EC2 itself answers for interfaces it does not list (NotFound).
		var missing []string
		for _, id := range unknown {
			if want[id] {
				missing = append(missing, id)
			}
		}
		more, err := c.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: missing}, opts...)
		if err != nil {
			return more, err
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, more.NetworkInterfaces...)
	}
	return out, nil
}

// pruneInterfaces forgets interfaces no stored endpoint lists any more.
func (c *Client) pruneInterfaces() {
	used := map[string]bool{}
	c.endpoints.each(func(e types.VpcEndpoint) {
		for _, id := range e.NetworkInterfaceIds {
			used[id] = true
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.enis {
		if !used[id] {
			delete(c.enis, id)
		}
	}
}

// interfacesChanged returns the endpoints of a read whose reconciles are about to
// report network interfaces they did not have: the snapshot held them before,
// not available or with other interfaces. Endpoints it did not hold (a new
// process's first listing) are left out: their objects, converged, have their
// interfaces in their status, and the few that need them read them in one shared
// request. Call it before the read is merged.
func (c *Client) interfacesChanged(eps []types.VpcEndpoint) []types.VpcEndpoint {
	c.endpoints.mu.Lock()
	defer c.endpoints.mu.Unlock()
	var out []types.VpcEndpoint
	for _, e := range eps {
		old := c.endpoints.items[aws.ToString(e.VpcEndpointId)]
		if old == nil || strings.EqualFold(string(old.obj.State), "available") &&
			slices.Equal(sortedCopy(old.obj.NetworkInterfaceIds), sortedCopy(e.NetworkInterfaceIds)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// prefetchInterfaces reads, in the same pass as the endpoints that list them, the
// interfaces of available owned endpoints not read yet, so reconciles reporting
// them find them here.
func (c *Client) prefetchInterfaces(ctx context.Context, eps []types.VpcEndpoint) {
	var unknown []string
	c.mu.Lock()
	for _, e := range eps {
		if !strings.EqualFold(string(e.State), "available") || !hasTag(e.Tags, c.o.ClusterTagKey, c.o.Cluster) {
			continue
		}
		for _, id := range e.NetworkInterfaceIds {
			if _, ok := c.enis[id]; !ok {
				unknown = append(unknown, id)
			}
		}
	}
	c.mu.Unlock()
	if len(unknown) == 0 {
		return
	}
	for _, fs := range chunkFilters(map[string]map[string]struct{}{"network-interface-id": setOf(unknown)}) {
		if _, err := c.fetchInterfaces(ctx, time.Time{}, fs); err != nil {
			return // the reconcile that needs them asks again
		}
	}
}

func setOf(ids []string) map[string]struct{} {
	m := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}
