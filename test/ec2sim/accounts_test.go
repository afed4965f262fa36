package ec2sim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// TestAccountsAreIsolated: each account has its own world, fixture and IDs;
// a resource of one account is NotFound to another, listings and owner IDs
// are the caller's, and counters are per account.
func TestAccountsAreIsolated(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	hubFx, spokeFx := e.sim.Account(hub).LoadFixture(), e.sim.Account(spoke).LoadFixture()
	if hubFx.Account != hub || spokeFx.Account != spoke || hubFx.VPCID == spokeFx.VPCID || hubFx.VPCCIDR != spokeFx.VPCCIDR {
		t.Fatalf("fixtures %+v and %+v", hubFx, spokeFx)
	}
	if def := e.sim.LoadFixture(); def.VPCID != hubFx.VPCID || e.sim.AccountID() != hub {
		t.Fatalf("the default account is the first listed: %s, fixture %s", e.sim.AccountID(), def.VPCID)
	}
	hubEC2, spokeEC2 := e.ec2(static(hub), "us-east-1"), e.ec2(static(spoke), "us-east-1")
	e.sim.ResetCounters()
	gw := must(spokeEC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &spokeFx.VPCID, ServiceName: svc("s3"),
		RouteTableIds: []string{spokeFx.PrivateSubnets[0].RouteTableID}})).VpcEndpoint
	_, err := hubEC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*gw.VpcEndpointId}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	if n := len(must(hubEC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})).VpcEndpoints); n != 0 {
		t.Fatalf("the hub lists %d endpoints of the spoke", n)
	}
	// Another account's VPC cannot be used, even with a valid ID.
	_, err = hubEC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &spokeFx.VPCID, ServiceName: svc("s3")})
	wantCode(t, err, "InvalidVpcID.NotFound")
	if owner := *must(spokeEC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})).VpcEndpoints[0].OwnerId; owner != spoke {
		t.Fatalf("owner %s", owner)
	}
	rt := must(spokeEC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: filters("owner-id", spoke)}))
	if len(rt.RouteTables) != 5 {
		t.Fatalf("owner-id filter: %d route tables of the spoke, want 5", len(rt.RouteTables))
	}
	spokeCalls, hubCalls := e.sim.Account(spoke).Counters(), e.sim.Account(hub).Counters()
	if spokeCalls["CreateVpcEndpoint"]["ok"] != 1 || hubCalls["CreateVpcEndpoint"]["InvalidVpcID.NotFound"] != 1 || hubCalls["CreateVpcEndpoint"]["ok"] != 0 {
		t.Fatalf("counters: spoke %v, hub %v", spokeCalls, hubCalls)
	}
	if all := e.sim.Counters(); all["DescribeVpcEndpoints"]["ok"] != spokeCalls["DescribeVpcEndpoints"]["ok"]+hubCalls["DescribeVpcEndpoints"]["ok"] {
		t.Fatalf("the emulator's counters are not the sum of its accounts': %v", all)
	}
	e.sim.Account(hub).ResetCounters()
	if len(e.sim.Account(hub).Counters()) != 0 || len(e.sim.Account(spoke).Counters()) == 0 {
		t.Fatal("resetting one account's counters touched another's")
	}
}

// TestRegionsComeFromTheCredentialScope: a client's region selects the
// world, service catalogue and zones of that region, from one address.
func TestRegionsComeFromTheCredentialScope(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	eu := e.ec2(static(spoke), "eu-west-1")
	zones := must(eu.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))
	if len(zones.AvailabilityZones) != 3 || *zones.AvailabilityZones[0].ZoneName != "eu-west-1a" {
		t.Fatalf("zones %+v", zones.AvailabilityZones)
	}
	services := must(eu.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws.eu-west-1.s3"}}))
	if len(services.ServiceDetails) == 0 {
		t.Fatal("no s3 service in eu-west-1")
	}
	// Options.Fixture loads the fixture in a region when it is first used.
	vpcs := must(eu.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	euFx := e.sim.Account(spoke).Region("eu-west-1").LoadFixture()
	if len(vpcs.Vpcs) != 1 || *vpcs.Vpcs[0].VpcId != euFx.VPCID || euFx.Region != "eu-west-1" || euFx.PrivateSubnets[0].AvailabilityZone != "eu-west-1a" {
		t.Fatalf("eu-west-1 VPCs %+v, fixture %+v", vpcs.Vpcs, euFx)
	}
	_, err := eu.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{e.sim.Account(spoke).LoadFixture().VPCID}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	// Unsigned requests act in the default account and region.
	anon := ec2.New(ec2.Options{Region: "eu-west-1", BaseEndpoint: aws.String(e.url), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
	vpcs = must(anon.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	if len(vpcs.Vpcs) != 1 || *vpcs.Vpcs[0].VpcId != e.sim.LoadFixture().VPCID {
		t.Fatalf("unsigned request sees %+v", vpcs.Vpcs)
	}
}

// TestThrottleBucketsPerAccountAndRegion: AWS's token buckets are per
// account and region: draining one account's buckets in one region throttles
// only it, and the buckets refill on the emulator's clock.
func TestThrottleBucketsPerAccountAndRegion(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{Throttle: true})
	e.sim.Account(spoke).DrainBuckets()
	describe := func(key, region string) error {
		_, err := e.ec2(static(key), region).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		return err
	}
	wantCode(t, describe(spoke, "us-east-1"), "RequestLimitExceeded")
	for _, c := range []struct{ key, region string }{{hub, "us-east-1"}, {spoke, "eu-west-1"}, {other, "us-east-1"}} {
		if err := describe(c.key, c.region); err != nil {
			t.Fatalf("%s in %s is throttled by another's empty bucket: %v", c.key, c.region, err)
		}
	}
	// The describe bucket refills at 20 tokens a second.
	e.clock.Advance(50 * time.Millisecond)
	if err := describe(spoke, "us-east-1"); err != nil {
		t.Fatalf("after the refill: %v", err)
	}
	if got := e.sim.Account(spoke).Counters()["DescribeVpcs"]; got["throttled"] != 1 || got["ok"] != 2 {
		t.Fatalf("spoke's counters %v", got)
	}
	// Throttling can be turned off for one account.
	e.sim.Account(hub).DrainBuckets()
	e.sim.Account(hub).SetThrottle(false)
	if err := describe(hub, "us-east-1"); err != nil {
		t.Fatalf("throttling off for the hub: %v", err)
	}
}

// TestFaultsConsistencyAndIAMPerAccount: faults, the consistency window and
// the IAM policy of an account's keys apply to that account only; on the
// emulator they apply to every account.
func TestFaultsConsistencyAndIAMPerAccount(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	hubEC2, spokeEC2 := e.ec2(static(hub), "us-east-1"), e.ec2(static(spoke), "us-east-1")
	e.sim.Account(spoke).InjectFault(ec2sim.Fault{Action: "DescribeVpcs", Code: "InternalError", Count: 1})
	if _, err := hubEC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("the spoke's fault failed the hub: %v", err)
	}
	_, err := spokeEC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "InternalError")

	e.sim.Account(spoke).SetConsistency(ec2sim.Consistency{Window: 3 * time.Second})
	if e.sim.Account(spoke).ConsistencySettings().Window != 3*time.Second || e.sim.Account(hub).ConsistencySettings().Window != 0 {
		t.Fatal("consistency settings are not per account")
	}
	for _, c := range []struct {
		client *ec2.Client
		lags   bool
	}{{hubEC2, false}, {spokeEC2, true}} {
		vpc := must(c.client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})).Vpc
		_, err := c.client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{*vpc.VpcId}})
		if lagged := code(t, err) == "InvalidVpcID.NotFound"; lagged != c.lags {
			t.Fatalf("new VPC unseen: %v, want %v (%v)", lagged, c.lags, err)
		}
	}

	if err := e.sim.Account(spoke).SetIAMPolicy([]byte(describeOnly)); err != nil {
		t.Fatal(err)
	}
	_, err = spokeEC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")})
	wantCode(t, err, "UnauthorizedOperation")
	if _, err := hubEC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")}); err != nil {
		t.Fatalf("the spoke's policy restricted the hub: %v", err)
	}
	e.sim.SetIAMPolicy(nil)
	if _, err := spokeEC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.7.0.0/16")}); err != nil {
		t.Fatalf("the emulator's SetIAMPolicy(nil) did not reach the spoke: %v", err)
	}
}

// TestAdminAPIScopesAndRoles: ?account= and ?region= scope the admin
// routes; roles are defined and listed through /_sim/roles.
func TestAdminAPIScopesAndRoles(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	admin := func(method, route string, body any, out any) int {
		t.Helper()
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, e.url+"/_sim/"+route, r)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var fx ec2sim.Fixture
	if admin("GET", "fixture?account="+spoke+"&region=eu-west-1", nil, &fx) != 200 || fx.Account != spoke || fx.Region != "eu-west-1" {
		t.Fatalf("scoped fixture %+v", fx)
	}
	if code := admin("GET", "counters?account=999999999999", nil, nil); code != 400 {
		t.Fatalf("an unknown account answered %d", code)
	}
	role := map[string]any{"account": spoke, "name": "vpce-controller",
		"trustPolicy": json.RawMessage(trust(hub, "", false)), "policy": json.RawMessage(describeOnly)}
	if code := admin("POST", "roles", role, nil); code != 200 {
		t.Fatalf("POST roles answered %d", code)
	}
	role["trustPolicy"] = `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	var bad map[string]string
	if code := admin("POST", "roles", role, &bad); code != 400 || bad["error"] == "" {
		t.Fatalf("a trust policy without Principal answered %d %v", code, bad)
	}
	var roles []ec2sim.Role
	admin("GET", "roles", nil, &roles)
	if len(roles) != 1 || roles[0].Account != spoke || roles[0].Name != "vpce-controller" || roles[0].MaxSessionDuration != 3600 {
		t.Fatalf("roles %+v", roles)
	}
	if _, err := e.sts(static(hub)).AssumeRole(ctx, stsAssume("arn:aws:iam::"+spoke+":role/vpce-controller")); err != nil {
		t.Fatalf("assume the role defined through the admin API: %v", err)
	}
	var sts map[string]map[string]int
	admin("GET", "counters?service=sts&account="+hub, nil, &sts)
	if sts["AssumeRole"]["ok"] != 1 {
		t.Fatalf("hub's STS counters %v", sts)
	}
	if code := admin("DELETE", "roles/"+spoke+"/vpce-controller", nil, nil); code != 200 || len(e.sim.Roles()) != 0 {
		t.Fatalf("DELETE roles answered %d, %d roles left", code, len(e.sim.Roles()))
	}
	admin("POST", "throttle?account="+spoke, map[string]any{"enabled": true, "drain": true}, nil)
	_, err := e.ec2(static(spoke), "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "RequestLimitExceeded")
	if _, err := e.ec2(static(hub), "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("throttling the spoke throttled the hub: %v", err)
	}
	admin("POST", "faults?account="+hub, map[string]any{"action": "DescribeVpcs", "code": "Unavailable", "count": 1}, nil)
	_, err = e.ec2(static(hub), "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "Unavailable")
	var accounts struct {
		Accounts []struct {
			ID      string   `json:"id"`
			Regions []string `json:"regions"`
		} `json:"accounts"`
		Default string `json:"default"`
	}
	admin("GET", "accounts", nil, &accounts)
	if accounts.Default != hub || len(accounts.Accounts) != 3 || len(accounts.Accounts[1].Regions) != 2 {
		t.Fatalf("accounts %+v", accounts)
	}
}

// TestEmulatorSettingsReachAccountsCreatedLater: without Options.Accounts a
// new 12-digit key creates an account, which starts with what the emulator
// set for every account (IAM policy, faults, throttling).
func TestEmulatorSettingsReachAccountsCreatedLater(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{Accounts: []string{}})
	if err := e.sim.SetIAMPolicy([]byte(describeOnly)); err != nil {
		t.Fatal(err)
	}
	e.sim.InjectFault(ec2sim.Fault{Action: "DescribeVpcEndpoints", Code: "Unavailable", Rate: 1})
	c := e.ec2(static(other), "us-east-1")
	_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	wantCode(t, err, "UnauthorizedOperation")
	_, err = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	wantCode(t, err, "Unavailable")
	if got := e.sim.Accounts(); len(got) != 2 || got[1] != other {
		t.Fatalf("accounts %v", got)
	}
	// The new account has the fixture (Options.Fixture) and its own world.
	vpcs := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	if len(vpcs.Vpcs) != 1 || *vpcs.Vpcs[0].VpcId != e.sim.Account(other).LoadFixture().VPCID || *vpcs.Vpcs[0].OwnerId != other {
		t.Fatalf("the new account sees %+v", vpcs.Vpcs)
	}
}
