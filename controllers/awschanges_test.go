package controllers

import (
	"fmt"
	"testing"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// Every object whose AWS resources changed is reconciled, however many change
// at once (drift in every object of a 10,000-object fleet, or notices made
// before the controllers start), and an object noticed twice is reconciled
// once: no notice is dropped to a full buffer.
func TestAWSChangesKeepsEveryObject(t *testing.T) {
	const objects = 20000
	a := NewAWSChanges()
	notify := func(from, to int) {
		for i := from; i < to; i++ {
			a.Notify(ec2cache.Change{Resource: "VpcEndpoint", Type: "Gateway", Owner: fmt.Sprintf("ns/gw-%d", i)})
		}
	}
	// Half before the controller starts, twice each; the rest after.
	notify(0, objects/2)
	notify(0, objects/2)
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	a.start(gatewayKind{}.name(), q)
	notify(objects/2, objects)
	notify(objects/2, objects)
	if q.Len() != objects {
		t.Fatalf("%d reconciles queued for %d changed objects", q.Len(), objects)
	}
	// Another kind's queue gets nothing from gateway endpoints' notices.
	other := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer other.ShutDown()
	a.start(interfaceKind{}.name(), other)
	if other.Len() != 0 {
		t.Fatalf("interface queue got %d gateway notices", other.Len())
	}
	// A notice without an owner reconciles nothing.
	a.Notify(ec2cache.Change{Resource: "VpcEndpoint", Type: "Gateway", Owner: "no-namespace"})
	if q.Len() != objects {
		t.Fatalf("a notice without an owner was queued")
	}
}
