package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;delete

const (
	// LabelConnectionDetailsFor marks the ConfigMaps of connection details the
	// controller writes; the value is the owning object's UID. The manager caches
	// only ConfigMaps with this label (ConnectionDetailsCache).
	LabelConnectionDetailsFor = "networking.vpce.dev/connection-details-for"
	// annotationDataHash is a digest of the data the controller last wrote: data
	// that no longer matches it was edited by someone else (drift).
	annotationDataHash = "networking.vpce.dev/data-hash"
	labelManagedBy     = "app.kubernetes.io/managed-by"
	managedByValue     = "vpce-controller"
	// driftFieldConnectionDetails is the vpce_drift_repairs_total field of a repaired ConfigMap.
	driftFieldConnectionDetails = endpoint.DriftConnectionDetails
)

// ConnectionDetailsCache is the manager's cache setting for ConfigMaps: only the
// ones this controller writes (labelled LabelConnectionDetailsFor), without
// managed fields, so the cache does not grow with the cluster's other ConfigMaps.
func ConnectionDetailsCache() cache.ByObject {
	req, err := labels.NewRequirement(LabelConnectionDetailsFor, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant, valid key
	}
	return cache.ByObject{Label: labels.NewSelector().Add(*req), Transform: cache.TransformStripManagedFields()}
}

// connectionDetailsWriter keeps the ConfigMap of spec.connectionDetails: written
// from the object's status, kept current, repaired after hand edits, never
// written over a ConfigMap the object does not control, and deleted with the
// object or when the name changes. It talks to Kubernetes only, never to AWS.
type connectionDetailsWriter struct {
	// cached reads only our labelled ConfigMaps (ConnectionDetailsCache) and writes.
	cached client.Client
	// live reads any ConfigMap from the API server: one of the configured name
	// without our label (foreign, or ours with the label removed).
	live     client.Reader
	scheme   *runtime.Scheme
	recorder events.EventRecorder
	kind     kind
	metrics  Observer
}

// detailsResult is what one sync found: the ConnectionDetailsReady condition.
type detailsResult struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

// sync writes the ConfigMap of a live object and sets the ConnectionDetailsReady
// condition (and, when the ConfigMap cannot be written, Ready, Stalled and
// Reconciling) in obj's status; the caller patches the status. prior are the
// conditions before this reconcile, whose transition times stay where the status
// does not change. It returns an error to retry soon: the API server refused a
// write (the condition says so) or a concurrent change conflicted with one (the
// condition is left as it was).
func (w *connectionDetailsWriter) sync(ctx context.Context, obj client.Object, prior []metav1.Condition) error {
	cd, ok := w.kind.(connectionDetailer)
	if !ok {
		return nil
	}
	spec, data := cd.connectionDetails(obj)
	conditions := &w.kind.common(obj).Conditions
	if spec == nil {
		if err := w.removeExcept(ctx, obj, "", "spec.connectionDetails was removed"); err != nil {
			return err
		}
		meta.RemoveStatusCondition(conditions, v1alpha1.ConditionConnectionDetailsReady)
		return nil
	}
	prev := meta.FindStatusCondition(*conditions, v1alpha1.ConditionConnectionDetailsReady)
	wasWritten := prev != nil && prev.Status == metav1.ConditionTrue
	// The first ConfigMap waits for the endpoint to be available; once written,
	// one is kept (also under a new name, or after a deletion) whatever AWS does.
	mayCreate := wasWritten || meta.IsStatusConditionTrue(*conditions, v1alpha1.ConditionReady)
	// Written at this generation, so under this name: a ConfigMap missing now was
	// deleted by someone.
	deletedByHand := wasWritten && prev.ObservedGeneration == obj.GetGeneration()
	res, err := w.ensure(ctx, obj, spec.ConfigMapName, data, mayCreate, deletedByHand)
	if err == nil {
		err = w.removeExcept(ctx, obj, spec.ConfigMapName, fmt.Sprintf("spec.connectionDetails.configMapName is now %q", spec.ConfigMapName))
	}
	if apierrors.IsConflict(err) {
		// Our read was stale (the cache lags our own writes): retry at once, and
		// report what was reported before.
		if prev != nil {
			setDetailsConditions(obj, conditions, detailsResult{prev.Status, prev.Reason, prev.Message})
			keepTransitionTimes(*conditions, prior)
		}
		return err
	}
	if err != nil {
		res = detailsResult{metav1.ConditionFalse, v1alpha1.ReasonConfigMapWriteFailed,
			fmt.Sprintf("writing ConfigMap %q of spec.connectionDetails: %v; retrying", spec.ConfigMapName, err)}
	}
	if res.reason == v1alpha1.ReasonConfigMapNotOwned && (prev == nil || prev.Reason != res.reason || prev.Message != res.message) {
		w.recorder.Eventf(obj, nil, corev1.EventTypeWarning, v1alpha1.ReasonConfigMapNotOwned, "WriteConfigMap", "%s", res.message)
	}
	setDetailsConditions(obj, conditions, res)
	keepTransitionTimes(*conditions, prior)
	return err
}

// keepTransitionTimes gives each condition whose status is what it was before the
// reconcile its earlier lastTransitionTime: Ready is set True from the endpoint
// and then False again here on every reconcile while the ConfigMap is refused,
// and that is no transition.
func keepTransitionTimes(conditions, prior []metav1.Condition) {
	for i := range conditions {
		if p := meta.FindStatusCondition(prior, conditions[i].Type); p != nil && p.Status == conditions[i].Status {
			conditions[i].LastTransitionTime = p.LastTransitionTime
		}
	}
}

// setDetailsConditions records res as ConnectionDetailsReady. A ConfigMap that
// cannot be written makes an otherwise available endpoint not Ready (the spec
// asks for it): Stalled when only the user can help (a foreign ConfigMap),
// Reconciling while the controller retries.
func setDetailsConditions(obj client.Object, conditions *[]metav1.Condition, res detailsResult) {
	gen := obj.GetGeneration()
	meta.SetStatusCondition(conditions, metav1.Condition{Type: v1alpha1.ConditionConnectionDetailsReady, Status: res.status, Reason: res.reason, Message: res.message, ObservedGeneration: gen})
	if res.reason != v1alpha1.ReasonConfigMapNotOwned && res.reason != v1alpha1.ReasonConfigMapWriteFailed {
		return
	}
	if !meta.IsStatusConditionTrue(*conditions, v1alpha1.ConditionReady) {
		return // the endpoint's own reason stays
	}
	meta.SetStatusCondition(conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: res.reason, Message: res.message, ObservedGeneration: gen})
	if res.reason == v1alpha1.ReasonConfigMapNotOwned {
		meta.SetStatusCondition(conditions, metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: res.reason, Message: res.message, ObservedGeneration: gen})
		meta.RemoveStatusCondition(conditions, v1alpha1.ConditionReconciling)
		return
	}
	meta.SetStatusCondition(conditions, metav1.Condition{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: res.reason, Message: res.message, ObservedGeneration: gen})
}

// ensure makes the ConfigMap name hold data, if this object controls it or it
// does not exist. It creates it only when mayCreate (the endpoint is available,
// or was when the controller first wrote), so a Deployment that loads it with
// envFrom starts when the endpoint works; deletedByHand says a missing one was
// there before (a repair).
func (w *connectionDetailsWriter) ensure(ctx context.Context, obj client.Object, name string, data map[string]string, mayCreate, deletedByHand bool) (detailsResult, error) {
	key := client.ObjectKey{Namespace: obj.GetNamespace(), Name: name}
	cm := &corev1.ConfigMap{}
	err := w.cached.Get(ctx, key, cm)
	switch {
	case apierrors.IsNotFound(err):
		if !mayCreate || data == nil {
			return detailsResult{metav1.ConditionFalse, v1alpha1.ReasonEndpointNotAvailable,
				fmt.Sprintf("ConfigMap %q is written once the endpoint is available", name)}, nil
		}
		created, err := w.create(ctx, obj, name, data)
		if err == nil {
			if deletedByHand {
				w.driftCorrected(obj, "RecreateConfigMap", fmt.Sprintf("Recreated ConfigMap %q of spec.connectionDetails, deleted outside the controller", name))
			} else {
				w.recorder.Eventf(obj, nil, corev1.EventTypeNormal, v1alpha1.EventConnectionDetailsWritten, "CreateConfigMap", "Created ConfigMap %q with %d keys", name, len(data))
			}
			return w.writtenResult(created), nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return detailsResult{}, err
		}
		// It exists without our label: read it from the API server.
		if err := w.live.Get(ctx, key, cm); err != nil {
			if apierrors.IsNotFound(err) {
				err = apierrors.NewConflict(corev1.Resource("configmaps"), name, fmt.Errorf("created and deleted concurrently"))
			}
			return detailsResult{}, err
		}
	case err != nil:
		return detailsResult{}, err
	}
	if !metav1.IsControlledBy(cm, obj) {
		return detailsResult{metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, notOwnedMessage(cm, name)}, nil
	}
	if data == nil {
		// Ours, and the status lost the endpoint (a new one is being made): keep
		// what is there until the new endpoint is known.
		return w.writtenResult(cm), nil
	}
	return w.update(ctx, obj, cm, data)
}

// notOwnedMessage explains a ConfigMap the object may not write, naming its controller.
func notOwnedMessage(cm *corev1.ConfigMap, name string) string {
	owner := "no controller"
	if ref := metav1.GetControllerOf(cm); ref != nil {
		owner = fmt.Sprintf("controller %s %q", ref.Kind, ref.Name)
	}
	return fmt.Sprintf("ConfigMap %q already exists and this object does not control it (%s); the controller does not overwrite it: set spec.connectionDetails.configMapName to another name, or delete that ConfigMap", name, owner)
}

// writtenResult is the True condition for a ConfigMap that holds the details.
func (w *connectionDetailsWriter) writtenResult(cm *corev1.ConfigMap) detailsResult {
	return detailsResult{metav1.ConditionTrue, v1alpha1.ReasonConnectionDetailsWritten,
		fmt.Sprintf("ConfigMap %q holds the endpoint's connection details (%d keys)", cm.Name, len(cm.Data))}
}

// stamp makes cm carry data, our label, the digest of data and the controller
// reference, keeping labels and annotations others put on it.
func (w *connectionDetailsWriter) stamp(obj client.Object, cm *corev1.ConfigMap, data map[string]string) error {
	if cm.Labels == nil {
		cm.Labels = map[string]string{}
	}
	cm.Labels[LabelConnectionDetailsFor] = string(obj.GetUID())
	cm.Labels[labelManagedBy] = managedByValue
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[annotationDataHash] = dataHash(data)
	cm.Data = maps.Clone(data)
	cm.BinaryData = nil
	return controllerutil.SetControllerReference(obj, cm, w.scheme)
}

func (w *connectionDetailsWriter) create(ctx context.Context, obj client.Object, name string, data map[string]string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: obj.GetNamespace(), Name: name}}
	if err := w.stamp(obj, cm, data); err != nil {
		return nil, err
	}
	if err := w.cached.Create(ctx, cm); err != nil {
		return nil, err
	}
	logf.FromContext(ctx).Info("Created ConfigMap of connection details", "configMap", name, "keys", len(data))
	return cm, nil
}

// update brings our ConfigMap to data. Anything that differs from what the
// controller last wrote (data, the label, leftovers in binaryData) was changed
// by someone else and is reported as drift; a change of the endpoint itself
// (a new subnet, a new DNS name) is a plain update.
func (w *connectionDetailsWriter) update(ctx context.Context, obj client.Object, cm *corev1.ConfigMap, data map[string]string) (detailsResult, error) {
	ours := cm.Labels[LabelConnectionDetailsFor] == string(obj.GetUID()) && cm.Labels[labelManagedBy] == managedByValue
	lastWritten := cm.Annotations[annotationDataHash]
	edited := !ours || lastWritten != dataHash(cm.Data) || len(cm.BinaryData) > 0
	if !edited && lastWritten == dataHash(data) {
		return w.writtenResult(cm), nil
	}
	before := maps.Clone(cm.Data)
	if err := w.stamp(obj, cm, data); err != nil {
		return detailsResult{}, err
	}
	// Update, not patch: it carries the resourceVersion read, so a concurrent
	// change is never overwritten unseen (a conflict is retried).
	if err := w.cached.Update(ctx, cm); err != nil {
		return detailsResult{}, err
	}
	changed := changedKeys(before, data)
	logf.FromContext(ctx).Info("Updated ConfigMap of connection details", "configMap", cm.Name, "edited", edited, "keys", changed)
	if edited {
		w.driftCorrected(obj, "RestoreConfigMap", fmt.Sprintf("Restored ConfigMap %q of spec.connectionDetails, changed outside the controller (keys %s)", cm.Name, describeKeys(changed)))
	} else {
		w.recorder.Eventf(obj, nil, corev1.EventTypeNormal, v1alpha1.EventConnectionDetailsWritten, "UpdateConfigMap", "Updated ConfigMap %q: keys %s", cm.Name, describeKeys(changed))
	}
	return w.writtenResult(cm), nil
}

// driftCorrected reports a repair: an event and the drift metric. Events of one
// reason and action are folded into a series, so each kind of repair has its action.
func (w *connectionDetailsWriter) driftCorrected(obj client.Object, action, message string) {
	w.recorder.Eventf(obj, nil, corev1.EventTypeNormal, v1alpha1.EventDriftCorrected, action, "%s", message)
	if w.metrics != nil {
		w.metrics.DriftRepaired(w.kind.name(), obj, driftFieldConnectionDetails)
	}
}

// removeExcept deletes the ConfigMaps this object controls, except the one named
// keep (none when keep is empty): on deletion, when the field is removed and
// when the name changes. It finds them by label in the cache, and also reads the
// configured name from the API server, in case our label was removed.
func (w *connectionDetailsWriter) removeExcept(ctx context.Context, obj client.Object, keep, why string) error {
	var list corev1.ConfigMapList
	if err := w.cached.List(ctx, &list, client.InNamespace(obj.GetNamespace()), client.MatchingLabels{LabelConnectionDetailsFor: string(obj.GetUID())}); err != nil {
		return err
	}
	victims := map[string]*corev1.ConfigMap{}
	for i := range list.Items {
		if cm := &list.Items[i]; cm.Name != keep && metav1.IsControlledBy(cm, obj) {
			victims[cm.Name] = cm
		}
	}
	if cd, ok := w.detailsOf(obj); ok && cd != nil && cd.ConfigMapName != keep {
		if _, seen := victims[cd.ConfigMapName]; !seen {
			cm := &corev1.ConfigMap{}
			err := w.live.Get(ctx, client.ObjectKey{Namespace: obj.GetNamespace(), Name: cd.ConfigMapName}, cm)
			switch {
			case err == nil && metav1.IsControlledBy(cm, obj):
				victims[cm.Name] = cm
			case err != nil && !apierrors.IsNotFound(err):
				return err
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(victims)) {
		cm := victims[name]
		uid := cm.UID
		err := w.cached.Delete(ctx, cm, client.Preconditions{UID: &uid})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		logf.FromContext(ctx).Info("Deleted ConfigMap of connection details", "configMap", name, "why", why)
		w.recorder.Eventf(obj, nil, corev1.EventTypeNormal, v1alpha1.EventConnectionDetailsDeleted, "DeleteConfigMap", "Deleted ConfigMap %q: %s", name, why)
	}
	return nil
}

// detailsOf returns obj's spec.connectionDetails; false when its kind has no such field.
func (w *connectionDetailsWriter) detailsOf(obj client.Object) (*v1alpha1.ConnectionDetails, bool) {
	cd, ok := w.kind.(connectionDetailer)
	if !ok {
		return nil, false
	}
	spec, _ := cd.connectionDetails(obj)
	return spec, true
}

// remove deletes every ConfigMap of connection details obj controls, before its
// finalizer goes: the garbage collector would delete them too (they carry an
// owner reference), but only after the object is gone, and not at all where it
// does not run.
func (w *connectionDetailsWriter) remove(ctx context.Context, obj client.Object) error {
	return w.removeExcept(ctx, obj, "", "the object is being deleted")
}

// dataHash is a short digest of a ConfigMap's data, independent of key order.
func dataHash(data map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%q=%q\n", k, data[k]) // quoted: no value can mimic a key
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// changedKeys lists the keys added, removed or changed from before to after.
func changedKeys(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if old, ok := before[k]; !ok {
			out = append(out, k+" added")
		} else if old != v {
			out = append(out, k+" changed")
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k+" removed")
		}
	}
	slices.Sort(out)
	return out
}

func describeKeys(changed []string) string {
	if len(changed) == 0 {
		return "unchanged (labels or annotations restored)"
	}
	return strings.Join(changed, ", ")
}
