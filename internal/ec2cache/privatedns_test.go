package ec2cache_test

import (
	"context"
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

// endpointAnswers counts what EC2 answered to DescribeVpcEndpoints: the
// endpoints decoded, and the requests that asked for the whole region.
type endpointAnswers struct {
	*ec2.Client
	mu                sync.Mutex
	decoded, wholeRun int
}

func (r *endpointAnswers) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	out, err := r.Client.DescribeVpcEndpoints(ctx, in, opts...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.decoded += len(out.VpcEndpoints)
	}
	if len(in.Filters) == 0 && len(in.VpcEndpointIds) == 0 {
		r.wholeRun++
	}
	return out, err
}

func (r *endpointAnswers) counts() (decoded, wholeRegion int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.decoded, r.wholeRun
}

// privateDNSSetup is a cache over ec2sim with the manager's windows (a read
// spacing of 10 s, confirmations every 30 s), counting EC2's endpoint answers.
func privateDNSSetup(t *testing.T) (*ec2sim.Server, *ec2.Client, *endpointAnswers, *ec2cache.Client, ec2sim.Fixture, *clocktesting.FakeClock) {
	t.Helper()
	sim := ec2sim.New(ec2sim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	raw := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1,
		HTTPClient: awsclient.GuardRequestBodies(&http.Client{Transport: &http.Transport{}})})
	rec := &endpointAnswers{Client: raw}
	clk := clocktesting.NewFakeClock(time.Now())
	c := ec2cache.New(rec, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", OwnerTagKey: "vpce.dev/owner", OwnerUIDTagKey: "vpce.dev/owner-uid",
		SnapshotTTL: time.Minute, InventoryTTL: time.Hour, ServiceTTL: time.Hour, PollTTL: 20 * time.Second,
		Spacing: 10 * time.Second, ConfirmSpacing: 30 * time.Second, ListInterval: 30 * time.Second, Clock: clk})
	return sim, raw, rec, c, sim.LoadFixture(), clk
}

// privateDNSQuery is the engine's check for another endpoint of service in vpc.
func privateDNSQuery(vpc, service string) *ec2.DescribeVpcEndpointsInput {
	return &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("service-name"), Values: []string{service}}}}
}

func endpointIDs(eps []types.VpcEndpoint) []string {
	var out []string
	for _, e := range eps {
		out = append(out, aws.ToString(e.VpcEndpointId))
	}
	return out
}

// TestPrivateDNSCheckReadsOnlyTheVPCConcerned: the check for another endpoint
// with private DNS asks EC2 for the endpoints of that VPC (which a recent read
// answers for every service: vpcendpoints.go), not for every endpoint of the
// region, whose decoding grew with the number of endpoints the controller owns
// (N=5,000+5,000: ten pages a minute).
func TestPrivateDNSCheckReadsOnlyTheVPCConcerned(t *testing.T) {
	_, raw, rec, c, fx, _ := privateDNSSetup(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		ownedGateway(t, c, fx, i)
	}
	ssm := "com.amazonaws.us-east-1.ssm"
	theirs := otherClustersPrivateDNSEndpoint(t, raw, fx, ssm)
	out, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(fx.VPCID, ssm))
	if err != nil {
		t.Fatal(err)
	}
	if got := endpointIDs(out.VpcEndpoints); len(got) != 1 || got[0] != aws.ToString(theirs.VpcEndpoint.VpcEndpointId) {
		t.Fatalf("the check found %v, want the other cluster's %s", got, aws.ToString(theirs.VpcEndpoint.VpcEndpointId))
	}
	if decoded, whole := rec.counts(); decoded != 7 || whole != 0 {
		t.Fatalf("EC2 answered %d endpoints (%d listings of the whole region) for one check, want the 7 of that VPC", decoded, whole)
	}
}

// TestPrivateDNSChecksShareOneReadPerConfirmationWindow: checks of different
// VPCs and services made while a read is recent wait for one read of the union,
// at most one per confirmation window, and each gets its own answer: the
// endpoints this cluster made among them once, though both EC2 and the snapshot
// show them.
func TestPrivateDNSChecksShareOneReadPerConfirmationWindow(t *testing.T) {
	sim, raw, _, c, fx, clk := privateDNSSetup(t)
	ctx := context.Background()
	var s3 []string
	for i := 0; i < 6; i++ {
		if id := ownedGateway(t, c, fx, i); i%2 == 0 {
			s3 = append(s3, id)
		}
	}
	// The first check reads at once (of another VPC: a recent read of a VPC
	// answers every check in it without waiting).
	vpc2, err := raw.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.99.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(aws.ToString(vpc2.Vpc.VpcId), "com.amazonaws.us-east-1.logs")); err != nil {
		t.Fatal(err)
	}
	sim.ResetCounters()
	services := []string{"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.ssm"}
	answers := make([][]string, len(services))
	errs := make(chan error, len(services))
	var wg sync.WaitGroup
	for i, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(fx.VPCID, svc))
			if err == nil {
				answers[i] = endpointIDs(out.VpcEndpoints)
			}
			errs <- err
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.WaitingVPCEndpointReadCallers() < len(services) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 0 {
		t.Fatalf("%d DescribeVpcEndpoints within the confirmation window of the last check's read", n)
	}
	for len(errs) < len(services) && time.Now().Before(deadline) {
		if clk.HasWaiters() {
			clk.Step(10 * time.Second)
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
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("%d DescribeVpcEndpoints for three checks waiting together, want 1", n)
	}
	if len(answers[0]) != 3 || len(answers[1]) != 3 || len(answers[2]) != 0 {
		t.Fatalf("answers s3 %v, dynamodb %v, ssm %v; want the 3 s3 (%v), the 3 dynamodb, none", answers[0], answers[1], answers[2], s3)
	}
	for i, id := range answers[0] {
		if id != s3[i] && !contains(s3, id) {
			t.Fatalf("s3 answer %v, want %v", answers[0], s3)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestPrivateDNSCheckTakesARecentAnswerWithoutWaiting: reads for the private
// DNS check are shared, one per confirmation window; a check that always
// waited for the next one held its reconcile worker up to that window before
// every create of an interface endpoint with private DNS (with one account
// throttled, every worker the others had, while their endpoint-write buckets
// went unused). A check of a VPC and service read within the snapshot TTL is
// answered from that read at once, the endpoints this cluster made since from
// the owned snapshot; past the TTL, or when the request wants fresher data,
// it reads again.
func TestPrivateDNSCheckTakesARecentAnswerWithoutWaiting(t *testing.T) {
	sim, raw, _, c, fx, clk := privateDNSSetup(t)
	ctx := context.Background()
	ssm := "com.amazonaws.us-east-1.ssm"
	if _, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(fx.VPCID, ssm)); err != nil {
		t.Fatal(err) // the first check reads at once
	}
	// Another cluster's endpoint appears; this cluster makes one too.
	theirs := otherClustersPrivateDNSEndpoint(t, raw, fx, ssm)
	sim.ResetCounters()

	// check runs a check of ssm in the VPC and reports its answer, or that it
	// waits for the next shared read (its timer is set on the cache's clock).
	check := func(ctx context.Context) (ids []string, waits bool) {
		type answer struct {
			ids []string
			err error
		}
		done := make(chan answer, 1)
		go func() {
			out, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(fx.VPCID, ssm))
			if err != nil {
				done <- answer{err: err}
				return
			}
			done <- answer{ids: endpointIDs(out.VpcEndpoints)}
		}()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case a := <-done:
				if a.err != nil {
					t.Fatal(a.err)
				}
				return a.ids, false
			default:
			}
			if clk.HasWaiters() {
				// Waiting for the next read: let it happen, so nothing is left behind.
				clk.Step(30 * time.Second)
				a := <-done
				if a.err != nil {
					t.Fatal(a.err)
				}
				return a.ids, true
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatal("the check neither answered nor waited for a read")
		return nil, false
	}

	clk.Step(5 * time.Second)
	ids, waits := check(ctx)
	if waits {
		t.Fatal("a check of a VPC and service read 5 s ago waited for the next shared read (up to the 30 s confirmation window), holding its worker")
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 0 {
		t.Fatalf("%d DescribeVpcEndpoints for a check of a VPC and service read 5 s ago, want 0", n)
	}
	if len(ids) != 0 {
		t.Fatalf("the check answered %v from the recent read, want what that read saw (none)", ids)
	}

	// A request that wants data read after now (a spec just edited) reads.
	if ids, _ = check(ec2cache.WithMaxAge(ctx, 0)); len(ids) != 1 || ids[0] != aws.ToString(theirs.VpcEndpoint.VpcEndpointId) {
		t.Fatalf("a check wanting fresh data found %v, want the other cluster's %s", ids, aws.ToString(theirs.VpcEndpoint.VpcEndpointId))
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("%d DescribeVpcEndpoints for a check wanting fresh data, want 1", n)
	}

	// Past the snapshot TTL (a minute), the check reads again.
	clk.Step(time.Minute + time.Second)
	sim.ResetCounters()
	if ids, _ = check(ctx); len(ids) != 1 {
		t.Fatalf("a check past the snapshot TTL found %v, want the other cluster's endpoint", ids)
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 1 {
		t.Fatalf("%d DescribeVpcEndpoints for a check past the snapshot TTL, want 1", n)
	}
}

// TestPrivateDNSCheckTakesARecentReadThatCoveredIt: each object with private
// DNS asks for its own VPC and service (one per service and VPC), so a read of
// just the services asked would hardly ever answer the next check. A read asks
// EC2 for every endpoint of its VPCs, and answers any check of one of them.
func TestPrivateDNSCheckTakesARecentReadThatCoveredIt(t *testing.T) {
	sim, raw, _, c, fx, clk := privateDNSSetup(t)
	ctx := context.Background()
	vpc2, err := raw.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.99.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(aws.ToString(vpc2.Vpc.VpcId), "com.amazonaws.us-east-1.logs")); err != nil {
		t.Fatal(err) // the first check reads at once; the next waits for the window
	}
	// check runs a check of service in the fixture's VPC and reports whether it
	// waited for the next shared read (its timer set on the cache's clock).
	deadline := time.Now().Add(10 * time.Second)
	check := func(service string) (waited bool) {
		done := make(chan error, 1)
		go func() {
			_, err := c.DescribeVpcEndpoints(ctx, privateDNSQuery(fx.VPCID, service))
			done <- err
		}()
		for time.Now().Before(deadline) {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				return waited
			default:
			}
			if clk.HasWaiters() {
				waited = true
				clk.Step(30 * time.Second)
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatal("the check never answered")
		return false
	}
	if !check("com.amazonaws.us-east-1.s3") {
		t.Fatal("a check of a VPC never read did not wait for the next shared read")
	}
	sim.ResetCounters()
	// dynamodb in the same VPC, which no check asked for: the read covered it.
	if check("com.amazonaws.us-east-1.dynamodb") {
		t.Fatal("a check of a service in a VPC read moments ago waited for the next shared read")
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n != 0 {
		t.Fatalf("%d DescribeVpcEndpoints for a check a recent read covered, want 0", n)
	}
}

// otherClustersPrivateDNSEndpoint makes, behind this cluster's back, another
// cluster's interface endpoint of service with private DNS in the fixture's VPC.
func otherClustersPrivateDNSEndpoint(t *testing.T, raw *ec2.Client, fx ec2sim.Fixture, service string) *ec2.CreateVpcEndpointOutput {
	t.Helper()
	out, err := raw.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(fx.VPCID), ServiceName: aws.String(service), VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds: []string{fx.PrivateSubnets[0].SubnetID}, PrivateDnsEnabled: aws.Bool(true),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c2")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
