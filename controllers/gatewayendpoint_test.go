package controllers_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

func gateway(name, vpcID string, rts v1alpha1.RouteTableSelector) *v1alpha1.GatewayEndpoint {
	return &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcID}},
			Service:            "s3",
			RouteTables:        rts,
		},
	}
}

func TestGatewayCreateWithRouteTableIDs(t *testing.T) {
	h := newHarness(t)
	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()})
	h.create(gw)
	h.waitReady(gw)

	st := gw.Status
	if !strings.HasPrefix(st.EndpointID, "vpce-") || st.State != "available" || st.ServiceName != "com.amazonaws.us-east-1.s3" || st.VPCID != h.fix.VPCID || st.Region != "us-east-1" {
		t.Fatalf("status = %+v", st)
	}
	if !strings.HasPrefix(st.PrefixListID, "pl-") {
		t.Fatalf("prefix list = %q", st.PrefixListID)
	}
	if !reflect.DeepEqual(st.RouteTableIDs, h.privateRouteTables()) {
		t.Fatalf("status route tables %v, want %v", st.RouteTableIDs, h.privateRouteTables())
	}
	if got := h.routesTo(st.EndpointID); !reflect.DeepEqual(got, h.privateRouteTables()) {
		t.Fatalf("AWS routes to the endpoint in %v, want %v", got, h.privateRouteTables())
	}
	ep := h.endpoint(st.EndpointID)
	tags := map[string]string{}
	for _, tg := range ep.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	want := map[string]string{"vpce.dev/cluster": "test", "vpce.dev/owner": h.ns + "/s3", "vpce.dev/owner-uid": string(gw.UID), "Name": h.ns + "/s3"}
	if !reflect.DeepEqual(tags, want) {
		t.Fatalf("tags = %v, want %v", tags, want)
	}
	if len(gw.Finalizers) != 1 || gw.Finalizers[0] != v1alpha1.Finalizer {
		t.Fatalf("finalizers = %v", gw.Finalizers)
	}
	h.waitEvent(gw, v1alpha1.EventCreated, st.EndpointID)

	// Steady state: drift checks every sync period make no mutating call.
	h.sim.ResetCounters()
	time.Sleep(2*syncPeriod + time.Second)
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("steady state made mutating calls: %v", m)
	}
	describes := h.sim.Counters()["DescribeVpcEndpoints"]["ok"]
	if describes < 2 {
		t.Fatalf("drift check did not run: %d DescribeVpcEndpoints in %v", describes, 2*syncPeriod)
	}
	if n := len(h.liveEndpoints()); n != 1 {
		t.Fatalf("%d endpoints, want 1", n)
	}
}
