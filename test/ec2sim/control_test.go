package ec2sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestThrottlingUsesAWSBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{Throttle: true})
	// CreateVpcEndpoint, ModifyVpcEndpoint and DeleteVpcEndpoints share a bucket of 4.
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, *e.createGateway(t, "dynamodb", nil).VpcEndpointId)
	}
	_, err := e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids})
	wantCode(t, err, "RequestLimitExceeded")
	if s := status(t, err); s != 503 {
		t.Fatalf("HTTP %d, want 503", s)
	}
	// Other buckets are unaffected.
	must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}))
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids[:1], Tags: tagsOf("k", "v")}))
	// A high time scale refills the 0.3/s bucket fast: 50ms at 30/s is 1.5 tokens.
	e.sim.SetTimeScale(100)
	e.advance(50 * time.Millisecond)
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids}))
	if got := e.sim.Counters()["DeleteVpcEndpoints"]; got["throttled"] != 1 || got["ok"] != 1 {
		t.Fatalf("counters = %v", got)
	}
	e.sim.SetThrottle(false)
	for i := 0; i < 10; i++ {
		e.createGateway(t, "dynamodb", nil)
	}
}

func TestDescribeBucketThrottles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{Throttle: true})
	describe := func(n int) (throttled int) {
		for i := 0; i < n; i++ {
			if _, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); code(t, err) == "RequestLimitExceeded" {
				throttled++
			}
		}
		return throttled
	}
	// The clock stands still: the bucket of 100 is all there is.
	if n := describe(110); n != 10 {
		t.Fatalf("throttled %d of 110 describes, want 10", n)
	}
	// One second refills 20 tokens.
	e.advance(time.Second)
	if n := describe(21); n != 1 {
		t.Fatalf("after 1s throttled %d of 21 describes, want 1", n)
	}
	// A full minute refills no more than the bucket holds.
	e.advance(time.Minute)
	if n := describe(101); n != 1 {
		t.Fatalf("after a minute throttled %d of 101 describes, want 1", n)
	}
}

func TestInjectedFaultsByCountRateAndLatency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{Seed: 7})
	e.sim.InjectFault(ec2sim.Fault{Action: "DescribeVpcs", Code: "InternalError", Count: 2})
	for i, want := range []string{"InternalError", "InternalError", ""} {
		_, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		if got := code(t, err); got != want {
			t.Fatalf("call %d: %q, want %q", i, got, want)
		}
		if err != nil && status(t, err) != 500 {
			t.Fatalf("InternalError HTTP %d", status(t, err))
		}
	}
	e.sim.InjectFault(ec2sim.Fault{Action: "*", Code: "Unavailable", Rate: 0.5})
	failed := 0
	for i := 0; i < 200; i++ {
		_, err := e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
		if err != nil {
			wantCode(t, err, "Unavailable")
			if status(t, err) != 503 {
				t.Fatalf("Unavailable HTTP %d", status(t, err))
			}
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Fatalf("rate 0.5 failed %d of 200", failed)
	}
	e.sim.ClearFaults()
	e.sim.InjectFault(ec2sim.Fault{Action: "DescribeVpcs", Latency: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		_, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		done <- err
	}()
	// The call waits on the emulator's clock: it answers only once the clock
	// has moved the whole latency.
	e.waitSleepers(t, 1)
	e.advance(99 * time.Millisecond)
	if n := e.clock.Sleepers(); n != 1 {
		t.Fatalf("the call stopped waiting after 99ms of 100ms latency (%d sleepers)", n)
	}
	select {
	case err := <-done:
		t.Fatalf("the call answered after 99ms of 100ms latency: %v", err)
	default:
	}
	e.advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := e.sim.Counters()["DescribeSubnets"]; c["Unavailable"] != failed || c["ok"] != 200-failed {
		t.Fatalf("counters %v", c)
	}
}

func TestCountersCountEveryCallAndReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	must(e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	_, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	want := map[string]int{"ok": 1, "InvalidVpcID.NotFound": 1}
	if got := e.sim.Counters()["DescribeVpcs"]; len(got) != 2 || got["ok"] != 1 || got["InvalidVpcID.NotFound"] != 1 {
		t.Fatalf("counters %v, want %v", got, want)
	}
	e.sim.ResetCounters()
	if got := e.sim.Counters(); len(got) != 0 {
		t.Fatalf("after reset %v", got)
	}
}

func TestConsistencyWindowHidesNewEndpointFromDescribeByID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	e.sim.SetConsistencyWindow(300 * time.Millisecond)
	ep := e.createGateway(t, "s3", nil)
	_, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	// The narrow window hides nothing else: listings and writes see it.
	if n := len(must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})).VpcEndpoints); n != 1 {
		t.Fatalf("%d endpoints listed, want the new one", n)
	}
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*ep.VpcEndpointId}, Tags: tagsOf("k", "v")}))
	e.advance(299 * time.Millisecond)
	if _, ok := e.endpoint(t, *ep.VpcEndpointId); ok {
		t.Fatal("endpoint visible before the window ended")
	}
	e.advance(time.Millisecond)
	if _, ok := e.endpoint(t, *ep.VpcEndpointId); !ok {
		t.Fatal("endpoint still hidden after the window")
	}
}

func TestFixtureWorld(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{Fixture: true})
	if again := e.sim.LoadFixture(); again.VPCID != e.fx.VPCID {
		t.Fatal("LoadFixture is not idempotent")
	}
	if len(must(e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})).Vpcs) != 1 {
		t.Fatal("fixture loaded twice")
	}
	for _, attr := range []string{"enableDnsSupport", "enableDnsHostnames"} {
		out := must(e.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &e.fx.VPCID, Attribute: typesAttr(attr)}))
		v := out.EnableDnsSupport
		if attr == "enableDnsHostnames" {
			v = out.EnableDnsHostnames
		}
		if v == nil || !*v.Value {
			t.Fatalf("%s is off", attr)
		}
	}
	azs := map[string]bool{}
	for _, s := range e.fx.PrivateSubnets {
		azs[s.AvailabilityZone] = true
		rts := must(e.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: filters("association.subnet-id", s.SubnetID)}))
		if len(rts.RouteTables) != 1 || *rts.RouteTables[0].RouteTableId != s.RouteTableID {
			t.Fatalf("subnet %s tables %+v", s.SubnetID, rts.RouteTables)
		}
	}
	if len(azs) != 3 || e.fx.PublicSubnetID == "" || e.fx.PublicRouteTableID == "" {
		t.Fatalf("fixture = %+v", e.fx)
	}
}

func TestAdminHTTPAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	call := func(method, path, body string, out any) int {
		req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	var fx ec2sim.Fixture
	if call("GET", "/_sim/fixture", "", &fx) != 200 || fx.VPCID != e.fx.VPCID {
		t.Fatalf("fixture = %+v", fx)
	}
	var created struct{ ServiceName string }
	call("POST", "/_sim/services", `{"acceptanceRequired":true,"availabilityZones":["us-east-1a"]}`, &created)
	if !strings.HasPrefix(created.ServiceName, "com.amazonaws.vpce.us-east-1.vpce-svc-") {
		t.Fatalf("service name %q", created.ServiceName)
	}
	ep := must(e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: &e.fx.VPCID, ServiceName: &created.ServiceName, VpcEndpointType: "Interface", SubnetIds: e.privateSubnets()[:1],
	})).VpcEndpoint
	if code := call("POST", "/_sim/endpoints/"+*ep.VpcEndpointId+"/accept", "", nil); code != 200 {
		t.Fatalf("accept: HTTP %d", code)
	}
	if code := call("POST", "/_sim/endpoints/"+*ep.VpcEndpointId+"/accept", "", nil); code != 409 {
		t.Fatalf("second accept: HTTP %d", code)
	}
	call("POST", "/_sim/state-delay", `{"delay":"10ms"}`, nil)
	call("POST", "/_sim/faults", `{"action":"DescribeVpcs","code":"Unavailable","count":1,"latency":"1ms"}`, nil)
	failed := make(chan error, 1)
	go func() {
		_, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		failed <- err
	}()
	e.waitSleepers(t, 1) // the latency holds the call until the clock moves
	e.advance(time.Millisecond)
	err := <-failed
	wantCode(t, err, "Unavailable")
	call("POST", "/_sim/faults", `{"action":"*","code":"InternalError","rate":1}`, nil)
	call("DELETE", "/_sim/faults", "", nil)
	must(e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	var counters map[string]map[string]int
	call("GET", "/_sim/counters", "", &counters)
	if counters["DescribeVpcs"]["Unavailable"] != 1 || counters["DescribeVpcs"]["ok"] != 1 {
		t.Fatalf("counters %v", counters)
	}
	call("DELETE", "/_sim/counters", "", nil)
	call("POST", "/_sim/consistency", `{"window":"1h"}`, nil)
	gw := e.createGateway(t, "s3", nil)
	_, err = e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*gw.VpcEndpointId}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	call("POST", "/_sim/throttle", `{"enabled":true,"timeScale":1}`, nil)
	for i := 0; i < 4; i++ {
		e.createGateway(t, "dynamodb", nil)
	}
	_, err = e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("dynamodb")})
	wantCode(t, err, "RequestLimitExceeded")
	if code := call("GET", "/_sim/nope", "", nil); code != 404 {
		t.Fatalf("unknown route: HTTP %d", code)
	}
}

func TestQueryOverGETAndUnknownAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	resp := must(http.Get(e.url + "/?" + url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"}}.Encode()))
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(buf.String(), `<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`) || !strings.Contains(buf.String(), e.fx.VPCID) {
		t.Fatalf("GET answer %d: %s", resp.StatusCode, buf.String())
	}
	resp = must(http.PostForm(e.url+"/", url.Values{"Action": {"RunInstances"}}))
	buf.Reset()
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(buf.String(), "<Response><Errors><Error><Code>InvalidAction</Code>") || !strings.Contains(buf.String(), "<RequestID>") {
		t.Fatalf("unknown action %d: %s", resp.StatusCode, buf.String())
	}
}

func TestAuthorizerHook(t *testing.T) {
	t.Parallel()
	type call struct {
		action string
		tags   map[string]string
	}
	var calls []call
	e := newEnv(t, ec2sim.Options{Authorizer: func(action string, params url.Values, tags map[string]string) error {
		calls = append(calls, call{action, tags})
		if action == "DeleteVpcEndpoints" && tags["owner"] != "me" {
			return errDenied
		}
		return nil
	}})
	ep := e.createGateway(t, "s3", nil)
	_, err := e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}})
	wantCode(t, err, "UnauthorizedOperation")
	if status(t, err) != 403 {
		t.Fatalf("HTTP %d", status(t, err))
	}
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*ep.VpcEndpointId}, Tags: tagsOf("owner", "me")}))
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}}))
	if last := calls[len(calls)-1]; last.action != "DeleteVpcEndpoints" || last.tags["owner"] != "me" {
		t.Fatalf("last authorizer call %+v", last)
	}
}
