package ec2cache_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// noticeLog collects the cache's change notices.
type noticeLog struct {
	mu  sync.Mutex
	all []ec2cache.Change
}

func (n *noticeLog) add(c ec2cache.Change) { n.mu.Lock(); n.all = append(n.all, c); n.mu.Unlock() }
func (n *noticeLog) take() []ec2cache.Change {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.all
	n.all = nil
	return out
}

func clockedSetup(t *testing.T, spacing time.Duration) (*ec2sim.Server, *ec2.Client, *ec2cache.Client, ec2sim.Fixture, *clocktesting.FakeClock, *noticeLog) {
	sim := ec2sim.New(ec2sim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	// A transport of its own (no connection kept alive to another test's server),
	// request bodies guarded as the manager's are.
	raw := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1,
		HTTPClient: awsclient.GuardRequestBodies(&http.Client{Transport: &http.Transport{}})})
	clk := clocktesting.NewFakeClock(time.Now())
	notices := &noticeLog{}
	c := ec2cache.New(raw, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", OwnerTagKey: "vpce.dev/owner", OwnerUIDTagKey: "vpce.dev/owner-uid",
		SnapshotTTL: time.Hour, InventoryTTL: time.Hour, ServiceTTL: time.Hour, PollTTL: time.Hour,
		Spacing: spacing, ListInterval: 30 * time.Second, Notify: notices.add, Clock: clk})
	return sim, raw, c, sim.LoadFixture(), clk, notices
}

// ownedTags are the tags of an endpoint cluster c1 made for owner.
func ownedTags(owner, uid string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{
		{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c1")},
		{Key: aws.String("vpce.dev/owner"), Value: aws.String(owner)},
		{Key: aws.String("vpce.dev/owner-uid"), Value: aws.String(uid)},
	}}}
}

// simClient serves an ec2sim on clock over HTTP and returns it with a client of it.
func simClient(t *testing.T, clock ec2sim.Clock) (*ec2sim.Server, *ec2.Client) {
	t.Helper()
	sim := ec2sim.New(ec2sim.Options{StateDelay: time.Minute, Clock: clock})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1,
		HTTPClient: awsclient.GuardRequestBodies(&http.Client{Transport: &http.Transport{}})})
}

func ownedGateway(t *testing.T, c *ec2cache.Client, fx ec2sim.Fixture, i int) string {
	t.Helper()
	out, err := c.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(fx.VPCID), ServiceName: aws.String([]string{"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb"}[i%2]), VpcEndpointType: types.VpcEndpointTypeGateway,
		RouteTableIds:     []string{fx.PrivateSubnets[i/2%3].RouteTableID},
		TagSpecifications: ownedTags(fmt.Sprintf("ns/gw-%d", i), fmt.Sprintf("uid-%d", i)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}

// TestTickFindsDriftWithinTheListInterval: the refresher lists the owned endpoints
// once per interval, whatever their number, and reports exactly the ones that
// changed behind the controller's back.
func TestTickFindsDriftWithinTheListInterval(t *testing.T) {
	sim, raw, c, fx, clk, notices := clockedSetup(t, 0)
	ctx := context.Background()
	var eps []string
	for i := 0; i < 6; i++ {
		eps = append(eps, ownedGateway(t, c, fx, i))
	}
	clk.Step(time.Second)
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: eps[:1]}); err != nil {
		t.Fatal(err) // the first read lists: nothing to compare with
	}
	if n := notices.take(); len(n) != 0 {
		t.Fatalf("notices on the first listing: %v", n)
	}
	sim.ResetCounters()
	if _, err := raw.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(eps[3]), RemoveRouteTableIds: []string{fx.PrivateSubnets[1].RouteTableID}}); err != nil {
		t.Fatal(err)
	}
	clk.Step(29 * time.Second)
	c.Tick(ctx)
	if n := calls(sim, "DescribeVpcEndpoints"); n != 0 {
		t.Fatalf("%d DescribeVpcEndpoints before the interval passed", n)
	}
	clk.Step(time.Second)
	c.Tick(ctx)
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("%d DescribeVpcEndpoints for one listing of 6 endpoints", n)
	}
	got := notices.take()
	if len(got) != 1 || got[0].Owner != "ns/gw-3" || got[0].ID != eps[3] || got[0].Type != "Gateway" {
		t.Fatalf("notices %+v, want one for ns/gw-3", got)
	}
	// The snapshot answers the owner's query with the drifted state.
	out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}, {Name: aws.String("tag:vpce.dev/owner-uid"), Values: []string{"uid-3"}}}})
	if err != nil || len(out.VpcEndpoints) != 1 || len(out.VpcEndpoints[0].RouteTableIds) != 0 {
		t.Fatalf("owner query after the listing: %v %+v", err, out)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("the owner query went to EC2: %d calls", n)
	}
}

// TestOwnChangesAreReadBackByTheNextTick: an endpoint the controller changed is
// re-read by the next tick (not the next listing), and the new state is noticed
// like any other: the reconcile it starts confirms the change (the engine tells
// its own changes from drift), and a change someone else made between the
// controller's write and this read is not absorbed into the snapshot unseen.
func TestOwnChangesAreReadBackByTheNextTick(t *testing.T) {
	sim, _, c, fx, clk, notices := clockedSetup(t, time.Second)
	ctx := context.Background()
	id := ownedGateway(t, c, fx, 0)
	clk.Step(time.Second)
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	notices.take()
	if _, err := c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), AddRouteTableIds: []string{fx.PrivateSubnets[2].RouteTableID}}); err != nil {
		t.Fatal(err)
	}
	sim.ResetCounters()
	clk.Step(2 * time.Second)
	c.Tick(ctx)
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("%d DescribeVpcEndpoints to confirm one change", n)
	}
	if got := notices.take(); len(got) != 1 || got[0].ID != id || got[0].Owner != "ns/gw-0" {
		t.Fatalf("notices %+v, want one for %s, whose owner confirms the change", got, id)
	}
	out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil || len(out.VpcEndpoints[0].RouteTableIds) != 2 {
		t.Fatalf("read after the tick: %v %+v", err, out)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("the read after the tick went to EC2: %d calls", n)
	}
}

// TestReadsOfManyWrittenEndpointsShareOneCall: reads by ID of endpoints written
// moments ago wait for one read of all of them.
func TestReadsOfManyWrittenEndpointsShareOneCall(t *testing.T) {
	sim, _, c, fx, clk, _ := clockedSetup(t, 5*time.Second)
	ctx := context.Background()
	var eps []string
	for i := 0; i < 6; i++ {
		eps = append(eps, ownedGateway(t, c, fx, i))
	}
	clk.Step(time.Second)
	c.Tick(ctx) // nothing listed yet: no reconcile asked
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: eps[:1]}); err != nil {
		t.Fatal(err) // a cold snapshot: one listing
	}
	for _, id := range eps {
		if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Step(time.Second)
	sim.ResetCounters()
	var wg sync.WaitGroup
	errs := make(chan error, len(eps))
	for _, id := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
			if err == nil && (len(out.VpcEndpoints) != 1 || aws.ToString(out.VpcEndpoints[0].VpcEndpointId) != id) {
				err = fmt.Errorf("read of %s answered %+v", id, out.VpcEndpoints)
			}
			errs <- err
		}()
	}
	// The first read runs at once; the others wait for the spacing and share
	// one. The clock moves only once every reader has been answered or waits
	// for that read, so a slow scheduler cannot split them into more reads.
	deadline := time.Now().Add(10 * time.Second)
	for c.WaitingEndpointReadIDs()+len(errs) < len(eps) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for len(errs) < len(eps) && time.Now().Before(deadline) {
		if clk.HasWaiters() {
			clk.Step(5 * time.Second)
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n > 2 {
		t.Fatalf("%d DescribeVpcEndpoints for 6 reads of written endpoints, want at most 2", n)
	}
}

// TestFreshSinceAcceptsAReadMadeAfterTheSpecWasSeen: an object waiting its turn
// (a new spec, not yet acted on) accepts the inventory read after its spec was
// first seen, however many freshness windows ago; a spec seen after that read
// gets a new one, shared by every request waiting for it.
func TestFreshSinceAcceptsAReadMadeAfterTheSpecWasSeen(t *testing.T) {
	sim, _, c, fx, clk, _ := clockedSetup(t, time.Second)
	ctx := context.Background()
	read := func(ctx context.Context) {
		t.Helper()
		if _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{fx.VPCID}}}}); err != nil {
			t.Fatal(err)
		}
	}
	seen := clk.Now()
	clk.Step(time.Second)
	sim.ResetCounters()
	read(ec2cache.WithFreshSince(ctx, ec2cache.Inventory, seen))
	if n := calls(sim, "DescribeSubnets"); n != 1 {
		t.Fatalf("%d DescribeSubnets for the first read of a new spec, want 1", n)
	}
	// Ten freshness windows later the same spec still waits: the read made after
	// it was seen serves it; plain WithFresh would read again.
	clk.Step(10 * time.Second)
	read(ec2cache.WithFreshSince(ctx, ec2cache.Inventory, seen))
	if n := calls(sim, "DescribeSubnets"); n != 1 {
		t.Fatalf("%d DescribeSubnets: a spec seen before the last read made another", n)
	}
	// A spec seen after the last read needs a new one.
	newer := clk.Now()
	clk.Step(time.Second)
	read(ec2cache.WithFreshSince(ctx, ec2cache.Inventory, newer))
	if n := calls(sim, "DescribeSubnets"); n != 2 {
		t.Fatalf("%d DescribeSubnets: a spec seen after the last read was answered from it", n)
	}
	// Without a time it is WithFresh: the freshness window only.
	clk.Step(10 * time.Second)
	read(ec2cache.WithFreshSince(ctx, ec2cache.Inventory, time.Time{}))
	if n := calls(sim, "DescribeSubnets"); n != 3 {
		t.Fatalf("%d DescribeSubnets: no time given, and a read older than the window served", n)
	}
}

// TestNotifiedReconcileFindsTheInterfacesOfAnEndpointTurnedAvailable: the read
// (by ID, or the owned listing) that shows an interface endpoint available reads
// its network interfaces in the same pass, before it reports the change: the
// reconcile the notice starts finds them in the cache instead of reading them
// on its own.
func TestNotifiedReconcileFindsTheInterfacesOfAnEndpointTurnedAvailable(t *testing.T) {
	for _, listing := range []bool{false, true} {
		t.Run(map[bool]string{false: "read by ID", true: "listing"}[listing], func(t *testing.T) {
			interfacesReadBeforeNotice(t, listing)
		})
	}
}

func interfacesReadBeforeNotice(t *testing.T, listing bool) {
	simClock := clocktesting.NewFakeClock(time.Now())
	sim, raw := simClient(t, simClock)
	fx := sim.LoadFixture()
	ctx := context.Background()
	var c *ec2cache.Client
	var id string
	paid := -1 // the reads the notified reconcile made for the interfaces
	notify := func(ch ec2cache.Change) {
		if ch.ID != id || paid >= 0 {
			return
		}
		out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if err != nil || len(out.VpcEndpoints) != 1 || out.VpcEndpoints[0].State != "available" {
			return
		}
		before := calls(sim, "DescribeNetworkInterfaces")
		if _, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: out.VpcEndpoints[0].NetworkInterfaceIds}); err != nil {
			t.Error(err)
		}
		paid = calls(sim, "DescribeNetworkInterfaces") - before
	}
	c = ec2cache.New(raw, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", OwnerTagKey: "vpce.dev/owner", OwnerUIDTagKey: "vpce.dev/owner-uid",
		SnapshotTTL: time.Hour, InventoryTTL: time.Hour, ServiceTTL: time.Hour, Notify: notify}) // no PollTTL: every read of a pending endpoint goes to EC2
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}}); err != nil {
		t.Fatal(err) // the first listing: changes are reported from now on
	}
	made, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(fx.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.ssm"), VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds: []string{fx.PrivateSubnets[0].SubnetID},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{
			{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c1")}, {Key: aws.String("vpce.dev/owner-uid"), Value: aws.String("uid-1")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id = aws.ToString(made.VpcEndpoint.VpcEndpointId)
	read := func() {
		t.Helper()
		in := &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}
		if listing {
			in = &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}}
		}
		if _, err := c.DescribeVpcEndpoints(ec2cache.WithMaxAge(ctx, 0), in); err != nil {
			t.Fatal(err)
		}
	}
	read() // pending: AWS provisions it
	simClock.Step(time.Minute)
	read() // available
	if paid < 0 {
		t.Fatal("no notice of the endpoint turned available")
	}
	if paid != 0 {
		t.Fatalf("the reconcile notified of the endpoint turned available read its interfaces itself (%d calls)", paid)
	}
	if n := calls(sim, "DescribeNetworkInterfaces"); n != 1 {
		t.Fatalf("%d DescribeNetworkInterfaces, want 1 (with the read that showed it available)", n)
	}
}
