package ec2cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// The inventory stamp of a VPC is what lets a converged object's periodic sync
// skip its reconcile: it must change with everything a spec resolves against in
// that VPC (route table tags and associations, subnets), and not with what AWS
// writes for the controller's own gateway endpoints (routes) or with another VPC.
func TestInventoryStampChangesWithWhatSpecsResolveAgainst(t *testing.T) {
	_, raw, c, fx, clk, _ := clockedSetup(t, 0)
	ctx := context.Background()
	stamp := func() uint64 {
		t.Helper()
		clk.Step(time.Second)
		s, err := c.InventoryStamp(ec2cache.WithMaxAge(ctx, 0), fx.VPCID) // re-listed each time
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(what string, before uint64) {
		t.Helper()
		if now := stamp(); now != before {
			t.Fatalf("%s changed the stamp of %s", what, fx.VPCID)
		}
	}
	changed := func(what string, before uint64) uint64 {
		t.Helper()
		now := stamp()
		if now == before {
			t.Fatalf("%s left the stamp of %s unchanged", what, fx.VPCID)
		}
		return now
	}

	s := stamp()
	same("listing again", s)

	// A gateway endpoint adds its routes to the tables: the endpoint's own state.
	if _, err := raw.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(fx.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
		VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: []string{fx.PrivateSubnets[0].RouteTableID}}); err != nil {
		t.Fatal(err)
	}
	same("a gateway endpoint's route", s)

	// Another VPC's subnets and route tables are not this VPC's.
	other, err := raw.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.99.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: other.Vpc.VpcId, CidrBlock: aws.String("10.99.1.0/24")}); err != nil {
		t.Fatal(err)
	}
	same("another VPC's subnet", s)

	// What selectors and subnet lookups resolve against.
	if _, err := raw.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{fx.PublicRouteTableID}, Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("private")}}}); err != nil {
		t.Fatal(err)
	}
	s = changed("a route table's new tag", s)
	sn, err := raw.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(fx.VPCID), CidrBlock: aws.String("10.0.200.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	s = changed("a new subnet", s)
	rt, err := raw.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(fx.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	s = changed("a new route table", s)
	if _, err := raw.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sn.Subnet.SubnetId}); err != nil {
		t.Fatal(err)
	}
	s = changed("a subnet's association", s)
	if _, err := raw.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{fx.PublicRouteTableID}, Tags: []types.Tag{{Key: aws.String("tier")}}}); err != nil {
		t.Fatal(err)
	}
	changed("a route table's tag removed", s)
}

// Without a fresh read asked for, the stamp comes from the listings while they
// are younger than the inventory's age, and a change is seen once they are not.
func TestInventoryStampIsAsFreshAsTheInventory(t *testing.T) {
	_, raw, c, fx, clk, _ := clockedSetup(t, 0) // InventoryTTL: an hour
	ctx := context.Background()
	before, err := c.InventoryStamp(ctx, fx.VPCID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(fx.VPCID), CidrBlock: aws.String("10.0.201.0/24")}); err != nil {
		t.Fatal(err)
	}
	clk.Step(30 * time.Minute)
	if s, err := c.InventoryStamp(ctx, fx.VPCID); err != nil || s != before {
		t.Fatalf("stamp within the inventory's age: changed %v (err %v), want the listing's", s != before, err)
	}
	clk.Step(31 * time.Minute)
	if s, err := c.InventoryStamp(ctx, fx.VPCID); err != nil || s == before {
		t.Fatalf("stamp past the inventory's age: changed %v (err %v), want the new subnet seen", s != before, err)
	}
}

// Every periodic sync of every converged object takes a stamp: from a listing
// already digested it costs no allocation and no look through the VPC's items
// (at N=5,000+5,000 a stamp made of queries of the listings was 13% of the
// manager's CPU).
func TestInventoryStampOfAnUnchangedListingCostsNoAllocation(t *testing.T) {
	_, _, c, fx, _, _ := clockedSetup(t, 0)
	ctx := context.Background()
	if _, err := c.InventoryStamp(ctx, fx.VPCID); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.InventoryStamp(ctx, fx.VPCID) }); n != 0 {
		t.Fatalf("a stamp of an unchanged listing made %.0f allocations, want 0", n)
	}
}
