package endpoint

import (
	"reflect"
	"testing"

	"github.com/vpce-dev/vpce-controller/internal/policy"
)

func ptr[T any](v T) *T { return &v }

func TestComputePlanGateway(t *testing.T) {
	owned := map[string]string{"Name": "ns/a", TagCluster: "c", TagOwner: "ns/a", TagOwnerUID: "u"}
	withTag := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range owned {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	custom := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	cases := []struct {
		name string
		d    Desired
		o    Observed
		want Plan
	}{
		{
			name: "steady state: nothing to do",
			d:    Desired{Type: Gateway, RouteTableIDs: []string{"rtb-1", "rtb-2"}, ManagePolicy: true, Tags: owned},
			o:    Observed{Type: Gateway, RouteTableIDs: []string{"rtb-1", "rtb-2"}, Policy: policy.DefaultDocument, Tags: owned},
		},
		{
			name: "route tables added and removed in one modify",
			d:    Desired{Type: Gateway, RouteTableIDs: []string{"rtb-1", "rtb-3"}, ManagePolicy: true, Tags: owned},
			o:    Observed{Type: Gateway, RouteTableIDs: []string{"rtb-1", "rtb-2"}, Tags: owned},
			want: Plan{AddRouteTables: []string{"rtb-3"}, RemoveRouteTables: []string{"rtb-2"}},
		},
		{
			name: "policy set",
			d:    Desired{Type: Gateway, ManagePolicy: true, Policy: custom, Tags: owned},
			o:    Observed{Type: Gateway, Policy: policy.DefaultDocument, Tags: owned},
			want: Plan{Policy: ptr(custom)},
		},
		{
			name: "policy equal up to formatting: no change",
			d:    Desired{Type: Gateway, ManagePolicy: true, Policy: custom, Tags: owned},
			o:    Observed{Type: Gateway, Policy: `{"Statement":{"Resource":["*"],"Action":["s3:getobject"],"Principal":{"AWS":"*"},"Effect":"Allow"},"Version":"2012-10-17"}`, Tags: owned},
		},
		{
			name: "policy removed resets to the default",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: owned},
			o:    Observed{Type: Gateway, Policy: custom, Tags: owned},
			want: Plan{ResetPolicy: true},
		},
		{
			name: "policy unmanaged for services without policy support",
			d:    Desired{Type: Gateway, Tags: owned},
			o:    Observed{Type: Gateway, Policy: custom, Tags: owned},
		},
		{
			name: "user tag added, changed and removed; aws: tags untouched",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: withTag(map[string]string{"team": "a", "env": "prod"}), OwnedTagKeys: []string{"team", "old", "aws:cloudformation:stack"}},
			o:    Observed{Type: Gateway, Tags: withTag(map[string]string{"team": "b", "old": "x", "aws:cloudformation:stack": "s"})},
			want: Plan{SetTags: map[string]string{"team": "a", "env": "prod"}, RemoveTags: []string{"old"}},
		},
		{
			name: "a tag someone else set is never removed",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: withTag(map[string]string{"team": "a"}), OwnedTagKeys: []string{"team"}},
			o:    Observed{Type: Gateway, Tags: withTag(map[string]string{"team": "a", "CostCenter": "42"})},
		},
		{
			name: "ownership tags are never removed, even if recorded",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: owned, OwnedTagKeys: []string{TagCluster, "vpce.dev/other"}},
			o:    Observed{Type: Gateway, Tags: withTag(map[string]string{"vpce.dev/other": "x"})},
		},
		{
			name: "soft tags set where absent, never over another's value",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: owned, SoftTags: map[string]string{"CostCenter": "platform", "Owner": "platform"}},
			o:    Observed{Type: Gateway, Tags: withTag(map[string]string{"CostCenter": "team-a"})},
			want: Plan{SetTags: map[string]string{"Owner": "platform"}},
		},
		{
			name: "an adopted endpoint keeps its Name",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: map[string]string{TagCluster: "c", TagOwner: "ns/a", TagOwnerUID: "u"}, SoftTags: map[string]string{"Name": "ns/a"}},
			o:    Observed{Type: Gateway, Tags: map[string]string{"Name": "made-by-terraform", "tf:module": "vpc"}},
			want: Plan{SetTags: map[string]string{TagCluster: "c", TagOwner: "ns/a", TagOwnerUID: "u"}},
		},
		{
			name: "a soft tag the controller set is restored, and removed once no longer asked for",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: owned, SoftTags: map[string]string{"CostCenter": "platform"}, OwnedTagKeys: []string{"CostCenter", "Stage"}},
			o:    Observed{Type: Gateway, Tags: withTag(map[string]string{"CostCenter": "changed", "Stage": "beta"})},
			want: Plan{SetTags: map[string]string{"CostCenter": "platform"}, RemoveTags: []string{"Stage"}},
		},
		{
			name: "ownership tags restored after removal",
			d:    Desired{Type: Gateway, ManagePolicy: true, Tags: owned},
			o:    Observed{Type: Gateway, Tags: map[string]string{"Name": "ns/a"}},
			want: Plan{SetTags: map[string]string{TagCluster: "c", TagOwner: "ns/a", TagOwnerUID: "u"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ComputePlan(c.d, c.o, nil)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("plan = %+v\nwant   %+v", got, c.want)
			}
			if got.HasChanges() != !reflect.DeepEqual(c.want, Plan{}) {
				t.Fatalf("HasChanges = %v", got.HasChanges())
			}
			if again := ComputePlan(c.d, got.Applied(c.o), nil); again.HasChanges() {
				t.Fatalf("plan applied still leaves %s", again)
			}
		})
	}
}

func TestComputePlanInterface(t *testing.T) {
	az := map[string]string{"subnet-a1": "a", "subnet-a2": "a", "subnet-b": "b", "subnet-c": "c"}
	base := Observed{Type: Interface, SubnetIDs: []string{"subnet-a1", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"}, PrivateDNS: true, IPAddressType: "ipv4", DNSRecordIPType: "ipv4"}
	desired := func(mut func(*Desired)) Desired {
		d := Desired{Type: Interface, SubnetIDs: []string{"subnet-a1", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"}, PrivateDNS: ptr(true), OnlyInbound: ptr(false)}
		if mut != nil {
			mut(&d)
		}
		return d
	}
	cases := []struct {
		name string
		d    Desired
		want Plan
	}{
		{name: "steady state", d: desired(nil)},
		{name: "subnet added in a new zone", d: desired(func(d *Desired) { d.SubnetIDs = append(d.SubnetIDs, "subnet-c") }),
			want: Plan{AddSubnets: []string{"subnet-c"}}},
		{name: "subnet removed", d: desired(func(d *Desired) { d.SubnetIDs = []string{"subnet-b"} }),
			want: Plan{RemoveSubnets: []string{"subnet-a1"}}},
		{name: "subnet replaced within a zone: remove first, add later",
			d:    desired(func(d *Desired) { d.SubnetIDs = []string{"subnet-a2", "subnet-b"} }),
			want: Plan{RemoveSubnets: []string{"subnet-a1"}, DeferredSubnets: []string{"subnet-a2"}}},
		{name: "security groups swapped", d: desired(func(d *Desired) { d.SecurityGroupIDs = []string{"sg-2"} }),
			want: Plan{AddSecurityGroups: []string{"sg-2"}, RemoveSecurityGroups: []string{"sg-1"}}},
		{name: "private DNS turned off", d: desired(func(d *Desired) { d.PrivateDNS = ptr(false) }),
			want: Plan{PrivateDNS: ptr(false)}},
		{name: "DNS record and IP types changed", d: desired(func(d *Desired) { d.DNSRecordIPType = "dualstack"; d.IPAddressType = "dualstack" }),
			want: Plan{DNSRecordIPType: "dualstack", IPAddressType: "dualstack"}},
		{name: "unset types leave AWS's choice", d: desired(func(d *Desired) { d.DNSRecordIPType = ""; d.IPAddressType = "" })},
		{name: "inbound-resolver-only turned on", d: desired(func(d *Desired) { d.OnlyInbound = ptr(true) }),
			want: Plan{OnlyInbound: ptr(true)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ComputePlan(c.d, base, az)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("plan = %+v\nwant   %+v", got, c.want)
			}
			// Two passes at most reach the desired state.
			next := got.Applied(base)
			next.SubnetIDs = sortedSet(append(difference(base.SubnetIDs, got.RemoveSubnets), got.AddSubnets...))
			second := ComputePlan(c.d, next, az)
			if len(second.DeferredSubnets) > 0 || len(second.RemoveSubnets) > 0 {
				t.Fatalf("second pass still defers: %s", second)
			}
			if final := ComputePlan(c.d, second.Applied(next), az); final.HasChanges() {
				t.Fatalf("after two passes: %s", final)
			}
		})
	}
}

func TestComputePlanInstanceConnect(t *testing.T) {
	owned := map[string]string{"Name": "ns/a", TagCluster: "c", TagOwner: "ns/a", TagOwnerUID: "u"}
	base := Observed{Type: InstanceConnect, State: "create-complete", SubnetIDs: []string{"subnet-a"}, SecurityGroupIDs: []string{"sg-1"}, Tags: owned}
	desired := func(f func(*Desired)) Desired {
		d := Desired{Type: InstanceConnect, SubnetIDs: []string{"subnet-a"}, SecurityGroupIDs: []string{"sg-1"}, PreserveClientIP: ptr(false), Tags: owned}
		if f != nil {
			f(&d)
		}
		return d
	}
	cases := []struct {
		name string
		d    Desired
		want Plan
	}{
		{name: "steady state", d: desired(nil)},
		{name: "groups swapped in one modify", d: desired(func(d *Desired) { d.SecurityGroupIDs = []string{"sg-2", "sg-3"} }),
			want: Plan{AddSecurityGroups: []string{"sg-2", "sg-3"}, RemoveSecurityGroups: []string{"sg-1"}}},
		{name: "preserveClientIP turned on", d: desired(func(d *Desired) { d.PreserveClientIP = ptr(true) }),
			want: Plan{PreserveClientIP: ptr(true)}},
		{name: "the subnet is never changed (spec.subnet is immutable)", d: desired(func(d *Desired) { d.SubnetIDs = []string{"subnet-b"} })},
		{name: "no policy, DNS or route table changes whatever the desired state says", d: desired(func(d *Desired) {
			d.RouteTableIDs, d.PrivateDNS, d.Policy, d.IPAddressType = []string{"rtb-1"}, ptr(true), "{}", "ipv6"
		})},
		{name: "tags", d: desired(func(d *Desired) {
			d.Tags = map[string]string{"Name": "ns/a", TagCluster: "c", TagOwner: "ns/a", TagOwnerUID: "u", "team": "a"}
		}),
			want: Plan{SetTags: map[string]string{"team": "a"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ComputePlan(c.d, base, nil)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("plan = %+v\nwant   %+v", got, c.want)
			}
			if again := ComputePlan(c.d, got.Applied(base), nil); again.HasChanges() {
				t.Fatalf("applied, still %s", again)
			}
		})
	}
	p := Plan{AddSecurityGroups: []string{"sg-2"}, PreserveClientIP: ptr(true)}
	if got, want := p.String(), "security groups +sg-2; preserve client IP on"; got != want || !p.HasModify() {
		t.Fatalf("String = %q, want %q (HasModify %v)", got, want, p.HasModify())
	}
	if got := p.Fields(); !reflect.DeepEqual(got, []string{"security-groups", "preserve-client-ip"}) {
		t.Fatalf("Fields = %v", got)
	}
}

func TestPlanStringAndFields(t *testing.T) {
	p := Plan{AddRouteTables: []string{"rtb-2"}, RemoveRouteTables: []string{"rtb-1"}, ResetPolicy: true, RemoveTags: []string{"x"}}
	if got, want := p.String(), "route tables +rtb-2 -rtb-1; policy reset to AWS's default; tags removed x"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	if got := p.Fields(); !reflect.DeepEqual(got, []string{"route-tables", "policy", "tags"}) {
		t.Fatalf("Fields = %v", got)
	}
}

func TestSecurityGroupRuleDiff(t *testing.T) {
	want := desiredRules(ManagedGroupSpec{}, []string{"10.0.0.0/16"})
	if len(want) != 1 || want[0] != (sgRule{Protocol: "tcp", From: 443, To: 443, CIDR: "10.0.0.0/16"}) {
		t.Fatalf("default rules = %v", want)
	}
	want = desiredRules(ManagedGroupSpec{CIDRs: []string{"10.1.0.0/16", "2001:db8::/56"}, GroupIDs: []string{"sg-9"}, Ports: []int32{443, 8443}}, nil)
	if len(want) != 6 {
		t.Fatalf("rules = %v", want)
	}
	have := observedRules(permissions([]sgRule{want[0], {Protocol: "tcp", From: 22, To: 22, CIDR: "0.0.0.0/0"}}))
	add, revoke := diffRules(want, have)
	if len(add) != 5 || len(revoke) != 1 || revoke[0].From != 22 {
		t.Fatalf("authorize %v revoke %v", add, revoke)
	}
}

func TestTypedDNSEntries(t *testing.T) {
	got := typedDNSEntries([]dnsEntry{
		{Name: "vpce-0abc-1234abcd.ssm.us-east-1.vpce.amazonaws.com", HostedZoneID: "Z7HUB22UULQXV"},
		{Name: "vpce-0abc-1234abcd-us-east-1a.ssm.us-east-1.vpce.amazonaws.com", HostedZoneID: "Z7HUB22UULQXV"},
		{Name: "ssm.us-east-1.amazonaws.com", HostedZoneID: "ZPRIVATE"},
	}, []string{"us-east-1a", "us-east-1b"})
	if got[0].Type != "Regional" || got[1].Type != "Zonal" || got[1].AvailabilityZone != "us-east-1a" || got[2].Type != "PrivateDNS" {
		t.Fatalf("typed = %+v", got)
	}
}

func TestClientTokenIsStablePerObjectAndAttempt(t *testing.T) {
	o := Owner{Cluster: "c", UID: "uid-1"}
	if clientToken(o, "") != clientToken(o, "") {
		t.Fatal("token not stable")
	}
	if clientToken(o, "") == clientToken(o, "vpce-1") || clientToken(o, "") == clientToken(Owner{Cluster: "c", UID: "uid-2"}, "") {
		t.Fatal("token not distinct")
	}
	if n := len(clientToken(o, "")); n > 64 {
		t.Fatalf("token too long: %d", n)
	}
}

func TestAppliedTagKeys(t *testing.T) {
	owner := Owner{Cluster: "c", Namespace: "ns", Name: "a", UID: "u"}
	d := Desired{}
	d.Tags, d.SoftTags = desiredTags(owner, map[string]string{"team": "a"}, map[string]string{"CostCenter": "platform", "team": "default"})
	if _, ok := d.SoftTags["team"]; ok {
		t.Fatal("a default tag overrides spec.tags")
	}
	cases := []struct {
		name string
		have map[string]string
		want []string
	}{
		{"created: every tag but the ownership ones", d.createTags(), []string{"CostCenter", "Name", "team"}},
		{"adopted: a Name and a CostCenter of someone else's", map[string]string{"Name": "tf", "CostCenter": "x", "team": "a"}, []string{"team"}},
	}
	for _, c := range cases {
		if got := appliedTagKeys(d, c.have); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
