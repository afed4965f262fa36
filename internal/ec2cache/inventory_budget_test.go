package ec2cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// TestBudgetIntervalsStretchOwnedAndInventoryListingsByOneFactor: the owned
// rounds every interval and the inventory refreshes every TTL are stretched by
// the same factor, just enough that their calls a minute stay within the budget.
func TestBudgetIntervalsStretchOwnedAndInventoryListingsByOneFactor(t *testing.T) {
	for _, c := range []struct {
		name                   string
		interval               time.Duration
		pages                  int
		ttl                    time.Duration
		inventoryPages, budget int
		wantInterval, wantTTL  time.Duration
	}{
		{"no budget", 30 * time.Second, 15, 5 * time.Minute, 30, 0, 30 * time.Second, 5 * time.Minute},
		{"within the budget", 30 * time.Second, 2, 5 * time.Minute, 20, 9, 30 * time.Second, 5 * time.Minute},
		{"exactly the budget", 30 * time.Second, 2, 5 * time.Minute, 25, 9, 30 * time.Second, 5 * time.Minute},
		{"owned listings alone over it", 30 * time.Second, 16, 5 * time.Minute, 0, 10, 96 * time.Second, 16 * time.Minute},
		{"inventory pushes it over (200 VPCs, 28 route-table pages)", 30 * time.Second, 2, 5 * time.Minute, 30, 9, 33334 * time.Millisecond, 333334 * time.Millisecond},
		{"N=5,000+5,000 over 200 VPCs", 30 * time.Second, 15, 5 * time.Minute, 30, 9, 120 * time.Second, 20 * time.Minute},
		{"no drift listing: the inventory alone", 0, 15, 5 * time.Minute, 60, 9, 0, 400 * time.Second},
		{"no inventory TTL: the owned listings alone", 30 * time.Second, 9, 0, 30, 9, 60 * time.Second, 0},
		{"nothing listed yet", 30 * time.Second, 0, 5 * time.Minute, 0, 9, 30 * time.Second, 5 * time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			interval, ttl := ec2cache.BudgetIntervals(c.interval, c.pages, c.ttl, c.inventoryPages, c.budget)
			if interval != c.wantInterval || ttl != c.wantTTL {
				t.Fatalf("%d pages every %v and %d every %v within %d calls a minute: every %v and %v, want %v and %v",
					c.pages, c.interval, c.inventoryPages, c.ttl, c.budget, interval, ttl, c.wantInterval, c.wantTTL)
			}
			if c.budget <= 0 {
				return
			}
			perMinute := 0.0
			if interval > 0 {
				perMinute += float64(c.pages) * float64(time.Minute) / float64(interval)
			}
			if ttl > 0 {
				perMinute += float64(c.inventoryPages) * float64(time.Minute) / float64(ttl)
			}
			if perMinute > float64(c.budget) {
				t.Fatalf("%.3f calls a minute, want at most %d", perMinute, c.budget)
			}
		})
	}
}

// inventoryPagedEC2 is pagedEC2 with the region's VPCs, subnets and route
// tables in as many pages as it is told (one item a page), all in vpc-1.
type inventoryPagedEC2 struct {
	*pagedEC2
	vpcPages, subnetPages, routeTablePages int
}

func (f *inventoryPagedEC2) DescribeVpcs(_ context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	n, next := f.page(in.NextToken, f.vpcPages)
	id := "vpc-1"
	if n > 0 {
		id = fmt.Sprintf("vpc-other-%d", n)
	}
	return &ec2.DescribeVpcsOutput{NextToken: next, Vpcs: []types.Vpc{{VpcId: aws.String(id), CidrBlock: aws.String("10.0.0.0/16")}}}, nil
}

func (f *inventoryPagedEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	n, next := f.page(in.NextToken, f.subnetPages)
	return &ec2.DescribeSubnetsOutput{NextToken: next, Subnets: []types.Subnet{{SubnetId: aws.String(fmt.Sprintf("subnet-%d", n)), VpcId: aws.String("vpc-1"), AvailabilityZone: aws.String("us-east-1a")}}}, nil
}

func (f *inventoryPagedEC2) DescribeRouteTables(_ context.Context, in *ec2.DescribeRouteTablesInput, _ ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	n, next := f.page(in.NextToken, f.routeTablePages)
	return &ec2.DescribeRouteTablesOutput{NextToken: next, RouteTables: []types.RouteTable{{RouteTableId: aws.String(fmt.Sprintf("rtb-%d", n)), VpcId: aws.String("vpc-1")}}}, nil
}

// inventoryBudgetSetup is a cache over an account whose owned endpoints and
// groups take a page each, listed every 30 s, and whose region's VPCs, subnets
// and route tables take 1, 1 and 40 pages, refreshed when a sync finds them
// older than 5 minutes: 4 + 8.4 calls a minute, over a budget of 9. The first
// listings are done.
func inventoryBudgetSetup(t *testing.T, budget int) (*inventoryPagedEC2, *ec2cache.Client, *clocktesting.FakeClock, *intervalLog) {
	t.Helper()
	fake := &inventoryPagedEC2{pagedEC2: &pagedEC2{endpointPages: 1, groupPages: 1}, vpcPages: 1, subnetPages: 1, routeTablePages: 40}
	clk := clocktesting.NewFakeClock(time.Now())
	changes := &intervalLog{}
	c := ec2cache.New(fake, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", OwnerTagKey: "vpce.dev/owner", OwnerUIDTagKey: "vpce.dev/owner-uid",
		SnapshotTTL: time.Minute, InventoryTTL: 5 * time.Minute, ServiceTTL: time.Hour, PollTTL: 20 * time.Second, Spacing: 10 * time.Second,
		ListInterval: 30 * time.Second, ListBudget: budget, OnListInterval: changes.add, Account: "111122223333", Region: "us-east-1", Clock: clk})
	ctx := context.Background()
	owned := []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: owned}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: owned}); err != nil {
		t.Fatal(err)
	}
	syncInventory(t, c, ctx)
	if got, want := fake.callCount(), 2+42; got != want {
		t.Fatalf("the first listings took %d calls, want %d (one a page)", got, want)
	}
	return fake, c, clk, changes
}

// syncInventory reads what a sync of a gateway endpoint in vpc-1 reads of the
// inventory: the VPC, its subnets and its route tables.
func syncInventory(t *testing.T, c *ec2cache.Client, ctx context.Context) {
	t.Helper()
	ofVPC := []types.Filter{{Name: aws.String("vpc-id"), Values: []string{"vpc-1"}}}
	if out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-1"}}); err != nil || len(out.Vpcs) != 1 {
		t.Fatalf("VPC: %v %+v", err, out)
	}
	if _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: ofVPC}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: ofVPC}); err != nil || len(out.RouteTables) != 40 {
		t.Fatalf("route tables: %v %+v", err, out)
	}
}

// restFor ticks the cache every second of simulated time for d, as the
// refresher does, and syncs an object every 10 s, as the sync period spreads the
// objects' syncs; it returns the EC2 calls made.
func restFor(t *testing.T, c *ec2cache.Client, fake *inventoryPagedEC2, clk *clocktesting.FakeClock, d time.Duration) int {
	t.Helper()
	before := fake.callCount()
	for s := 1; time.Duration(s)*time.Second <= d; s++ {
		clk.Step(time.Second)
		c.Tick(context.Background())
		if s%10 == 0 {
			syncInventory(t, c, context.Background())
		}
	}
	return fake.callCount() - before
}

// TestReadBudgetCountsTheInventoryListings: a region whose route tables take 40
// pages (AWS pages them by 100: 200 VPCs of a big fleet) refreshed every 5
// minutes, on top of owned listings every 30 s, would take 12.4 EC2 calls a
// minute at rest; with the inventory's pages in the budget both are stretched by
// the same factor and an hour at rest takes at most 9 calls a minute, the
// stretch is reported, and a sync acting on a new spec still gets the route
// tables listed after it.
func TestReadBudgetCountsTheInventoryListings(t *testing.T) {
	// Without a budget, the fixture is over it.
	fake, c, clk, _ := inventoryBudgetSetup(t, 0)
	if calls := restFor(t, c, fake, clk, time.Hour); calls <= 9*60 {
		t.Fatalf("without a budget an hour at rest took %d calls, want the fixture over 9 a minute", calls)
	}

	fake, c, clk, changes := inventoryBudgetSetup(t, 9)
	calls := restFor(t, c, fake, clk, time.Hour)
	t.Logf("an hour at rest: %d EC2 calls (%.1f a minute)", calls, float64(calls)/60)
	if calls > 9*60 {
		t.Fatalf("an hour at rest took %d EC2 calls (%.1f a minute), want at most 9 a minute with the inventory's pages in the budget", calls, float64(calls)/60)
	}
	// s = (2 pages / 0.5 min + 42 pages / 5 min) / 9 = 12.4 / 9.
	wantInterval, wantInventory := 41334*time.Millisecond, 413334*time.Millisecond
	got := changes.take()
	if len(got) == 0 {
		t.Fatal("no interval reported")
	}
	last := got[len(got)-1]
	if last.Interval != wantInterval || last.InventoryInterval != wantInventory || last.Pages != 2 || last.InventoryPages != 42 {
		t.Fatalf("interval changes %+v, want the last %v for 2 pages and %v for 42 inventory pages", got, wantInterval, wantInventory)
	}

	// A new spec's sync: the route tables are listed after the spec was seen,
	// however recent the last refresh is.
	clk.Step(time.Minute)
	before := fake.callCount()
	syncInventory(t, c, ec2cache.WithFreshSince(context.Background(), ec2cache.Inventory, clk.Now()))
	if n := fake.callCount() - before; n != 42 {
		t.Fatalf("a new spec's sync made %d EC2 calls, want the 42 pages of VPCs, subnets and route tables listed again", n)
	}
	// The next sync asking for nothing fresher takes that listing.
	clk.Step(time.Minute)
	before = fake.callCount()
	syncInventory(t, c, context.Background())
	if n := fake.callCount() - before; n != 0 {
		t.Fatalf("a sync after a fresh listing made %d EC2 calls, want none", n)
	}
}

// userGroupEC2 is inventoryPagedEC2 that also answers reads by ID of sg-user, a
// group the user names (without this cluster's tag), counting them.
type userGroupEC2 struct {
	*inventoryPagedEC2
	userReads int
}

func (f *userGroupEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	for _, flt := range in.Filters {
		if aws.ToString(flt.Name) == "group-id" {
			f.page(nil, 1) // counts the call
			f.mu.Lock()
			f.userReads++
			f.mu.Unlock()
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []types.SecurityGroup{{GroupId: aws.String("sg-user"), VpcId: aws.String("vpc-1")}}}, nil
		}
	}
	return f.pagedEC2.DescribeSecurityGroups(ctx, in, opts...)
}

func (f *userGroupEC2) reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.userReads
}

// TestReadBudgetStretchesTheChecksOfGroupsTheUserNames: a group the user names
// is checked by ID for the inventory TTL, which the budget stretches with the
// listings (its checks at the sync period would add to the calls at rest
// otherwise); a new spec still has it read again.
func TestReadBudgetStretchesTheChecksOfGroupsTheUserNames(t *testing.T) {
	fake, c, clk, _ := inventoryBudgetSetup(t, 9)
	user := &userGroupEC2{inventoryPagedEC2: fake}
	c.EC2 = user
	ctx := context.Background()
	check := func(ctx context.Context) {
		t.Helper()
		out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-user"}})
		if err != nil || len(out.SecurityGroups) != 1 {
			t.Fatalf("sg-user: %v %+v", err, out)
		}
	}
	check(ctx)
	if n := user.reads(); n != 1 {
		t.Fatalf("the first check read sg-user %d times, want once", n)
	}
	// 6 minutes on: older than the inventory TTL (5 minutes), not than the
	// stretched one (413 s). The refresher keeps the owned snapshot current.
	restFor(t, c, fake, clk, 6*time.Minute)
	clk.Step(15 * time.Second) // past the by-ID reads' spacing
	check(ctx)
	if n := user.reads(); n != 1 {
		t.Fatalf("a check 375 s after the first read sg-user again (%d reads), want the stretched inventory TTL (413 s) to keep it", n)
	}
	check(ec2cache.WithFreshSince(ctx, ec2cache.Groups, clk.Now()))
	if n := user.reads(); n != 2 {
		t.Fatalf("a new spec's check read sg-user %d times in all, want it read again", n)
	}
}
