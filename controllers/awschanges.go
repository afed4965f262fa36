package controllers

import (
	"strings"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// AWSChanges turns the snapshot cache's change notices (an owned endpoint or
// security group that looks different in AWS than at the previous read) into
// reconciles of the objects that own them, so drift is repaired within the
// cache's listing interval rather than the sync period, and a change the
// controller made is confirmed as soon as a read shows it.
type AWSChanges struct {
	byKind map[string]chan event.GenericEvent
	// Dropped counts notices lost to a full queue (the sync period still finds them).
	Dropped atomic.Int64
}

// changeBuffer is how many notices wait for a controller to take them.
const changeBuffer = 16384

// NewAWSChanges returns the fan-out to the kinds' controllers.
func NewAWSChanges() *AWSChanges {
	return &AWSChanges{byKind: map[string]chan event.GenericEvent{
		gatewayKind{}.name():         make(chan event.GenericEvent, changeBuffer),
		interfaceKind{}.name():       make(chan event.GenericEvent, changeBuffer),
		instanceConnectKind{}.name(): make(chan event.GenericEvent, changeBuffer),
	}}
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
	for _, k := range kindsOf(c) {
		ev := event.GenericEvent{Object: &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
		select {
		case a.byKind[k] <- ev:
		default:
			a.Dropped.Add(1)
		}
	}
}

// watchAWS adds the kind's change notices to a controller.
func watchAWS(b *builder.Builder, a *AWSChanges, kind string) *builder.Builder {
	if a == nil {
		return b
	}
	return b.WatchesRawSource(source.Channel[client.Object](a.byKind[kind], &handler.EnqueueRequestForObject{}))
}
