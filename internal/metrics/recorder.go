package metrics

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	// NamespaceLabel puts each object's namespace into the object_namespace label
	// (--metrics-namespace-label); false leaves the label empty, so a scrape has
	// one series per kind and state, reason or field whatever the namespaces.
	NamespaceLabel bool
}

// Recorder turns reconcile outcomes into the object gauges (vpce_endpoints,
// vpce_endpoints_ready, vpce_endpoints_stalled), the drift counter and the
// time-to-ready histogram. The gauges count live objects only: an object leaves
// them when its deletion finishes, when the reconciler finds it gone (its
// finalizer removed by someone else), and when the manager stops. It implements
// controllers.Observer, and manager.Runnable for that last case.
type Recorder struct {
	opts RecorderOptions

	mu      sync.Mutex
	stopped bool
	objects map[objectKey]objectSeries
}

// objectKey names an object: kind, namespace and name (a deleted object is
// reported by name only).
type objectKey struct {
	kind string
	name types.NamespacedName
}

// objectSeries is where the gauges count one object.
type objectSeries struct {
	kind, namespace string
	// state is the endpoint's AWS state, "none" before it exists.
	state string
	// ready is the Ready condition, "true" or "false".
	ready string
	// stalledReason is the Stalled condition's reason, empty when not Stalled.
	stalledReason string
}

// NewRecorder returns a Recorder.
func NewRecorder(opts RecorderOptions) *Recorder {
	return &Recorder{opts: opts, objects: map[objectKey]objectSeries{}}
}

// Reconciled records one reconcile of obj. obj still holds the status from before
// the reconcile, so a first Ready is recognised. An outcome with Done (deletion
// finished) takes the object out of the gauges.
func (r *Recorder) Reconciled(kind string, obj client.Object, out endpoint.Outcome) {
	r.DriftRepaired(kind, obj, out.DriftFields...)
	namespace := r.namespace(obj.GetNamespace())
	if out.Ready && !wasReady(obj) {
		TimeToReady.WithLabelValues(kind).Observe(time.Since(obj.GetCreationTimestamp().Time).Seconds())
	}
	key := objectKey{kind: kind, name: client.ObjectKeyFromObject(obj)}
	if out.Done {
		r.forget(key)
		return
	}
	now := objectSeries{kind: kind, namespace: namespace, state: out.State, ready: strconv.FormatBool(out.Ready && out.Problem == nil)}
	if !out.Observed {
		now.state = statusState(obj) // the status keeps the state last seen
	}
	if now.state == "" {
		now.state = "none"
	}
	// Stalled as the reconciler sets the condition: a terminal problem outside deletion.
	if out.Problem != nil && out.Problem.Class == awserr.Terminal && obj.GetDeletionTimestamp().IsZero() {
		now.stalledReason = out.Problem.Reason
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	prev, counted := r.objects[key]
	if counted && prev == now {
		return
	}
	if counted {
		gauges.add(prev, -1)
	}
	r.objects[key] = now
	gauges.add(now, 1)
}

// DriftRepaired counts repairs of obj's drift, one per field.
func (r *Recorder) DriftRepaired(kind string, obj client.Object, fields ...string) {
	for _, f := range fields {
		DriftRepairs.WithLabelValues(kind, r.namespace(obj.GetNamespace()), f).Inc()
	}
}

// ExportKinds makes the per-kind counters export a zero for each kind before
// its first count, so dashboards and alerts see the series from the start.
func (r *Recorder) ExportKinds(kinds ...string) {
	for _, k := range kinds {
		SyncsSkipped.WithLabelValues(k)
	}
}

// SyncSkipped counts a periodic sync answered without a full reconcile.
func (r *Recorder) SyncSkipped(kind string) { SyncsSkipped.WithLabelValues(kind).Inc() }

// Forget takes an object that is gone out of the gauges.
func (r *Recorder) Forget(kind string, name types.NamespacedName) {
	r.forget(objectKey{kind: kind, name: name})
}

func (r *Recorder) forget(key objectKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, counted := r.objects[key]; counted {
		gauges.add(prev, -1)
		delete(r.objects, key)
	}
}

// Start waits until the manager stops (or loses the lead), then takes every
// object out of the gauges: a controller that no longer reconciles knows nothing
// current about them.
func (r *Recorder) Start(ctx context.Context) error {
	<-ctx.Done()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	for key, s := range r.objects {
		gauges.add(s, -1)
		delete(r.objects, key)
	}
	return nil
}

// NeedLeaderElection makes the Recorder run alongside the reconcilers, on the leader.
func (r *Recorder) NeedLeaderElection() bool { return true }

func (r *Recorder) namespace(ns string) string {
	if !r.opts.NamespaceLabel {
		return ""
	}
	return ns
}

// gauges holds the object gauges' counts for every Recorder of the process (the
// integration tests run several managers in one).
var gauges = objectGauges{counts: map[gaugeSeries]int{}}

// objectGauges counts objects per series of the object gauges. A series of a
// namespace is deleted when its count drops to zero, so namespaces that come and
// go leave no series behind; without the namespace label a series stays, at zero.
type objectGauges struct {
	mu     sync.Mutex
	counts map[gaugeSeries]int
}

// gaugeSeries is one series of an object gauge: kind, namespace and its third label.
type gaugeSeries struct {
	gauge                  *prometheus.GaugeVec
	kind, namespace, value string
}

// add counts an object in (delta 1) or out of (delta -1) its series.
func (g *objectGauges) add(s objectSeries, delta int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.adjust(gaugeSeries{Endpoints, s.kind, s.namespace, s.state}, delta)
	g.adjust(gaugeSeries{Ready, s.kind, s.namespace, s.ready}, delta)
	if s.stalledReason != "" {
		g.adjust(gaugeSeries{Stalled, s.kind, s.namespace, s.stalledReason}, delta)
	}
}

func (g *objectGauges) adjust(s gaugeSeries, delta int) {
	n := g.counts[s] + delta
	switch {
	case n > 0:
		g.counts[s] = n
		s.gauge.WithLabelValues(s.kind, s.namespace, s.value).Set(float64(n))
	case s.namespace != "":
		delete(g.counts, s)
		s.gauge.DeleteLabelValues(s.kind, s.namespace, s.value)
	default:
		delete(g.counts, s)
		s.gauge.WithLabelValues(s.kind, s.namespace, s.value).Set(0)
	}
}

// statusState is the AWS state obj's status records.
func statusState(obj client.Object) string {
	if e, ok := obj.(v1alpha1.EndpointObject); ok {
		return e.CommonStatus().State
	}
	return ""
}

func wasReady(obj client.Object) bool {
	e, ok := obj.(v1alpha1.EndpointObject)
	return ok && meta.IsStatusConditionTrue(e.CommonStatus().Conditions, v1alpha1.ConditionReady)
}
