package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/accounts"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/guardrail"
)

// AccountOptions choose the AWS account of each object.
type AccountOptions struct {
	// Accounts reaches the AWS accounts of AWSAccounts.
	Accounts *accounts.Registry
	// DefaultAccount (--default-account) is the AWSAccount of objects without
	// spec.accountRef; "" means the controller's own identity without guard rails.
	DefaultAccount string
	// RequireAccountRef (--require-account-ref) refuses objects without spec.accountRef.
	RequireAccountRef bool
}

// binding is the account an object's endpoint lives in, as this reconcile uses it.
type binding struct {
	// name is the AWSAccount's name; "" for the controller's own identity without
	// an AWSAccount (no --default-account).
	name string
	// clients reach the account; nil means the engine's own.
	clients endpoint.ClientSource
	// policy is the AWSAccount's guard rails; nil allows everything.
	policy *guardrail.Policy
	// accountID is the AWS account, when known before any AWS call.
	accountID string
}

// accountName is the AWSAccount an object uses: its spec.accountRef, else the
// manager's --default-account ("" for neither).
func (r *endpointReconciler) accountName(spec endpoint.Spec) string {
	if spec.AccountName != "" {
		return spec.AccountName
	}
	return r.opts.DefaultAccount
}

// bind resolves the object's AWSAccount and checks its guard rails, from the
// informer caches only: a refusal costs no AWS call. The problem it returns is
// terminal (Stalled) when the user or the account's owner must act.
func (r *endpointReconciler) bind(ctx context.Context, obj client.Object, req endpoint.Request) (binding, *endpoint.Problem) {
	name := r.accountName(req.Spec)
	if name == "" {
		if r.opts.RequireAccountRef {
			return binding{}, terminal(v1alpha1.ReasonAccountRefRequired,
				"spec.accountRef: this controller runs with --require-account-ref, so every object must name the AWSAccount it uses; set spec.accountRef.name (kubectl get awsaccounts lists them)")
		}
		return binding{}, nil
	}
	field := "spec.accountRef.name"
	if req.Spec.AccountName == "" {
		field = "the manager's --default-account (spec.accountRef is not set)"
	}
	var acct v1alpha1.AWSAccount
	if err := r.Get(ctx, client.ObjectKey{Name: name}, &acct); err != nil {
		if apierrors.IsNotFound(err) {
			return binding{name: name}, terminal(v1alpha1.ReasonAccountNotFound,
				"%s: AWSAccount %s does not exist; create it or name an existing one (kubectl get awsaccounts)", field, name)
		}
		return binding{name: name}, &endpoint.Problem{Reason: v1alpha1.ReasonAccountNotReady, Message: fmt.Sprintf("reading AWSAccount %s: %v", name, err), Class: awserr.Retryable}
	}
	policy, err := guardrail.FromAccount(&acct)
	if err != nil {
		return binding{name: name}, terminal(v1alpha1.ReasonAccountNotReady, "%v; fix the AWSAccount", err)
	}
	acctClients := r.opts.Accounts.For(credentialsOf(&acct))
	b := binding{
		name:      name,
		clients:   acctClients,
		policy:    policy,
		accountID: acct.Status.AccountID,
	}
	object, perr := r.guardObject(ctx, obj, req)
	if perr != nil {
		return b, perr
	}
	if refusal := guardrail.CheckNamespace(policy, object); refusal != nil {
		return b, terminal(refusal.Reason, "%s", refusal.Message)
	}
	if p := accountReady(&acct, acctClients); p != nil {
		return b, p
	}
	if refusal := guardrail.Check(policy, object); refusal != nil {
		return b, terminal(refusal.Reason, "%s", refusal.Message)
	}
	return b, nil
}

// guardObject is what the guard rails look at in the object, its namespace's
// labels included.
func (r *endpointReconciler) guardObject(ctx context.Context, obj client.Object, req endpoint.Request) (guardrail.Object, *endpoint.Problem) {
	var ns corev1.Namespace
	if err := r.Get(ctx, client.ObjectKey{Name: obj.GetNamespace()}, &ns); err != nil {
		return guardrail.Object{}, &endpoint.Problem{Reason: v1alpha1.ReasonAccountNotReady, Message: fmt.Sprintf("reading namespace %s: %v", obj.GetNamespace(), err), Class: awserr.Retryable}
	}
	s, c := req.Spec, r.kind.common(obj)
	region := s.Region
	if region == "" {
		region = r.opts.Accounts.DefaultRegion()
	}
	return guardrail.Object{
		Namespace:           obj.GetNamespace(),
		NamespaceLabels:     ns.Labels,
		Region:              region,
		VPCID:               s.VPCID,
		VPCTags:             s.VPCTags,
		Service:             s.Service,
		InstanceConnect:     s.Type == endpoint.InstanceConnect,
		EndpointID:          s.AdoptID,
		EnsureVPCAttributes: s.EnsureVPCDNS,
		RecordedAccountID:   c.AccountID,
		RecordedEndpointID:  c.EndpointID,
	}, nil
}

// accountReady says why an AWSAccount cannot be used yet: it is not Ready, or its
// spec changed since its check and the credentials it names now were not checked
// yet. An account being deleted stays usable while objects use it. An edit that keeps the credentials (an allow-list) needs no new check
// first: the guard rails read the spec itself, so endpoints stay Ready meanwhile.
func accountReady(a *v1alpha1.AWSAccount, acct *accounts.Account) *endpoint.Problem {
	ready := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
	if ready != nil && ready.Status == "True" && (a.Status.ObservedGeneration == a.Generation || acct.Verified()) {
		return nil
	}
	if !a.DeletionTimestamp.IsZero() && acct.Verified() {
		return nil // deleted, and kept while objects use it: they keep working meanwhile
	}
	msg := fmt.Sprintf("AWSAccount %s is not ready yet: the controller has not checked its spec yet", a.Name)
	if ready != nil && ready.Status != "True" {
		msg = fmt.Sprintf("AWSAccount %s is not ready (%s): %s", a.Name, ready.Reason, ready.Message)
	}
	p := &endpoint.Problem{Reason: v1alpha1.ReasonAccountNotReady, Message: msg + "; this object continues once it is", Class: awserr.Retryable}
	if meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled) {
		p.Class = awserr.Terminal
	}
	return p
}

// credentialsOf is how the controller reaches an AWSAccount.
func credentialsOf(a *v1alpha1.AWSAccount) accounts.Credentials {
	return accounts.Credentials{RoleARN: a.Spec.RoleARN, ExternalID: a.Spec.ExternalID, SessionTags: a.Spec.SessionTags}
}

func terminal(reason, format string, args ...any) *endpoint.Problem {
	return &endpoint.Problem{Reason: reason, Message: fmt.Sprintf(format, args...), Class: awserr.Terminal}
}

// deleteBound deletes what the controller made for the object. A refused object
// for which the status records nothing made (nor about to be made) goes without
// an AWS call. Otherwise the guard rails do not hold the deletion back, since it
// only removes what the controller made; a missing account does.
func (r *endpointReconciler) deleteBound(ctx context.Context, req endpoint.Request, b binding, refused *endpoint.Problem) endpoint.Outcome {
	switch {
	case refused != nil && nothingMade(req):
		return endpoint.Outcome{Done: true}
	case refused != nil && b.clients == nil && b.name != "":
		return r.engine.Refuse(req, refused) // the AWSAccount is gone: nothing to delete with
	}
	return r.engine.Delete(ctx, req)
}

// nothingMade reports whether the status records nothing the controller made or
// was about to make for the object in AWS, so deleting it needs no AWS call.
func nothingMade(req endpoint.Request) bool {
	p := req.Prior
	return p.EndpointID == "" && p.EndpointIntent == nil && p.ManagedSecurityGroupID == "" && p.GroupIntent == nil
}

// writeAccountStatus records where the endpoint lives: the account (as EC2 lists
// the endpoint's owner, else as the AWSAccount resolved it), the endpoint's ARN,
// and the keys of the tags the controller set.
func (r *endpointReconciler) writeAccountStatus(obj client.Object, out endpoint.Outcome, b binding) {
	c := r.kind.common(obj)
	switch {
	case out.AccountID != "":
		c.AccountID = out.AccountID
	case c.AccountID == "" && b.accountID != "" && out.Problem == nil:
		c.AccountID = b.accountID
	}
	c.AppliedTagKeys = out.AppliedTagKeys
	c.EndpointARN = accounts.EndpointARN(c.Region, c.AccountID, c.EndpointID)
}
