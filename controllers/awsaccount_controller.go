package controllers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/accounts"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// +kubebuilder:rbac:groups=networking.vpce.dev,resources=awsaccounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=networking.vpce.dev,resources=awsaccounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=networking.vpce.dev,resources=awsaccounts/finalizers,verbs=update

// checkTimeout bounds one check of an account (AssumeRole, GetCallerIdentity, the
// VPC listings).
const checkTimeout = 30 * time.Second

// accountReconciler checks AWSAccounts: it assumes the role, asks STS who it is
// there, lists the allowed VPCs of each allowed region, and reports all of it in
// the status; it keeps an AWSAccount while endpoint objects use it.
type accountReconciler struct {
	client.Client
	opts     Options
	recorder events.EventRecorder
	tracker  *backoff.Tracker
	// creds remembers each AWSAccount's credentials, so those it no longer uses
	// are forgotten.
	creds sync.Map
}

// SetupAWSAccount registers the AWSAccount controller with the manager.
func SetupAWSAccount(mgr ctrl.Manager, opts Options) error {
	policy := opts.Backoff
	if policy == (backoff.Policy{}) {
		policy = backoff.DefaultPolicy
	}
	r := &accountReconciler{Client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("vpce-controller"), tracker: backoff.NewTracker(policy)}
	users := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		name := effectiveAccount(o, opts)
		if name == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
	})
	onlyDeletes := builder.WithPredicates(predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false }, UpdateFunc: func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false }, DeleteFunc: func(event.DeleteEvent) bool { return true },
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.AWSAccount{}, builder.WithPredicates(changePredicate())).
		Watches(&v1alpha1.GatewayEndpoint{}, users, onlyDeletes).
		Watches(&v1alpha1.InterfaceEndpoint{}, users, onlyDeletes).
		Watches(&v1alpha1.InstanceConnectEndpoint{}, users, onlyDeletes).
		Named("awsaccount").
		WithOptions(opts.controllerOptions()).
		Complete(r)
}

// Reconcile implements reconcile.Reconciler.
func (r *accountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var a v1alpha1.AWSAccount
	if err := r.Get(ctx, req.NamespacedName, &a); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	// Every shard of the cluster checks the AWSAccounts it may use (its process
	// needs the credentials verified); one split by account leaves the others'.
	if accts := r.opts.Shard.Accounts; len(accts) > 0 && !slices.Contains(accts, a.Name) {
		return ctrl.Result{}, nil
	}
	if owner := claimedBy(&a); owner != "" && owner != r.opts.ClusterName {
		log.V(1).Info("Skipping an AWSAccount another install of the controller checks", "claimedBy", owner)
		return ctrl.Result{}, nil
	}
	if !a.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &a)
	}
	if claimedBy(&a) == "" || !controllerutil.ContainsFinalizer(&a, v1alpha1.AccountFinalizer) {
		base := a.DeepCopy()
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[v1alpha1.ClaimAnnotation] = r.opts.ClusterName
		controllerutil.AddFinalizer(&a, v1alpha1.AccountFinalizer)
		if err := r.Patch(ctx, &a, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, err
		}
	}
	orig := a.DeepCopy()
	cerr := r.check(ctx, &a)
	r.setConditions(&a, cerr)
	if !equality.Semantic.DeepEqual(orig.Status, a.Status) {
		if err := r.Status().Patch(ctx, &a, client.MergeFrom(orig)); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	r.announce(orig, &a, cerr)
	if cerr != nil {
		class := awserr.Retryable
		if cerr.Terminal {
			class = awserr.Terminal
		}
		// At least once a sync period: a role fixed in AWS (a trust policy, a
		// created role) is seen without touching the AWSAccount.
		return ctrl.Result{RequeueAfter: min(r.tracker.Failure(string(a.UID), class), r.opts.SyncPeriod)}, nil
	}
	r.tracker.Success(string(a.UID))
	return ctrl.Result{RequeueAfter: time.Duration(float64(r.opts.SyncPeriod) * (0.8 + 0.1*rand.Float64()))}, nil
}

// check assumes the account's role and lists its allowed VPCs into the status.
// A failure leaves the status's account ID and VPCs as they were.
func (r *accountReconciler) check(ctx context.Context, a *v1alpha1.AWSAccount) *accounts.CheckError {
	ctx, cancel := context.WithTimeout(awsclient.WithObject(ctx, "AWSAccount/"+a.Name), checkTimeout)
	defer cancel()
	creds := credentialsOf(a)
	if prev, ok := r.creds.Swap(a.Name, creds); ok && !equality.Semantic.DeepEqual(prev, creds) {
		r.opts.Accounts.Forget(prev.(accounts.Credentials))
	}
	acct := r.opts.Accounts.For(creds)
	specChanged := a.Status.ObservedGeneration != a.Generation
	a.Status.ObservedGeneration = a.Generation
	now := metav1.Now()
	a.Status.LastChecked = &now
	id, err := acct.Identify(ctx)
	if err != nil {
		return err.(*accounts.CheckError)
	}
	a.Status.AccountID, a.Status.ARN = id.Account, id.ARN
	if len(a.Spec.AllowedVPCs) == 0 {
		a.Status.AllowedVPCs = nil
		return nil
	}
	if specChanged {
		ctx = ec2cache.WithMaxAge(ctx, time.Second)
	}
	var listed []v1alpha1.AllowedVPC
	for _, region := range a.Spec.AllowedRegions {
		vpcs, err := allowedVPCs(ctx, acct.ForRegion(region), region, a.Spec.AllowedVPCs)
		if err != nil {
			return &accounts.CheckError{Reason: v1alpha1.ReasonAllowedVPCsUnresolved, Terminal: awserr.Classify(err) == awserr.Terminal, Err: err,
				Message: fmt.Sprintf("listing the VPCs of spec.allowedVPCs in %s as %s: %s; the role needs ec2:DescribeVpcs (config/iam/policy.json)", region, id.ARN, awserr.Message(err))}
		}
		listed = append(listed, vpcs...)
	}
	a.Status.AllowedVPCs = listed
	return nil
}

// allowedVPCs lists the VPCs of a region that the rules allow, sorted by ID.
func allowedVPCs(ctx context.Context, cl ec2.DescribeVpcsAPIClient, region string, rules []v1alpha1.VPCRule) ([]v1alpha1.AllowedVPC, error) {
	var out []v1alpha1.AllowedVPC
	p := ec2.NewDescribeVpcsPaginator(cl, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Vpcs {
			tags := map[string]string{}
			for _, t := range v.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			id := aws.ToString(v.VpcId)
			if slices.ContainsFunc(rules, func(rule v1alpha1.VPCRule) bool { return rule.ID == id || rule.ID == "" && carries(tags, rule.Tags) }) {
				out = append(out, v1alpha1.AllowedVPC{Region: region, ID: id, Tags: tags})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func carries(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return len(want) > 0
}

// setConditions writes Ready, and the kstatus pair: Stalled while only a change
// of the role, its trust policy, the credentials or the spec can help,
// Reconciling while a retried failure lasts.
func (r *accountReconciler) setConditions(a *v1alpha1.AWSAccount, cerr *accounts.CheckError) {
	gen := a.Generation
	ready := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAccountVerified, ObservedGeneration: gen,
		Message: fmt.Sprintf("acting as %s in account %s", a.Status.ARN, a.Status.AccountID)}
	if n := len(a.Status.AllowedVPCs); len(a.Spec.AllowedVPCs) > 0 {
		ready.Message += fmt.Sprintf("; spec.allowedVPCs matches %d VPCs in %s", n, strings.Join(a.Spec.AllowedRegions, ", "))
	}
	if cerr != nil {
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, cerr.Reason, cerr.Message
	}
	meta.SetStatusCondition(&a.Status.Conditions, ready)
	if cerr != nil && cerr.Terminal {
		meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: cerr.Reason, Message: cerr.Message, ObservedGeneration: gen})
	} else {
		meta.RemoveStatusCondition(&a.Status.Conditions, v1alpha1.ConditionStalled)
	}
	if cerr != nil && !cerr.Terminal {
		meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: cerr.Reason, Message: cerr.Message, ObservedGeneration: gen})
	} else {
		meta.RemoveStatusCondition(&a.Status.Conditions, v1alpha1.ConditionReconciling)
	}
}

// announce records an event and a log line when the account becomes Ready or
// stops being Ready.
func (r *accountReconciler) announce(before, after *v1alpha1.AWSAccount, cerr *accounts.CheckError) {
	was := meta.FindStatusCondition(before.Status.Conditions, v1alpha1.ConditionReady)
	now := meta.FindStatusCondition(after.Status.Conditions, v1alpha1.ConditionReady)
	if was != nil && was.Status == now.Status && was.Reason == now.Reason {
		return
	}
	log := ctrl.Log.WithName("awsaccount").WithValues("awsAccount", after.Name)
	if cerr == nil {
		log.Info("AWS account ready", "accountID", after.Status.AccountID, "arn", after.Status.ARN)
		r.recorder.Eventf(after, nil, "Normal", v1alpha1.EventAccountVerified, "Check", "%s", now.Message)
		return
	}
	log.Info("AWS account not ready", "reason", cerr.Reason, "message", cerr.Message)
	r.recorder.Eventf(after, nil, "Warning", v1alpha1.EventAccountFailed, "Check", "%s: %s", cerr.Reason, cerr.Message)
}

// finalize lets a deleted AWSAccount go once no endpoint object uses it, so none
// is left without the credentials to delete its endpoint.
func (r *accountReconciler) finalize(ctx context.Context, a *v1alpha1.AWSAccount) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(a, v1alpha1.AccountFinalizer) {
		return ctrl.Result{}, nil
	}
	users, err := r.users(ctx, a.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(users) > 0 {
		orig := a.DeepCopy()
		a.Status.ObservedGeneration = a.Generation
		shown := users
		if len(shown) > 5 {
			shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(users)-5))
		}
		msg := fmt.Sprintf("deletion waits for the %d endpoint objects that use this account: %s", len(users), strings.Join(shown, ", "))
		meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonAccountInUse, Message: msg, ObservedGeneration: a.Generation})
		meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAccountInUse, Message: msg, ObservedGeneration: a.Generation})
		if !equality.Semantic.DeepEqual(orig.Status, a.Status) {
			if err := r.Status().Patch(ctx, a, client.MergeFrom(orig)); err != nil {
				return ctrl.Result{}, client.IgnoreNotFound(err)
			}
		}
		return ctrl.Result{RequeueAfter: r.opts.SyncPeriod}, nil
	}
	r.opts.Accounts.Forget(credentialsOf(a))
	r.creds.Delete(a.Name)
	base := a.DeepCopy()
	controllerutil.RemoveFinalizer(a, v1alpha1.AccountFinalizer)
	if err := r.Patch(ctx, a, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// users lists the endpoint objects (namespace/name) that use an AWSAccount.
func (r *accountReconciler) users(ctx context.Context, name string) ([]string, error) {
	var out []string
	for _, list := range []client.ObjectList{&v1alpha1.GatewayEndpointList{}, &v1alpha1.InterfaceEndpointList{}, &v1alpha1.InstanceConnectEndpointList{}} {
		if err := r.List(ctx, list, client.MatchingFields{accountIndex: name}); err != nil {
			return nil, err
		}
		items, _ := meta.ExtractList(list)
		for _, it := range items {
			o := it.(client.Object)
			out = append(out, o.GetNamespace()+"/"+o.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}
