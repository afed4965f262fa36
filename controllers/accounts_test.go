package controllers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// TestUnassumableRoleRecoversWithoutTouchingObjects: an AWSAccount whose role
// STS refuses says why (the role, the caller, the external ID sent) and is
// Stalled; its endpoints say AccountNotReady with that reason and make no AWS
// call. Once the role may be assumed (the trust policy fixed in AWS), the account
// is Ready within a sync period and the endpoints converge, nothing edited.
func TestUnassumableRoleRecoversWithoutTouchingObjects(t *testing.T) {
	h := newAccountHarness(t, accountHarnessOptions{})
	role := "arn:aws:iam::" + simAccount + ":role/spoke" // does not exist yet
	name := h.accountName("spoke")
	h.createAccount(&v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1alpha1.AWSAccountSpec{RoleARN: role, ExternalID: "tenant-a-7f3e", NamespaceSelector: metav1.LabelSelector{}},
	})
	a := h.waitAccount(name, metav1.ConditionFalse, v1alpha1.ReasonAssumeRoleDenied, 20*time.Second)
	ready := findCondition(a.Status.Conditions, v1alpha1.ConditionReady)
	for _, w := range []string{"arn:aws:iam::" + simAccount + ":user/test", "assume role " + role, "external ID (spec.externalID)", "does not exist", "trust policy"} {
		if !strings.Contains(ready.Message, w) {
			t.Errorf("Ready message %q lacks %q", ready.Message, w)
		}
	}
	if c := findCondition(a.Status.Conditions, v1alpha1.ConditionStalled); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("an account whose role is refused is not Stalled: %+v", a.Status.Conditions)
	}
	h.waitAccountEvent(a, v1alpha1.EventAccountFailed, "AssumeRoleDenied")

	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
	gw.Spec.AccountRef = &v1alpha1.AccountReference{Name: name}
	h.create(gw)
	synced := h.waitCondition(gw, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAccountNotReady, 10*time.Second)
	if !strings.Contains(synced.Message, "AWSAccount "+name+" is not ready (AssumeRoleDenied)") {
		t.Errorf("Synced message %q", synced.Message)
	}
	h.waitCondition(gw, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonAccountNotReady, 20*time.Second)
	if calls := h.counter.calls(key(gw)); len(calls) > 0 {
		t.Fatalf("AWS calls for an object whose account cannot be used: %v", calls)
	}

	// A role whose trust policy wants another external ID is refused too; fixing
	// the trust policy in AWS is seen within a sync period.
	h.spokeRole(simAccount, "spoke", "something-else")
	rechecked := h.waitRecheck(name, time.Now())
	if c := findCondition(rechecked.Status.Conditions, v1alpha1.ConditionReady); c.Reason != v1alpha1.ReasonAssumeRoleDenied {
		t.Fatalf("with the wrong external ID: Ready %s %s", c.Reason, c.Message)
	}
	h.spokeRole(simAccount, "spoke", "tenant-a-7f3e")
	a = h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
	if a.Status.AccountID != simAccount || !strings.HasPrefix(a.Status.ARN, "arn:aws:sts::"+simAccount+":assumed-role/spoke/vpce-controller-") {
		t.Fatalf("account status %+v", a.Status)
	}
	h.waitReady(gw)
	if s := commonStatus(gw); s.AccountID != simAccount || s.EndpointARN != "arn:aws:ec2:us-east-1:"+simAccount+":vpc-endpoint/"+s.EndpointID {
		t.Fatalf("status accountID %q endpointARN %q", s.AccountID, s.EndpointARN)
	}
	if gw.Generation != 1 {
		t.Fatalf("the object was edited (generation %d)", gw.Generation)
	}
	h.waitAccountEvent(a, v1alpha1.EventAccountVerified, "acting as")
}

// TestAccountInUseIsKept: an AWSAccount is deleted only once no object uses it,
// so none is left without the credentials to delete its endpoint.
func TestAccountInUseIsKept(t *testing.T) {
	h := newAccountHarness(t, accountHarnessOptions{})
	name := h.accountName("shared")
	h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AWSAccountSpec{NamespaceSelector: metav1.LabelSelector{}}})
	h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
	gw.Spec.AccountRef = &v1alpha1.AccountReference{Name: name}
	h.create(gw)
	h.waitReady(gw)
	var a v1alpha1.AWSAccount
	if err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a); err != nil {
		t.Fatal(err)
	}
	if err := h.k.Delete(h.ctx, &a); err != nil {
		t.Fatal(err)
	}
	a2 := h.waitAccount(name, metav1.ConditionFalse, v1alpha1.ReasonAccountInUse, 10*time.Second)
	if c := findCondition(a2.Status.Conditions, v1alpha1.ConditionReady); !strings.Contains(c.Message, h.ns+"/s3") {
		t.Fatalf("in-use message %q does not name the object", c.Message)
	}
	id := commonStatus(gw).EndpointID
	h.deleteAndWait(gw)
	// Deleted, deleting, or already gone (NotFound).
	if out, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}); err == nil {
		if got := out.VpcEndpoints[0].State; !strings.EqualFold(string(got), "deleted") && !strings.EqualFold(string(got), "deleting") {
			t.Fatalf("endpoint %s is %s after its object was deleted", id, got)
		}
	} else if !awserr.IsNotFound(err) {
		t.Fatal(err)
	}
	h.eventually(20*time.Second, "AWSAccount gone", func() error {
		err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a)
		if err == nil {
			return errStillThere
		}
		return client.IgnoreNotFound(err)
	})
}

// TestDefaultAccountAndRequiredRef: --default-account applies an AWSAccount (and
// its guard rails) to objects without spec.accountRef; --require-account-ref
// refuses such objects before any AWS call.
func TestDefaultAccountAndRequiredRef(t *testing.T) {
	t.Run("default account", func(t *testing.T) {
		var name string
		h := newAccountHarness(t, accountHarnessOptions{harnessOptions: harnessOptions{noStart: true}, options: func(o *manager.Options) { o.DefaultAccount = name }})
		name = h.accountName("default")
		h.labelNamespace(h.ns, map[string]string{"tenant": "a"})
		h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AWSAccountSpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "a"}},
			AllowedServices:   []string{"dynamodb"},
		}})
		h.start()
		h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
		s3 := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
		h.create(s3)
		c := h.waitCondition(s3, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonServiceNotAllowed, 10*time.Second)
		if !strings.Contains(c.Message, "AWSAccount "+name) {
			t.Errorf("message %q does not name the default account", c.Message)
		}
		ddb := gateway("ddb", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
		ddb.Spec.Service = "dynamodb"
		h.create(ddb)
		h.waitReady(ddb)
		if calls := h.counter.calls(key(s3)); len(calls) > 0 {
			t.Fatalf("calls for the refused object: %v", calls)
		}
	})
	t.Run("required ref", func(t *testing.T) {
		h := newAccountHarness(t, accountHarnessOptions{options: func(o *manager.Options) { o.RequireAccountRef = true }})
		gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
		h.create(gw)
		c := h.waitCondition(gw, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAccountRefRequired, 10*time.Second)
		if !strings.Contains(c.Message, "spec.accountRef") || !strings.Contains(c.Message, "--require-account-ref") {
			t.Errorf("message %q", c.Message)
		}
		h.waitCondition(gw, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonAccountRefRequired, 20*time.Second)
		if calls := h.counter.calls(key(gw)); len(calls) > 0 {
			t.Fatalf("calls for the refused object: %v", calls)
		}
		// Deleting it needs no AWS call either: nothing was made.
		h.deleteAndWait(gw)
		if calls := h.counter.calls(key(gw)); len(calls) > 0 {
			t.Fatalf("calls to delete an object for which nothing was made: %v", calls)
		}
	})
}

func findCondition(conds []metav1.Condition, typ string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

type stillThere struct{}

func (stillThere) Error() string { return "still there" }

var errStillThere error = stillThere{}
