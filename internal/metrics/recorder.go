package metrics

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// Recorder turns reconcile outcomes into the endpoint, stalled, drift and
// time-to-ready metrics. It implements controllers.Observer.
type Recorder struct {
	mu    sync.Mutex
	state map[string]objectState // by object UID
}

// objectState is what the gauges last counted an object as.
type objectState struct {
	kind, state string
	// stalledReason is the Stalled condition's reason, empty when not Stalled.
	stalledReason string
}

// NewRecorder returns a Recorder.
func NewRecorder() *Recorder { return &Recorder{state: map[string]objectState{}} }

// Reconciled records one reconcile of obj. obj still holds the status from before
// the reconcile, so a first Ready is recognised.
func (r *Recorder) Reconciled(kind string, obj client.Object, out endpoint.Outcome) {
	uid := string(obj.GetUID())
	for _, f := range out.DriftFields {
		DriftRepairs.WithLabelValues(kind, f).Inc()
	}
	if out.Ready && !wasReady(obj) {
		TimeToReady.WithLabelValues(kind).Observe(time.Since(obj.GetCreationTimestamp().Time).Seconds())
	}
	now := objectState{kind: kind, state: out.State}
	if now.state == "" {
		now.state = "none"
	}
	// Stalled as the reconciler sets the condition: a terminal problem outside deletion.
	if out.Problem != nil && out.Problem.Class == awserr.Terminal && obj.GetDeletionTimestamp().IsZero() {
		now.stalledReason = out.Problem.Reason
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.state[uid]; ok {
		Endpoints.WithLabelValues(prev.kind, prev.state).Dec()
		if prev.stalledReason != "" {
			Stalled.WithLabelValues(prev.kind, prev.stalledReason).Dec()
		}
	}
	if out.Done {
		delete(r.state, uid)
		return
	}
	r.state[uid] = now
	Endpoints.WithLabelValues(kind, now.state).Inc()
	if now.stalledReason != "" {
		Stalled.WithLabelValues(kind, now.stalledReason).Inc()
	}
}

func wasReady(obj client.Object) bool {
	e, ok := obj.(v1alpha1.EndpointObject)
	return ok && meta.IsStatusConditionTrue(e.CommonStatus().Conditions, v1alpha1.ConditionReady)
}
