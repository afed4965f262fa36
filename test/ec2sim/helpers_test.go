package ec2sim_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

var ctx = context.Background()

// env is one emulator behind an httptest server with an SDK client. Its
// time is a manual clock that moves only when the test advances it, so no
// test depends on the machine's speed.
type env struct {
	sim   *ec2sim.Server
	ec2   *ec2.Client
	url   string
	fx    ec2sim.Fixture
	clock *ec2sim.ManualClock
}

// epoch is where every test's manual clock starts.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newEnv starts an emulator with the fixture loaded, short delays and a
// manual clock (unless opts brings its own clock).
func newEnv(t *testing.T, opts ec2sim.Options) *env {
	t.Helper()
	clock, _ := opts.Clock.(*ec2sim.ManualClock)
	if opts.Clock == nil {
		clock = ec2sim.NewManualClock(epoch)
		opts.Clock = clock
	}
	if opts.StateDelay == 0 {
		opts.StateDelay = 300 * time.Millisecond
	}
	if opts.DeletedLinger == 0 {
		opts.DeletedLinger = 300 * time.Millisecond
	}
	sim := ec2sim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c := ec2.New(ec2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
		HTTPClient:       awsclient.GuardRequestBodies(awshttp.NewBuildableClient()),
	})
	return &env{sim: sim, ec2: c, url: srv.URL, fx: sim.LoadFixture(), clock: clock}
}

// advance moves the emulator's clock forward.
func (e *env) advance(d time.Duration) { e.clock.Advance(d) }

// waitSleepers waits (in real time: this is a goroutine handshake, not a
// measure of speed) until n calls block on the clock, e.g. in injected latency.
func (e *env) waitSleepers(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.clock.Sleepers() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls wait on the clock, want %d", e.clock.Sleepers(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// step is how far waits move the clock between two looks.
const step = 10 * time.Millisecond

// code returns the AWS error code of err ("" for nil).
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

// status returns the HTTP status of a failed call.
func status(t *testing.T, err error) int {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	return re.HTTPStatusCode()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(t, err); got != want {
		t.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

// must returns v, panicking (which fails the test run) on an unexpected error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func svc(name string) *string { return aws.String("com.amazonaws.us-east-1." + name) }

func (e *env) privateSubnets() []string {
	var out []string
	for _, s := range e.fx.PrivateSubnets {
		out = append(out, s.SubnetID)
	}
	return out
}

func (e *env) privateTables() []string {
	var out []string
	for _, s := range e.fx.PrivateSubnets {
		out = append(out, s.RouteTableID)
	}
	return out
}

// createInterface creates an interface endpoint for a service in the given
// subnets of the fixture VPC.
func (e *env) createInterface(t *testing.T, service string, subnets []string, mut ...func(*ec2.CreateVpcEndpointInput)) types.VpcEndpoint {
	t.Helper()
	in := &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(e.fx.VPCID),
		ServiceName:     svc(service),
		VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds:       subnets,
	}
	for _, m := range mut {
		m(in)
	}
	return *must(e.ec2.CreateVpcEndpoint(ctx, in)).VpcEndpoint
}

func (e *env) createGateway(t *testing.T, service string, tables []string) types.VpcEndpoint {
	t.Helper()
	return *must(e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId:         aws.String(e.fx.VPCID),
		ServiceName:   svc(service),
		RouteTableIds: tables,
	})).VpcEndpoint
}

// endpoint describes one endpoint by ID; ok is false once it is gone.
func (e *env) endpoint(t *testing.T, id string) (types.VpcEndpoint, bool) {
	t.Helper()
	out, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if code(t, err) == "InvalidVpcEndpointId.NotFound" {
		return types.VpcEndpoint{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.VpcEndpoints[0], true
}

// waitState advances the clock in small steps until the endpoint reaches
// state ("gone" for vanished); it fails after a minute of emulated time.
func (e *env) waitState(t *testing.T, id, state string) types.VpcEndpoint {
	t.Helper()
	var ep types.VpcEndpoint
	ok := false
	for waited := time.Duration(0); waited <= time.Minute; waited += step {
		if ep, ok = e.endpoint(t, id); !ok && state == "gone" || ok && string(ep.State) == state {
			return ep
		}
		e.advance(step)
	}
	t.Fatalf("endpoint %s: state %q (present %v), want %q", id, ep.State, ok, state)
	return ep
}

func (e *env) routeTable(t *testing.T, id string) types.RouteTable {
	t.Helper()
	out := must(e.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}}))
	return out.RouteTables[0]
}

// endpointRoutes returns the gateway endpoint routes of a table.
func endpointRoutes(rt types.RouteTable) []types.Route {
	var out []types.Route
	for _, r := range rt.Routes {
		if r.DestinationPrefixListId != nil {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) enis(t *testing.T, ids []string) []types.NetworkInterface {
	t.Helper()
	if len(ids) == 0 {
		return nil
	}
	return must(e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ids})).NetworkInterfaces
}

var errDenied = errors.New("denied by test policy")

func tagsOf(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func filters(name string, values ...string) []types.Filter {
	return []types.Filter{{Name: aws.String(name), Values: values}}
}

func typesAttr(name string) types.VpcAttributeName { return types.VpcAttributeName(name) }
