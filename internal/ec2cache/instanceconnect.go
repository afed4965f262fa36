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

// Owned EC2 Instance Connect Endpoints: one snapshot per region of those carrying
// the cluster's tag, like the VPC endpoints, so polls and drift checks of every
// InstanceConnectEndpoint share one DescribeInstanceConnectEndpoints.

// iceMaxResults is DescribeInstanceConnectEndpoints' largest page.
const iceMaxResults = 50

func (c *Client) iceSnapshot(ctx context.Context) (map[string]types.Ec2InstanceConnectEndpoint, time.Time, map[string]bool, error) {
	items, at, err := c.ices.snap.get(ctx, c.now(), maxAge(ctx, c.o.SnapshotTTL), func(ctx context.Context) ([]types.Ec2InstanceConnectEndpoint, error) {
		var all []types.Ec2InstanceConnectEndpoint
		p := ec2.NewDescribeInstanceConnectEndpointsPaginator(c.EC2, &ec2.DescribeInstanceConnectEndpointsInput{Filters: c.clusterFilter(), MaxResults: aws.Int32(iceMaxResults)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			all = append(all, page.InstanceConnectEndpoints...)
		}
		return all, nil
	})
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	view, dirty := c.ices.view(items, at, func(e types.Ec2InstanceConnectEndpoint) string { return aws.ToString(e.InstanceConnectEndpointId) })
	return view, at, dirty, nil
}

// DescribeInstanceConnectEndpoints answers by-ID and cluster-filtered reads from
// the snapshot; reads of endpoints AWS is working on from one at most PollTTL old.
func (c *Client) DescribeInstanceConnectEndpoints(ctx context.Context, in *ec2.DescribeInstanceConnectEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceConnectEndpointsOutput, error) {
	if in.NextToken == nil && (len(in.InstanceConnectEndpointIds) > 0 || c.hasClusterFilter(in.Filters)) &&
		understood(in.Filters, "vpc-id", "subnet-id", "state", "instance-connect-endpoint-id", "availability-zone") {
		for _, age := range []time.Duration{maxAge(ctx, c.o.SnapshotTTL), c.o.PollTTL} {
			view, at, dirty, err := c.iceSnapshot(WithMaxAge(ctx, age))
			if err != nil {
				break
			}
			out, ok, unsettled := answerICEs(in, view, dirty)
			if ok && (!unsettled || c.now().Sub(at) < c.o.PollTTL) {
				return out, nil
			}
			if !ok || c.o.PollTTL <= 0 {
				break
			}
		}
	}
	out, err := c.EC2.DescribeInstanceConnectEndpoints(ctx, in, opts...)
	if len(in.InstanceConnectEndpointIds) > 0 {
		c.rereadICEs(in.InstanceConnectEndpointIds, out, err)
	}
	return out, err
}

// answerICEs answers from the view; ok is false when only EC2 can answer, and
// unsettled is true when the answer holds an endpoint AWS is working on.
func answerICEs(in *ec2.DescribeInstanceConnectEndpointsInput, view map[string]types.Ec2InstanceConnectEndpoint, dirty map[string]bool) (out *ec2.DescribeInstanceConnectEndpointsOutput, ok, unsettled bool) {
	var cands []types.Ec2InstanceConnectEndpoint
	if len(in.InstanceConnectEndpointIds) > 0 {
		for _, id := range in.InstanceConnectEndpointIds {
			e, found := view[id]
			if !found || dirty[id] {
				return nil, false, false
			}
			cands = append(cands, e)
		}
	} else {
		for id := range dirty {
			if _, inView := view[id]; !inView {
				return nil, false, false // created since the snapshot: only EC2 knows
			}
		}
		for _, e := range view {
			cands = append(cands, e)
		}
	}
	out = &ec2.DescribeInstanceConnectEndpointsOutput{}
	for _, e := range cands {
		id := aws.ToString(e.InstanceConnectEndpointId)
		m := matcher{tags: e.Tags, fields: map[string][]string{
			"vpc-id": {aws.ToString(e.VpcId)}, "subnet-id": {aws.ToString(e.SubnetId)},
			"state": {string(e.State)}, "instance-connect-endpoint-id": {id},
			"availability-zone": {aws.ToString(e.AvailabilityZone)},
		}}
		if matched, _ := m.match(in.Filters); matched {
			if dirty[id] {
				return nil, false, false // written since the snapshot: only EC2 knows
			}
			unsettled = unsettled || !iceSettled(e.State)
			out.InstanceConnectEndpoints = append(out.InstanceConnectEndpoints, e)
		}
	}
	sort.Slice(out.InstanceConnectEndpoints, func(i, j int) bool {
		return aws.ToString(out.InstanceConnectEndpoints[i].InstanceConnectEndpointId) < aws.ToString(out.InstanceConnectEndpoints[j].InstanceConnectEndpointId)
	})
	return out, true, unsettled
}

func (c *Client) rereadICEs(ids []string, out *ec2.DescribeInstanceConnectEndpointsOutput, err error) {
	if err != nil {
		if awserr.IsNotFound(err) {
			c.ices.reread(c.now(), nil, ids)
		}
		return
	}
	found := map[string]types.Ec2InstanceConnectEndpoint{}
	for _, e := range out.InstanceConnectEndpoints {
		found[aws.ToString(e.InstanceConnectEndpointId)] = e
	}
	var missing []string
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	c.ices.reread(c.now(), found, missing)
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
		c.ices.markDirty(c.now(), aws.ToString(out.InstanceConnectEndpoint.InstanceConnectEndpointId))
	}
	return out, err
}

// ModifyInstanceConnectEndpoint modifies and marks the endpoint.
func (c *Client) ModifyInstanceConnectEndpoint(ctx context.Context, in *ec2.ModifyInstanceConnectEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyInstanceConnectEndpointOutput, error) {
	defer func() { c.ices.markDirty(c.now(), aws.ToString(in.InstanceConnectEndpointId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.ModifyInstanceConnectEndpoint(ctx, in, opts...)
}

// DeleteInstanceConnectEndpoint deletes and marks the endpoint.
func (c *Client) DeleteInstanceConnectEndpoint(ctx context.Context, in *ec2.DeleteInstanceConnectEndpointInput, opts ...func(*ec2.Options)) (*ec2.DeleteInstanceConnectEndpointOutput, error) {
	defer func() { c.ices.markDirty(c.now(), aws.ToString(in.InstanceConnectEndpointId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.DeleteInstanceConnectEndpoint(ctx, in, opts...)
}

// AuthorizeSecurityGroupEgress authorizes and marks the group.
func (c *Client) AuthorizeSecurityGroupEgress(ctx context.Context, in *ec2.AuthorizeSecurityGroupEgressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.AuthorizeSecurityGroupEgress(ctx, in, opts...)
}

// RevokeSecurityGroupEgress revokes and marks the group.
func (c *Client) RevokeSecurityGroupEgress(ctx context.Context, in *ec2.RevokeSecurityGroupEgressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.RevokeSecurityGroupEgress(ctx, in, opts...)
}
