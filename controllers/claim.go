package controllers

import (
	"context"
	"maps"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// claimedBy returns the install that claimed obj ("" when none did).
func claimedBy(obj client.Object) string { return obj.GetAnnotations()[v1alpha1.ClaimAnnotation] }

// claim makes sure this install may act on obj, before any AWS call or status
// write. Another install's claim is left alone: the object is skipped with an
// event and a log line, and neither the claim nor the finalizer is touched. An
// unclaimed live object gets this install's claim and the finalizer in one patch
// that the API server applies only to the version read (optimistic lock), so of
// two installs racing for a new object exactly one wins; the other reads the
// winner's claim on its next reconcile. A deleted object is claimed only when it
// carries the finalizer (put on by a version of the controller that did not claim
// yet): otherwise nothing of it was ever made.
func (r *endpointReconciler) claim(ctx context.Context, obj client.Object) (mine bool, err error) {
	owner, me := claimedBy(obj), r.opts.claimIdentity()
	switch {
	case owner == me:
		if obj.GetDeletionTimestamp().IsZero() && !controllerutil.ContainsFinalizer(obj, v1alpha1.Finalizer) {
			return true, r.patchClaim(ctx, obj)
		}
		return true, nil
	case owner != "" && owner == r.opts.ClusterName && r.opts.Shard.sharded():
		// The cluster's unsharded install claimed it: a shard that selects the
		// object takes it over (the same cluster, so the same AWS ownership tags).
		logf.FromContext(ctx).Info("Taking over an object from this cluster's unsharded install", "claimedBy", owner, "shard", r.opts.Shard.Name)
		return true, r.patchClaim(ctx, obj)
	case owner != "":
		logf.FromContext(ctx).Info("Skipping an object another install of the controller claimed", "claimedBy", owner, "claimIdentity", me)
		r.recorder.Eventf(obj, nil, "Normal", v1alpha1.EventClaimedElsewhere, "Skip", "%s", r.skipMessage(owner))
		return false, nil
	case !obj.GetDeletionTimestamp().IsZero() && !controllerutil.ContainsFinalizer(obj, v1alpha1.Finalizer):
		return false, nil
	}
	return true, r.patchClaim(ctx, obj)
}

// patchClaim writes the claim annotation and the finalizer in one
// optimistically locked patch.
func (r *endpointReconciler) patchClaim(ctx context.Context, obj client.Object) error {
	base := obj.DeepCopyObject().(client.Object)
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[v1alpha1.ClaimAnnotation] = r.opts.claimIdentity()
	obj.SetAnnotations(ann)
	if obj.GetDeletionTimestamp().IsZero() {
		controllerutil.AddFinalizer(obj, v1alpha1.Finalizer)
	}
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	r.memo.wrote(obj)
	return nil
}

// annotationsChanged lets through annotation changes other than the first claim:
// a claim written by this install (or another) on a new object needs no second
// reconcile, while a claim handed over from one install to another, or released
// by a shard, does.
func annotationsChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		oldAnn, newAnn := maps.Clone(e.ObjectOld.GetAnnotations()), maps.Clone(e.ObjectNew.GetAnnotations())
		if oldAnn[v1alpha1.ClaimAnnotation] == "" {
			delete(oldAnn, v1alpha1.ClaimAnnotation)
			delete(newAnn, v1alpha1.ClaimAnnotation)
		}
		return !maps.Equal(oldAnn, newAnn)
	}}
}
