package controllers_test

// Scenarios of issue 11: the engine under AWS's eventual consistency, lost
// responses, AWS's defaults and limits, and the IAM policy it publishes. Each
// failed before the change that fixed it.

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// ownedGroups lists the security groups carrying obj's owner-uid tag.
func (h *harness) ownedGroups(obj client.Object) []string {
	h.t.Helper()
	out, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for _, g := range out.SecurityGroups {
		if tagsOf(g.Tags)["vpce.dev/owner-uid"] == string(obj.GetUID()) {
			ids = append(ids, aws.ToString(g.GroupId))
		}
	}
	return ids
}

// isReady reports Ready=True at the object's generation.
func isReady(obj client.Object) bool {
	c := meta.FindStatusCondition(commonStatus(obj).Conditions, v1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration()
}

// noEvent fails when obj has an event of the reason.
func (h *harness) noEvent(obj client.Object, reasons ...string) {
	h.t.Helper()
	for _, e := range h.events(obj) {
		for _, r := range reasons {
			if e.Reason == r {
				h.t.Fatalf("%s: unexpected %s event: %s", obj.GetName(), e.Reason, e.Note)
			}
		}
	}
}

// waitGone waits until obj is gone from the apiserver.
func (h *harness) waitGone(obj client.Object, timeout time.Duration) {
	h.t.Helper()
	h.eventually(timeout, "deletion of "+obj.GetName(), func() error {
		if err := h.k.Get(h.ctx, client.ObjectKeyFromObject(obj), obj); err == nil {
			return fmt.Errorf("still there (finalizers %v): %v", obj.GetFinalizers(), commonStatus(obj).Conditions)
		}
		return nil
	})
}

// TestCrashRightAfterCreateThenDelete (failure 1, and the acceptance scenario):
// the manager dies the moment CreateVpcEndpoint returns, the object is deleted
// before any status write names the endpoint, and a manager restarts at once,
// while AWS does not list the new endpoint for 5 s. Nothing may be left.
func TestCrashRightAfterCreateThenDelete(t *testing.T) {
	for _, kind := range []string{"gateway", "interface"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, harnessOptions{noStart: true})
			h.sim.SetConsistency(ec2sim.Consistency{Window: 5 * time.Second})
			var obj client.Object
			if kind == "gateway" {
				obj = gateway("crash-delete", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
			} else {
				obj = iface("crash-delete", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
			}
			var stop atomic.Pointer[context.CancelFunc]
			stopFirst := h.startManager("test", dieAfter("CreateVpcEndpoint", &stop))
			cancel := context.CancelFunc(func() { go stopFirst() })
			stop.Store(&cancel)
			h.create(obj)
			h.eventually(15*time.Second, "the first manager creates the endpoint and dies", func() error {
				if n := h.sim.Counters()["CreateVpcEndpoint"]["ok"]; n != 1 {
					return fmt.Errorf("%d creates", n)
				}
				return nil
			})
			h.managers.Wait() // the first manager is gone
			h.get(obj)
			if id := commonStatus(obj).EndpointID; id != "" {
				t.Fatalf("status already has %s: the crash came too late", id)
			}
			if err := h.k.Delete(h.ctx, obj); err != nil {
				t.Fatal(err)
			}
			h.startManager("test")
			h.waitGone(obj, 60*time.Second)
			h.sim.SetConsistency(ec2sim.Consistency{}) // show everything: a leak AWS does not list yet counts
			h.eventually(30*time.Second, "nothing left in AWS", func() error {
				if n := len(h.liveEndpoints()); n != 0 {
					return fmt.Errorf("%d endpoints left", n)
				}
				if g := h.ownedGroups(obj); len(g) != 0 {
					return fmt.Errorf("managed groups left: %v", g)
				}
				return nil
			})
		})
	}
}

// TestRestartInsideConsistencyWindow (failure 2): the status names the new
// endpoint, the manager restarts while AWS does not list it yet (5 s, the worst
// case, for both kinds), and the new manager neither creates a second endpoint
// nor reports drift nobody made.
func TestRestartInsideConsistencyWindow(t *testing.T) {
	for _, kind := range []string{"gateway", "interface"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, harnessOptions{noStart: true})
			h.sim.SetConsistency(ec2sim.Consistency{Window: 5 * time.Second})
			var obj client.Object
			if kind == "gateway" {
				obj = gateway("restart", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
			} else {
				obj = iface("restart", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
			}
			stopFirst := h.startManager("test")
			h.create(obj)
			h.eventually(10*time.Second, "the endpoint recorded", func() error {
				h.get(obj)
				if commonStatus(obj).EndpointID == "" {
					return fmt.Errorf("no endpoint yet")
				}
				return nil
			})
			stopFirst()
			h.startManager("test")
			// Wait until AWS lists the endpoint the status names (the window has
			// passed; the new manager has long made its first reconcile) and the
			// new manager has seen it.
			h.eventually(30*time.Second, "the new manager sees the endpoint", func() error {
				h.get(obj)
				c := commonStatus(obj)
				if _, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{c.EndpointID}}); err != nil {
					return err
				}
				if c.CreateIntent != nil || !isReady(obj) {
					return fmt.Errorf("create intent %v, conditions %v", c.CreateIntent, c.Conditions)
				}
				return nil
			})
			h.sim.SetConsistency(ec2sim.Consistency{}) // show everything: a duplicate AWS does not list yet counts
			if n := len(h.liveEndpoints()); n != 1 {
				t.Fatalf("%d endpoints, want 1", n)
			}
			h.noEvent(obj, v1alpha1.EventDriftCorrected, v1alpha1.EventSyncFailed)
		})
	}
}

// TestRetainThenRecreateSameName (failure 4): deletionPolicy Retain leaves the
// endpoint and its managed group; a new object of the same name gets a group of
// its own instead of InvalidGroup.Duplicate for good.
func TestRetainThenRecreateSameName(t *testing.T) {
	h := newHarness(t)
	newObj := func() *v1alpha1.InterfaceEndpoint {
		ie := iface("again", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
		ie.Spec.PrivateDNS.Enabled = false // the retained endpoint keeps the VPC's private DNS name otherwise
		ie.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
		return ie
	}
	first := newObj()
	h.create(first)
	h.waitReady(first)
	retainedSG := first.Status.ManagedSecurityGroupID
	h.deleteAndWait(first)

	second := newObj()
	h.create(second)
	h.waitReady(second)
	if sg := second.Status.ManagedSecurityGroupID; sg == retainedSG || sg == "" {
		t.Fatalf("second object's group %q, retained group %s", sg, retainedSG)
	}
	out, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{retainedSG}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("retained group %s: %v", retainedSG, err)
	}
	if tags := tagsOf(out.SecurityGroups[0].Tags); tags["vpce.dev/owner-uid"] != "" || tags["vpce.dev/cluster"] != "" {
		t.Fatalf("retained group keeps ownership tags %v", tags)
	}
	h.noEvent(second, v1alpha1.EventSyncFailed)
}

// TestSecurityGroupNotFoundRightAfterCreate (failure 5): AWS's own example of
// eventual consistency, InvalidGroup.NotFound from AuthorizeSecurityGroupIngress
// right after CreateSecurityGroup, is waited out, not reported as a failure.
func TestSecurityGroupNotFoundRightAfterCreate(t *testing.T) {
	h := newHarness(t)
	h.sim.InjectFault(ec2sim.Fault{Action: "AuthorizeSecurityGroupIngress", Code: "InvalidGroup.NotFound", Count: 2})
	ie := iface("fresh-group", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitReady(ie)
	if n := h.sim.Counters()["AuthorizeSecurityGroupIngress"]["InvalidGroup.NotFound"]; n != 2 {
		t.Fatalf("%d injected InvalidGroup.NotFound, want 2", n)
	}
	// The group first seen without the rules its create could not add yet is not drift.
	h.noEvent(ie, v1alpha1.EventSyncFailed, v1alpha1.EventDriftCorrected)
	if got := h.groupRules(ie.Status.ManagedSecurityGroupID); len(got) != 1 {
		t.Fatalf("rules %v", got)
	}
}

// TestDeleteBlockedByAReferenceSaysWhat (failure 6): a managed group another
// group's rule still references cannot be deleted; once the consistency bound has
// passed, a condition and a Warning event name the reference, and removing it lets
// the deletion finish.
func TestDeleteBlockedByAReferenceSaysWhat(t *testing.T) {
	h := newHarness(t, harnessOptions{consistencyBound: 2 * time.Second})
	ie := iface("referenced", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitReady(ie)
	sg := ie.Status.ManagedSecurityGroupID
	other := h.newGroup("talks-to-the-endpoint")
	perm := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(sg)}}}}
	if _, err := h.ec2.AuthorizeSecurityGroupIngress(h.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(other), IpPermissions: perm}); err != nil {
		t.Fatal(err)
	}
	if err := h.k.Delete(h.ctx, ie); err != nil {
		t.Fatal(err)
	}
	c := h.waitCondition(ie, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonSecurityGroupInUse, 30*time.Second)
	if !strings.Contains(c.Message, other) || !strings.Contains(c.Message, sg) {
		t.Fatalf("message %q does not name %s and %s", c.Message, sg, other)
	}
	ev := h.waitEvent(ie, v1alpha1.EventSyncFailed, v1alpha1.ReasonSecurityGroupInUse)
	if ev.Type != "Warning" || !strings.Contains(ev.Note, other) {
		t.Fatalf("event %s %q", ev.Type, ev.Note)
	}
	if _, err := h.ec2.RevokeSecurityGroupIngress(h.ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(other), IpPermissions: perm}); err != nil {
		t.Fatal(err)
	}
	h.waitGone(ie, 90*time.Second)
	if h.groupExists(sg) {
		t.Fatalf("managed group %s left behind", sg)
	}
}

// TestManagedGroupOwnershipStripped (failure 7): under the published IAM policy a
// managed group whose ownership tags were removed can be neither repaired nor
// deleted by the controller. It says so, with the recovery, instead of leaking the
// group or sticking silently; once the tags are back, the deletion finishes.
func TestManagedGroupOwnershipStripped(t *testing.T) {
	h := newHarness(t)
	doc := publishedPolicy(t, "policy.json")
	if err := h.sim.SetIAMPolicy(doc); err != nil {
		t.Fatal(err)
	}
	ie := iface("stripped", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitReady(ie)
	sg := ie.Status.ManagedSecurityGroupID
	ownership := []types.Tag{{Key: aws.String("vpce.dev/cluster")}, {Key: aws.String("vpce.dev/owner")}, {Key: aws.String("vpce.dev/owner-uid")}}
	if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{sg}, Tags: ownership}); err != nil {
		t.Fatal(err)
	}
	c := h.waitCondition(ie, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonSecurityGroupOwnershipLost, syncPeriod+15*time.Second)
	if !strings.Contains(c.Message, "aws ec2 create-tags --resources "+sg) {
		t.Fatalf("message %q gives no recovery", c.Message)
	}
	if err := h.k.Delete(h.ctx, ie); err != nil {
		t.Fatal(err)
	}
	h.waitCondition(ie, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonSecurityGroupOwnershipLost, 30*time.Second)
	if !h.groupExists(sg) {
		t.Fatal("the group is gone although the policy forbids deleting it")
	}
	// The recovery the message gives, done by an administrator.
	if err := h.sim.SetIAMPolicy(nil); err != nil {
		t.Fatal(err)
	}
	h.tag(sg, "vpce.dev/cluster", "test")
	h.tag(sg, "vpce.dev/owner", h.ns+"/stripped")
	h.tag(sg, "vpce.dev/owner-uid", string(ie.UID))
	if err := h.sim.SetIAMPolicy(doc); err != nil {
		t.Fatal(err)
	}
	h.waitGone(ie, 90*time.Second)
	if h.groupExists(sg) {
		t.Fatalf("managed group %s left behind", sg)
	}
	for action, outcomes := range h.sim.Counters() {
		if n := outcomes["UnauthorizedOperation"]; n > 0 && action != "CreateTags" && action != "DeleteSecurityGroup" {
			t.Errorf("%s refused %d times", action, n)
		}
	}
}

// stateCase returns EC2 client options that spell every endpoint state as the
// SDK's constants do (PascalCase: "Available", "PendingAcceptance") instead of
// the wire's camelCase, as AWS has done for some endpoint types.
func stateCase() func(*ec2.Options) {
	pascal := func(e *types.VpcEndpoint) {
		if s := string(e.State); s != "" {
			e.State = types.State(strings.ToUpper(s[:1]) + s[1:])
		}
	}
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("state-case", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					switch r := out.Result.(type) {
					case *ec2.DescribeVpcEndpointsOutput:
						for i := range r.VpcEndpoints {
							pascal(&r.VpcEndpoints[i])
						}
					case *ec2.CreateVpcEndpointOutput:
						if r.VpcEndpoint != nil {
							pascal(r.VpcEndpoint)
						}
					}
				}
				return out, md, err
			}), middleware.After)
		})
	}
}

// TestEndpointStatesInAnyCase (failure 9): states compare whatever their case;
// failed, partial and expired endpoints are reported with AWS's LastError, are
// never taken for gone, and are deleted with their object.
func TestEndpointStatesInAnyCase(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.startManager("test", stateCase())
	gw := gateway("states", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	ie := iface("states", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.create(ie)
	h.waitReady(gw)
	h.waitReady(ie)
	if gw.Status.State != "available" || ie.Status.State != "available" {
		t.Fatalf("states %q %q, want available", gw.Status.State, ie.Status.State)
	}

	if err := h.sim.SetEndpointState(ie.Status.EndpointID, "partial", "InsufficientCapacity", "no capacity in us-east-1a"); err != nil {
		t.Fatal(err)
	}
	c := h.waitCondition(ie, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonPartial, syncPeriod+10*time.Second)
	if !strings.Contains(c.Message, "no capacity in us-east-1a") {
		t.Fatalf("message %q lacks AWS's LastError", c.Message)
	}
	if err := h.sim.FailEndpoint(ie.Status.EndpointID, "InsufficientCapacity", "no capacity in us-east-1b"); err != nil {
		t.Fatal(err)
	}
	c = h.waitCondition(ie, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonFailed, syncPeriod+10*time.Second)
	if !strings.Contains(c.Message, "no capacity in us-east-1b") {
		t.Fatalf("message %q lacks AWS's LastError", c.Message)
	}
	if err := h.sim.SetEndpointState(gw.Status.EndpointID, "expired", "", ""); err != nil {
		t.Fatal(err)
	}
	h.waitCondition(gw, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonExpired, syncPeriod+10*time.Second)
	if n := len(h.liveEndpoints()); n != 2 {
		t.Fatalf("%d endpoints: a failed or expired endpoint was taken for gone", n)
	}
	h.deleteAndWait(gw)
	h.deleteAndWait(ie)
	if n := len(h.liveEndpoints()); n != 0 {
		t.Fatalf("%d endpoints left", n)
	}
}

// TestLongNamesStayWithinAWSLimits (failure 10): a 253-character object name makes
// namespace/name longer than AWS's 256-character tag values and 255-character
// group descriptions; the controller shortens what it writes, and the owner-uid
// tag still identifies the object.
func TestLongNamesStayWithinAWSLimits(t *testing.T) {
	h := newHarness(t)
	name := strings.Repeat("a", 100) + "." + strings.Repeat("b", 100) + "." + strings.Repeat("c", 51)
	gw := gateway(name, h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	ie := iface(name, h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.create(ie)
	h.waitReady(gw)
	h.waitReady(ie)
	for _, id := range []string{gw.Status.EndpointID, ie.Status.EndpointID} {
		tags := tagsOf(h.endpoint(id).Tags)
		for k, v := range tags {
			if utf8.RuneCountInString(v) > 256 {
				t.Fatalf("tag %s of %s is %d characters", k, id, len(v))
			}
		}
		if tags["vpce.dev/owner-uid"] == "" || !strings.HasPrefix(tags["vpce.dev/owner"], h.ns+"/aaa") {
			t.Fatalf("ownership tags %v", tags)
		}
	}
	out, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{ie.Status.ManagedSecurityGroupID}})
	if err != nil {
		t.Fatal(err)
	}
	g := out.SecurityGroups[0]
	if len(aws.ToString(g.GroupName)) > 255 || len(aws.ToString(g.Description)) > 255 {
		t.Fatalf("group name %d, description %d characters", len(aws.ToString(g.GroupName)), len(aws.ToString(g.Description)))
	}
	h.deleteAndWait(gw)
	h.deleteAndWait(ie)
}

// TestPrivateDNSConflictFoundBeforeAnyWrite (failure 13): a second interface
// endpoint with private DNS for a service the VPC already has one for is refused
// before any write, naming the other endpoint and its object, and suggesting
// privateDNS.enabled: false.
func TestPrivateDNSConflictFoundBeforeAnyWrite(t *testing.T) {
	h := newHarness(t)
	first := iface("first", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(first)
	h.waitReady(first)
	h.sim.ResetCounters()
	second := iface("second", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(second)
	c := h.waitCondition(second, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonPrivateDNSConflict, 15*time.Second)
	for _, want := range []string{first.Status.EndpointID, h.ns + "/first", "privateDNS.enabled: false"} {
		if !strings.Contains(c.Message, want) {
			t.Fatalf("message %q does not name %q", c.Message, want)
		}
	}
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("mutating calls before the conflict was reported: %v", m)
	}
	h.update(second, func() { second.Spec.PrivateDNS.Enabled = false })
	h.waitReady(second)
}

// TestOwnChangesAreNotDrift: AWS shows a changed endpoint or group in its previous
// state for a while (3 s here, the worst case). The controller's own changes,
// seen late, are neither repaired again nor reported as drift, also across a
// restart.
func TestOwnChangesAreNotDrift(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.sim.SetConsistency(ec2sim.Consistency{Window: 3 * time.Second})
	stop := h.startManager("test")
	rts, subs := h.privateRouteTables(), h.privateSubnets()
	gw := gateway("own", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[:1]})
	ie := iface("own", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: subs[:1]})
	h.create(gw)
	h.create(ie)
	h.waitReady(gw)
	h.waitReady(ie)
	h.update(gw, func() {
		gw.Spec.RouteTables.IDs = rts[1:]
		gw.Spec.Tags = map[string]v1alpha1.TagValue{"team": "a"}
	})
	h.update(ie, func() {
		ie.Spec.Subnets.IDs = subs[1:]
		ie.Spec.SecurityGroups = &v1alpha1.SecurityGroups{Managed: &v1alpha1.ManagedSecurityGroup{Ports: []int32{443, 8443}}}
	})
	h.eventually(10*time.Second, "both edits applied", func() error {
		if n := h.sim.Counters()["ModifyVpcEndpoint"]["ok"]; n < 2 {
			return fmt.Errorf("%d modifies", n)
		}
		h.get(gw)
		h.get(ie)
		if gw.Status.LastChange == nil || ie.Status.LastChange == nil {
			return fmt.Errorf("changes not recorded yet")
		}
		return nil
	})
	stop() // and a restart while AWS still shows the previous state
	h.startManager("test")
	h.eventually(30*time.Second, "AWS shows the edits", func() error {
		if got := h.endpoint(gw.Status.EndpointID).RouteTableIds; len(got) != 2 {
			return fmt.Errorf("gateway routes %v", got)
		}
		if got := h.endpoint(ie.Status.EndpointID).SubnetIds; len(got) != 2 {
			return fmt.Errorf("interface subnets %v", got)
		}
		return nil
	})
	h.waitReady(gw)
	h.waitReady(ie)
	h.sim.SetConsistency(ec2sim.Consistency{})
	time.Sleep(syncPeriod) // one drift check at least, on consistent data
	h.noEvent(gw, v1alpha1.EventDriftCorrected, v1alpha1.EventSyncFailed)
	h.noEvent(ie, v1alpha1.EventDriftCorrected, v1alpha1.EventSyncFailed)
}

// TestS3InterfaceEndpointPrivateDNS (failure 3): with private DNS on, AWS defaults
// PrivateDnsOnlyForInboundResolverEndpoint to true for S3, and then requires a
// gateway endpoint for S3 in the VPC. The controller sends the spec's choice
// instead: an S3 interface endpoint works without a gateway endpoint, and beside
// one it is never changed after its create.
func TestS3InterfaceEndpointPrivateDNS(t *testing.T) {
	h := newHarness(t, harnessOptions{extraNamespaces: 1})
	alone := iface("s3-alone", h.fix.VPCID, "s3", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(alone)
	h.waitReady(alone)
	ep := h.endpoint(alone.Status.EndpointID)
	if !aws.ToBool(ep.PrivateDnsEnabled) || ep.DnsOptions == nil || aws.ToBool(ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint) {
		t.Fatalf("private DNS %v, options %+v; want on, for every query", aws.ToBool(ep.PrivateDnsEnabled), ep.DnsOptions)
	}
	h.deleteAndWait(alone)

	// Beside a gateway endpoint, both choices are kept as the spec says, from the create on.
	gw := gateway("s3-gateway", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.waitReady(gw)
	h.sim.ResetCounters()
	inbound := iface("s3-inbound", h.fix.VPCID, "s3", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	inbound.Spec.PrivateDNS.OnlyForInboundResolverEndpoint = true
	h.create(inbound)
	h.waitReady(inbound)
	if ep := h.endpoint(inbound.Status.EndpointID); ep.DnsOptions == nil || !aws.ToBool(ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint) {
		t.Fatalf("options %+v, want only for the inbound resolver", ep.DnsOptions)
	}
	h.deleteAndWait(inbound)
	everything := iface("s3-everything", h.fix.VPCID, "s3", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(everything)
	h.waitReady(everything)
	if ep := h.endpoint(everything.Status.EndpointID); ep.DnsOptions == nil || aws.ToBool(ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint) {
		t.Fatalf("options %+v, want private DNS for every query, as the spec says", ep.DnsOptions)
	}
	if n := h.sim.Counters()["ModifyVpcEndpoint"]["ok"]; n != 0 {
		t.Fatalf("%d ModifyVpcEndpoint calls: an endpoint was changed after its create", n)
	}
	h.noEvent(everything, v1alpha1.EventDriftCorrected, v1alpha1.EventModified, v1alpha1.EventSyncFailed)
}

// TestRetriedModifyIsNotTerminal (failure 11): ModifyVpcEndpoint takes effect but
// its response is lost, and the SDK's retry of the removal answers
// InvalidParameter. The controller re-reads and re-plans before it classifies the
// refusal: the change is made, nothing is Stalled.
func TestRetriedModifyIsNotTerminal(t *testing.T) {
	h := newHarness(t)
	rts := h.privateRouteTables()
	gw := gateway("lost", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts})
	h.create(gw)
	h.waitReady(gw)
	h.sim.InjectFault(ec2sim.Fault{Action: "ModifyVpcEndpoint", LostResponse: true, Count: 1})
	h.update(gw, func() { gw.Spec.RouteTables.IDs = rts[:1] })
	h.waitReady(gw)
	h.waitRoutes(gw.Status.EndpointID, rts[:1])
	if n := h.sim.Counters()["ModifyVpcEndpoint"]["InvalidParameter"]; n < 1 {
		t.Fatalf("the SDK's retry was not refused (%v): the scenario did not happen", h.sim.Counters()["ModifyVpcEndpoint"])
	}
	h.noEvent(gw, v1alpha1.EventSyncFailed)
}

// TestDeleteAfterARefusedCreateDoesNotWait: a create AWS refused made nothing, so
// deleting the object does not wait out the consistency bound (5 minutes by
// default) for it; nor does it for the endpoint, whose create was never about to
// be made.
func TestDeleteAfterARefusedCreateDoesNotWait(t *testing.T) {
	h := newHarness(t)
	h.sim.InjectFault(ec2sim.Fault{Action: "CreateSecurityGroup", Code: "InvalidParameterValue", Count: 1000})
	ie := iface("refused", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitCondition(ie, v1alpha1.ConditionStalled, metav1.ConditionTrue, "InvalidParameterValue", 15*time.Second)
	if c := ie.Status; c.CreateIntent != nil || c.SecurityGroupCreateIntent != nil {
		t.Fatalf("intents left after a refused create: %+v %+v", c.CreateIntent, c.SecurityGroupCreateIntent)
	}
	h.deleteAndWait(ie)
}
