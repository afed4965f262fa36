package controllers

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// writeMemo remembers, per object, the resourceVersion of the controller's last
// write to it. A reconcile that starts from an informer copy older than that
// write reads the object from the API server instead: the status it computes is
// compared with the one it started from, and a stale copy would hide a write
// that is needed (a status that went A, B, A again in quick reconciles would stay
// at B until the next retry, minutes away for a refused object).
type writeMemo struct{ m sync.Map }

// fresh replaces obj with the API server's copy when the cached one may predate
// the controller's last write.
func (w *writeMemo) fresh(ctx context.Context, reader client.Reader, obj client.Object) error {
	rv, ok := w.m.Load(obj.GetUID())
	if !ok || rv.(string) == obj.GetResourceVersion() {
		return nil
	}
	return reader.Get(ctx, client.ObjectKeyFromObject(obj), obj)
}

// wrote records the resourceVersion of a write.
func (w *writeMemo) wrote(obj client.Object) { w.m.Store(obj.GetUID(), obj.GetResourceVersion()) }

// forget drops an object that is gone.
func (w *writeMemo) forget(uid types.UID) { w.m.Delete(uid) }
