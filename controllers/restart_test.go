package controllers_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// TestRestartOfConvergedObjectsWritesNothing: a restarted manager re-verifies
// converged objects without writing to Kubernetes (no status patch, no event)
// and without reading the network interfaces their status already reports,
// and still repairs what drifted while it was down.
func TestRestartOfConvergedObjectsWritesNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	stop := h.startManager("test")
	rts := h.privateRouteTables()
	gw := gateway("quiet", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[2:]})
	ie := iface("quiet", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	drifted := gateway("drifted", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[:2]})
	h.create(gw)
	h.create(ie)
	h.create(drifted)
	h.waitReady(gw)
	h.waitReady(ie)
	h.waitReady(drifted)
	stop()
	if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(drifted.Status.EndpointID), RemoveRouteTableIds: rts[:1]}); err != nil {
		t.Fatal(err)
	}

	objs := []client.Object{gw, ie}
	versions := map[string]string{}
	events := map[string]int{}
	for _, obj := range objs {
		h.get(obj)
		versions[fmt.Sprintf("%T %s", obj, obj.GetName())] = obj.GetResourceVersion()
		for _, e := range h.events(obj) {
			events[e.Name+"/"+e.ResourceVersion]++
		}
	}
	if len(ie.Status.NetworkInterfaces) == 0 {
		t.Fatalf("the interface endpoint's status reports no network interfaces")
	}
	reconciles := func(controller string) float64 {
		n := 0.0
		for _, v := range scrape(t, "controller_runtime_reconcile_total", map[string]string{"controller": controller}) {
			n += v
		}
		return n
	}
	gwBefore, ieBefore := reconciles("gatewayendpoint"), reconciles("interfaceendpoint")
	h.sim.ResetCounters()
	h.startManager("test")
	h.eventually(30*time.Second, "both objects re-verified", func() error {
		if g, i := reconciles("gatewayendpoint")-gwBefore, reconciles("interfaceendpoint")-ieBefore; g < 2 || i < 1 {
			return fmt.Errorf("%v gateway and %v interface endpoint reconciles since the restart", g, i)
		}
		return nil
	})
	for _, obj := range objs {
		h.get(obj)
		if key := fmt.Sprintf("%T %s", obj, obj.GetName()); obj.GetResourceVersion() != versions[key] {
			t.Errorf("%s written on restart: resourceVersion %s, was %s", key, obj.GetResourceVersion(), versions[key])
		}
		for _, e := range h.events(obj) {
			if events[e.Name+"/"+e.ResourceVersion] == 0 {
				t.Errorf("%s: event on restart: %s %s", obj.GetName(), e.Reason, e.Note)
			}
		}
	}
	if n := h.sim.Counters()["DescribeNetworkInterfaces"]; len(n) > 0 {
		t.Errorf("network interfaces read on restart: %v", n)
	}
	h.waitEvent(drifted, v1alpha1.EventDriftCorrected, rts[0])
	if got := h.routesTo(drifted.Status.EndpointID); !reflect.DeepEqual(got, rts[:2]) {
		t.Errorf("routes of the drifted endpoint %v, want %v", got, rts[:2])
	}
}
