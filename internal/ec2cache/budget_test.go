package ec2cache_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// pagedEC2 answers the owned listings in as many pages as it is told (one object
// a page, whatever MaxResults asks), as an account with thousands of owned
// endpoints and groups would, and counts the calls.
type pagedEC2 struct {
	awsclient.EC2 // nil: any other call fails the test by panicking
	mu            sync.Mutex
	endpointPages int
	groupPages    int
	calls         int
}

func (f *pagedEC2) page(token *string, pages int) (int, *string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	n := 0
	if token != nil {
		n, _ = strconv.Atoi(*token)
	}
	if n+1 < pages {
		return n, aws.String(strconv.Itoa(n + 1))
	}
	return n, nil
}

func (f *pagedEC2) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func budgetTags(kind string, i int) []types.Tag {
	return []types.Tag{
		{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c1")},
		{Key: aws.String("vpce.dev/owner"), Value: aws.String(fmt.Sprintf("ns/%s-%d", kind, i))},
		{Key: aws.String("vpce.dev/owner-uid"), Value: aws.String(fmt.Sprintf("uid-%s-%d", kind, i))},
	}
}

func (f *pagedEC2) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	n, next := f.page(in.NextToken, f.endpointPages)
	return &ec2.DescribeVpcEndpointsOutput{NextToken: next, VpcEndpoints: []types.VpcEndpoint{{
		VpcEndpointId: aws.String(fmt.Sprintf("vpce-%d", n)), VpcId: aws.String("vpc-1"), VpcEndpointType: types.VpcEndpointTypeGateway,
		ServiceName: aws.String("com.amazonaws.us-east-1.s3"), State: types.StateAvailable, Tags: budgetTags("gw", n)}}}, nil
}

func (f *pagedEC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	n, next := f.page(in.NextToken, f.groupPages)
	return &ec2.DescribeSecurityGroupsOutput{NextToken: next, SecurityGroups: []types.SecurityGroup{{
		GroupId: aws.String(fmt.Sprintf("sg-%d", n)), VpcId: aws.String("vpc-1"), Tags: budgetTags("ife", n)}}}, nil
}

type intervalLog struct {
	mu  sync.Mutex
	all []ec2cache.ListIntervalChange
}

func (l *intervalLog) add(c ec2cache.ListIntervalChange) {
	l.mu.Lock()
	l.all = append(l.all, c)
	l.mu.Unlock()
}
func (l *intervalLog) take() []ec2cache.ListIntervalChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.all
	l.all = nil
	return out
}

// budgetSetup is a cache over an account whose owned listings take the given
// pages, listed every 30 s within 10 calls a minute, with a first listing done
// (the refresher lists only what reconciles asked for).
func budgetSetup(t *testing.T, endpointPages, groupPages int) (*pagedEC2, *ec2cache.Client, *clocktesting.FakeClock, *intervalLog) {
	t.Helper()
	fake := &pagedEC2{endpointPages: endpointPages, groupPages: groupPages}
	clk := clocktesting.NewFakeClock(time.Now())
	changes := &intervalLog{}
	c := ec2cache.New(fake, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", OwnerTagKey: "vpce.dev/owner", OwnerUIDTagKey: "vpce.dev/owner-uid",
		SnapshotTTL: time.Minute, InventoryTTL: time.Hour, ServiceTTL: time.Hour, PollTTL: 20 * time.Second, Spacing: 10 * time.Second,
		ListInterval: 30 * time.Second, ListBudget: 10, OnListInterval: changes.add, Account: "111122223333", Region: "us-east-1", Clock: clk})
	ctx := context.Background()
	owned := []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: owned}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: owned}); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.callCount(), endpointPages+groupPages; got != want {
		t.Fatalf("the first listings took %d calls, want %d (one a page)", got, want)
	}
	return fake, c, clk, changes
}

// tickFor ticks the cache every second of simulated time for d, and returns the
// times at which a tick made EC2 calls and how many.
func tickFor(c *ec2cache.Client, fake *pagedEC2, clk *clocktesting.FakeClock, d time.Duration) (rounds []time.Duration, calls int) {
	start := clk.Now()
	for clk.Since(start) < d {
		clk.Step(time.Second)
		before := fake.callCount()
		c.Tick(context.Background())
		if n := fake.callCount() - before; n > 0 {
			rounds = append(rounds, clk.Since(start))
			calls += n
		}
	}
	return rounds, calls
}

// TestReadBudgetStretchesTheListingIntervalOfABigAccount: an account whose owned
// endpoints and groups take 16 pages is listed every 96 s, not every 30 s, so its
// listings stay within 10 EC2 calls a minute whatever its size; the change is
// reported once with the account, region and pages, and reconciles at the sync
// period take the older snapshot rather than list on their own.
func TestReadBudgetStretchesTheListingIntervalOfABigAccount(t *testing.T) {
	fake, c, clk, changes := budgetSetup(t, 12, 4)
	rounds, calls := tickFor(c, fake, clk, 10*time.Minute)
	if perMinute := float64(calls) / 10; perMinute > 10 {
		t.Fatalf("%d listing calls in 10 minutes (%.1f a minute), want at most 10 a minute", calls, perMinute)
	}
	if len(rounds) != 6 { // at 96, 192, ..., 576 s
		t.Fatalf("listing rounds at %v, want one every 96 s", rounds)
	}
	for i := 1; i < len(rounds); i++ {
		if gap := rounds[i] - rounds[i-1]; gap < 96*time.Second {
			t.Fatalf("listing rounds at %v: %v apart, want at least 96 s (16 pages within 10 calls a minute)", rounds, gap)
		}
	}
	got := changes.take()
	if len(got) != 1 || got[0].Interval != 96*time.Second || got[0].Pages != 16 || got[0].Account != "111122223333" || got[0].Region != "us-east-1" {
		t.Fatalf("interval changes %+v, want one, 96s for 16 pages in 111122223333/us-east-1", got)
	}
	// 80 s after the last round: older than SnapshotTTL (1 minute), yet the
	// refresher keeps it current, so an owner's query is answered from it.
	clk.Step(80 * time.Second)
	before := fake.callCount()
	out, err := c.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}, {Name: aws.String("tag:vpce.dev/owner-uid"), Values: []string{"uid-gw-3"}}}})
	if err != nil || len(out.VpcEndpoints) != 1 {
		t.Fatalf("owner query: %v %+v", err, out)
	}
	if n := fake.callCount() - before; n != 0 {
		t.Fatalf("an owner's query between stretched rounds made %d EC2 calls, want the snapshot to answer", n)
	}
}

// TestReadBudgetKeepsTheIntervalOfASmallAccount: an account whose listings fit
// in the budget (2 pages every 30 s: 4 calls a minute) is listed every
// --drift-interval, and nothing is reported beyond the first interval.
func TestReadBudgetKeepsTheIntervalOfASmallAccount(t *testing.T) {
	fake, c, clk, changes := budgetSetup(t, 1, 1)
	rounds, calls := tickFor(c, fake, clk, 5*time.Minute)
	if len(rounds) != 10 || calls != 20 {
		t.Fatalf("listing rounds at %v (%d calls), want every 30 s for 5 minutes (20 calls)", rounds, calls)
	}
	if got := changes.take(); len(got) != 1 || got[0].Interval != 30*time.Second {
		t.Fatalf("interval changes %+v, want only the first, 30s", got)
	}
}

// TestReadBudgetShrinksBackWhenTheAccountShrinks: once the listings take fewer
// pages again, the configured interval comes back.
func TestReadBudgetShrinksBackWhenTheAccountShrinks(t *testing.T) {
	fake, c, clk, changes := budgetSetup(t, 12, 4)
	tickFor(c, fake, clk, 2*time.Minute)
	fake.mu.Lock()
	fake.endpointPages, fake.groupPages = 2, 1
	fake.mu.Unlock()
	tickFor(c, fake, clk, 3*time.Minute)
	got := changes.take()
	if last := got[len(got)-1]; last.Interval != 30*time.Second || last.Previous != 96*time.Second {
		t.Fatalf("interval changes %+v, want the last back to 30s from 96s", got)
	}
}
