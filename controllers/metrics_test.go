package controllers_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// objectGauges are the gauges that count objects.
var objectGauges = []string{"vpce_endpoints", "vpce_endpoints_ready", "vpce_endpoints_stalled"}

// scrape returns the samples of a metric family whose labels include match, as
// controller-runtime's registry serves them on /metrics: "label=value,..." of the
// labels not in match, to the value.
func scrape(t *testing.T, family string, match map[string]string) map[string]float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
	samples:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if labels[k] != v {
					continue samples
				}
			}
			var rest []string
			for _, k := range slices.Sorted(maps.Keys(labels)) {
				if _, matched := match[k]; !matched {
					rest = append(rest, k+"="+labels[k])
				}
			}
			v := m.GetGauge().GetValue()
			if m.GetCounter() != nil {
				v = m.GetCounter().GetValue()
			}
			out[strings.Join(rest, ",")] = v
		}
	}
	return out
}

// inNamespace selects the samples of the harness's namespace.
func (h *harness) inNamespace(extra ...string) map[string]string {
	m := map[string]string{metrics.LabelObjectNamespace: h.ns}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// waitGauges waits until the object gauges of the harness's namespace are want
// (family to its samples; a family absent from want must have none).
func (h *harness) waitGauges(want map[string]map[string]float64) {
	h.t.Helper()
	h.eventually(30*time.Second, "object gauges of "+h.ns, func() error {
		for _, family := range objectGauges {
			got := scrape(h.t, family, h.inNamespace())
			if !maps.Equal(got, want[family]) {
				return fmt.Errorf("%s = %v, want %v", family, got, want[family])
			}
		}
		return nil
	})
}

// TestGaugesReturnToZeroAfterDeletion: the object gauges count live objects only.
// Objects of both kinds, Ready, Stalled and never Ready, are counted while they
// live; once every one is deleted (one of them by someone removing its finalizer
// while its deletion was blocked), the namespace has no object series left.
func TestGaugesReturnToZeroAfterDeletion(t *testing.T) {
	h := newHarness(t)
	rts := h.privateRouteTables()
	readyGW := gateway("ready", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts})
	readyIE := iface("ready", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	stalledGW := gateway("stalled", "vpc-0123456789abcdef0", v1alpha1.RouteTableSelector{IDs: rts}) // no such VPC
	stalledIE := iface("stalled", h.fix.VPCID, "ec2", v1alpha1.SubnetSelector{IDs: []string{"subnet-0123456789abcdef0"}})
	svc := h.sim.AddEndpointService(ec2sim.EndpointServiceConfig{AcceptanceRequired: true})
	neverReady := iface("never-ready", h.fix.VPCID, svc, v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	neverReady.Spec.PrivateDNS.Enabled = false
	blocked := gateway("blocked", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: []string{h.fix.PublicRouteTableID}})
	blocked.Spec.Service = "dynamodb"
	all := []client.Object{readyGW, readyIE, stalledGW, stalledIE, neverReady, blocked}
	for _, obj := range all {
		h.create(obj)
	}
	h.waitReady(readyGW)
	h.waitReady(readyIE)
	h.waitReady(blocked)
	h.waitCondition(stalledGW, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonVPCNotFound, 20*time.Second)
	h.waitCondition(stalledIE, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonSubnetNotFound, 20*time.Second)
	h.waitCondition(neverReady, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonPendingAcceptance, 20*time.Second)
	h.waitGauges(map[string]map[string]float64{
		"vpce_endpoints": {
			"kind=GatewayEndpoint,state=available":           2,
			"kind=GatewayEndpoint,state=none":                1,
			"kind=InterfaceEndpoint,state=available":         1,
			"kind=InterfaceEndpoint,state=none":              1,
			"kind=InterfaceEndpoint,state=pendingAcceptance": 1,
		},
		"vpce_endpoints_ready": {
			"kind=GatewayEndpoint,ready=true":    2,
			"kind=GatewayEndpoint,ready=false":   1,
			"kind=InterfaceEndpoint,ready=true":  1,
			"kind=InterfaceEndpoint,ready=false": 2,
		},
		"vpce_endpoints_stalled": {
			"kind=GatewayEndpoint,reason=VPCNotFound":      1,
			"kind=InterfaceEndpoint,reason=SubnetNotFound": 1,
		},
	})

	// One deletion is blocked (AWS refuses DeleteVpcEndpoints of that endpoint,
	// for good: a delete already on its way when the finalizer goes must not
	// succeed later), and someone removes the finalizer by hand: the object
	// goes without the controller finishing its deletion.
	h.get(blocked)
	if err := h.sim.SetIAMPolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ec2:*","Resource":"*"},
		{"Effect":"Deny","Action":"ec2:DeleteVpcEndpoints","Resource":"arn:aws:ec2:*:*:vpc-endpoint/` + blocked.Status.EndpointID + `"}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := h.k.Delete(h.ctx, blocked); err != nil {
		t.Fatal(err)
	}
	h.waitCondition(blocked, v1alpha1.ConditionSynced, metav1.ConditionFalse, "UnauthorizedOperation", 20*time.Second)
	if n := scrape(t, "vpce_endpoints", h.inNamespace("kind", "GatewayEndpoint", "state", "available"))[""]; n != 2 {
		t.Fatalf("vpce_endpoints{state=available} of the gateways = %v while one is being deleted, want 2 (the endpoint still exists)", n)
	}
	h.update(blocked, func() { blocked.Finalizers = nil })
	h.waitGone(blocked, 20*time.Second)
	// The rest, deleted as users do: while Ready, Stalled, and never Ready.
	for _, obj := range all[:5] {
		h.deleteAndWait(obj)
	}
	h.waitGauges(nil)
	if got := len(h.liveEndpoints()); got != 1 {
		t.Fatalf("%d endpoints left in AWS, want only the one whose finalizer was removed by hand", got)
	}
}

// TestEndpointStateGaugeMovesWithTheObject: an object counts once, in the series of
// its current state, and follows a state change in AWS.
func TestEndpointStateGaugeMovesWithTheObject(t *testing.T) {
	h := newHarness(t)
	svc := h.sim.AddEndpointService(ec2sim.EndpointServiceConfig{AcceptanceRequired: true})
	ie := iface("partner", h.fix.VPCID, svc, v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	ie.Spec.PrivateDNS.Enabled = false
	h.create(ie)
	h.waitCondition(ie, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonPendingAcceptance, 20*time.Second)
	h.waitGauges(map[string]map[string]float64{
		"vpce_endpoints":       {"kind=InterfaceEndpoint,state=pendingAcceptance": 1},
		"vpce_endpoints_ready": {"kind=InterfaceEndpoint,ready=false": 1},
	})
	if err := h.sim.AcceptEndpoint(ie.Status.EndpointID); err != nil {
		t.Fatal(err)
	}
	h.waitReady(ie)
	h.waitGauges(map[string]map[string]float64{
		"vpce_endpoints":       {"kind=InterfaceEndpoint,state=available": 1},
		"vpce_endpoints_ready": {"kind=InterfaceEndpoint,ready=true": 1},
	})
	h.deleteAndWait(ie)
	h.waitGauges(nil)
}

// TestGaugesCountAnObjectOnceAcrossInstalls: two installs watch one namespace;
// an object counts in the gauges of the install that claimed it only, and moves
// with a hand-over of the claim.
func TestGaugesCountAnObjectOnceAcrossInstalls(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.startManager("alpha")
	h.startManager("beta")
	gw := gateway("handed-over", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()})
	h.create(gw)
	h.waitReady(gw)
	once := map[string]map[string]float64{
		"vpce_endpoints":       {"kind=GatewayEndpoint,state=available": 1},
		"vpce_endpoints_ready": {"kind=GatewayEndpoint,ready=true": 1},
	}
	h.waitGauges(once)
	to := map[string]string{"alpha": "beta", "beta": "alpha"}[gw.Annotations[v1alpha1.ClaimAnnotation]]
	h.update(gw, func() { gw.Annotations[v1alpha1.ClaimAnnotation] = to })
	h.eventually(30*time.Second, "endpoint re-tagged for "+to, func() error {
		if got := tagsOf(h.endpoint(gw.Status.EndpointID).Tags)["vpce.dev/cluster"]; got != to {
			return fmt.Errorf("cluster tag %q", got)
		}
		return nil
	})
	h.waitGauges(once)
	h.deleteAndWait(gw)
	h.waitGauges(nil)
}
