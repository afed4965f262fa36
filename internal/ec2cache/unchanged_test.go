package ec2cache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

var clusterC1 = []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}

// TestListingsDecodeOnlyTheMembersThatChanged: once the owned endpoints are
// known, a listing decodes only those EC2 shows differently; the others are
// still answered from the snapshot in full, drift on one is still reported, and
// one deleted behind the controller's back is still found gone.
func TestListingsDecodeOnlyTheMembersThatChanged(t *testing.T) {
	sim, raw, c, fx, clk, notices := clockedSetup(t, 0)
	ctx := context.Background()
	var eps []string
	for i := 0; i < 6; i++ {
		eps = append(eps, ownedGateway(t, c, fx, i))
	}
	clk.Step(time.Second)
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: clusterC1}); err != nil {
		t.Fatal(err) // the first listing decodes everything
	}
	if n := c.UndecodedMembers(); n != 0 {
		t.Fatalf("%d members left undecoded by the first listing", n)
	}
	notices.take()

	clk.Step(30 * time.Second)
	c.Tick(ctx)
	if n := c.UndecodedMembers(); n != 6 {
		t.Fatalf("a listing of 6 unchanged endpoints left %d undecoded, want 6", n)
	}
	if got := notices.take(); len(got) != 0 {
		t.Fatalf("notices for unchanged endpoints: %+v", got)
	}

	if _, err := raw.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(eps[3]), RemoveRouteTableIds: []string{fx.PrivateSubnets[1].RouteTableID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{eps[5]}}); err != nil {
		t.Fatal(err)
	}
	clk.Step(30 * time.Second)
	c.Tick(ctx)
	if n := c.UndecodedMembers(); n < 6+4 {
		t.Fatalf("after one drift and one delete, %d members undecoded in all, want at least 10", n)
	}
	changed := map[string]bool{}
	for _, n := range notices.take() {
		changed[n.ID] = true
	}
	if !changed[eps[3]] || !changed[eps[5]] || len(changed) != 2 {
		t.Fatalf("notices for %v, want %s (drift) and %s (deleted)", changed, eps[3], eps[5])
	}

	// Undecoded members are served from the snapshot in full, without EC2.
	sim.ResetCounters()
	out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: clusterC1})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]types.VpcEndpoint{}
	for _, e := range out.VpcEndpoints {
		byID[aws.ToString(e.VpcEndpointId)] = e
	}
	if e, ok := byID[eps[5]]; ok && strings.EqualFold(string(e.State), "available") {
		t.Fatalf("the deleted endpoint is served as available")
	}
	if e := byID[eps[0]]; len(e.RouteTableIds) != 1 || aws.ToString(e.ServiceName) != "com.amazonaws.us-east-1.s3" || len(e.Tags) != 3 {
		t.Fatalf("an undecoded endpoint is served as %+v", e)
	}
	if e := byID[eps[3]]; len(e.RouteTableIds) != 0 {
		t.Fatalf("the drifted endpoint is served with route tables %v", e.RouteTableIds)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 0 {
		t.Fatalf("the snapshot query went to EC2: %d calls", n)
	}
}

// TestAReadByIDOfAnUnchangedEndpointConfirmsIt: an endpoint the controller
// wrote to is re-read by ID; when EC2 does not show the write yet (its bytes
// are unchanged) the read still counts as a read of it, so the next lookup is
// answered from the snapshot, not from EC2.
func TestAReadByIDOfAnUnchangedEndpointConfirmsIt(t *testing.T) {
	sim, _, c, fx, clk, _ := clockedSetup(t, time.Second)
	ctx := context.Background()
	id := ownedGateway(t, c, fx, 0)
	clk.Step(time.Second)
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: clusterC1}); err != nil {
		t.Fatal(err)
	}
	// A tag it already has: the write changes nothing EC2 shows.
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c1")}}}); err != nil {
		t.Fatal(err)
	}
	clk.Step(2 * time.Second)
	sim.ResetCounters()
	before := c.UndecodedMembers()
	out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil || len(out.VpcEndpoints) != 1 || len(out.VpcEndpoints[0].RouteTableIds) != 1 {
		t.Fatalf("read by ID: %v %+v", err, out)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("%d DescribeVpcEndpoints to confirm one write", n)
	}
	if n := c.UndecodedMembers() - before; n != 1 {
		t.Fatalf("%d members undecoded by the read by ID, want 1", n)
	}
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("the confirmed endpoint was read again from EC2: %d calls", n)
	}
}

// TestGroupListingsDecodeOnlyTheGroupsThatChanged: as for endpoints, for the
// owned security groups: a rule added behind the controller's back is reported.
func TestGroupListingsDecodeOnlyTheGroupsThatChanged(t *testing.T) {
	_, raw, c, fx, clk, notices := clockedSetup(t, 0)
	ctx := context.Background()
	var groups []string
	for _, name := range []string{"g1", "g2", "g3"} {
		out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: aws.String(fx.VPCID),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{
				{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c1")}, {Key: aws.String("vpce.dev/owner"), Value: aws.String("ns/" + name)}}}}})
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, aws.ToString(out.GroupId))
	}
	clk.Step(time.Second)
	if _, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: clusterC1}); err != nil {
		t.Fatal(err)
	}
	notices.take()
	if _, err := raw.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groups[1]), IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	clk.Step(30 * time.Second)
	c.Tick(ctx)
	if n := c.UndecodedMembers(); n != 2 {
		t.Fatalf("%d groups undecoded, want the 2 unchanged", n)
	}
	if got := notices.take(); len(got) != 1 || got[0].ID != groups[1] {
		t.Fatalf("notices %+v, want one for %s", got, groups[1])
	}
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: clusterC1})
	if err != nil || len(out.SecurityGroups) != 3 {
		t.Fatalf("owned groups after the listing: %v %d", err, len(out.SecurityGroups))
	}
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupId) == groups[0] && (aws.ToString(g.GroupName) != "g1" || len(g.Tags) != 2) {
			t.Fatalf("an undecoded group is served as %+v", g)
		}
	}
}

// TestResponsesWaitForTheDecodeSlot: a response of owned endpoints is not
// decoded while another of the same account and region holds the slot, so the
// memory decoding takes does not grow with the reads in flight.
func TestResponsesWaitForTheDecodeSlot(t *testing.T) {
	sim, _, c, fx, clk, _ := clockedSetup(t, 0)
	ctx := context.Background()
	ownedGateway(t, c, fx, 0)
	clk.Step(time.Second)
	release := c.HoldDecodeSlot()
	sim.ResetCounters()
	done := make(chan error, 1)
	go func() {
		_, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: clusterC1})
		done <- err
	}()
	// EC2 answers; the answer then waits for the slot.
	for calls(sim, "DescribeVpcEndpoints") == 0 {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the read finished while the decode slot was held (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
