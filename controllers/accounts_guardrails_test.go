package controllers_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
)

// slowRetries makes refused objects retry only after ten minutes, so that what
// brings them back within a test is the watch on their AWSAccount or namespace.
var slowRetries = backoff.Policy{
	Retryable: backoff.DefaultPolicy.Retryable,
	Throttled: backoff.DefaultPolicy.Throttled,
	Poll:      backoff.DefaultPolicy.Poll,
	Terminal:  backoff.Schedule{Base: 10 * time.Minute, Cap: 10 * time.Minute},
}

// TestGuardRailsRefuseBeforeAnyAWSCall: each rule of an AWSAccount refuses an
// object that breaks it with Synced=False and Stalled=True, a reason of its own
// and a message naming the field, the rule and the account, and the controller
// makes no AWS call for the object, then or on later reconciles. Fixing the rule
// (a namespace label, the account's spec) brings the object back without
// touching it.
func TestGuardRailsRefuseBeforeAnyAWSCall(t *testing.T) {
	h := newAccountHarness(t, accountHarnessOptions{harnessOptions: harnessOptions{extraNamespaces: 1, backoff: slowRetries}})
	other := h.extra[0]
	h.labelNamespace(h.ns, map[string]string{"tenant": "a"})
	h.labelNamespace(other, map[string]string{"tenant": "b"})
	otherVPC, _, _ := h.otherVPC()
	existing, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.dynamodb"), VpcEndpointType: types.VpcEndpointTypeGateway})
	if err != nil {
		t.Fatal(err)
	}
	existingID := aws.ToString(existing.VpcEndpoint.VpcEndpointId)

	name := h.accountName("tenant-a")
	h.createAccount(&v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.AWSAccountSpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "a"}},
			AllowedRegions:    []string{"us-east-1"},
			AllowedVPCs:       []v1alpha1.VPCRule{{Tags: map[string]string{"Name": "ec2sim-fixture"}}},
			AllowedServices:   []string{"s3", "dynamodb", "ssm"},
		},
	})
	acct := h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
	if acct.Status.AccountID != simAccount || len(acct.Status.AllowedVPCs) != 1 || acct.Status.AllowedVPCs[0].ID != h.fix.VPCID {
		t.Fatalf("account status %+v", acct.Status)
	}
	ref := &v1alpha1.AccountReference{Name: name}
	rts := v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]}
	subnets := v1alpha1.SubnetSelector{IDs: h.privateSubnets()[:1]}

	type refusal struct {
		obj    client.Object
		reason string
		words  []string
	}
	var cases []refusal
	add := func(obj client.Object, reason string, words ...string) {
		obj.(v1alpha1.AccountUser).CommonSpec().AccountRef = ref
		cases = append(cases, refusal{obj, reason, append(words, "AWSAccount "+name)})
	}
	inOther := gateway("other-namespace", h.fix.VPCID, rts)
	inOther.Namespace = other
	add(inOther, v1alpha1.ReasonNamespaceNotAllowed, "metadata.namespace", "namespace "+other, "tenant=a")
	region := gateway("other-region", h.fix.VPCID, rts)
	region.Spec.Region = "eu-west-1"
	add(region, v1alpha1.ReasonRegionNotAllowed, "spec.region", "eu-west-1")
	add(gateway("other-vpc", otherVPC, rts), v1alpha1.ReasonVPCNotAllowed, "spec.vpc.id", otherVPC, "tags {Name=ec2sim-fixture}", h.fix.VPCID)
	byTags := gateway("vpc-by-tags", "", rts)
	byTags.Spec.VPC = v1alpha1.VPCSelector{Tags: map[string]string{"Name": "not-the-fixture"}}
	add(byTags, v1alpha1.ReasonVPCNotAllowed, "spec.vpc.tags", "{Name=not-the-fixture}")
	add(iface("other-service", h.fix.VPCID, "ecr.dkr", subnets), v1alpha1.ReasonServiceNotAllowed, "spec.service", "com.amazonaws.us-east-1.ecr.dkr", "s3, dynamodb, ssm")
	adopt := gateway("adopt", h.fix.VPCID, rts)
	adopt.Spec.Service, adopt.Spec.EndpointID = "dynamodb", existingID
	add(adopt, v1alpha1.ReasonAdoptionNotAllowed, "spec.endpointID", "spec.allowAdoption is false")
	dns := iface("dns", h.fix.VPCID, "ssm", subnets)
	dns.Spec.PrivateDNS.EnsureVPCAttributes = true
	add(dns, v1alpha1.ReasonVPCAttributeChangesNotAllowed, "spec.privateDNS.ensureVPCAttributes", "spec.allowVPCAttributeChanges is false")

	before, accountBefore := h.simCalls(), h.counter.calls("AWSAccount/"+name)
	for _, c := range cases {
		if c.obj.GetNamespace() == "" {
			c.obj.SetNamespace(h.ns)
		}
		if err := h.k.Create(h.ctx, c.obj); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		for _, c := range cases {
			synced := h.waitCondition(c.obj, v1alpha1.ConditionSynced, metav1.ConditionFalse, c.reason, 20*time.Second)
			for _, w := range c.words {
				if !strings.Contains(synced.Message, w) {
					t.Errorf("%s: message %q lacks %q", c.obj.GetName(), synced.Message, w)
				}
			}
			h.waitCondition(c.obj, v1alpha1.ConditionStalled, metav1.ConditionTrue, c.reason, 20*time.Second)
			if calls := h.counter.calls(key(c.obj)); len(calls) > 0 {
				t.Errorf("%s: AWS calls made for a refused object: %v", c.obj.GetName(), calls)
			}
		}
	}
	check()
	// A new generation is reconciled (and refused) again, still without a call.
	for _, c := range cases {
		h.update(c.obj, func() {
			c.obj.(v1alpha1.AccountUser).CommonSpec().Tags = map[string]v1alpha1.TagValue{"edited": "yes"}
		})
	}
	check()
	// Everything ec2sim counted meanwhile was the account's own periodic check.
	delta := diffCalls(h.simCalls(), before)
	if want := diffCalls(h.counter.calls("AWSAccount/"+name), accountBefore); !maps.Equal(delta, want) {
		t.Fatalf("ec2sim counted %v while the objects were refused; the AWSAccount's checks account for %v", delta, want)
	}

	// Fixing a rule brings its object back at once (retries are ten minutes apart).
	h.labelNamespace(other, map[string]string{"tenant": "a"})
	h.updateAccount(name, func(a *v1alpha1.AWSAccount) {
		a.Spec.AllowAdoption = true
		a.Spec.AllowVPCAttributeChanges = true
		a.Spec.AllowedServices = append(a.Spec.AllowedServices, "ecr.dkr")
	})
	for _, c := range cases {
		switch c.obj.GetName() {
		case "other-namespace", "adopt", "dns", "other-service":
			h.waitReady(c.obj)
			if s := commonStatus(c.obj); s.AccountID != simAccount || !strings.HasPrefix(s.EndpointARN, "arn:aws:ec2:us-east-1:"+simAccount+":vpc-endpoint/vpce-") {
				t.Errorf("%s: status accountID %q endpointARN %q", c.obj.GetName(), s.AccountID, s.EndpointARN)
			}
		default:
			h.waitCondition(c.obj, v1alpha1.ConditionSynced, metav1.ConditionFalse, c.reason, 20*time.Second)
		}
	}
	if got := commonStatus(adopt).EndpointID; got != existingID {
		t.Fatalf("adopted %s, want %s", got, existingID)
	}
}

// diffCalls is now minus before, by action, without zeros.
func diffCalls(now, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
