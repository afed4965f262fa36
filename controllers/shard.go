package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// Shard is the share of a cluster's endpoint objects one manager serves when
// several managers of one cluster (one --cluster-name) split the objects between
// them. The zero value is no shard: every object the manager watches.
type Shard struct {
	// Name (--shard-name) tells this manager from the cluster's other shards: its
	// claim on an object is "<cluster-name>/<shard-name>".
	Name string
	// Namespaces (--shard-namespace-selector) selects objects by the labels of
	// their namespace; nil selects every namespace.
	Namespaces labels.Selector
	// Accounts (--shard-accounts) selects objects by the AWSAccount they use
	// (spec.accountRef, else --default-account); empty selects every account.
	Accounts []string
}

// sharded reports whether the manager serves a share of the objects only.
func (s Shard) sharded() bool { return s.Name != "" }

// String describes the shard for logs and events.
func (s Shard) String() string {
	var parts []string
	if s.Namespaces != nil {
		parts = append(parts, "namespaces "+s.Namespaces.String())
	}
	if len(s.Accounts) > 0 {
		parts = append(parts, "accounts "+strings.Join(s.Accounts, ","))
	}
	if len(parts) == 0 {
		return "every object"
	}
	return strings.Join(parts, " and ")
}

// ClaimIdentity is what an install writes into the claim annotation: its
// --cluster-name, followed by "/<shard-name>" when it is one shard of the
// cluster's managers. Cluster names contain no '/', so the two never mix.
func ClaimIdentity(cluster, shard string) string {
	if shard == "" {
		return cluster
	}
	return cluster + "/" + shard
}

// claimCluster is the --cluster-name part of a claim.
func claimCluster(claim string) string {
	cluster, _, _ := strings.Cut(claim, "/")
	return cluster
}

// claimShard is the shard part of a claim ("" for an unsharded install).
func claimShard(claim string) string {
	_, shard, _ := strings.Cut(claim, "/")
	return shard
}

// claimIdentity is this install's claim value.
func (o Options) claimIdentity() string { return ClaimIdentity(o.ClusterName, o.Shard.Name) }

// selects reports whether obj belongs to the shard: its namespace's labels match
// the namespace selector, and its AWSAccount is among the shard's accounts. The
// namespace is read from the informer cache.
func (o Options) selects(ctx context.Context, c client.Reader, obj client.Object) (bool, error) {
	s := o.Shard
	if len(s.Accounts) > 0 && !slices.Contains(s.Accounts, effectiveAccount(obj, o)) {
		return false, nil
	}
	if s.Namespaces == nil || s.Namespaces.Empty() {
		return true, nil
	}
	var ns corev1.Namespace
	if err := c.Get(ctx, client.ObjectKey{Name: obj.GetNamespace()}, &ns); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return s.Namespaces.Matches(labels.Set(ns.Labels)), nil
}

// shardPredicate lets through the events of the shard's objects, and of objects
// this shard claimed (so that it can give up those that left it). Events of the
// cluster's other objects never reach the work queue.
func shardPredicate(c client.Reader, o Options) predicate.Predicate {
	if !o.Shard.sharded() {
		return predicate.NewPredicateFuncs(func(client.Object) bool { return true })
	}
	return predicate.NewPredicateFuncs(func(obj client.Object) bool {
		if claimedBy(obj) == o.claimIdentity() {
			return true
		}
		in, err := o.selects(context.Background(), c, obj)
		return in || err != nil // an error: let the reconcile decide, with a retry
	})
}

// leaveToOtherShards decides, before the claim, whether this shard leaves obj to
// the cluster's other shards: it is not selected by this shard. An object this
// shard claimed and that left it (its namespace relabelled, the shard's
// selector changed) is released: the claim is removed, the finalizer kept, and
// the shard that selects it now claims it on the annotation change. An object
// being deleted is finished by the shard that claimed it.
func (r *endpointReconciler) leaveToOtherShards(ctx context.Context, obj client.Object) (leave bool, err error) {
	if !r.opts.Shard.sharded() {
		return false, nil
	}
	in, err := r.opts.selects(ctx, r.Client, obj)
	if err != nil || in {
		return false, err
	}
	if claimedBy(obj) != r.opts.claimIdentity() {
		return true, nil
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return false, nil
	}
	base := obj.DeepCopyObject().(client.Object)
	ann := obj.GetAnnotations()
	delete(ann, v1alpha1.ClaimAnnotation)
	obj.SetAnnotations(ann)
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return true, client.IgnoreNotFound(err)
	}
	r.memo.wrote(obj)
	logf.FromContext(ctx).Info("Released an object that left this shard", "shard", r.opts.Shard.Name, "selects", r.opts.Shard.String())
	r.recorder.Eventf(obj, nil, "Normal", v1alpha1.EventClaimReleased, "Release",
		"Shard %s of cluster %s (%s) no longer selects this object and released its claim (annotation %s); the shard that selects it takes it over", r.opts.Shard.Name, r.opts.ClusterName, r.opts.Shard.String(), v1alpha1.ClaimAnnotation)
	return true, nil
}

// skipMessage says why this install leaves an object another one claimed.
func (r *endpointReconciler) skipMessage(owner string) string {
	if claimCluster(owner) != r.opts.ClusterName {
		return fmt.Sprintf("Claimed by the install with --cluster-name %s (annotation %s); this install (--cluster-name %s) leaves it alone. To hand it over, set the annotation to the other install's name",
			owner, v1alpha1.ClaimAnnotation, r.opts.ClusterName)
	}
	other := claimShard(owner)
	if r.opts.Shard.sharded() {
		return fmt.Sprintf("Claimed by shard %s of cluster %s (annotation %s=%s); this shard (%s, selecting %s) leaves it alone: the shards' selectors overlap, give each namespace and account to one shard. To hand it over, set the annotation to %s",
			other, r.opts.ClusterName, v1alpha1.ClaimAnnotation, owner, r.opts.Shard.Name, r.opts.Shard.String(), r.opts.claimIdentity())
	}
	return fmt.Sprintf("Claimed by shard %s of cluster %s (annotation %s=%s); this unsharded install of the cluster leaves it alone. To hand it over, set the annotation to %s",
		other, r.opts.ClusterName, v1alpha1.ClaimAnnotation, owner, r.opts.claimIdentity())
}
