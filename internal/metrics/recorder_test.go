package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// samples returns the series of a metric whose object_namespace is ns, by their
// labels (kind and the third label, "kind/value"), with their values.
func samples(t *testing.T, c prometheus.Collector, ns string) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 100)
	go func() { c.Collect(ch); close(ch) }()
	out := map[string]float64{}
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		var rest []string
		for _, l := range pb.GetLabel() {
			labels[l.GetName()] = l.GetValue()
			if l.GetName() != "kind" && l.GetName() != metrics.LabelObjectNamespace {
				rest = append(rest, l.GetValue())
			}
		}
		if labels[metrics.LabelObjectNamespace] != ns {
			continue
		}
		v := pb.GetGauge().GetValue()
		if pb.Counter != nil {
			v = pb.GetCounter().GetValue()
		}
		out[labels["kind"]+"/"+strings.Join(rest, "/")] = v
	}
	return out
}

func object(ns, name string) *v1alpha1.GatewayEndpoint {
	return &v1alpha1.GatewayEndpoint{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(ns + "-" + name)}}
}

func deleting(obj *v1alpha1.GatewayEndpoint) *v1alpha1.GatewayEndpoint {
	d := obj.DeepCopy()
	now := metav1.Now()
	d.DeletionTimestamp = &now
	return d
}

var (
	available = endpoint.Outcome{State: "available", Ready: true, Observed: true}
	pending   = endpoint.Outcome{State: "pending", Observed: true}
	stalled   = endpoint.Outcome{Problem: &endpoint.Problem{Reason: "VPCNotFound", Class: awserr.Terminal}}
	draining  = endpoint.Outcome{State: "deleting", Observed: true}
	done      = endpoint.Outcome{Done: true}
)

func TestStalledGaugeFollowsTheStalledCondition(t *testing.T) {
	r := metrics.NewRecorder(metrics.RecorderOptions{NamespaceLabel: true})
	obj := object("stalled-follows", "s3")
	stalledNow := func() float64 { return samples(t, metrics.Stalled, obj.Namespace)["GatewayEndpoint/VPCNotFound"] }

	r.Reconciled("GatewayEndpoint", obj, stalled)
	if got := stalledNow(); got != 1 {
		t.Fatalf("after a terminal problem the gauge is %v, want 1", got)
	}
	r.Reconciled("GatewayEndpoint", obj, stalled)
	if got := stalledNow(); got != 1 {
		t.Fatalf("a second reconcile of the same stalled object set the gauge to %v, want 1", got)
	}
	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Problem: &endpoint.Problem{Reason: "AWSUnavailable", Class: awserr.Retryable}})
	if got := stalledNow(); got != 0 {
		t.Fatalf("a retryable problem left the stalled gauge at %v; only terminal problems stall", got)
	}
	r.Reconciled("GatewayEndpoint", obj, stalled)
	r.Reconciled("GatewayEndpoint", deleting(obj), draining)
	if got := stalledNow(); got != 0 {
		t.Fatalf("an object being deleted counts as Stalled (%v): deletion clears the condition", got)
	}
}

// TestGaugesCountLiveObjectsOnly: however an object goes (its deletion finished,
// its finalizer removed by someone else, the manager stopped), every gauge of its
// namespace is back to zero, and no series of the namespace is left.
func TestGaugesCountLiveObjectsOnly(t *testing.T) {
	type step struct {
		deleting bool
		out      endpoint.Outcome
	}
	cases := []struct {
		name  string
		steps []step
		// forget: the reconciler finds the object gone; stop: the manager stops.
		forget, stop bool
	}{
		{name: "ready-then-deleted", steps: []step{{out: pending}, {out: available}, {deleting: true, out: draining}, {deleting: true, out: done}}},
		{name: "stalled-then-deleted", steps: []step{{out: stalled}, {out: stalled}, {deleting: true, out: done}}},
		{name: "never-ready-deleted", steps: []step{{out: pending}, {deleting: true, out: done}}},
		{name: "finalizer-removed-while-deleting", steps: []step{{out: available}, {deleting: true, out: draining}}, forget: true},
		{name: "finalizer-removed-while-stalled", steps: []step{{out: stalled}}, forget: true},
		{name: "manager-stopped", steps: []step{{out: available}, {out: stalled}}, stop: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := metrics.NewRecorder(metrics.RecorderOptions{NamespaceLabel: true})
			ctx, stop := context.WithCancel(context.Background())
			started := make(chan error, 1)
			go func() { started <- r.Start(ctx) }()
			ns := "live-" + c.name
			objs := []*v1alpha1.GatewayEndpoint{object(ns, "a"), object(ns, "b")}
			for _, s := range c.steps {
				for _, obj := range objs {
					o := obj
					if s.deleting {
						o = deleting(obj)
					}
					r.Reconciled("GatewayEndpoint", o, s.out)
				}
				if got := samples(t, metrics.Endpoints, ns); len(got) == 0 && !s.out.Done {
					t.Fatalf("after %+v: no vpce_endpoints series for the namespace", s.out)
				}
			}
			if got := samples(t, metrics.Ready, ns); !c.stop && !c.forget && len(got) != 0 {
				t.Fatalf("vpce_endpoints_ready after every deletion finished: %v", got)
			}
			if c.forget {
				for _, obj := range objs {
					r.Forget("GatewayEndpoint", types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name})
				}
			}
			stop()
			if err := <-started; err != nil {
				t.Fatal(err)
			}
			if c.stop {
				// A reconcile finishing after the stop counts nothing.
				r.Reconciled("GatewayEndpoint", objs[0], available)
			}
			for name, g := range map[string]prometheus.Collector{"vpce_endpoints": metrics.Endpoints, "vpce_endpoints_ready": metrics.Ready, "vpce_endpoints_stalled": metrics.Stalled} {
				if got := samples(t, g, ns); len(got) != 0 {
					t.Errorf("%s still has series for namespace %s: %v", name, ns, got)
				}
			}
		})
	}
}

// TestWithoutNamespaceLabelSeriesStayAtZero: with --metrics-namespace-label=false
// the label is empty, the series are per kind and state, and they go back to zero.
func TestWithoutNamespaceLabelSeriesStayAtZero(t *testing.T) {
	r := metrics.NewRecorder(metrics.RecorderOptions{})
	kind := "NoNamespaceLabelKind" // a kind of its own: other tests do not touch its series
	a, b := object("team-a", "x"), object("team-b", "x")
	r.Reconciled(kind, a, available)
	r.Reconciled(kind, b, available)
	r.Reconciled(kind, b, endpoint.Outcome{State: "available", Ready: true, Observed: true, DriftFields: []string{endpoint.DriftTags}})
	if got := samples(t, metrics.Endpoints, "")[kind+"/available"]; got != 2 {
		t.Fatalf("vpce_endpoints{object_namespace=\"\",state=available} = %v, want 2 (both namespaces in one series)", got)
	}
	if got := samples(t, metrics.DriftRepairs, "")[kind+"/tags"]; got != 1 {
		t.Fatalf("vpce_drift_repairs_total{object_namespace=\"\",field=tags} = %v, want 1", got)
	}
	r.Reconciled(kind, deleting(a), done)
	r.Forget(kind, types.NamespacedName{Namespace: b.Namespace, Name: b.Name})
	got := samples(t, metrics.Endpoints, "")
	if v, ok := got[kind+"/available"]; !ok || v != 0 {
		t.Fatalf("vpce_endpoints after both objects went: %v, want the series at 0", got)
	}
	if v, ok := samples(t, metrics.Ready, "")[kind+"/true"]; !ok || v != 0 {
		t.Fatalf("vpce_endpoints_ready{ready=true} after both objects went = %v (present %v), want 0", v, ok)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		if got := samples(t, metrics.Endpoints, ns); len(got) > 0 {
			t.Fatalf("a series carries namespace %s although the label is off: %v", ns, got)
		}
	}
}

// TestReadyGaugePerNamespace: vpce_endpoints_ready counts the objects of each
// namespace by their Ready condition, and an object moves between its series.
func TestReadyGaugePerNamespace(t *testing.T) {
	r := metrics.NewRecorder(metrics.RecorderOptions{NamespaceLabel: true})
	a1, a2, b := object("ready-team-a", "one"), object("ready-team-a", "two"), object("ready-team-b", "one")
	r.Reconciled("GatewayEndpoint", a1, available)
	r.Reconciled("GatewayEndpoint", a2, pending)
	r.Reconciled("GatewayEndpoint", b, stalled)
	want := map[string]map[string]float64{
		"ready-team-a": {"GatewayEndpoint/true": 1, "GatewayEndpoint/false": 1},
		"ready-team-b": {"GatewayEndpoint/false": 1},
	}
	for ns, w := range want {
		if got := samples(t, metrics.Ready, ns); !equal(got, w) {
			t.Fatalf("vpce_endpoints_ready of %s = %v, want %v", ns, got, w)
		}
	}
	// A Ready object with a problem (Synced=False) is not Ready.
	r.Reconciled("GatewayEndpoint", a1, endpoint.Outcome{State: "available", Ready: true, Observed: true, Problem: &endpoint.Problem{Reason: "Throttled", Class: awserr.Throttled}})
	r.Reconciled("GatewayEndpoint", a2, available)
	if got, w := samples(t, metrics.Ready, "ready-team-a"), map[string]float64{"GatewayEndpoint/true": 1, "GatewayEndpoint/false": 1}; !equal(got, w) {
		t.Fatalf("vpce_endpoints_ready of ready-team-a = %v, want %v", got, w)
	}
	if got := testutil.ToFloat64(metrics.Ready.WithLabelValues("GatewayEndpoint", "ready-team-b", "false")); got != 1 {
		t.Fatalf("ready-team-b not ready = %v", got)
	}
}

func equal(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestStateIsTheStatusState: a reconcile that did not look at the endpoint (an
// AWS error) leaves the state the status shows, and so does the gauge.
func TestStateIsTheStatusState(t *testing.T) {
	r := metrics.NewRecorder(metrics.RecorderOptions{NamespaceLabel: true})
	obj := object("state-kept", "s3")
	obj.Status.State = "available"
	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Problem: &endpoint.Problem{Reason: "AWSUnavailable", Class: awserr.Retryable}})
	if got, want := samples(t, metrics.Endpoints, obj.Namespace), map[string]float64{"GatewayEndpoint/available": 1}; !equal(got, want) {
		t.Fatalf("vpce_endpoints = %v, want %v", got, want)
	}
	r.Forget("GatewayEndpoint", types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name})
}
