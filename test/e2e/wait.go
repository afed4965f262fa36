package e2e

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// pollInterval is how often the wait helpers read the object.
const pollInterval = 200 * time.Millisecond

// IsReady reports whether obj's Ready condition is True for its current
// generation (the condition's observedGeneration equals metadata.generation).
func IsReady(obj client.Object) bool {
	c := condition(obj, v1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration()
}

// WaitReady re-reads obj (a *GatewayEndpoint or *InterfaceEndpoint) until
// IsReady, leaving the latest version in obj. It fails when ctx ends, with the
// last Ready and Synced conditions in the error.
func WaitReady(ctx context.Context, c client.Client, obj client.Object) error {
	return poll(ctx, func() (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return IsReady(obj), nil
	}, func() string {
		return fmt.Sprintf("%s not Ready: Ready=%+v Synced=%+v", obj.GetName(),
			condition(obj, v1alpha1.ConditionReady), condition(obj, v1alpha1.ConditionSynced))
	})
}

// WaitGone waits until obj no longer exists (its finalizer has been removed).
func WaitGone(ctx context.Context, c client.Client, obj client.Object) error {
	return poll(ctx, func() (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}, func() string {
		return fmt.Sprintf("%s still exists: finalizers %v, Ready=%+v", obj.GetName(),
			obj.GetFinalizers(), condition(obj, v1alpha1.ConditionReady))
	})
}

// poll calls done every pollInterval until it returns true or an error, or
// ctx ends (then the error names describe()).
func poll(ctx context.Context, done func() (bool, error), describe func() string) error {
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("e2e: %s: %w", describe(), ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// condition returns the condition of type typ of an endpoint object, or nil.
func condition(obj client.Object, typ string) *metav1.Condition {
	var conds []metav1.Condition
	switch o := obj.(type) {
	case v1alpha1.EndpointObject:
		conds = o.CommonStatus().Conditions
	default:
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil
		}
		status, _ := u["status"].(map[string]any)
		list, _ := status["conditions"].([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			var cond metav1.Condition
			if runtime.DefaultUnstructuredConverter.FromUnstructured(m, &cond) == nil {
				conds = append(conds, cond)
			}
		}
	}
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}
