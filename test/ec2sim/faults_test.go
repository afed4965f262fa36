package ec2sim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// retryingClient is an SDK client of the env's emulator with the SDK's
// standard retries (3 attempts), as the controller uses it.
func (e *env) retryingClient() *ec2.Client {
	return ec2.New(ec2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 3, RetryMode: aws.RetryModeStandard,
	})
}

func TestLostResponseAppliesTheCallThenAnswers500(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	tables := e.privateTables()
	gw := *e.createGateway(t, "s3", tables[:2]).VpcEndpointId
	e.sim.InjectFault(ec2sim.Fault{Action: "ModifyVpcEndpoint", LostResponse: true, Count: 1})
	remove := &ec2.ModifyVpcEndpointInput{VpcEndpointId: &gw, RemoveRouteTableIds: tables[1:2]}
	_, err := e.ec2.ModifyVpcEndpoint(ctx, remove)
	wantCode(t, err, "InternalError")
	if s := status(t, err); s != 500 {
		t.Fatalf("HTTP %d, want 500", s)
	}
	// It took effect: the route table is detached and its route is gone.
	if got, _ := e.endpoint(t, gw); len(got.RouteTableIds) != 1 {
		t.Fatalf("route tables %v after a lost response, want the removal applied", got.RouteTableIds)
	}
	if routes := endpointRoutes(e.routeTable(t, tables[1])); len(routes) != 0 {
		t.Fatalf("routes %+v left in the removed table", routes)
	}
	// The retry of a remove answers as AWS does once the first one applied.
	_, err = e.ec2.ModifyVpcEndpoint(ctx, remove)
	wantCode(t, err, "InvalidParameter")
	if c := e.sim.Counters()["ModifyVpcEndpoint"]; c["lostResponse"] != 1 || c["InvalidParameter"] != 1 {
		t.Fatalf("counters %v", c)
	}
}

func TestSDKRetriesALostResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	retrying := e.retryingClient()
	count := func() int {
		return len(must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})).VpcEndpoints)
	}
	// CreateVpcEndpoint: the SDK fills in no ClientToken for it, so without
	// one the retry of a lost create makes a second endpoint, as on AWS.
	e.sim.InjectFault(ec2sim.Fault{Action: "CreateVpcEndpoint", LostResponse: true, Count: 1})
	must(retrying.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("dynamodb")}))
	if n := count(); n != 2 {
		t.Fatalf("%d endpoints after a retried lost create without a token, want 2", n)
	}
	// With the caller's ClientToken the retry returns the endpoint the lost
	// call created.
	e.sim.InjectFault(ec2sim.Fault{Action: "CreateVpcEndpoint", LostResponse: true, Count: 1})
	created := must(retrying.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("dynamodb"), ClientToken: aws.String("once")}))
	if n := count(); n != 3 {
		t.Fatalf("%d endpoints after a retried lost create with a token, want 3", n)
	}
	if c := e.sim.Counters()["CreateVpcEndpoint"]; c["lostResponse"] != 2 || c["ok"] != 2 {
		t.Fatalf("counters %v", c)
	}
	// ModifyVpcEndpoint has no token: the retry of an applied remove fails.
	id := created.VpcEndpoint.VpcEndpointId
	must(retrying.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, AddRouteTableIds: e.privateTables()[:1]}))
	e.sim.InjectFault(ec2sim.Fault{Action: "ModifyVpcEndpoint", LostResponse: true, Count: 1})
	_, err := retrying.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, RemoveRouteTableIds: e.privateTables()[:1]})
	wantCode(t, err, "InvalidParameter")
}

func TestLostResponseByRateThroughTheAdminAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{Seed: 3})
	resp := must(http.Post(e.url+"/_sim/faults", "application/json",
		strings.NewReader(`{"action":"CreateTags","lostResponse":true,"rate":0.5,"code":"ServiceUnavailable"}`)))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST faults: HTTP %d", resp.StatusCode)
	}
	gw := *e.createGateway(t, "s3", nil).VpcEndpointId
	lost := 0
	for i := 0; i < 40; i++ {
		_, err := e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{gw}, Tags: tagsOf("k", "v")})
		if err != nil {
			wantCode(t, err, "ServiceUnavailable")
			if status(t, err) != 503 {
				t.Fatalf("HTTP %d, want 503", status(t, err))
			}
			lost++
		}
	}
	if c := e.sim.Counters()["CreateTags"]; c["lostResponse"] != lost || c["ok"] != 40-lost || lost == 0 || lost == 40 {
		t.Fatalf("%d of 40 lost; counters %v", lost, c)
	}
	if got, _ := e.endpoint(t, gw); len(got.Tags) != 1 {
		t.Fatalf("tags %v: every call, lost or not, applied", got.Tags)
	}
}
