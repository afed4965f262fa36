package controllers

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// Quiet syncs. A converged object must still be looked at every sync period.
// Drift in what the controller owns is found by the drift listings, which queue
// the owner at once (awschanges.go), and every change in Kubernetes (the object,
// its connection details, its AWSAccount) queues it too. What the periodic sync
// is left to find is a change to what the spec resolves against: its VPC's
// subnets and route tables. So a converged object is not requeued at all: every
// sync period one sweep per kind (sweepQuiet) compares, for each converged
// object, the inventory stamp of its VPC (ec2cache.Client.InventoryStamp) with
// the one taken before its last full reconcile, and queues it for a full
// reconcile only when the stamp differs, when the object was written since by
// someone else, or when its last full reconcile is older than the full-sync
// period (10 hours by default). A periodic sync of a converged object then costs
// a few map lookups, not a trip through the work queue and a reconcile:
// converging N objects lasts in proportion to N, and every converged object is
// synced meanwhile.

// DefaultFullSyncPeriod is how often a converged object is reconciled in full
// when nothing it depends on changed: controller-runtime's default resync. It is
// a safety net for what no listing compares (an endpoint service's details);
// every full reconcile of every object during a converge that lasts in
// proportion to the objects is CPU that grows with them.
const DefaultFullSyncPeriod = 10 * time.Hour

// queuedMarks remembers the objects queued by anything other than their own
// timed requeue (an informer event, a drift notice, a retry after an error):
// those always get a full reconcile.
type queuedMarks struct{ m sync.Map } // reconcile.Request -> struct{}

func (q *queuedMarks) mark(reqs ...reconcile.Request) {
	for _, r := range reqs {
		q.m.Store(r, struct{}{})
	}
}

// queued reports whether req was queued by an event since the last take.
func (q *queuedMarks) queued(req reconcile.Request) bool {
	if q == nil {
		return true
	}
	_, ok := q.m.Load(req)
	return ok
}

// take reports whether req was queued by an event since the last take, and
// forgets it: the reconcile taking it acts on the event.
func (q *queuedMarks) take(req reconcile.Request) bool {
	if q == nil {
		return true // no marks kept: everything counts as queued by an event
	}
	_, ok := q.m.LoadAndDelete(req)
	return ok
}

// markingQueue is the controller's priority queue, marking what is queued other
// than by a requeue after a delay (a reconcile's own RequeueAfter).
type markingQueue struct {
	priorityqueue.PriorityQueue[reconcile.Request]
	marks *queuedMarks
}

// Add queues an object for an event.
func (q *markingQueue) Add(item reconcile.Request) {
	q.marks.mark(item)
	q.PriorityQueue.Add(item)
}

// AddRateLimited queues an object for a retry.
func (q *markingQueue) AddRateLimited(item reconcile.Request) {
	q.marks.mark(item)
	q.PriorityQueue.AddRateLimited(item)
}

// AddWithOpts queues objects; only a delayed add that is not a retry is a
// reconcile's own requeue.
func (q *markingQueue) AddWithOpts(o priorityqueue.AddOpts, items ...reconcile.Request) {
	if o.After <= 0 || o.RateLimited {
		q.marks.mark(items...)
	}
	q.PriorityQueue.AddWithOpts(o, items...)
}

// newMarkingQueue returns controller-runtime's default priority queue, marking into marks.
func newMarkingQueue(marks *queuedMarks) func(string, workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return func(name string, rl workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
		return &markingQueue{marks: marks, PriorityQueue: priorityqueue.New(name, func(o *priorityqueue.Opts[reconcile.Request]) {
			o.RateLimiter = rl
			o.Log = ctrl.Log.WithName("controller").WithValues("controller", name)
		})}
	}
}

// quietState is what an object's last full reconcile left it at, when it ended
// converged and waiting for its next periodic sync.
type quietState struct {
	uid             types.UID
	generation      int64
	resourceVersion string // after the reconcile's own writes
	fullAt          time.Time
	stamp           uint64 // the inventory stamp taken before it
	// stamper takes the stamp of the object's VPC again (endpoint.Engine.InventoryStamper).
	stamper func(context.Context) (uint64, bool)
	// written is set when the object changed in a way no predicate queues (its
	// status or labels written by someone else): the next sweep queues it.
	written atomic.Bool
}

// due reports whether the object needs a full reconcile at a periodic sync, and
// why (for the log).
func (q *quietState) due(ctx context.Context, fullSyncPeriod time.Duration) (bool, string) {
	switch {
	case q.written.Load():
		return true, "the object was written by someone else"
	case time.Since(q.fullAt) >= fullSyncPeriod:
		return true, "full-sync period"
	}
	stamp, ok := q.stamper(ctx)
	switch {
	case !ok:
		return true, "the inventory could not be read"
	case stamp != q.stamp:
		return true, "the VPC's subnets or route tables changed"
	}
	return false, ""
}

// fullSyncPeriod is how long a converged object may go without a full reconcile
// (negative: every sync is full).
func (r *endpointReconciler) fullSyncPeriod() time.Duration {
	if r.opts.FullSyncPeriod != 0 {
		return r.opts.FullSyncPeriod
	}
	return DefaultFullSyncPeriod
}

// quietSyncs reports whether periodic syncs may be answered by a comparison:
// only while drift listings queue the objects whose resources changed.
func (r *endpointReconciler) quietSyncs() bool {
	return r.opts.AWSChanges != nil && r.fullSyncPeriod() > 0
}

// quiet reports whether this reconcile is a periodic sync with nothing to do:
// the object is as its last full reconcile left it (converged, same generation
// and resourceVersion), nothing but its own requeue queued it, that reconcile is
// younger than the full-sync period, and its VPC's inventory stamp is unchanged.
// It runs before anything else a reconcile does, so such a sync costs the read
// from the informer cache and a few map lookups.
func (r *endpointReconciler) quiet(ctx context.Context, req reconcile.Request, obj client.Object) bool {
	if !r.quietSyncs() || r.marks.queued(req) || !obj.GetDeletionTimestamp().IsZero() {
		return false
	}
	v, found := r.quietAt.Load(req.NamespacedName)
	if !found {
		return false
	}
	q := v.(*quietState)
	if q.uid != obj.GetUID() || q.generation != obj.GetGeneration() || q.resourceVersion != obj.GetResourceVersion() ||
		!meta.IsStatusConditionTrue(r.kind.common(obj).Conditions, v1alpha1.ConditionReady) {
		return false
	}
	due, _ := q.due(ctx, r.fullSyncPeriod())
	return !due
}

// stampBefore takes, before a full reconcile that may leave the object
// converged, the inventory stamp of the VPC its endpoint is in, and returns
// what takes it again (nil: none to be had, as for an object with no VPC yet).
func (r *endpointReconciler) stampBefore(ctx context.Context, obj client.Object, req endpoint.Request) (stamp uint64, stamper func(context.Context) (uint64, bool)) {
	c := r.kind.common(obj)
	if !r.quietSyncs() || c.VPCID == "" || !obj.GetDeletionTimestamp().IsZero() {
		return 0, nil
	}
	stamper = r.engine.InventoryStamper(req, c.VPCID)
	if stamper == nil {
		return 0, nil
	}
	stamp, ok := stamper(ctx)
	if !ok {
		return 0, nil
	}
	return stamp, stamper
}

// settles reports whether a full reconcile leaves the object converged with a
// stamp to compare: its periodic syncs are then the sweep's, not the queue's.
func settles(obj client.Object, out endpoint.Outcome, stamper func(context.Context) (uint64, bool)) bool {
	return stamper != nil && out.Problem == nil && !out.Done && out.Poll == 0 && out.Ready && obj.GetDeletionTimestamp().IsZero()
}

// settle records, after a full reconcile, whether the object is left converged
// (the sweep then syncs it), or not (its own requeue does).
func (r *endpointReconciler) settle(obj client.Object, out endpoint.Outcome, fullAt time.Time, stamp uint64, stamper func(context.Context) (uint64, bool)) {
	key := client.ObjectKeyFromObject(obj)
	if !settles(obj, out, stamper) {
		r.quietAt.Delete(key)
		return
	}
	r.quietAt.Store(key, &quietState{uid: obj.GetUID(), generation: obj.GetGeneration(), resourceVersion: obj.GetResourceVersion(),
		fullAt: fullAt, stamp: stamp, stamper: stamper})
}

// noteWritten marks a converged object written by someone else since its last
// full reconcile (an update no predicate lets through): the next sweep queues
// it, as its periodic sync would have. It never filters an event.
func (r *endpointReconciler) noteWritten() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		if v, ok := r.quietAt.Load(client.ObjectKeyFromObject(e.ObjectNew)); ok {
			if q := v.(*quietState); q.resourceVersion != e.ObjectNew.GetResourceVersion() {
				q.written.Store(true)
			}
		}
		return true
	}}
}

// sweepQuiet is the periodic sync of the converged objects, while the
// controller runs: every 80-90% of the sync period it queues those due a full
// reconcile (quietState.due) and counts the others' syncs as skipped. An object
// that is not converged is not in quietAt: its own requeue brings it back.
func (r *endpointReconciler) sweepQuiet(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	log := logf.FromContext(ctx).WithValues("controller", r.kind.name())
	ctx = awsclient.WithObject(ctx, "periodic sync of "+r.kind.name()+" objects")
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.syncAgain().RequeueAfter):
		}
		queued, skipped := 0, 0
		r.quietAt.Range(func(k, v any) bool {
			if ctx.Err() != nil {
				return false
			}
			key := k.(types.NamespacedName)
			if due, why := v.(*quietState).due(ctx, r.fullSyncPeriod()); due {
				log.V(2).Info("Periodic sync reconciles", "namespace", key.Namespace, "name", key.Name, "reason", why)
				q.Add(reconcile.Request{NamespacedName: key})
				queued++
				return true
			}
			skipped++
			if r.metrics != nil {
				r.metrics.SyncSkipped(r.kind.name())
			}
			return true
		})
		log.V(1).Info("Periodic sync of converged objects", "queued", queued, "unchanged", skipped)
	}
}

// watchQuiet runs the kind's sweep while its controller runs (when quiet syncs
// are on), and marks converged objects written by someone else.
func (r *endpointReconciler) watchQuiet(b *builder.Builder) *builder.Builder {
	if !r.quietSyncs() {
		return b
	}
	return b.WatchesRawSource(source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		go r.sweepQuiet(ctx, q)
		return nil
	}))
}
