package ec2cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// TestInventoryQueryOfOneVPCCostsTheSameWhateverTheRegionsSize: every reconcile
// asks for the subnets and route tables of its VPC; the answer comes from the
// region's listings, and its cost (allocations, counted, not timed) must not grow
// with the number of VPCs in the region, which a fleet grows with its objects.
func TestInventoryQueryOfOneVPCCostsTheSameWhateverTheRegionsSize(t *testing.T) {
	_, raw, c, fx, clk, _ := clockedSetup(t, 0)
	ctx := context.Background()
	ofVPC := []types.Filter{{Name: aws.String("vpc-id"), Values: []string{fx.VPCID}}}
	var subnets, tables int
	query := func(ctx context.Context) {
		sn, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: ofVPC})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: ofVPC})
		if err != nil {
			t.Fatal(err)
		}
		subnets, tables = len(sn.Subnets), len(rt.RouteTables)
	}
	query(ctx) // the listings
	few := testing.AllocsPerRun(20, func() { query(ctx) })
	wantSubnets, wantTables := subnets, tables
	for i := 0; i < 40; i++ {
		vpc, err := raw.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", 100+i))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/24", 100+i))}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Step(time.Second)
	query(ec2cache.WithMaxAge(ctx, 0)) // listings of the grown region
	many := testing.AllocsPerRun(20, func() { query(ctx) })
	if subnets != wantSubnets || tables != wantTables {
		t.Fatalf("the VPC's query answered %d subnets and %d route tables after the region grew, want %d and %d", subnets, tables, wantSubnets, wantTables)
	}
	// Nor does the work of looking: only the VPC's own subnets and route tables
	// are looked through (a scan of the region's cost no allocations, but every
	// sync of every object paid it: 16% of the manager's CPU at N=5,000+5,000).
	if sn, rt := c.InventoryCandidates(ofVPC); sn != wantSubnets || rt != wantTables {
		t.Fatalf("a query of one VPC looks through %d subnets and %d route tables of the region's, want the VPC's %d and %d", sn, rt, wantSubnets, wantTables)
	}
	t.Logf("allocations: %.0f with 1 VPC, %.0f with 41", few, many)
	if many > few+40 { // fewer than one per VPC added (other goroutines allocate too)
		t.Fatalf("a query of one VPC made %.0f allocations in a region of 41 VPCs, %.0f in a region of 1: it grows with the region", many, few)
	}
}
