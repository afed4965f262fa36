package controllers

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Only a reconcile's own delayed requeue leaves an object unmarked: every other
// way into the queue (an informer event, a drift notice, a retry after an error)
// marks it for a full reconcile, so a quiet sync never swallows an event.
func TestQueueMarksEverythingButADelayedRequeue(t *testing.T) {
	marks := &queuedMarks{}
	q := newMarkingQueue(marks)("marking-test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]()).(priorityqueue.PriorityQueue[reconcile.Request])
	defer q.ShutDown()
	for i, tc := range []struct {
		what   string
		add    func(reconcile.Request)
		marked bool
	}{
		{"Add (informer event, drift notice)", q.Add, true},
		{"AddRateLimited", q.AddRateLimited, true},
		{"AddWithOpts now, low priority (initial list)", func(r reconcile.Request) { q.AddWithOpts(priorityqueue.AddOpts{Priority: new(-100)}, r) }, true},
		{"AddWithOpts rate limited (error retry)", func(r reconcile.Request) { q.AddWithOpts(priorityqueue.AddOpts{RateLimited: true}, r) }, true},
		{"AddWithOpts after a delay (RequeueAfter)", func(r reconcile.Request) { q.AddWithOpts(priorityqueue.AddOpts{After: time.Hour}, r) }, false},
	} {
		req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: fmt.Sprint("o", i)}}
		tc.add(req)
		if got := marks.take(req); got != tc.marked {
			t.Errorf("%s: marked %v, want %v", tc.what, got, tc.marked)
		}
		if marks.take(req) {
			t.Errorf("%s: still marked after take", tc.what)
		}
	}
}
