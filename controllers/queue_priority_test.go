package controllers

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// TestBookedTurnGoesBeforeQueuedObjects: an object sent away by the client-side
// EC2 rate limit holds a token reserved for when it comes back. When that time
// comes, it is reconciled before the objects that were queued meanwhile (here
// 50 new objects, as when a throttled account's objects keep a long queue), so
// its account and region's token is used when it falls due rather than after
// the whole queue. Once it has had its turn, its next reconciles queue like any
// other object's again. The queue is controller-runtime's, as the manager runs
// it; the test waits on the queue's state, not on time.
func TestBookedTurnGoesBeforeQueuedObjects(t *testing.T) {
	r := &endpointReconciler{tracker: backoff.NewTracker(backoff.DefaultPolicy), opts: Options{SyncPeriod: time.Hour}}
	q := priorityqueue.New[ctrl.Request]("booked-turn-test")
	defer q.ShutDown()
	key := func(name string) ctrl.Request {
		return ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "tenant-a", Name: name}}
	}
	obj := &v1alpha1.GatewayEndpoint{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "booked", UID: "uid-booked"}}
	// requeue adds the object back as controller-runtime does with a reconcile's result.
	requeue := func(res ctrl.Result) {
		q.AddWithOpts(priorityqueue.AddOpts{After: res.RequeueAfter, Priority: res.Priority}, key(obj.Name))
	}

	const queued = 50
	for i := range queued {
		q.Add(key(fmt.Sprintf("new-%02d", i)))
	}
	// Its reconcile was sent away: its token falls due in a millisecond.
	requeue(r.next(obj, endpoint.Outcome{Poll: time.Millisecond, PollExact: true}))
	waitQueueLen(t, q, queued+1)
	if got, _ := q.Get(); got != key(obj.Name) {
		t.Fatalf("the object whose booked turn at the rate limit came was not reconciled first: %s was, ahead of it", got)
	}
	q.Done(key(obj.Name))

	// It had its turn: a poll while AWS provisions queues behind the others.
	requeue(r.next(obj, endpoint.Outcome{Poll: time.Millisecond}))
	waitQueueLen(t, q, queued+1)
	if got, _ := q.Get(); got == key(obj.Name) {
		t.Fatalf("an object polling AWS went before %d objects queued ahead of it: the priority of its booked turn stuck", queued)
	}
}

// waitQueueLen waits until n items are ready in q.
func waitQueueLen(t *testing.T, q priorityqueue.PriorityQueue[ctrl.Request], n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for q.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d items ready in the queue after 30s, want %d", q.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
