package metrics

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// Recorder turns reconcile outcomes into the endpoint, drift and time-to-ready
// metrics. It implements controllers.Observer.
type Recorder struct {
	mu    sync.Mutex
	state map[string][2]string // object UID -> kind, state
}

// NewRecorder returns a Recorder.
func NewRecorder() *Recorder { return &Recorder{state: map[string][2]string{}} }

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
	state := out.State
	if state == "" {
		state = "none"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.state[uid]; ok {
		Endpoints.WithLabelValues(prev[0], prev[1]).Dec()
	}
	if out.Done {
		delete(r.state, uid)
		return
	}
	r.state[uid] = [2]string{kind, state}
	Endpoints.WithLabelValues(kind, state).Inc()
}

func wasReady(obj client.Object) bool {
	e, ok := obj.(v1alpha1.EndpointObject)
	return ok && meta.IsStatusConditionTrue(e.CommonStatus().Conditions, v1alpha1.ConditionReady)
}
