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

// Owned EC2 Instance Connect Endpoints: one store per region of those carrying
// the cluster's tag, like the VPC endpoints, so polls and drift checks of every
// InstanceConnectEndpoint share one DescribeInstanceConnectEndpoints listing;
// endpoints written or worked on since their last read are read again by ID.

// iceMaxResults is DescribeInstanceConnectEndpoints' largest page.
const iceMaxResults = 50

var iceOps = kindOps[types.Ec2InstanceConnectEndpoint]{
	resource:    "InstanceConnectEndpoint",
	id:          func(e types.Ec2InstanceConnectEndpoint) string { return aws.ToString(e.InstanceConnectEndpointId) },
	tags:        func(e types.Ec2InstanceConnectEndpoint) []types.Tag { return e.Tags },
	typ:         func(types.Ec2InstanceConnectEndpoint) string { return "" },
	vpc:         func(e types.Ec2InstanceConnectEndpoint) string { return aws.ToString(e.VpcId) },
	settled:     func(e types.Ec2InstanceConnectEndpoint) bool { return iceSettled(e.State) },
	fingerprint: iceFingerprint,
	compact:     func(e types.Ec2InstanceConnectEndpoint) types.Ec2InstanceConnectEndpoint { return e },
}

func iceFingerprint(e types.Ec2InstanceConnectEndpoint) string {
	return strings.Join([]string{aws.ToString(e.InstanceConnectEndpointId), string(e.State), aws.ToString(e.SubnetId),
		strings.Join(sortedCopy(e.SecurityGroupIds), ","), boolString(aws.ToBool(e.PreserveClientIp)),
		strings.Join(tagStrings(e.Tags), ",")}, "\x00")
}

// fetchICEs reads every page of one request (the owned listing) and stores it.
func (c *Client) fetchICEs(ctx context.Context, start time.Time, filters []types.Filter) ([]types.Ec2InstanceConnectEndpoint, error) {
	var all []types.Ec2InstanceConnectEndpoint
	p := ec2.NewDescribeInstanceConnectEndpointsPaginator(c.EC2, &ec2.DescribeInstanceConnectEndpointsInput{Filters: filters, MaxResults: aws.Int32(iceMaxResults)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		pages++
		all = append(all, page.InstanceConnectEndpoints...)
	}
	if c.isOwnedListing(filters) {
		c.budget.record(pagesICEs, pages)
		c.notify(c.ices.mergeListing(start, all, rawReads{}))
	}
	return all, nil
}

// listICEs lists the cluster's Instance Connect Endpoints (the refresher's drift check).
func (c *Client) listICEs(ctx context.Context) error {
	_, _, err := c.iceReads.query(ctx, c.clusterFilter())
	return err
}

// DescribeInstanceConnectEndpoints answers by-ID and cluster-filtered reads from
// the store after reading what it lacks: a listing when the last is too old, by
// ID those written or worked on since their last read.
func (c *Client) DescribeInstanceConnectEndpoints(ctx context.Context, in *ec2.DescribeInstanceConnectEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceConnectEndpointsOutput, error) {
	byID := len(in.InstanceConnectEndpointIds) > 0
	if in.NextToken != nil || in.MaxResults != nil || in.DryRun != nil || !byID && !c.hasClusterFilter(in.Filters) ||
		!understood(in.Filters, "vpc-id", "subnet-id", "state", "instance-connect-endpoint-id", "availability-zone") {
		return c.EC2.DescribeInstanceConnectEndpoints(ctx, in, opts...)
	}
	need := c.need(ctx, c.snapshotTTL(), Endpoints)
	if c.ices.listed().Before(need) {
		if _, _, err := c.iceReads.query(ctx, c.clusterFilter()); err != nil {
			return nil, err
		}
	}
	var cands []types.Ec2InstanceConnectEndpoint
	var stale []string
	if byID {
		for _, id := range in.InstanceConnectEndpointIds {
			if e, ok := c.ices.lookup(id, need, c.pollNeed()); ok {
				cands = append(cands, e)
			} else {
				stale = append(stale, id)
			}
		}
	} else {
		var listing bool
		cands, stale, listing = c.ices.ownedQuery(c.ownerUID(in.Filters), need, c.pollNeed())
		if listing { // listed meanwhile by nobody: EC2 answers
			return c.EC2.DescribeInstanceConnectEndpoints(ctx, in, opts...)
		}
	}
	if len(stale) > 0 {
		// Few per region (AWS allows a handful per VPC): read by ID at once.
		start := c.now()
		out, err := c.EC2.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: stale}, opts...)
		switch {
		case err != nil && byID:
			if awserr.IsNotFound(err) {
				c.notify(c.ices.mergeRead(start, stale, nil, rawReads{}))
			}
			return out, err
		case err != nil:
			// One of them is gone: EC2 answers the query itself.
			return c.EC2.DescribeInstanceConnectEndpoints(ctx, in, opts...)
		}
		c.notify(c.ices.mergeRead(start, stale, out.InstanceConnectEndpoints, rawReads{}))
		cands = append(cands, out.InstanceConnectEndpoints...)
	}
	return &ec2.DescribeInstanceConnectEndpointsOutput{InstanceConnectEndpoints: matchICEs(cands, in.Filters)}, nil
}

// matchICEs keeps the endpoints the filters select, once each, sorted by ID.
func matchICEs(items []types.Ec2InstanceConnectEndpoint, filters []types.Filter) []types.Ec2InstanceConnectEndpoint {
	var out []types.Ec2InstanceConnectEndpoint
	seen := map[string]bool{}
	for _, e := range items {
		id := aws.ToString(e.InstanceConnectEndpointId)
		m := matcher{tags: e.Tags, fields: map[string][]string{
			"vpc-id": {aws.ToString(e.VpcId)}, "subnet-id": {aws.ToString(e.SubnetId)},
			"state": {string(e.State)}, "instance-connect-endpoint-id": {id},
			"availability-zone": {aws.ToString(e.AvailabilityZone)},
		}}
		if matched, _ := m.match(filters); matched && !seen[id] {
			seen[id] = true
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return aws.ToString(out[i].InstanceConnectEndpointId) < aws.ToString(out[j].InstanceConnectEndpointId)
	})
	return out
}

// iceSettled reports whether an Instance Connect Endpoint's state changes only
// when someone acts (no "-in-progress").
func iceSettled(state types.Ec2InstanceConnectEndpointState) bool {
	return !strings.HasSuffix(string(state), "-in-progress")
}

// CreateInstanceConnectEndpoint creates and marks the new endpoint for re-reading.
func (c *Client) CreateInstanceConnectEndpoint(ctx context.Context, in *ec2.CreateInstanceConnectEndpointInput, opts ...func(*ec2.Options)) (*ec2.CreateInstanceConnectEndpointOutput, error) {
	out, err := c.EC2.CreateInstanceConnectEndpoint(ctx, in, opts...)
	if err == nil && out.InstanceConnectEndpoint != nil {
		c.ices.markCreated(c.now(), aws.ToString(out.InstanceConnectEndpoint.InstanceConnectEndpointId), c.ownerOf(in.TagSpecifications))
	}
	return out, err
}

// ModifyInstanceConnectEndpoint modifies and marks the endpoint.
func (c *Client) ModifyInstanceConnectEndpoint(ctx context.Context, in *ec2.ModifyInstanceConnectEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyInstanceConnectEndpointOutput, error) {
	defer func() { c.ices.markDirty(c.now(), aws.ToString(in.InstanceConnectEndpointId)) }() // after the call: a read meanwhile may predate it
	return c.EC2.ModifyInstanceConnectEndpoint(ctx, in, opts...)
}

// DeleteInstanceConnectEndpoint deletes and marks the endpoint.
func (c *Client) DeleteInstanceConnectEndpoint(ctx context.Context, in *ec2.DeleteInstanceConnectEndpointInput, opts ...func(*ec2.Options)) (*ec2.DeleteInstanceConnectEndpointOutput, error) {
	defer func() { c.ices.markDirty(c.now(), aws.ToString(in.InstanceConnectEndpointId)) }() // after the call: a read meanwhile may predate it
	return c.EC2.DeleteInstanceConnectEndpoint(ctx, in, opts...)
}

// AuthorizeSecurityGroupEgress authorizes and marks the group.
func (c *Client) AuthorizeSecurityGroupEgress(ctx context.Context, in *ec2.AuthorizeSecurityGroupEgressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a read meanwhile may predate it
	return c.EC2.AuthorizeSecurityGroupEgress(ctx, in, opts...)
}

// RevokeSecurityGroupEgress revokes and marks the group.
func (c *Client) RevokeSecurityGroupEgress(ctx context.Context, in *ec2.RevokeSecurityGroupEgressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a read meanwhile may predate it
	return c.EC2.RevokeSecurityGroupEgress(ctx, in, opts...)
}
