// Package controllers holds the thin Kubernetes side of vpce-controller: read the
// object, keep the finalizer, hand the spec to the endpoint engine, write one status
// patch and the events, and decide when to look again.
package controllers

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// Options are the settings both reconcilers share.
type Options struct {
	// ClusterName is written into ownership tags.
	ClusterName string
	// SyncPeriod is the drift-check interval for converged objects.
	SyncPeriod time.Duration
	// FullSyncPeriod is how long a converged object may go without a full
	// reconcile when nothing it depends on changed (quietsync.go); zero means
	// DefaultFullSyncPeriod, negative that every sync is full. Only
	// with AWSChanges: without drift notices, the sync is what finds drift.
	FullSyncPeriod time.Duration
	// MaxConcurrentReconciles per kind.
	MaxConcurrentReconciles int
	// SkipNameValidation lets several managers run in one process (tests).
	SkipNameValidation bool
	// Backoff paces retries; zero means backoff.DefaultPolicy.
	Backoff backoff.Policy
	// AccountOptions choose the AWS account of each object (account_gate.go).
	AccountOptions
	// AWSChanges, when set, reconciles the objects whose AWS resources changed
	// (awschanges.go).
	AWSChanges *AWSChanges
	// Shard is the share of the cluster's objects this manager serves (shard.go).
	Shard Shard

	// marks, set by an endpoint kind's reconciler, makes its queue mark events (quietsync.go).
	marks *queuedMarks
}

func (o Options) controllerOptions() controller.Options {
	co := controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}
	if o.marks != nil {
		co.NewQueue = newMarkingQueue(o.marks)
	}
	if o.SkipNameValidation {
		skip := true
		co.SkipNameValidation = &skip
	}
	return co
}

// Kinds names the endpoint kinds the reconcilers serve, as their metrics label them.
func Kinds() []string {
	return []string{gatewayKind{}.name(), interfaceKind{}.name(), instanceConnectKind{}.name()}
}

// kind adapts one API kind to the shared reconcile loop.
type kind interface {
	name() string
	newObject() client.Object
	spec(obj client.Object) endpoint.Spec
	prior(obj client.Object) endpoint.Prior
	common(obj client.Object) *v1alpha1.EndpointStatusCommon
	status(obj client.Object) any
	// setStatus writes the kind's own status fields; endpoint-derived ones only when out.Observed.
	setStatus(obj client.Object, out endpoint.Outcome)
	// setDurable writes the kind's own fields of what must survive a crash.
	setDurable(obj client.Object, d endpoint.Durable)
}

// endpointReconciler is the reconcile loop shared by both kinds.
type endpointReconciler struct {
	client.Client
	kind     kind
	engine   *endpoint.Engine
	recorder events.EventRecorder
	tracker  *backoff.Tracker
	// share holds each AWS account to half the workers while others are
	// active (account_share.go).
	share   *accountShare
	opts    Options
	metrics Observer
	// apiReader reads past the informer cache, and memo says when (freshness.go).
	apiReader client.Reader
	memo      writeMemo
	// details writes the ConfigMap of spec.connectionDetails (connectiondetails.go).
	details *connectionDetailsWriter
	// converged remembers, per object, the generation at which it was last Ready
	// (convergedAt): a change AWS makes the endpoint go through (pending after a
	// modification) does not turn a later repair into a "modification".
	converged sync.Map // types.NamespacedName -> convergence
	// seen remembers, per object, when this process first saw the generation it
	// has not acted on yet (generationSeen).
	seen sync.Map // types.NamespacedName -> convergence
	// marks are the objects queued by something other than their own requeue,
	// and quietAt what their last full reconcile left converged (quietsync.go).
	marks   *queuedMarks
	quietAt sync.Map // types.NamespacedName -> quietState
}

// convergence is an object (by UID) at a generation: Ready at it (converged),
// or first seen at it (seen).
type convergence struct {
	uid        types.UID
	generation int64
	at         time.Time // when it was first seen (generationSeen)
}

// Observer receives what reconciles did, for metrics. Nil-safe.
type Observer interface {
	// Reconciled records one reconcile of a live object, or of one whose deletion
	// finished (out.Done).
	Reconciled(kind string, obj client.Object, out endpoint.Outcome)
	// Forget drops an object that is gone, or is no longer this controller's to count.
	Forget(kind string, key types.NamespacedName)
	// DriftRepaired counts a repair the reconciler made itself, outside the engine
	// (fields of endpoint.DriftFields).
	DriftRepaired(kind string, obj client.Object, fields ...string)
	// SyncSkipped counts a periodic sync answered without a full reconcile, as
	// nothing the object depends on changed (quietsync.go).
	SyncSkipped(kind string)
}

// Reconcile implements reconcile.Reconciler.
func (r *endpointReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	ctx = awsclient.WithObject(ctx, req.String())
	obj := r.kind.newObject()
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName) // deleted, whichever way
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	// A periodic sync of a converged object with nothing to do ends here (quietsync.go).
	if r.quiet(ctx, req, obj) {
		if r.metrics != nil {
			r.metrics.SyncSkipped(r.kind.name())
		}
		log.V(2).Info("Nothing changed since the last full reconcile")
		return ctrl.Result{}, nil // the sweep syncs it from here (quietsync.go)
	}
	if err := r.memo.fresh(ctx, r.apiReader, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	// An account holding its share of the workers while other accounts' objects
	// are being reconciled leaves this one for later (account_share.go).
	account := r.accountName(r.kind.spec(obj))
	if !r.share.acquire(account) {
		return ctrl.Result{RequeueAfter: backoff.Jitter(time.Second)}, nil
	}
	defer r.share.release(account)
	// Another shard's object is left to it (shard.go); another install's object
	// is left alone; an unclaimed one is claimed (with the finalizer) before any
	// AWS call. See claim.go.
	if leave, err := r.leaveToOtherShards(ctx, obj); leave || err != nil {
		if leave && err == nil {
			r.forget(req.NamespacedName) // another shard's to count
		}
		return ctrl.Result{}, err
	}
	if mine, err := r.claim(ctx, obj); !mine || err != nil {
		if !mine && err == nil {
			r.forget(req.NamespacedName) // another install's to count, or going without us
		}
		return ctrl.Result{}, err
	}
	orig := obj.DeepCopyObject().(client.Object)
	common := r.kind.common(obj)
	ereq := endpoint.Request{
		Owner: endpoint.Owner{Cluster: r.opts.ClusterName, Kind: r.kind.name(), Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: string(obj.GetUID())},
		Spec:  r.kind.spec(obj),
		Prior: r.kind.prior(obj),
	}
	// Changes are "modifications" until the object has once been Ready at its
	// current generation; after that, any difference is drift.
	ereq.Prior.GenerationChanged = common.ObservedGeneration != obj.GetGeneration()
	ereq.Prior.GenerationSeen = r.generationSeen(obj, ereq.Prior.GenerationChanged)
	ereq.Prior.SpecChanged = ereq.Prior.GenerationChanged || !meta.IsStatusConditionTrue(common.Conditions, v1alpha1.ConditionReady) && !r.convergedAt(obj)
	ereq.Prior.EndpointIntent = toIntent(common.CreateIntent)
	ereq.Prior.AppliedTagKeys = common.AppliedTagKeys
	ereq.Prior.EndpointChange = toChange(common.LastChange)
	if ts := obj.GetDeletionTimestamp(); ts != nil {
		ereq.Prior.DeletionStarted = ts.Time
	}
	// The engine records every create here, in the status, before making it. The
	// write must reach the API server unchanged by anyone else (optimistic lock), or
	// the create is not made.
	ereq.Record = func(ctx context.Context, d endpoint.Durable) error {
		base := obj.DeepCopyObject().(client.Object)
		r.setDurable(obj, d)
		if err := r.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		r.memo.wrote(obj)
		orig = obj.DeepCopyObject().(client.Object)
		return nil
	}

	// The object's AWSAccount and its guard rails, before any AWS call (account_gate.go).
	b, refused := r.bind(ctx, obj, ereq)
	ereq.Clients, ereq.Spec.Guard = b.clients, b.policy

	var out endpoint.Outcome
	swept := false // converged: the sweep syncs it, nothing requeues it (quietsync.go)
	if !obj.GetDeletionTimestamp().IsZero() {
		if !controllerutil.ContainsFinalizer(obj, v1alpha1.Finalizer) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		// The connection details never outlive the object (nor its endpoint).
		if err := r.details.remove(ctx, obj); err != nil {
			return ctrl.Result{}, err
		}
		out = r.deleteBound(ctx, ereq, b, refused)
		if err := ctx.Err(); err != nil {
			return ctrl.Result{}, err // stopping: see below
		}
		r.emit(obj, out)
		r.observe(obj, out)
		if out.Done {
			log.Info("Deletion finished", "deletionPolicy", ereq.Spec.DeletionPolicy)
			r.tracker.Success(string(obj.GetUID()))
			patch := client.MergeFrom(orig)
			controllerutil.RemoveFinalizer(obj, v1alpha1.Finalizer)
			r.memo.forget(obj.GetUID())
			return ctrl.Result{}, client.IgnoreNotFound(r.Patch(ctx, obj, patch))
		}
	} else {
		if !controllerutil.ContainsFinalizer(obj, v1alpha1.Finalizer) {
			// The finalizer goes on before the first AWS write, so nothing can leak.
			patch := client.MergeFrom(orig)
			controllerutil.AddFinalizer(obj, v1alpha1.Finalizer)
			if err := r.Patch(ctx, obj, patch); err != nil {
				return ctrl.Result{}, err
			}
			orig = obj.DeepCopyObject().(client.Object)
		}
		if refused != nil {
			out = r.engine.Refuse(ereq, refused)
		} else {
			r.marks.take(req) // acted on now
			stamp, stamper := r.stampBefore(ctx, obj, ereq)
			fullAt := time.Now()
			out = r.engine.Reconcile(ctx, ereq)
			swept = settles(obj, out, stamper)
			defer func() { r.settle(obj, out, fullAt, stamp, stamper) }()
		}
		if err := ctx.Err(); err != nil {
			// The manager is stopping (or lost its lease): the calls it cut short
			// are not the object's problem, so no SyncFailed event and no status
			// write; the next leader reconciles the object from its recorded intents.
			return ctrl.Result{}, err
		}
		r.emit(obj, out)
		r.observe(obj, out)
	}
	if out.Problem != nil {
		log.Info("Spec not applied", "reason", out.Problem.Reason, "class", out.Problem.Class.String(), "message", out.Problem.Message)
	} else {
		log.V(1).Info("Reconciled", "endpointID", out.EndpointID, "state", out.State, "ready", out.Ready, "poll", out.Poll)
	}
	r.writeStatus(obj, out)
	r.writeAccountStatus(obj, out, b)
	var detailsErr error
	if obj.GetDeletionTimestamp().IsZero() {
		detailsErr = r.details.sync(ctx, obj, r.kind.common(orig).Conditions) // Kubernetes only
	}
	if !equality.Semantic.DeepEqual(r.kind.status(orig), r.kind.status(obj)) {
		if err := r.Status().Patch(ctx, obj, client.MergeFrom(orig)); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		r.memo.wrote(obj)
	}
	if detailsErr != nil {
		return ctrl.Result{}, detailsErr
	}
	if swept {
		r.tracker.Success(string(obj.GetUID()))
		return ctrl.Result{Priority: ptr.To(0)}, nil
	}
	return r.next(obj, out), nil
}

// observe records a reconcile's outcome: in the metrics, and whether the object
// is converged at its generation. A finished deletion takes the object out of both.
func (r *endpointReconciler) observe(obj client.Object, out endpoint.Outcome) {
	if r.metrics != nil {
		r.metrics.Reconciled(r.kind.name(), obj, out)
	}
	key := client.ObjectKeyFromObject(obj)
	switch {
	case out.Done:
		r.converged.Delete(key)
	case out.Ready && out.Problem == nil && obj.GetDeletionTimestamp().IsZero():
		r.converged.Store(key, convergence{uid: obj.GetUID(), generation: obj.GetGeneration()})
	}
}

// forget drops an object that is gone (or going, without this controller) from
// the metrics and the convergence memory.
func (r *endpointReconciler) forget(key types.NamespacedName) {
	if r.metrics != nil {
		r.metrics.Forget(r.kind.name(), key)
	}
	r.converged.Delete(key)
	r.seen.Delete(key)
	r.quietAt.Delete(key)
	r.marks.take(reconcile.Request{NamespacedName: key})
}

// generationSeen returns when obj's current generation was written, as far as
// this process knows, while it is not yet acted on (changed): for the first
// generation the second after the object's creation (many objects created at
// once then share one fresh read however long they wait for their turn), for a
// later one when this process first reconciled it. It forgets it once acted on.
func (r *endpointReconciler) generationSeen(obj client.Object, changed bool) time.Time {
	key := client.ObjectKeyFromObject(obj)
	if !changed {
		r.seen.Delete(key)
		return time.Time{}
	}
	at := time.Now()
	if created := obj.GetCreationTimestamp().Add(time.Second); obj.GetGeneration() == 1 && created.Before(at) {
		at = created // creationTimestamp has whole seconds
	}
	now := convergence{uid: obj.GetUID(), generation: obj.GetGeneration(), at: at}
	if prev, ok := r.seen.LoadOrStore(key, now); ok {
		if p := prev.(convergence); p.uid == now.uid && p.generation == now.generation {
			return p.at
		}
		r.seen.Store(key, now)
	}
	return now.at
}

// convergedAt reports whether this process saw obj Ready at its current generation.
func (r *endpointReconciler) convergedAt(obj client.Object) bool {
	c, ok := r.converged.Load(client.ObjectKeyFromObject(obj))
	return ok && c.(convergence).uid == obj.GetUID() && c.(convergence).generation == obj.GetGeneration()
}

// setDurable writes the IDs and create intents of d into obj's status.
func (r *endpointReconciler) setDurable(obj client.Object, d endpoint.Durable) {
	c := r.kind.common(obj)
	c.EndpointID = d.EndpointID
	c.CreateIntent = fromIntent(d.EndpointIntent)
	c.LastChange = fromChange(d.EndpointChange)
	r.kind.setDurable(obj, d)
}

// toIntent and fromIntent convert a create intent between the status and the engine.
func toIntent(in *v1alpha1.CreateIntent) *endpoint.Intent {
	if in == nil {
		return nil
	}
	return &endpoint.Intent{ClientToken: in.ClientToken, Since: in.Since.Time}
}

func fromIntent(in *endpoint.Intent) *v1alpha1.CreateIntent {
	if in == nil {
		return nil
	}
	return &v1alpha1.CreateIntent{ClientToken: in.ClientToken, Since: metav1.NewTime(in.Since)}
}

// toChange and fromChange convert a recorded change between the status and the engine.
func toChange(c *v1alpha1.Change) *endpoint.Change {
	if c == nil {
		return nil
	}
	return &endpoint.Change{At: c.At.Time, From: c.From}
}

func fromChange(c *endpoint.Change) *v1alpha1.Change {
	if c == nil {
		return nil
	}
	return &v1alpha1.Change{At: metav1.NewTime(c.At), From: c.From}
}

// writeStatus sets the common status fields and conditions from the outcome.
func (r *endpointReconciler) writeStatus(obj client.Object, out endpoint.Outcome) {
	c := r.kind.common(obj)
	gen := obj.GetGeneration()
	c.ObservedGeneration = gen
	r.setDurable(obj, endpoint.Durable{EndpointID: out.EndpointID, EndpointIntent: out.EndpointIntent, ManagedGroupID: out.ManagedGroupID, GroupIntent: out.GroupIntent,
		EndpointChange: out.EndpointChange, GroupChange: out.GroupChange})
	c.Region = out.Region
	if out.ServiceName != "" {
		c.ServiceName = out.ServiceName
	}
	if out.VPCID != "" {
		c.VPCID = out.VPCID
	}
	if out.Observed {
		c.State = out.State
	}
	r.kind.setStatus(obj, out)
	synced := metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconciled, Message: "the spec is applied to AWS", ObservedGeneration: gen}
	if out.Problem != nil {
		synced.Status, synced.Reason, synced.Message = metav1.ConditionFalse, out.Problem.Reason, out.Problem.Message
	} else if !obj.GetDeletionTimestamp().IsZero() {
		synced.Status, synced.Reason, synced.Message = metav1.ConditionFalse, v1alpha1.ReasonDeletePending, "deleting the endpoint in AWS"
	}
	ready := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: out.ReadyReason, Message: out.ReadyMessage, ObservedGeneration: gen}
	if out.Ready && out.Problem == nil {
		ready.Status = metav1.ConditionTrue
	}
	if ready.Reason == "" {
		ready.Reason = v1alpha1.ReasonNotSynced
	}
	meta.SetStatusCondition(&c.Conditions, ready)
	meta.SetStatusCondition(&c.Conditions, synced)
	// kstatus (Flux, Argo CD, kubectl wait): Stalled while only the user can help,
	// Reconciling while the controller is still working; each absent otherwise.
	stalled := out.Problem != nil && out.Problem.Class == awserr.Terminal && obj.GetDeletionTimestamp().IsZero()
	if stalled {
		meta.SetStatusCondition(&c.Conditions, metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: out.Problem.Reason, Message: out.Problem.Message, ObservedGeneration: gen})
	} else {
		meta.RemoveStatusCondition(&c.Conditions, v1alpha1.ConditionStalled)
	}
	if ready.Status == metav1.ConditionTrue || stalled {
		meta.RemoveStatusCondition(&c.Conditions, v1alpha1.ConditionReconciling)
	} else {
		meta.SetStatusCondition(&c.Conditions, metav1.Condition{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: ready.Reason, Message: ready.Message, ObservedGeneration: gen})
	}
}

// emit records the outcome's events, and a warning when the spec could not be applied.
func (r *endpointReconciler) emit(obj client.Object, out endpoint.Outcome) {
	for _, e := range out.Events {
		typ := "Normal"
		if e.Warning {
			typ = "Warning"
		}
		r.recorder.Eventf(obj, nil, typ, e.Reason, e.Action, "%s", e.Message)
	}
	if p := out.Problem; p != nil {
		prev := meta.FindStatusCondition(r.kind.common(obj).Conditions, v1alpha1.ConditionSynced)
		if prev == nil || prev.Reason != p.Reason || prev.Message != p.Message {
			r.recorder.Eventf(obj, nil, "Warning", v1alpha1.EventSyncFailed, "Reconcile", "%s: %s", p.Reason, p.Message)
		}
	}
}

// turnPriority is the work-queue priority of an object coming back for its
// booked turn at the client-side EC2 rate limit (a token reserved for it): it
// goes before objects that have not yet started or are only polling, so its
// token is used when it falls due. Behind a long queue (every object of every
// account at once, or the reconciles of a throttled account) it would come back
// late, and its account and region's bucket would go unused meanwhile.
const turnPriority = 10

// next decides when to look again: backoff after a failure, a growing poll while
// AWS works, the jittered sync period once converged (unless the sweep syncs it). Only a booked turn at the
// rate limit is queued ahead of others; every other result says so explicitly,
// as the queue otherwise keeps an item's last priority.
func (r *endpointReconciler) next(obj client.Object, out endpoint.Outcome) ctrl.Result {
	res := r.nextAt(obj, out)
	if res.Priority == nil {
		res.Priority = ptr.To(0)
	}
	return res
}

func (r *endpointReconciler) nextAt(obj client.Object, out endpoint.Outcome) ctrl.Result {
	key := string(obj.GetUID())
	switch {
	case out.Problem != nil:
		return ctrl.Result{RequeueAfter: r.tracker.Failure(key, out.Problem.Class)}
	case out.Done:
		return ctrl.Result{}
	case out.Poll > 0 && out.PollExact:
		return ctrl.Result{RequeueAfter: out.Poll, Priority: ptr.To(turnPriority)}
	case out.Poll > 0 && out.PollBackoff:
		return ctrl.Result{RequeueAfter: r.tracker.Poll(key, out.Poll)}
	case out.Poll > 0:
		// AWS is provisioning or deleting: look again at a steady pace. Polls are
		// cheap; they share one snapshot refresh per region (internal/ec2cache).
		r.tracker.Success(key)
		return ctrl.Result{RequeueAfter: backoff.Jitter(out.Poll)}
	default:
		r.tracker.Success(key)
		return r.syncAgain()
	}
}

// syncAgain is the periodic sync of a converged object: 80-90% of the sync
// period, so with snapshots at most a tenth of it old, drift is seen within it.
func (r *endpointReconciler) syncAgain() ctrl.Result {
	return ctrl.Result{RequeueAfter: time.Duration(float64(r.opts.SyncPeriod) * (0.8 + 0.1*rand.Float64())), Priority: ptr.To(0)}
}

// changePredicate lets through spec changes, annotation changes and the start of
// deletion, but not the controller's own status writes.
func changePredicate() predicate.Predicate {
	deletionStarted := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
	return predicate.Or(predicate.GenerationChangedPredicate{}, annotationsChanged(), deletionStarted)
}

var _ runtime.Object = (*v1alpha1.GatewayEndpoint)(nil)
