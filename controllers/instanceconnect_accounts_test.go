package controllers_test

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// TestInstanceConnectUnderAnAWSAccount: an InstanceConnectEndpoint names its
// AWSAccount like the other kinds, and the account's guard rails apply to it
// before any AWS call: a namespace the account does not select, an account
// whose allowedServices lacks ec2-instance-connect-endpoint, and adoption in an
// account that does not allow it are each refused with their own reason and
// zero EC2 calls for the object, also after an edit. Allowing the service and
// adoption lets both objects converge without touching them, with the
// account's ID and the endpoint's ARN in their status.
func TestInstanceConnectUnderAnAWSAccount(t *testing.T) {
	h := newAccountHarness(t, accountHarnessOptions{harnessOptions: harnessOptions{extraNamespaces: 1, backoff: slowRetries}})
	other := h.extra[0]
	h.labelNamespace(h.ns, map[string]string{"tenant": "a"})
	h.labelNamespace(other, map[string]string{"tenant": "b"})
	vpc, subnet, _ := h.otherVPC()
	made, err := h.ec2.CreateInstanceConnectEndpoint(h.ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(subnet)})
	if err != nil {
		t.Fatal(err)
	}
	existing := aws.ToString(made.InstanceConnectEndpoint.InstanceConnectEndpointId)

	name := h.accountName("eice")
	h.createAccount(&v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.AWSAccountSpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "a"}},
			AllowedServices:   []string{"s3", "com.amazonaws.vpce.*"},
		},
	})
	h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
	ref := &v1alpha1.AccountReference{Name: name}

	service := eice("bastion", h.fix.VPCID)
	service.Spec.AccountRef = ref
	ns := eice("other-namespace", h.fix.VPCID)
	ns.Namespace = other
	ns.Spec.AccountRef = ref
	adopt := eice("adopt", vpc)
	adopt.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: subnet}
	adopt.Spec.EndpointID = existing
	adopt.Spec.AccountRef = ref
	type refusal struct {
		obj    *v1alpha1.InstanceConnectEndpoint
		reason string
		words  []string
	}
	// refused checks that each object is refused for its reason, with a message
	// naming the field and the rule, and without an EC2 call made for it, then
	// and after an edit.
	refused := func(cases ...refusal) {
		t.Helper()
		before, accountBefore := h.simCalls(), h.counter.calls("AWSAccount/"+name)
		check := func() {
			t.Helper()
			for _, c := range cases {
				synced := h.waitCondition(c.obj, v1alpha1.ConditionSynced, metav1.ConditionFalse, c.reason, 20*time.Second)
				for _, w := range c.words {
					if !strings.Contains(synced.Message, w) {
						t.Errorf("%s: message %q lacks %q", c.obj.Name, synced.Message, w)
					}
				}
				h.waitCondition(c.obj, v1alpha1.ConditionStalled, metav1.ConditionTrue, c.reason, 5*time.Second)
				if calls := h.counter.calls(key(c.obj)); len(calls) > 0 {
					t.Errorf("%s: AWS calls made for a refused object: %v", c.obj.Name, calls)
				}
			}
		}
		check()
		for _, c := range cases {
			h.update(c.obj, func() { c.obj.Spec.Tags = map[string]v1alpha1.TagValue{"edited": "yes"} })
		}
		check()
		if delta, want := diffCalls(h.simCalls(), before), diffCalls(h.counter.calls("AWSAccount/"+name), accountBefore); !maps.Equal(delta, want) {
			t.Fatalf("ec2sim counted %v while the objects were refused; the AWSAccount's checks account for %v", delta, want)
		}
	}
	h.create(service)
	refused(refusal{service, v1alpha1.ReasonServiceNotAllowed, []string{"kind InstanceConnectEndpoint", "AWSAccount " + name, "add ec2-instance-connect-endpoint to spec.allowedServices"}})

	// Allowing the kind brings the object back at once (retries are ten minutes
	// apart); an object in a namespace the account does not select, and an
	// adoption, are refused still.
	h.updateAccount(name, func(a *v1alpha1.AWSAccount) {
		a.Spec.AllowedServices = append(a.Spec.AllowedServices, "ec2-instance-connect-endpoint")
	})
	h.waitReady(service)
	if err := h.k.Create(h.ctx, ns); err != nil { // h.create would put it in h.ns
		t.Fatal(err)
	}
	h.create(adopt)
	refused(
		refusal{ns, v1alpha1.ReasonNamespaceNotAllowed, []string{"metadata.namespace", "namespace " + other, "tenant=a"}},
		refusal{adopt, v1alpha1.ReasonAdoptionNotAllowed, []string{"spec.endpointID", "AWSAccount " + name, "spec.allowAdoption is false"}},
	)
	if got := tagsOf(h.iceOf(existing).Tags); len(got) != 0 {
		t.Fatalf("the refused adoption tagged %s: %v", existing, got)
	}
	h.updateAccount(name, func(a *v1alpha1.AWSAccount) { a.Spec.AllowAdoption = true })
	for _, obj := range []*v1alpha1.InstanceConnectEndpoint{service, adopt} {
		h.waitReady(obj)
		st := obj.Status
		if st.AccountID != simAccount || st.EndpointARN != "arn:aws:ec2:us-east-1:"+simAccount+":instance-connect-endpoint/"+st.EndpointID {
			t.Errorf("%s: status accountID %q endpointARN %q (endpoint %s)", obj.Name, st.AccountID, st.EndpointARN, st.EndpointID)
		}
	}
	if adopt.Status.EndpointID != existing {
		t.Fatalf("adopted %s, want %s", adopt.Status.EndpointID, existing)
	}
	h.waitCondition(ns, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonNamespaceNotAllowed, 5*time.Second)
}

// TestInstanceConnectTagsAndGauges: --default-tags land on the endpoint and its
// managed group; a tag someone else adds survives drift checks while the
// object's own is repaired, and dropping a spec tag removes only it; adoption keeps the tags the endpoint had and
// status.appliedTagKeys lists only those the controller set; the object gauges
// count the kind by its state and readiness, and drop it once it is deleted.
func TestInstanceConnectTagsAndGauges(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.options = func(o *manager.Options) { o.DefaultTags = "CostCenter=platform,ManagedBy=vpce-controller" }
	h.startManager("")
	ep := eice("tags", h.fix.VPCID)
	ep.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
	h.create(ep)
	h.waitReady(ep)
	id, sg := ep.Status.EndpointID, ep.Status.ManagedSecurityGroupID
	if got := tagsOf(h.iceOf(id).Tags); got["ManagedBy"] != "vpce-controller" || got["CostCenter"] != "platform" || got["team"] != "platform" {
		t.Fatalf("endpoint tags %v: want the default tags and spec.tags", got)
	}
	groups, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(groups.SecurityGroups[0].Tags); got["ManagedBy"] != "vpce-controller" || got["vpce.dev/owner-uid"] != string(ep.UID) {
		t.Fatalf("managed security group tags %v", got)
	}
	h.waitGauges(map[string]map[string]float64{
		"vpce_endpoints":       {"kind=InstanceConnectEndpoint,state=create-complete": 1},
		"vpce_endpoints_ready": {"kind=InstanceConnectEndpoint,ready=true": 1},
	})

	// A foreign tag survives the drift checks that put the object's own back.
	h.tag(id, "Owner", "security-team")
	for round := 1; round <= 3; round++ {
		// Stripped, then given another value, in turns (see
		// TestForeignTagSurvivesTenSyncPeriods).
		if round%2 == 1 {
			if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("team")}}}); err != nil {
				t.Fatal(err)
			}
		} else {
			h.tag(id, "team", "someone-else")
		}
		h.eventually(4*syncPeriod, fmt.Sprintf("round %d: team restored", round), func() error {
			tags := tagsOf(h.iceOf(id).Tags)
			if tags["Owner"] != "security-team" {
				t.Fatalf("round %d: the foreign tag is gone: %v", round, tags)
			}
			if tags["team"] != "platform" {
				return fmt.Errorf("tags %v", tags)
			}
			return nil
		})
	}
	h.get(ep)
	if want := []string{"CostCenter", "ManagedBy", "Name", "team"}; !reflect.DeepEqual(ep.Status.AppliedTagKeys, want) {
		t.Fatalf("status.appliedTagKeys = %v, want %v", ep.Status.AppliedTagKeys, want)
	}
	// Dropping the spec tag removes it, and only it.
	h.update(ep, func() { ep.Spec.Tags = nil })
	h.eventually(10*time.Second, "spec tag removed", func() error {
		tags := tagsOf(h.iceOf(id).Tags)
		if _, ok := tags["team"]; ok || tags["Owner"] != "security-team" || tags["ManagedBy"] != "vpce-controller" {
			return fmt.Errorf("tags %v", tags)
		}
		return nil
	})
	h.eventually(10*time.Second, "status.appliedTagKeys without team", func() error {
		h.get(ep)
		if want := []string{"CostCenter", "ManagedBy", "Name"}; !reflect.DeepEqual(ep.Status.AppliedTagKeys, want) {
			return fmt.Errorf("status.appliedTagKeys = %v, want %v", ep.Status.AppliedTagKeys, want)
		}
		return nil
	})
	h.deleteAndWait(ep)
	h.waitGauges(nil)

	// Adoption keeps what the endpoint carries and adds only what it lacked.
	made, err := h.ec2.CreateInstanceConnectEndpoint(h.ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId: aws.String(h.subnetInZone("us-east-1a")),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstanceConnectEndpoint, Tags: []types.Tag{
			{Key: aws.String("Name"), Value: aws.String("made-by-terraform")},
			{Key: aws.String("CostCenter"), Value: aws.String("finance")},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	existing := aws.ToString(made.InstanceConnectEndpoint.InstanceConnectEndpointId)
	adopt := eice("adopt", h.fix.VPCID)
	adopt.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: h.subnetInZone("us-east-1a")}
	adopt.Spec.EndpointID = existing
	adopt.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	h.create(adopt)
	h.waitReady(adopt)
	want := map[string]string{
		"Name": "made-by-terraform", "CostCenter": "finance", // kept
		"ManagedBy":        "vpce-controller", // added
		"vpce.dev/cluster": "test", "vpce.dev/owner": h.ns + "/adopt", "vpce.dev/owner-uid": string(adopt.UID),
	}
	h.eventually(10*time.Second, "adopted endpoint's tags", func() error {
		if got := tagsOf(h.iceOf(existing).Tags); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("tags %v, want %v", got, want)
		}
		return nil
	})
	h.eventually(10*time.Second, "appliedTagKeys of the adopted endpoint", func() error {
		h.get(adopt)
		if got := adopt.Status.AppliedTagKeys; !reflect.DeepEqual(got, []string{"ManagedBy"}) {
			return fmt.Errorf("appliedTagKeys = %v, want [ManagedBy]", got)
		}
		return nil
	})
	// Retained: the controller's tags go, the others stay.
	h.deleteAndWait(adopt)
	h.eventually(10*time.Second, "retained endpoint's tags", func() error {
		got := tagsOf(h.iceOf(existing).Tags)
		if got["Name"] != "made-by-terraform" || got["CostCenter"] != "finance" || got["vpce.dev/owner-uid"] != "" {
			return fmt.Errorf("tags %v", got)
		}
		return nil
	})
	h.waitGauges(nil)
}

// TestAccountInUseByAnInstanceConnectEndpointIsKept: an AWSAccount an
// InstanceConnectEndpoint uses is kept while the object lives, and goes as soon
// as the object (and its endpoint) is deleted: the object's deletion, not a
// periodic recheck (ten minutes apart here), lets it go.
func TestAccountInUseByAnInstanceConnectEndpointIsKept(t *testing.T) {
	h := newAccountHarness(t, accountHarnessOptions{options: func(o *manager.Options) { o.SyncPeriod = 10 * time.Minute }})
	name := h.accountName("eice-in-use")
	h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AWSAccountSpec{NamespaceSelector: metav1.LabelSelector{}}})
	h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
	ep := eice("bastion", h.fix.VPCID)
	ep.Spec.AccountRef = &v1alpha1.AccountReference{Name: name}
	h.create(ep)
	h.waitReady(ep)
	var a v1alpha1.AWSAccount
	if err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a); err != nil {
		t.Fatal(err)
	}
	if err := h.k.Delete(h.ctx, &a); err != nil {
		t.Fatal(err)
	}
	kept := h.waitAccount(name, metav1.ConditionFalse, v1alpha1.ReasonAccountInUse, 10*time.Second)
	if c := findCondition(kept.Status.Conditions, v1alpha1.ConditionReady); !strings.Contains(c.Message, h.ns+"/bastion") {
		t.Fatalf("in-use message %q does not name the object", c.Message)
	}
	h.deleteAndWait(ep)
	if n := len(h.liveICEs()); n != 0 {
		t.Fatalf("%d Instance Connect Endpoints left after the object was deleted", n)
	}
	h.eventually(30*time.Second, "AWSAccount gone", func() error {
		err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a)
		if err == nil {
			return errStillThere
		}
		return client.IgnoreNotFound(err)
	})
}
