package controllers

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// AWSChanges turns the snapshot cache's change notices (an owned endpoint or
// security group that looks different in AWS than at the previous read) into
// reconciles of the objects that own them, so drift is repaired within the
// cache's listing interval rather than the sync period, and a change the
// controller made is confirmed as soon as a read shows it. A notice goes
// straight into the kind's work queue, which keeps one entry per object
// however many notices it gets: memory grows with the objects waiting, not
// with a buffer sized for the largest fleet, and no notice is lost.
type AWSChanges struct {
	mu sync.Mutex
	// queues are the kinds' work queues, set when their controllers start.
	queues map[string]workqueue.TypedRateLimitingInterface[reconcile.Request]
	// early holds, per kind, the objects noticed before its controller started.
	early map[string]map[types.NamespacedName]struct{}
}

// NewAWSChanges returns the fan-out to the kinds' controllers.
func NewAWSChanges() *AWSChanges {
	return &AWSChanges{
		queues: map[string]workqueue.TypedRateLimitingInterface[reconcile.Request]{},
		early:  map[string]map[types.NamespacedName]struct{}{},
	}
}

// kindsOf names the kinds whose objects may own the changed resource.
func kindsOf(c ec2cache.Change) []string {
	switch {
	case c.Resource == "VpcEndpoint" && c.Type == "Gateway":
		return []string{gatewayKind{}.name()}
	case c.Resource == "VpcEndpoint" && c.Type == "Interface":
		return []string{interfaceKind{}.name()}
	case c.Resource == "InstanceConnectEndpoint":
		return []string{instanceConnectKind{}.name()}
	case c.Resource == "SecurityGroup":
		// Managed groups belong to interface or Instance Connect endpoints; the
		// kind without an object of that name finds nothing to do.
		return []string{interfaceKind{}.name(), instanceConnectKind{}.name()}
	}
	return nil
}

// Notify queues a reconcile of the owner of a changed resource. It never blocks.
func (a *AWSChanges) Notify(c ec2cache.Change) {
	ns, name, ok := strings.Cut(c.Owner, "/")
	if a == nil || !ok || ns == "" || name == "" {
		return
	}
	key := types.NamespacedName{Namespace: ns, Name: name}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range kindsOf(c) {
		if q := a.queues[k]; q != nil {
			q.Add(reconcile.Request{NamespacedName: key})
			continue
		}
		if a.early[k] == nil {
			a.early[k] = map[types.NamespacedName]struct{}{}
		}
		a.early[k][key] = struct{}{}
	}
}

// start hands the kind's notices to its controller's queue from now on, with
// those that came before.
func (a *AWSChanges) start(kind string, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queues[kind] = q
	for key := range a.early[kind] {
		q.Add(reconcile.Request{NamespacedName: key})
	}
	delete(a.early, kind)
}

// watchAWS adds the kind's change notices to a controller.
func watchAWS(b *builder.Builder, a *AWSChanges, kind string) *builder.Builder {
	if a == nil {
		return b
	}
	return b.WatchesRawSource(source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		a.start(kind, q)
		return nil
	}))
}
