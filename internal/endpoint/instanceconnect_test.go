package endpoint

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

func TestManagedEgressGroupRules(t *testing.T) {
	spec := ManagedGroupSpec{Egress: true, Ports: []int32{22, 3389}}
	want := desiredRules(spec, []string{"10.0.0.0/16"})
	if got := describeRuleChanges(want, nil); got != "+tcp/22 to 10.0.0.0/16, +tcp/3389 to 10.0.0.0/16" {
		t.Fatalf("desired egress rules %q", got)
	}
	// A group as AWS makes it (all traffic out) with an inbound rule added by hand.
	g := types.SecurityGroup{
		IpPermissions:       []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
		IpPermissionsEgress: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
	}
	authorize, revoke := diffRules(want, groupRules(g, spec))
	if got := describeRuleChanges(authorize, revoke); got != "+tcp/22 to 10.0.0.0/16, +tcp/3389 to 10.0.0.0/16, -all traffic to 0.0.0.0/0, -tcp/22 from 0.0.0.0/0" {
		t.Fatalf("changes %q", got)
	}
	in, out := splitRules(revoke)
	if len(in) != 1 || len(out) != 1 || out[0] != defaultEgress {
		t.Fatalf("revoke ingress %v egress %v", in, out)
	}
	if perms := permissions(out); perms[0].FromPort != nil || perms[0].ToPort != nil {
		t.Fatalf("all-traffic rule sent with ports: %+v", perms[0])
	}
	// An ingress-only group (interface endpoints) leaves egress alone, and its
	// digest does not depend on egress rules.
	ingress := ManagedGroupSpec{}
	if rules := groupRules(g, ingress); len(rules) != 1 || rules[0].Egress {
		t.Fatalf("ingress group rules %v", rules)
	}
	noEgress := g
	noEgress.IpPermissionsEgress = nil
	if groupDigest(g, ingress) != groupDigest(noEgress, ingress) || groupDigest(g, spec) == groupDigest(noEgress, spec) {
		t.Fatal("egress rules are in the digest of an ingress group, or missing from an egress one")
	}
}

func TestPickSubnet(t *testing.T) {
	sn := func(id, az string, tags ...string) types.Subnet {
		s := types.Subnet{SubnetId: aws.String(id), AvailabilityZone: aws.String(az)}
		for i := 0; i+1 < len(tags); i += 2 {
			s.Tags = append(s.Tags, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
		}
		return s
	}
	all := map[string]types.Subnet{
		"subnet-1": sn("subnet-1", "us-east-1a", "tier", "public"),
		"subnet-2": sn("subnet-2", "us-east-1b", "tier", "private"),
		"subnet-3": sn("subnet-3", "us-east-1c", "tier", "private"),
	}
	private := map[string]string{"tier": "private"}
	for _, c := range []struct{ zone, want string }{
		{"", "subnet-2"}, {"us-east-1c", "subnet-3"}, {"us-east-1a", "subnet-2"},
	} {
		if got := pickSubnet(all, private, c.zone); got != c.want {
			t.Errorf("zone %q: %s, want %s", c.zone, got, c.want)
		}
	}
	if got := pickSubnet(all, map[string]string{"tier": "db"}, ""); got != "" {
		t.Errorf("no match: %s", got)
	}
}

func TestInstanceConnectStates(t *testing.T) {
	cases := map[string]phase{
		"create-in-progress": phaseWorking, "create-complete": phaseReady, "create-failed": phaseStuck,
		"update-in-progress": phaseWorking, "update-complete": phaseReady, "update-failed": phasePartial,
		"delete-in-progress": phaseDeleting, "delete-complete": phaseDeleted, "delete-failed": phaseStuck,
	}
	for state, want := range cases {
		c := iceClass(state)
		if c.phase != want {
			t.Errorf("%s: phase %d, want %d", state, c.phase, want)
		}
		if (c.phase == phaseStuck || c.phase == phasePartial) && c.reason != v1alpha1.ReasonFailed {
			t.Errorf("%s: reason %q", state, c.reason)
		}
	}
	if o := observeICE(types.Ec2InstanceConnectEndpoint{State: "Create-Complete"}); o.State != "create-complete" {
		t.Errorf("state %q not normalised", o.State)
	}
}

func TestInstanceConnectCreateRefusals(t *testing.T) {
	cases := map[string]string{
		"InsufficientFreeAddressesInSubnet":      v1alpha1.ReasonSubnetFull,
		"ServiceQuotaExceededException":          v1alpha1.ReasonInstanceConnectEndpointLimitExceeded,
		"InstanceConnectEndpointLimitExceeded":   v1alpha1.ReasonInstanceConnectEndpointLimitExceeded,
		"InvalidParameterCombination":            "InvalidParameterCombination",
		"InvalidInstanceConnectEndpointId.Oddly": "InvalidInstanceConnectEndpointId.Oddly",
	}
	for code, want := range cases {
		p := &Problem{Reason: code, Message: "creating"}
		instanceConnectAdapter{}.explainCreate(code, p)
		if p.Reason != want {
			t.Errorf("%s: reason %s, want %s", code, p.Reason, want)
		}
	}
	o := Observed{ID: "eice-1", SecurityGroupIDs: []string{"sg-1"}, Tags: map[string]string{"a": "b"}}
	k := instanceConnectAdapter{}
	if !reflect.DeepEqual(k.applied(o, Plan{PreserveClientIP: ptr(true)}).State, iceUpdating) {
		t.Error("a modified endpoint is not shown updating")
	}
	if k.digest(o) == k.digest(Observed{ID: "eice-1", SecurityGroupIDs: []string{"sg-2"}, Tags: o.Tags}) {
		t.Error("groups are not in the digest")
	}
}
