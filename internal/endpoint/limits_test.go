package endpoint

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

func TestNormalStateAcceptsAnyCase(t *testing.T) {
	for in, want := range map[string]string{
		"available": stateAvailable, "Available": stateAvailable, "AVAILABLE": stateAvailable,
		"pendingAcceptance": statePendingAcceptance, "PendingAcceptance": statePendingAcceptance, "pendingacceptance": statePendingAcceptance,
		"Pending": statePending, "Deleting": stateDeleting, "Deleted": stateDeleted, "Rejected": stateRejected,
		"Failed": stateFailed, "Expired": stateExpired, "Partial": statePartial, "Somethingnew": "Somethingnew",
	} {
		if got := normalState(in); got != want {
			t.Errorf("normalState(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{"Deleting", "deleted"} {
		if !gone(s) {
			t.Errorf("gone(%q) = false", s)
		}
	}
	for _, s := range []string{"Expired", "failed", "Rejected", "Partial", "available"} {
		if gone(s) {
			t.Errorf("gone(%q) = true: the endpoint stays until deleted", s)
		}
	}
}

func TestNamesAndTagsStayWithinAWSLimits(t *testing.T) {
	long := Owner{Cluster: strings.Repeat("c", 63), Kind: "InterfaceEndpoint", Namespace: strings.Repeat("n", 63), Name: strings.Repeat("x", 253), UID: "0123abcd-1111-2222-3333-444455556666"}
	hard, soft := desiredTags(long, nil, map[string]string{"CostCenter": "platform"})
	for k, v := range (Desired{Tags: hard, SoftTags: soft}).createTags() {
		if utf8.RuneCountInString(v) > maxTagValue {
			t.Errorf("tag %s has %d characters", k, utf8.RuneCountInString(v))
		}
	}
	if got := ownershipTags(long)[TagOwnerUID]; got != long.UID {
		t.Errorf("owner-uid %q, want the whole UID", got)
	}
	name := groupName(long)
	if len(name) > maxGroupName || !strings.HasSuffix(name, "-0123abcd") {
		t.Errorf("group name %q (%d characters)", name, len(name))
	}
	if d := groupDescription(long); len(d) > maxGroupDescription {
		t.Errorf("description of %d characters", len(d))
	}
	// Unique per object: the same namespace/name with another UID gets another name.
	other := long
	other.UID = "ffffffff-1111-2222-3333-444455556666"
	if groupName(other) == name {
		t.Error("two objects of one name share a group name")
	}
	short := Owner{Cluster: "prod", Namespace: "app", Name: "ssm", UID: "abcdef01-2"}
	if got := groupName(short); got != "vpce-prod-app-ssm-abcdef01" {
		t.Errorf("group name %q", got)
	}
}

func TestTooManyTagsRefusedBeforeAnyCall(t *testing.T) {
	tags := map[string]string{}
	for i := range 47 {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	e := &Engine{}
	req := Request{Owner: Owner{Cluster: "c", Namespace: "n", Name: "x", UID: "u"}, Spec: Spec{Type: Gateway, Tags: tags}}
	_, err := e.resolve(context.Background(), nil, "us-east-1", req, &Outcome{}) // a nil client panics on any call
	var p *Problem
	if !errors.As(err, &p) || p.Reason != v1alpha1.ReasonTooManyTags || !strings.Contains(p.Message, "remove 1 of spec.tags") {
		t.Fatalf("err = %v", err)
	}
	tags["Name"] = "mine" // replaces the controller's Name: 47 + 3 = 50
	delete(tags, "k00")
	tags["k47"] = "v"
	d := Desired{}
	d.Tags, d.SoftTags = desiredTags(req.Owner, tags, nil)
	if d.tagCount() != 51 {
		t.Fatalf("%d tags", d.tagCount())
	}
}

func TestDNSOptionsAlwaysSentForServicesWithGateways(t *testing.T) {
	on, off := true, false
	cases := []struct {
		name string
		d    Desired
		svc  serviceInfo
		dns  bool
		want *bool // PrivateDnsOnlyForInboundResolverEndpoint sent; nil: none
	}{
		{"s3 with private DNS: false sent, not left to AWS's default (true)", Desired{OnlyInbound: &off}, serviceInfo{OffersGateway: true}, true, &off},
		{"s3 only for inbound", Desired{OnlyInbound: &on}, serviceInfo{OffersGateway: true}, true, &on},
		{"s3 without private DNS: nothing", Desired{OnlyInbound: &off}, serviceInfo{OffersGateway: true}, false, nil},
		{"ssm: AWS's default is already false", Desired{OnlyInbound: &off}, serviceInfo{}, true, nil},
	}
	for _, c := range cases {
		o := dnsOptions(c.d, c.svc, c.dns)
		switch {
		case c.want == nil && o != nil && o.PrivateDnsOnlyForInboundResolverEndpoint != nil:
			t.Errorf("%s: sent %v", c.name, *o.PrivateDnsOnlyForInboundResolverEndpoint)
		case c.want != nil && (o == nil || aws.ToBool(o.PrivateDnsOnlyForInboundResolverEndpoint) != *c.want || o.PrivateDnsOnlyForInboundResolverEndpoint == nil):
			t.Errorf("%s: got %+v, want %v", c.name, o, *c.want)
		}
	}
}

func TestPlanTurningPrivateDNSOnSendsTheInboundOption(t *testing.T) {
	o := Observed{Type: Interface, PrivateDNS: false}
	d := Desired{Type: Interface, PrivateDNS: ptr(true), OnlyInbound: ptr(false), ExplicitInbound: true}
	p := ComputePlan(d, o, nil)
	if p.PrivateDNS == nil || !*p.PrivateDNS || p.OnlyInbound == nil || *p.OnlyInbound {
		t.Fatalf("plan %s: want private DNS on with the inbound-only option sent as false", p)
	}
	if again := ComputePlan(d, p.Applied(o), nil); again.HasChanges() {
		t.Fatalf("planning again finds %s", again)
	}
	d.ExplicitInbound = false // ssm: AWS's default is false already
	if p := ComputePlan(d, o, nil); p.OnlyInbound != nil {
		t.Fatalf("plan %s sends the option for a service without gateway endpoints", p)
	}
}
