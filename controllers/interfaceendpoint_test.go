package controllers_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func iface(name, vpcID, service string, subnets v1alpha1.SubnetSelector) *v1alpha1.InterfaceEndpoint {
	return &v1alpha1.InterfaceEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.InterfaceEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcID}},
			Service:            service,
			Subnets:            subnets,
			PrivateDNS:         v1alpha1.PrivateDNS{Enabled: true},
		},
	}
}

// groupRules returns a security group's ingress rules as "tcp/443 from X" strings.
func (h *harness) groupRules(id string) []string {
	h.t.Helper()
	out, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		h.t.Fatalf("describe %s: %v", id, err)
	}
	var rules []string
	for _, p := range out.SecurityGroups[0].IpPermissions {
		for _, r := range p.IpRanges {
			rules = append(rules, fmt.Sprintf("%s/%d from %s", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToString(r.CidrIp)))
		}
		for _, g := range p.UserIdGroupPairs {
			rules = append(rules, fmt.Sprintf("%s/%d from %s", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToString(g.GroupId)))
		}
	}
	return sortStrings(rules)
}

func (h *harness) groupExists(id string) bool {
	_, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	return err == nil
}

func (h *harness) newGroup(name string) string {
	h.t.Helper()
	out, err := h.ec2.CreateSecurityGroup(h.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: aws.String(h.fix.VPCID)})
	if err != nil {
		h.t.Fatal(err)
	}
	return aws.ToString(out.GroupId)
}

func TestInterfaceCreateWithSubnetTagsAcrossThreeZones(t *testing.T) {
	h := newHarness(t)
	ie := iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitReady(ie)
	st := ie.Status
	if st.ServiceName != "com.amazonaws.us-east-1.ssm" || st.State != "available" || !st.PrivateDNSEnabled {
		t.Fatalf("status %+v", st)
	}
	// Tags select one subnet per AZ: the three private ones, never the public one.
	if !reflect.DeepEqual(st.SubnetIDs, h.privateSubnets()) {
		t.Fatalf("subnets %v, want %v", st.SubnetIDs, h.privateSubnets())
	}
	if len(st.NetworkInterfaces) != 3 {
		t.Fatalf("network interfaces %+v", st.NetworkInterfaces)
	}
	for _, ni := range st.NetworkInterfaces {
		var sub ec2sim.FixtureSubnet
		for _, s := range h.fix.PrivateSubnets {
			if s.SubnetID == ni.SubnetID {
				sub = s
			}
		}
		if sub.SubnetID == "" || ni.AvailabilityZone != sub.AvailabilityZone || !strings.HasPrefix(ni.ID, "eni-") {
			t.Fatalf("interface %+v not in a private subnet", ni)
		}
		if !netip.MustParsePrefix(sub.CIDR).Contains(netip.MustParseAddr(ni.PrivateIPv4)) {
			t.Fatalf("interface IP %s outside %s", ni.PrivateIPv4, sub.CIDR)
		}
	}
	kinds := map[v1alpha1.DNSEntryType]int{}
	for _, d := range st.DNSEntries {
		kinds[d.Type]++
		if d.Type == v1alpha1.DNSEntryZonal && d.AvailabilityZone == "" {
			t.Fatalf("zonal entry without AZ: %+v", d)
		}
		if d.Type == v1alpha1.DNSEntryPrivateDNS && d.Name != "ssm.us-east-1.amazonaws.com" {
			t.Fatalf("private DNS entry %q", d.Name)
		}
	}
	if kinds[v1alpha1.DNSEntryRegional] != 1 || kinds[v1alpha1.DNSEntryZonal] != 3 || kinds[v1alpha1.DNSEntryPrivateDNS] != 1 {
		t.Fatalf("DNS entries %+v", st.DNSEntries)
	}

	// The default managed group admits HTTPS from the VPC and nothing else.
	sg := st.ManagedSecurityGroupID
	if !reflect.DeepEqual(st.SecurityGroupIDs, []string{sg}) {
		t.Fatalf("security groups %v, managed %s", st.SecurityGroupIDs, sg)
	}
	if got := h.groupRules(sg); !reflect.DeepEqual(got, []string{"tcp/443 from " + h.fix.VPCCIDR}) {
		t.Fatalf("managed rules %v", got)
	}
	groups, _ := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	if g := groups.SecurityGroups[0]; !strings.Contains(aws.ToString(g.GroupName), h.ns) || tagsOf(g.Tags)["vpce.dev/owner-uid"] != string(ie.UID) {
		t.Fatalf("managed group name %q tags %v", aws.ToString(g.GroupName), tagsOf(g.Tags))
	}

	// Steady state: no writes.
	h.sim.ResetCounters()
	time.Sleep(2*syncPeriod + time.Second)
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("steady state made mutating calls: %v", m)
	}
}

func TestInterfaceSubnetIDsAddedRemovedReplaced(t *testing.T) {
	h := newHarness(t)
	subs := h.fix.PrivateSubnets
	ie := iface("subnets", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: []string{subs[0].SubnetID, subs[1].SubnetID}})
	h.create(ie)
	h.waitReady(ie)
	id := ie.Status.EndpointID

	h.update(ie, func() { ie.Spec.Subnets.IDs = append(ie.Spec.Subnets.IDs, subs[2].SubnetID) })
	h.waitReady(ie)
	h.eventually(5*time.Second, "3 subnets", func() error {
		h.get(ie)
		if len(ie.Status.NetworkInterfaces) != 3 || len(ie.Status.SubnetIDs) != 3 {
			return fmt.Errorf("status %v %v", ie.Status.SubnetIDs, ie.Status.NetworkInterfaces)
		}
		return nil
	})

	h.update(ie, func() { ie.Spec.Subnets.IDs = []string{subs[1].SubnetID, subs[2].SubnetID} })
	h.waitReady(ie)
	if got := h.endpoint(id).SubnetIds; !reflect.DeepEqual(sortStrings(got), sortStrings([]string{subs[1].SubnetID, subs[2].SubnetID})) {
		t.Fatalf("AWS subnets %v", got)
	}

	// Replace the AZ-a subnet by another one in AZ a: remove first, then add.
	other, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(h.fix.VPCID), CidrBlock: aws.String("10.0.60.0/24"), AvailabilityZone: aws.String(subs[1].AvailabilityZone)})
	if err != nil {
		t.Fatal(err)
	}
	replacement := aws.ToString(other.Subnet.SubnetId)
	h.update(ie, func() { ie.Spec.Subnets.IDs = []string{replacement, subs[2].SubnetID} })
	h.waitReady(ie)
	h.eventually(10*time.Second, "replacement", func() error {
		got := sortStrings(h.endpoint(id).SubnetIds)
		if want := sortStrings([]string{replacement, subs[2].SubnetID}); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("AWS subnets %v, want %v", got, want)
		}
		return nil
	})
	if n := h.sim.Counters()["ModifyVpcEndpoint"]["DuplicateSubnetsInSameZone"]; n != 0 {
		t.Fatalf("AWS saw two subnets in one AZ %d times", n)
	}
	if ie.Status.EndpointID != id {
		t.Fatal("endpoint replaced")
	}
}

func TestInterfaceManagedIngressAndBYOGroups(t *testing.T) {
	h := newHarness(t)
	clients := h.newGroup("clients")
	byo1, byo2 := h.newGroup("byo-1"), h.newGroup("byo-2")
	ie := iface("sg", h.fix.VPCID, "ecr.dkr", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	ie.Spec.SecurityGroups = &v1alpha1.SecurityGroups{
		IDs: []string{byo1},
		Managed: &v1alpha1.ManagedSecurityGroup{
			Ingress: []v1alpha1.IngressSource{{CIDRs: []string{"10.0.1.0/24"}}, {SecurityGroupIDs: []string{clients}}},
			Ports:   []int32{443},
		},
	}
	h.create(ie)
	h.waitReady(ie)
	sg := ie.Status.ManagedSecurityGroupID
	if want := sortStrings([]string{"tcp/443 from 10.0.1.0/24", "tcp/443 from " + clients}); !reflect.DeepEqual(h.groupRules(sg), want) {
		t.Fatalf("rules %v, want %v", h.groupRules(sg), want)
	}
	if want := sortStrings([]string{byo1, sg}); !reflect.DeepEqual(ie.Status.SecurityGroupIDs, want) {
		t.Fatalf("groups %v, want %v", ie.Status.SecurityGroupIDs, want)
	}

	// Edit: other CIDR, two ports, swap the BYO group.
	h.update(ie, func() {
		ie.Spec.SecurityGroups.IDs = []string{byo2}
		ie.Spec.SecurityGroups.Managed.Ingress = []v1alpha1.IngressSource{{CIDRs: []string{"10.0.2.0/24"}}}
		ie.Spec.SecurityGroups.Managed.Ports = []int32{443, 8443}
	})
	h.waitReady(ie)
	h.eventually(10*time.Second, "edited rules and groups", func() error {
		if want := []string{"tcp/443 from 10.0.2.0/24", "tcp/8443 from 10.0.2.0/24"}; !reflect.DeepEqual(h.groupRules(sg), want) {
			return fmt.Errorf("rules %v, want %v", h.groupRules(sg), want)
		}
		var got []string
		for _, g := range h.endpoint(ie.Status.EndpointID).Groups {
			got = append(got, aws.ToString(g.GroupId))
		}
		if want := sortStrings([]string{byo2, sg}); !reflect.DeepEqual(sortStrings(got), want) {
			return fmt.Errorf("AWS groups %v, want %v", got, want)
		}
		return nil
	})
}

func TestInterfacePrivateDNSNeedsVPCAttributes(t *testing.T) {
	h := newHarness(t)
	if _, err := h.ec2.ModifyVpcAttribute(h.ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(h.fix.VPCID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetCounters()
	ie := iface("dns", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	c := h.waitCondition(ie, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonVPCDNSAttributesOff, 10*time.Second)
	for _, want := range []string{"enableDnsHostnames", "spec.privateDNS", "ensureVPCAttributes", h.fix.VPCID} {
		if !strings.Contains(c.Message, want) {
			t.Fatalf("message %q does not mention %q", c.Message, want)
		}
	}
	if strings.Contains(c.Message, "[enableDnsSupport") {
		t.Fatalf("message blames enableDnsSupport, which is on: %q", c.Message)
	}
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("wrote to AWS before private DNS could work: %v", m)
	}
	h.update(ie, func() { ie.Spec.PrivateDNS.EnsureVPCAttributes = true })
	h.waitReady(ie)
	attr, err := h.ec2.DescribeVpcAttribute(h.ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(h.fix.VPCID), Attribute: types.VpcAttributeNameEnableDnsHostnames})
	if err != nil || !aws.ToBool(attr.EnableDnsHostnames.Value) {
		t.Fatalf("enableDnsHostnames still off: %v", err)
	}
	if !ie.Status.PrivateDNSEnabled {
		t.Fatal("private DNS not enabled")
	}
	h.waitEvent(ie, v1alpha1.EventModified, "enableDnsHostnames")
}

func TestInterfaceDNSAndIPTypesChanged(t *testing.T) {
	h := newHarness(t)
	ie := iface("types", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	ie.Spec.IPAddressType = "ipv4"
	ie.Spec.DNSRecordIPType = "ipv4"
	h.create(ie)
	h.waitReady(ie)
	h.update(ie, func() { ie.Spec.DNSRecordIPType = "service-defined" })
	h.waitReady(ie)
	h.eventually(10*time.Second, "DNS record type", func() error {
		ep := h.endpoint(ie.Status.EndpointID)
		if ep.DnsOptions == nil || string(ep.DnsOptions.DnsRecordIpType) != "service-defined" {
			return fmt.Errorf("dns options %+v", ep.DnsOptions)
		}
		return nil
	})
	h.waitEvent(ie, v1alpha1.EventModified, "DNS record IP type service-defined")
}

func TestInterfaceServiceZonesRestrictSubnets(t *testing.T) {
	h := newHarness(t)
	// ebs is offered in two of the fixture's three zones.
	byTags := iface("ebs-tags", h.fix.VPCID, "ebs", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(byTags)
	h.waitReady(byTags)
	if n := len(byTags.Status.SubnetIDs); n != 2 {
		t.Fatalf("tags chose %v; the service is in 2 zones", byTags.Status.SubnetIDs)
	}
	h.sim.ResetCounters()
	byIDs := iface("ebs-ids", h.fix.VPCID, "ebs", v1alpha1.SubnetSelector{IDs: h.privateSubnets()})
	h.create(byIDs)
	c := h.waitCondition(byIDs, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonZoneNotSupported, 10*time.Second)
	if !strings.Contains(c.Message, "spec.subnets.ids") {
		t.Fatalf("message %q", c.Message)
	}
	// Two subnets in one zone is refused before any write.
	extra, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(h.fix.VPCID), CidrBlock: aws.String("10.0.70.0/24"), AvailabilityZone: aws.String(h.fix.PrivateSubnets[0].AvailabilityZone)})
	if err != nil {
		t.Fatal(err)
	}
	dup := iface("dup", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: []string{h.fix.PrivateSubnets[0].SubnetID, aws.ToString(extra.Subnet.SubnetId)}})
	h.create(dup)
	h.waitCondition(dup, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonDuplicateSubnetsInSameZone, 10*time.Second)
	m := h.mutatingCalls()
	delete(m, "CreateSubnet")
	if total(m) != 0 {
		t.Fatalf("refused specs wrote to AWS: %v", m)
	}
}

func TestInterfaceUnknownService(t *testing.T) {
	h := newHarness(t)
	ie := iface("nope", h.fix.VPCID, "no-such-service", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	c := h.waitCondition(ie, v1alpha1.ConditionSynced, metav1.ConditionFalse, "InvalidServiceName", 10*time.Second)
	if !strings.Contains(c.Message, "com.amazonaws.us-east-1.no-such-service") {
		t.Fatalf("message %q", c.Message)
	}
	// GitOps tools see a stalled object, not one still in progress.
	h.waitCondition(ie, v1alpha1.ConditionStalled, metav1.ConditionTrue, "InvalidServiceName", 20*time.Second)
	if meta.FindStatusCondition(ie.Status.Conditions, v1alpha1.ConditionReconciling) != nil {
		t.Fatalf("a stalled object also says Reconciling: %+v", ie.Status.Conditions)
	}
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("wrote to AWS: %v", m)
	}
}

func TestInterfacePrivateLinkAcceptance(t *testing.T) {
	h := newHarness(t)
	svc := h.sim.AddEndpointService(ec2sim.EndpointServiceConfig{AcceptanceRequired: true, PrivateDNSName: "api.partner.example.com"})
	ie := iface("partner", h.fix.VPCID, svc, v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitCondition(ie, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonPendingAcceptance, 10*time.Second)
	if ie.Status.State != "pendingAcceptance" || ie.Status.PrivateDNSEnabled {
		t.Fatalf("status %+v", ie.Status)
	}
	h.waitCondition(ie, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonPendingAcceptance, 20*time.Second)
	if err := h.sim.AcceptEndpoint(ie.Status.EndpointID); err != nil {
		t.Fatal(err)
	}
	h.waitReady(ie)
	if !ie.Status.PrivateDNSEnabled {
		t.Fatal("private DNS not enabled after acceptance")
	}
	for _, typ := range []string{v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled} {
		if c := meta.FindStatusCondition(ie.Status.Conditions, typ); c != nil {
			t.Fatalf("a Ready object keeps %s: %+v", typ, c)
		}
	}
	for _, e := range h.events(ie) {
		if e.Reason == v1alpha1.EventDriftCorrected {
			t.Fatalf("enabling private DNS after acceptance reported as drift: %s", e.Note)
		}
	}

	rejected := iface("rejected", h.fix.VPCID, svc, v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	rejected.Spec.PrivateDNS.Enabled = false
	h.create(rejected)
	h.waitCondition(rejected, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonPendingAcceptance, 10*time.Second)
	if err := h.sim.RejectEndpoint(rejected.Status.EndpointID); err != nil {
		t.Fatal(err)
	}
	h.update(rejected, func() { rejected.Annotations = map[string]string{"poke": "1"} })
	h.waitCondition(rejected, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRejected, 15*time.Second)
	h.waitCondition(rejected, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonRejected, 20*time.Second)
}

func TestInterfaceDriftRepaired(t *testing.T) {
	h := newHarness(t)
	ie := iface("drift", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitReady(ie)
	id, sg := ie.Status.EndpointID, ie.Status.ManagedSecurityGroupID
	subs := h.privateSubnets()
	other := h.newGroup("someone-elses")

	// A subnet removed and a group swapped in the console.
	if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), RemoveSubnetIds: subs[:1], AddSecurityGroupIds: []string{other}, RemoveSecurityGroupIds: []string{sg}}); err != nil {
		t.Fatal(err)
	}
	// A managed rule revoked and an extra one added.
	if _, err := h.ec2.RevokeSecurityGroupIngress(h.ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String(h.fix.VPCCIDR)}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ec2.AuthorizeSecurityGroupIngress(h.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	ev := h.waitEvent(ie, v1alpha1.EventDriftCorrected, "security group "+sg+" rules")
	if !strings.Contains(ev.Note, "+tcp/443 from "+h.fix.VPCCIDR) || !strings.Contains(ev.Note, "-tcp/22 from 0.0.0.0/0") {
		t.Fatalf("event %q", ev.Note)
	}
	ev = h.waitEvent(ie, v1alpha1.EventDriftCorrected, "Repaired VPC endpoint")
	for _, want := range []string{"subnets +" + subs[0], "security groups +" + sg + " -" + other} {
		if !strings.Contains(ev.Note, want) {
			t.Fatalf("event %q lacks %q", ev.Note, want)
		}
	}
	h.waitReady(ie)
	if got := h.groupRules(sg); !reflect.DeepEqual(got, []string{"tcp/443 from " + h.fix.VPCCIDR}) {
		t.Fatalf("rules after repair %v", got)
	}

	// Private DNS turned off.
	h.eventually(10*time.Second, "turn private DNS off", func() error {
		_, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(false)})
		return err
	})
	h.waitEvent(ie, v1alpha1.EventDriftCorrected, "private DNS on")
	h.waitReady(ie)

	// The endpoint deleted: recreated, with the same managed group.
	h.eventually(10*time.Second, "delete the endpoint", func() error {
		_, err := h.ec2.DeleteVpcEndpoints(h.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
		return err
	})
	h.waitEvent(ie, v1alpha1.EventDriftCorrected, "deleted outside the controller")
	h.waitReady(ie)
	if ie.Status.EndpointID == id || ie.Status.ManagedSecurityGroupID != sg {
		t.Fatalf("after recreate: endpoint %s group %s", ie.Status.EndpointID, ie.Status.ManagedSecurityGroupID)
	}
	if n := len(h.liveEndpoints()); n != 1 {
		t.Fatalf("%d endpoints", n)
	}
}

func TestInterfaceDeleteWithBothPolicies(t *testing.T) {
	h := newHarness(t)
	del := iface("delete-me", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	keep := iface("keep-me", h.fix.VPCID, "logs", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	keep.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	h.create(del)
	h.create(keep)
	h.waitReady(del)
	h.waitReady(keep)
	delID, delSG := del.Status.EndpointID, del.Status.ManagedSecurityGroupID
	h.deleteAndWait(del)
	if h.groupExists(delSG) {
		t.Fatalf("managed group %s left behind", delSG)
	}
	out, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{delID}})
	if err == nil && len(out.VpcEndpoints) == 1 && !strings.EqualFold(string(out.VpcEndpoints[0].State), "deleted") {
		t.Fatalf("endpoint %s is %s", delID, out.VpcEndpoints[0].State)
	}
	// The group went only after the endpoint: DependencyViolation was retried, not surfaced.
	for _, e := range h.events(del) {
		if e.Reason == v1alpha1.EventSyncFailed {
			t.Fatalf("deletion surfaced a failure: %s", e.Note)
		}
	}
	enis, _ := h.ec2.DescribeNetworkInterfaces(h.ctx, &ec2.DescribeNetworkInterfacesInput{})
	for _, n := range enis.NetworkInterfaces {
		if strings.Contains(aws.ToString(n.Description), delID) {
			t.Fatalf("interface %s of the deleted endpoint remains", aws.ToString(n.NetworkInterfaceId))
		}
	}

	keepID, keepSG := keep.Status.EndpointID, keep.Status.ManagedSecurityGroupID
	h.deleteAndWait(keep)
	if !strings.EqualFold(string(h.endpoint(keepID).State), "available") || !h.groupExists(keepSG) {
		t.Fatal("retained endpoint or its group is gone")
	}
	if tags := tagsOf(h.endpoint(keepID).Tags); tags["vpce.dev/owner-uid"] != "" {
		t.Fatalf("retained endpoint keeps ownership tags %v", tags)
	}
}

// TestInterfaceManagedGroupDroppedFromSpec: when the spec stops asking for a managed
// group, the endpoint moves to the named groups and the managed group is deleted.
func TestInterfaceManagedGroupDroppedFromSpec(t *testing.T) {
	h := newHarness(t)
	byo := h.newGroup("byo")
	ie := iface("drop-managed", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitReady(ie)
	managed := ie.Status.ManagedSecurityGroupID
	h.update(ie, func() { ie.Spec.SecurityGroups = &v1alpha1.SecurityGroups{IDs: []string{byo}} })
	h.eventually(20*time.Second, "managed group deleted", func() error {
		h.get(ie)
		if h.groupExists(managed) || ie.Status.ManagedSecurityGroupID != "" {
			return fmt.Errorf("group %s exists=%v, status %q", managed, h.groupExists(managed), ie.Status.ManagedSecurityGroupID)
		}
		return nil
	})
	h.waitReady(ie)
	if !reflect.DeepEqual(ie.Status.SecurityGroupIDs, []string{byo}) {
		t.Fatalf("groups %v, want [%s]", ie.Status.SecurityGroupIDs, byo)
	}
}
