package endpoint

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
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

func TestOwnChangeSeenLateIsNotDrift(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	e := &Engine{ConsistencyBound: time.Minute, Now: func() time.Time { return now }}
	before := Observed{RouteTableIDs: []string{"rtb-1"}, Tags: map[string]string{"a": "1"}}
	after := Observed{RouteTableIDs: []string{"rtb-1", "rtb-2"}, Tags: map[string]string{"a": "1"}}
	var c *Change
	e.changed(&c, endpointDigest(before))
	switch {
	case !e.settling(c, endpointDigest(before)):
		t.Error("the state before the change, read within the bound, is not waited out")
	case e.settling(c, endpointDigest(after)):
		t.Error("the changed state is taken for the old one")
	case e.settling(c, endpointDigest(Observed{RouteTableIDs: []string{"rtb-3"}, Tags: before.Tags})):
		t.Error("a third state (drift) is waited out")
	case e.settling(nil, endpointDigest(before)):
		t.Error("no recorded change, yet waited")
	}
	now = now.Add(time.Minute)
	if e.settling(c, endpointDigest(before)) {
		t.Error("still waiting once the bound has passed")
	}
	retagged := before
	retagged.Tags = map[string]string{"a": "2"}
	if endpointDigest(retagged) == endpointDigest(before) {
		t.Error("tags are not part of the digest")
	}
}
