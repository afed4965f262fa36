package controllers_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// eice is an InstanceConnectEndpoint in the fixture VPC, in the private subnet
// of zone b (by tags and preferred zone) and with the default managed group.
func eice(name, vpcID string) *v1alpha1.InstanceConnectEndpoint {
	return &v1alpha1.InstanceConnectEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.InstanceConnectEndpointSpec{
			VPC:    v1alpha1.VPCSelector{ID: vpcID},
			Subnet: v1alpha1.InstanceConnectSubnet{Tags: map[string]string{"tier": "private"}, PreferredZone: "us-east-1b"},
		},
	}
}

// iceOf describes an Instance Connect Endpoint in ec2sim.
func (h *harness) iceOf(id string) types.Ec2InstanceConnectEndpoint {
	h.t.Helper()
	out, err := h.ec2.DescribeInstanceConnectEndpoints(h.ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}})
	if err != nil || len(out.InstanceConnectEndpoints) != 1 {
		h.t.Fatalf("describe %s: %v", id, err)
	}
	return out.InstanceConnectEndpoints[0]
}

// liveICEs lists the Instance Connect Endpoints that are not being deleted.
func (h *harness) liveICEs() []types.Ec2InstanceConnectEndpoint {
	h.t.Helper()
	out, err := h.ec2.DescribeInstanceConnectEndpoints(h.ctx, &ec2.DescribeInstanceConnectEndpointsInput{})
	if err != nil {
		h.t.Fatal(err)
	}
	var live []types.Ec2InstanceConnectEndpoint
	for _, e := range out.InstanceConnectEndpoints {
		if s := string(e.State); !strings.HasPrefix(s, "delete-") {
			live = append(live, e)
		}
	}
	return live
}

// groupRulesBoth returns a group's rules as "in tcp/22 from X" and "out tcp/22 to X".
func (h *harness) groupRulesBoth(id string) []string {
	h.t.Helper()
	out, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		h.t.Fatalf("describe %s: %v", id, err)
	}
	var rules []string
	add := func(dir, word string, perms []types.IpPermission) {
		for _, p := range perms {
			port := fmt.Sprintf("%s/%d", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort))
			if aws.ToString(p.IpProtocol) == "-1" {
				port = "all"
			}
			for _, r := range p.IpRanges {
				rules = append(rules, fmt.Sprintf("%s %s %s %s", dir, port, word, aws.ToString(r.CidrIp)))
			}
			for _, g := range p.UserIdGroupPairs {
				rules = append(rules, fmt.Sprintf("%s %s %s %s", dir, port, word, aws.ToString(g.GroupId)))
			}
		}
	}
	add("in", "from", out.SecurityGroups[0].IpPermissions)
	add("out", "to", out.SecurityGroups[0].IpPermissionsEgress)
	return sortStrings(rules)
}

func (h *harness) subnetInZone(zone string) string {
	for _, s := range h.fix.PrivateSubnets {
		if s.AvailabilityZone == zone {
			return s.SubnetID
		}
	}
	h.t.Fatalf("no private subnet in %s", zone)
	return ""
}

// TestInstanceConnectCreateAndEditInPlace: an endpoint in the preferred zone's
// private subnet, guarded by a managed group that allows egress TCP 22 to the
// VPC and nothing else; every status field a user needs; zero writes at rest;
// ports, preserveClientIP, groups and tags changed in place (one endpoint all
// along); the subnet refused at admission.
func TestInstanceConnectCreateAndEditInPlace(t *testing.T) {
	h := newHarness(t)
	ep := eice("bastion", h.fix.VPCID)
	h.create(ep)
	h.waitReady(ep)
	st := ep.Status
	id, sg := st.EndpointID, st.ManagedSecurityGroupID
	zoneB := h.subnetInZone("us-east-1b")
	switch {
	case !strings.HasPrefix(id, "eice-") || st.State != "create-complete" || st.VPCID != h.fix.VPCID:
		t.Fatalf("status %+v", st)
	case st.SubnetID != zoneB || st.AvailabilityZone != "us-east-1b":
		t.Fatalf("subnet %s in %s, want %s in us-east-1b", st.SubnetID, st.AvailabilityZone, zoneB)
	case !strings.HasSuffix(st.EndpointARN, ":instance-connect-endpoint/"+id) || !strings.HasPrefix(st.DNSName, id+".") || !strings.Contains(st.FIPSDNSName, ".fips.") || st.Region != "us-east-1":
		t.Fatalf("ARN %q DNS %q FIPS %q", st.EndpointARN, st.DNSName, st.FIPSDNSName)
	case len(st.NetworkInterfaceIDs) != 1 || !reflect.DeepEqual(st.SecurityGroupIDs, []string{sg}) || st.PreserveClientIP:
		t.Fatalf("interfaces %v groups %v (managed %s) preserve %v", st.NetworkInterfaceIDs, st.SecurityGroupIDs, sg, st.PreserveClientIP)
	case st.CreateIntent != nil || st.SecurityGroupCreateIntent != nil:
		t.Fatalf("intents left: %+v %+v", st.CreateIntent, st.SecurityGroupCreateIntent)
	}
	if got, want := h.groupRulesBoth(sg), []string{"out tcp/22 to " + h.fix.VPCCIDR}; !reflect.DeepEqual(got, want) {
		t.Fatalf("managed rules %v, want %v", got, want)
	}
	tags := tagsOf(h.iceOf(id).Tags)
	if tags["vpce.dev/owner-uid"] != string(ep.UID) || tags["vpce.dev/cluster"] != "test" || tags["Name"] != h.ns+"/bastion" {
		t.Fatalf("tags %v", tags)
	}
	h.waitEvent(ep, v1alpha1.EventCreated, "Created Instance Connect Endpoint "+id)

	h.sim.ResetCounters()
	time.Sleep(2*syncPeriod + time.Second)
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("steady state made mutating calls: %v", m)
	}

	// RDP too: the group's rules change in place.
	h.update(ep, func() {
		ep.Spec.SecurityGroups = &v1alpha1.InstanceConnectSecurityGroups{Managed: &v1alpha1.ManagedEgressSecurityGroup{Ports: []int32{22, 3389}}}
	})
	h.waitReady(ep)
	if got, want := h.groupRulesBoth(sg), []string{"out tcp/22 to " + h.fix.VPCCIDR, "out tcp/3389 to " + h.fix.VPCCIDR}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	h.waitEvent(ep, v1alpha1.EventModified, "+tcp/3389 to "+h.fix.VPCCIDR)

	// preserveClientIP, a group of the user's beside the managed one, and tags:
	// one ModifyInstanceConnectEndpoint and one CreateTags on the same endpoint.
	mine := h.newGroup("instances-ssh")
	h.sim.ResetCounters()
	h.update(ep, func() {
		ep.Spec.PreserveClientIP = true
		ep.Spec.SecurityGroups.IDs = []string{mine}
		ep.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
	})
	h.waitReady(ep)
	h.eventually(10*time.Second, "modified in place", func() error {
		got := h.iceOf(id)
		if !aws.ToBool(got.PreserveClientIp) || !reflect.DeepEqual(sortStrings(got.SecurityGroupIds), sortStrings([]string{mine, sg})) || tagsOf(got.Tags)["team"] != "platform" {
			return fmt.Errorf("endpoint %+v", got)
		}
		return nil
	})
	if n := h.sim.Counters()["ModifyInstanceConnectEndpoint"]["ok"]; n != 1 {
		t.Fatalf("%d ModifyInstanceConnectEndpoint calls, want 1", n)
	}
	h.waitEvent(ep, v1alpha1.EventModified, "preserve client IP on")
	h.get(ep)
	if ep.Status.EndpointID != id || !ep.Status.PreserveClientIP || len(h.liveICEs()) != 1 {
		t.Fatalf("replaced: %+v", ep.Status)
	}

	// The subnet cannot change: the apiserver says to delete and recreate.
	h.get(ep)
	ep.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: h.subnetInZone("us-east-1a")}
	err := h.k.Update(h.ctx, ep)
	if err == nil || !strings.Contains(err.Error(), "spec.subnet is immutable") || !strings.Contains(err.Error(), "delete the object and create it again") {
		t.Fatalf("subnet change: %v", err)
	}
}

// TestInstanceConnectAdoptionAndRefusal: an endpoint made by hand is adopted
// and brought to the spec; one in another subnet, or owned by another object,
// is refused.
func TestInstanceConnectAdoptionAndRefusal(t *testing.T) {
	h := newHarness(t)
	zoneA := h.subnetInZone("us-east-1a")
	made, err := h.ec2.CreateInstanceConnectEndpoint(h.ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(zoneA)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(made.InstanceConnectEndpoint.InstanceConnectEndpointId)

	wrong := eice("wrong-subnet", h.fix.VPCID)
	wrong.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: h.subnetInZone("us-east-1b")}
	wrong.Spec.EndpointID = id
	wrong.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	h.create(wrong)
	c := h.waitCondition(wrong, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAdoptionRefused, 15*time.Second)
	if !strings.Contains(c.Message, "AWS cannot move it") {
		t.Fatalf("message %q", c.Message)
	}
	h.deleteAndWait(wrong)

	adopt := eice("adopt", h.fix.VPCID)
	adopt.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: zoneA}
	adopt.Spec.EndpointID = id
	h.create(adopt)
	h.waitReady(adopt)
	h.waitEvent(adopt, v1alpha1.EventAdopted, "Adopted Instance Connect Endpoint "+id)
	got := h.iceOf(id)
	if tagsOf(got.Tags)["vpce.dev/owner-uid"] != string(adopt.UID) || !reflect.DeepEqual(got.SecurityGroupIds, []string{adopt.Status.ManagedSecurityGroupID}) {
		t.Fatalf("adopted endpoint %+v (managed group %s)", got, adopt.Status.ManagedSecurityGroupID)
	}

	// Another object may not take it.
	thief := eice("thief", h.fix.VPCID)
	thief.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: zoneA}
	thief.Spec.EndpointID = id
	h.create(thief)
	c = h.waitCondition(thief, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAdoptionRefused, 15*time.Second)
	if !strings.Contains(c.Message, "owned by "+h.ns+"/adopt") {
		t.Fatalf("message %q", c.Message)
	}
	h.deleteAndWait(thief)
	if tagsOf(h.iceOf(id).Tags)["vpce.dev/owner-uid"] != string(adopt.UID) {
		t.Fatal("the refused object touched the endpoint")
	}
}

// TestInstanceConnectDriftRepaired: the managed group's rule revoked (the only
// one), an inbound rule added, the groups swapped on the endpoint, tags
// stripped, and the endpoint deleted behind the controller's back: each
// repaired, each with a DriftCorrected event.
func TestInstanceConnectDriftRepaired(t *testing.T) {
	h := newHarness(t)
	ep := eice("drift", h.fix.VPCID)
	h.create(ep)
	h.waitReady(ep)
	id, sg := ep.Status.EndpointID, ep.Status.ManagedSecurityGroupID
	h.revokeSSHEgress(sg)
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "+tcp/22 to "+h.fix.VPCCIDR)
	if _, err := h.ec2.AuthorizeSecurityGroupIngress(h.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "-tcp/443 from 0.0.0.0/0")
	h.eventually(10*time.Second, "rules repaired", func() error {
		if got := h.groupRulesBoth(sg); !reflect.DeepEqual(got, []string{"out tcp/22 to " + h.fix.VPCCIDR}) {
			return fmt.Errorf("rules %v", got)
		}
		return nil
	})

	other := h.newGroup("someone-elses")
	h.eventually(10*time.Second, "swap the groups", func() error {
		_, err := h.ec2.ModifyInstanceConnectEndpoint(h.ctx, &ec2.ModifyInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id), SecurityGroupIds: []string{other}})
		return err
	})
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "security groups +"+sg+" -"+other)
	h.waitReady(ep) // until then, changes count as the spec's (Modified)
	if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("Name")}}}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "tags set Name")
	h.waitReady(ep)

	h.eventually(10*time.Second, "delete the endpoint", func() error {
		_, err := h.ec2.DeleteInstanceConnectEndpoint(h.ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id)})
		return err
	})
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "Instance Connect Endpoint "+id+" was deleted outside the controller")
	h.waitReady(ep)
	if ep.Status.EndpointID == id || ep.Status.ManagedSecurityGroupID != sg {
		t.Fatalf("after recreate: endpoint %s group %s", ep.Status.EndpointID, ep.Status.ManagedSecurityGroupID)
	}
	if n := len(h.liveICEs()); n != 1 {
		t.Fatalf("%d endpoints", n)
	}
}

// TestInstanceConnectDeleteWithBothPolicies: Delete removes the endpoint and
// its managed group; Retain leaves both without the ownership tags.
func TestInstanceConnectDeleteWithBothPolicies(t *testing.T) {
	h := newHarness(t)
	del := eice("delete", h.fix.VPCID)
	h.create(del)
	h.waitReady(del)
	id, sg := del.Status.EndpointID, del.Status.ManagedSecurityGroupID
	h.deleteAndWait(del)
	h.eventually(10*time.Second, "endpoint and group gone", func() error {
		if n := len(h.liveICEs()); n != 0 {
			return fmt.Errorf("%d endpoints left", n)
		}
		if h.groupExists(sg) {
			return fmt.Errorf("group %s left", sg)
		}
		return nil
	})
	h.waitEvent(del, v1alpha1.EventDeleted, "Deleted Instance Connect Endpoint "+id)

	keep := eice("retain", h.fix.VPCID)
	keep.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	keep.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
	h.create(keep)
	h.waitReady(keep)
	id, sg = keep.Status.EndpointID, keep.Status.ManagedSecurityGroupID
	h.deleteAndWait(keep)
	got := tagsOf(h.iceOf(id).Tags)
	if _, owned := got["vpce.dev/cluster"]; owned || got["team"] != "platform" || string(h.iceOf(id).State) != "create-complete" {
		t.Fatalf("retained endpoint: tags %v state %s", got, h.iceOf(id).State)
	}
	groups, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("retained group: %v", err)
	}
	if _, owned := tagsOf(groups.SecurityGroups[0].Tags)["vpce.dev/owner-uid"]; owned {
		t.Fatal("the retained group keeps its ownership tags")
	}
}

// TestInstanceConnectFailedStates: create-failed is Stalled with AWS's message
// and deleting the object deletes the endpoint; update-failed keeps converging.
func TestInstanceConnectFailedStates(t *testing.T) {
	h := newHarness(t)
	ep := eice("fails", h.fix.VPCID)
	h.create(ep)
	h.waitReady(ep)
	id := ep.Status.EndpointID
	if err := h.sim.FailInstanceConnectEndpoint(id, "update-failed", "Internal failure"); err != nil {
		t.Fatal(err)
	}
	c := h.waitCondition(ep, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonFailed, 15*time.Second)
	if !strings.Contains(c.Message, "update-failed") || !strings.Contains(c.Message, "Internal failure") {
		t.Fatalf("message %q", c.Message)
	}
	h.waitCondition(ep, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonFailed, 5*time.Second)
	if err := h.sim.FailInstanceConnectEndpoint(id, "create-failed", "Insufficient capacity"); err != nil {
		t.Fatal(err)
	}
	c = h.waitCondition(ep, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonFailed, 15*time.Second)
	if !strings.Contains(c.Message, "create-failed") || !strings.Contains(c.Message, "Insufficient capacity") || !strings.Contains(c.Message, "delete this object") {
		t.Fatalf("message %q", c.Message)
	}
	h.deleteAndWait(ep)
	if n := len(h.liveICEs()); n != 0 {
		t.Fatalf("%d endpoints left", n)
	}
}

// TestInstanceConnectCrashBetweenCreateAndStatusWrite: the manager dies the
// moment CreateInstanceConnectEndpoint returns while AWS does not list the new
// endpoint for 5 s. A restarted manager makes no second one and reports no
// drift; an object deleted before any status write names the endpoint leaves
// nothing behind.
func TestInstanceConnectCrashBetweenCreateAndStatusWrite(t *testing.T) {
	for _, deleteFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("delete-before-restart=%v", deleteFirst), func(t *testing.T) {
			h := newHarness(t, harnessOptions{noStart: true})
			h.sim.SetConsistency(ec2sim.Consistency{Window: 5 * time.Second})
			ep := eice("crash", h.fix.VPCID)
			var stop atomic.Pointer[context.CancelFunc]
			stopFirst := h.startManager("test", dieAfter("CreateInstanceConnectEndpoint", &stop))
			cancel := context.CancelFunc(func() { go stopFirst() })
			stop.Store(&cancel)
			h.create(ep)
			h.eventually(30*time.Second, "the first manager creates the endpoint and dies", func() error {
				if n := h.sim.Counters()["CreateInstanceConnectEndpoint"]["ok"]; n != 1 {
					return fmt.Errorf("%d creates", n)
				}
				return nil
			})
			h.managers.Wait()
			h.get(ep)
			if ep.Status.EndpointID != "" || ep.Status.CreateIntent == nil {
				t.Fatalf("status after the crash: endpoint %q intent %+v", ep.Status.EndpointID, ep.Status.CreateIntent)
			}
			if deleteFirst {
				if err := h.k.Delete(h.ctx, ep); err != nil {
					t.Fatal(err)
				}
			}
			h.startManager("test")
			if deleteFirst {
				h.waitGone(ep, 60*time.Second)
				h.sim.SetConsistency(ec2sim.Consistency{}) // a leak AWS does not list yet counts
				h.eventually(30*time.Second, "nothing left in AWS", func() error {
					if n := len(h.liveICEs()); n != 0 {
						return fmt.Errorf("%d endpoints left", n)
					}
					if g := h.ownedGroups(ep); len(g) != 0 {
						return fmt.Errorf("managed groups left: %v", g)
					}
					return nil
				})
				return
			}
			h.waitCondition(ep, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 60*time.Second)
			h.sim.SetConsistency(ec2sim.Consistency{})
			if n := len(h.liveICEs()); n != 1 {
				t.Fatalf("%d endpoints after the restart, want 1", n)
			}
			if n := h.sim.Counters()["CreateInstanceConnectEndpoint"]["ok"]; n > 2 {
				t.Fatalf("%d creates", n)
			}
			h.noEvent(ep, v1alpha1.EventDriftCorrected)
		})
	}
}

// TestInstanceConnectUnderPublishedIAMPolicy: the whole life cycle with ec2sim
// evaluating config/iam/policy.json (and the adoption statement) on every call.
func TestInstanceConnectUnderPublishedIAMPolicy(t *testing.T) {
	h := newHarness(t)
	zoneA := h.subnetInZone("us-east-1a")
	// A second VPC with an endpoint made by hand, to adopt (AWS allows one per VPC).
	vpc, subnet, _ := h.otherVPC()
	made, err := h.ec2.CreateInstanceConnectEndpoint(h.ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(subnet)})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sim.SetIAMPolicy(publishedPolicy(t, "policy.json", "adoption-policy.json")); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetCounters()

	ep := eice("iam", h.fix.VPCID)
	ep.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: zoneA}
	adopt := eice("adopt", vpc)
	adopt.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: subnet}
	adopt.Spec.EndpointID = aws.ToString(made.InstanceConnectEndpoint.InstanceConnectEndpointId)
	adopt.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	h.create(ep)
	h.create(adopt)
	h.waitReady(ep)
	h.waitReady(adopt)

	h.update(ep, func() {
		ep.Spec.PreserveClientIP = true
		ep.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
		ep.Spec.SecurityGroups = &v1alpha1.InstanceConnectSecurityGroups{Managed: &v1alpha1.ManagedEgressSecurityGroup{Ports: []int32{22, 3389}}}
	})
	h.waitReady(ep)
	sg := ep.Status.ManagedSecurityGroupID
	if _, err := h.ec2.RevokeSecurityGroupEgress(h.ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sg), IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(3389), ToPort: aws.Int32(3389), IpRanges: []types.IpRange{{CidrIp: aws.String(h.fix.VPCCIDR)}}}}}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "+tcp/3389 to "+h.fix.VPCCIDR)

	h.deleteAndWait(ep)
	h.deleteAndWait(adopt)
	for action, outcomes := range h.sim.Counters() {
		if n := outcomes["UnauthorizedOperation"]; n > 0 {
			t.Errorf("%s refused %d times under the published policy", action, n)
		}
	}
	if n := len(h.liveICEs()); n != 1 {
		t.Fatalf("%d endpoints, want only the retained one", n)
	}
}

// TestInstanceConnectAccountLimitIsACondition: AWS's limit of Instance Connect
// Endpoints per account and region, reached in other VPCs, is a clear
// condition (AWS's refusal, so after the managed group was made); deleting one
// endpoint lets the object converge.
func TestInstanceConnectAccountLimitIsACondition(t *testing.T) {
	h := newHarness(t)
	var others []string
	for i := range ec2sim.InstanceConnectEndpointsPerRegion {
		v, err := h.ec2.CreateVpc(h.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", 50+i))})
		if err != nil {
			t.Fatal(err)
		}
		sn, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.%d.1.0/24", 50+i)), AvailabilityZone: aws.String("us-east-1a")})
		if err != nil {
			t.Fatal(err)
		}
		made, err := h.ec2.CreateInstanceConnectEndpoint(h.ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: sn.Subnet.SubnetId})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, aws.ToString(made.InstanceConnectEndpoint.InstanceConnectEndpointId))
	}
	ep := eice("limit", h.fix.VPCID)
	h.create(ep)
	c := h.waitCondition(ep, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonInstanceConnectEndpointLimitExceeded, 15*time.Second)
	if !strings.Contains(c.Message, "per account and region") || !strings.Contains(c.Message, "describe-instance-connect-endpoints") {
		t.Fatalf("message %q", c.Message)
	}
	h.eventually(10*time.Second, "free one", func() error {
		_, err := h.ec2.DeleteInstanceConnectEndpoint(h.ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(others[0])})
		return err
	})
	h.waitCondition(ep, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 60*time.Second)
}

// TestCrashAfterAChangeThenTheSpecReverted (found by the chaos suite): the
// manager dies the moment ModifyInstanceConnectEndpoint returns, before its
// status write, and the spec is set back meanwhile, while AWS shows the old
// state. The change was recorded before it was made, so the restarted manager
// waits AWS out instead of taking the old state for the spec's, then undoes the
// change as the spec's (Modified), never as drift.
func TestCrashAfterAChangeThenTheSpecReverted(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	ep := eice("revert", h.fix.VPCID)
	stopFirst := h.startManager("test")
	h.create(ep)
	h.waitReady(ep)
	stopFirst()
	h.sim.SetConsistency(ec2sim.Consistency{Window: time.Hour}) // until the test turns it off
	var stop atomic.Pointer[context.CancelFunc]
	stopSecond := h.startManager("test", dieAfter("ModifyInstanceConnectEndpoint", &stop))
	cancel := context.CancelFunc(func() { go stopSecond() })
	stop.Store(&cancel)
	h.update(ep, func() { ep.Spec.PreserveClientIP = true })
	h.eventually(30*time.Second, "the manager changes the endpoint and dies", func() error {
		if n := h.sim.Counters()["ModifyInstanceConnectEndpoint"]["ok"]; n != 1 {
			return fmt.Errorf("%d modifies", n)
		}
		return nil
	})
	h.managers.Wait()
	h.update(ep, func() { ep.Spec.PreserveClientIP = false })
	reverted := ep.Generation
	h.startManager("test")
	h.eventually(30*time.Second, "the restarted manager acts on the reverted spec", func() error {
		h.get(ep)
		if ep.Status.ObservedGeneration != reverted {
			return fmt.Errorf("observed generation %d, want %d", ep.Status.ObservedGeneration, reverted)
		}
		return nil
	})
	h.sim.SetConsistency(ec2sim.Consistency{}) // AWS now shows the change
	h.eventually(60*time.Second, "AWS back at the spec", func() error {
		h.get(ep)
		got := h.iceOf(ep.Status.EndpointID)
		if aws.ToBool(got.PreserveClientIp) || !isReady(ep) || got.State != types.Ec2InstanceConnectEndpointStateUpdateComplete {
			return fmt.Errorf("%s, preserveClientIP %v, ready %v", got.State, aws.ToBool(got.PreserveClientIp), isReady(ep))
		}
		return nil
	})
	h.noEvent(ep, v1alpha1.EventDriftCorrected)
	h.waitEvent(ep, v1alpha1.EventModified, "preserve client IP off")
}

// revokeSSHEgress takes the SSH-to-the-VPC egress rule off an Instance Connect
// Endpoint's managed group, as a user would in the console.
func (h *harness) revokeSSHEgress(sg string) {
	h.t.Helper()
	ssh := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String(h.fix.VPCCIDR)}}}}
	if _, err := h.ec2.RevokeSecurityGroupEgress(h.ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sg), IpPermissions: ssh}); err != nil {
		h.t.Fatal(err)
	}
}
