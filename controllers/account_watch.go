package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// accountIndex indexes endpoint objects by the AWSAccount they use: spec.accountRef,
// else the manager's --default-account.
const accountIndex = ".spec.accountRef.effective"

// indexByAccount registers the account index of a kind.
func indexByAccount(mgr ctrl.Manager, obj client.Object, opts Options) error {
	return mgr.GetFieldIndexer().IndexField(context.Background(), obj, accountIndex, func(o client.Object) []string {
		if name := effectiveAccount(o, opts); name != "" {
			return []string{name}
		}
		return nil
	})
}

// effectiveAccount is the AWSAccount an object uses: spec.accountRef, else the
// manager's --default-account ("" for neither).
func effectiveAccount(o client.Object, opts Options) string {
	if name := o.(v1alpha1.AccountHolder).AccountSpec().AccountName(); name != "" {
		return name
	}
	return opts.DefaultAccount
}

// watchAccounts requeues a kind's objects when what the guard rails read changes:
// their AWSAccount (its spec, readiness, account ID or listed VPCs) and their
// namespace's labels. Refused objects recover at once, without a fast retry loop.
func watchAccounts(b *builder.Builder, c client.Client, list func() client.ObjectList) *builder.Builder {
	byAccount := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, a client.Object) []reconcile.Request {
		return requestsFor(ctx, c, list(), client.MatchingFields{accountIndex: a.GetName()})
	})
	byNamespace := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, ns client.Object) []reconcile.Request {
		return requestsFor(ctx, c, list(), client.InNamespace(ns.GetName()))
	})
	return b.
		Watches(&v1alpha1.AWSAccount{}, byAccount, builder.WithPredicates(accountChanged())).
		Watches(&corev1.Namespace{}, byNamespace, builder.WithPredicates(labelsChanged()))
}

func requestsFor(ctx context.Context, c client.Client, list client.ObjectList, opts ...client.ListOption) []reconcile.Request {
	if err := c.List(ctx, list, opts...); err != nil {
		return nil
	}
	items, _ := meta.ExtractList(list)
	out := make([]reconcile.Request, 0, len(items))
	for _, it := range items {
		o := it.(client.Object)
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	}
	return out
}

// accountChanged lets through AWSAccount changes the guard rails see: creation,
// deletion, a new generation, and a status change other than the time of the
// last check.
func accountChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld.(*v1alpha1.AWSAccount), e.ObjectNew.(*v1alpha1.AWSAccount)
		if o.Generation != n.Generation {
			return true
		}
		return !equality.Semantic.DeepEqual(guardView(o), guardView(n))
	}}
}

// guardView is what endpoint objects read of an AWSAccount's status.
func guardView(a *v1alpha1.AWSAccount) any {
	type cond struct{ Type, Status, Reason, Message string }
	conds := make([]cond, 0, len(a.Status.Conditions))
	for _, c := range a.Status.Conditions {
		conds = append(conds, cond{c.Type, string(c.Status), c.Reason, c.Message})
	}
	return struct {
		Gen, Observed int64
		AccountID     string
		VPCs          []v1alpha1.AllowedVPC
		Conditions    []cond
	}{a.Generation, a.Status.ObservedGeneration, a.Status.AccountID, a.Status.AllowedVPCs, conds}
}

// labelsChanged lets through namespace label changes (and nothing else about
// namespaces).
func labelsChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !equality.Semantic.DeepEqual(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
		},
	}
}
