package controllers_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
	"github.com/vpce-dev/vpce-controller/internal/policy"
)

func gateway(name, vpcID string, rts v1alpha1.RouteTableSelector) *v1alpha1.GatewayEndpoint {
	return &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcID}},
			Service:            "s3",
			RouteTables:        rts,
		},
	}
}

func TestGatewayCreateWithRouteTableIDs(t *testing.T) {
	h := newHarness(t)
	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()})
	h.create(gw)
	h.waitReady(gw)

	st := gw.Status
	if !strings.HasPrefix(st.EndpointID, "vpce-") || st.State != "available" || st.ServiceName != "com.amazonaws.us-east-1.s3" || st.VPCID != h.fix.VPCID || st.Region != "us-east-1" {
		t.Fatalf("status = %+v", st)
	}
	if !strings.HasPrefix(st.PrefixListID, "pl-") {
		t.Fatalf("prefix list = %q", st.PrefixListID)
	}
	if !reflect.DeepEqual(st.RouteTableIDs, h.privateRouteTables()) {
		t.Fatalf("status route tables %v, want %v", st.RouteTableIDs, h.privateRouteTables())
	}
	h.waitRoutes(st.EndpointID, h.privateRouteTables())
	ep := h.endpoint(st.EndpointID)
	tags := map[string]string{}
	for _, tg := range ep.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	want := map[string]string{"vpce.dev/cluster": "test", "vpce.dev/owner": h.ns + "/s3", "vpce.dev/owner-uid": string(gw.UID), "Name": h.ns + "/s3"}
	if !reflect.DeepEqual(tags, want) {
		t.Fatalf("tags = %v, want %v", tags, want)
	}
	if len(gw.Finalizers) != 1 || gw.Finalizers[0] != v1alpha1.Finalizer {
		t.Fatalf("finalizers = %v", gw.Finalizers)
	}
	h.waitEvent(gw, v1alpha1.EventCreated, st.EndpointID)
	if n := testutil.ToFloat64(metrics.EC2Calls.WithLabelValues("CreateVpcEndpoint", "ok")); n < 1 {
		t.Fatalf("vpce_ec2_api_calls_total{action=CreateVpcEndpoint,outcome=ok} = %v", n)
	}
	if n := testutil.CollectAndCount(metrics.TimeToReady); n < 1 {
		t.Fatal("vpce_time_to_ready_seconds has no observation")
	}
	if n := testutil.ToFloat64(metrics.Endpoints.WithLabelValues("GatewayEndpoint", h.ns, "available")); n != 1 {
		t.Fatalf("vpce_endpoints{kind=GatewayEndpoint,object_namespace=%q,state=available} = %v, want 1", h.ns, n)
	}

	// Steady state: drift checks every sync period make no mutating call.
	h.sim.ResetCounters()
	time.Sleep(2*syncPeriod + time.Second)
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("steady state made mutating calls: %v", m)
	}
	describes := h.sim.Counters()["DescribeVpcEndpoints"]["ok"]
	if describes < 2 {
		t.Fatalf("drift check did not run: %d DescribeVpcEndpoints in %v", describes, 2*syncPeriod)
	}
	if n := len(h.liveEndpoints()); n != 1 {
		t.Fatalf("%d endpoints, want 1", n)
	}
}

func TestGatewayCreateWithSubnetIDsIncludingMainTable(t *testing.T) {
	h := newHarness(t)
	// A subnet with no explicit association uses the VPC's main route table.
	sn, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(h.fix.VPCID), CidrBlock: aws.String("10.0.50.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway("by-subnet", h.fix.VPCID, v1alpha1.RouteTableSelector{SubnetIDs: []string{h.fix.PrivateSubnets[0].SubnetID, aws.ToString(sn.Subnet.SubnetId)}})
	h.create(gw)
	h.waitReady(gw)
	want := sortStrings([]string{h.fix.PrivateSubnets[0].RouteTableID, h.fix.MainRouteTableID})
	if !reflect.DeepEqual(gw.Status.RouteTableIDs, want) {
		t.Fatalf("route tables %v, want %v", gw.Status.RouteTableIDs, want)
	}
	h.waitRoutes(gw.Status.EndpointID, want)
}

func TestGatewayCreateWithTagsAndEditRouteTables(t *testing.T) {
	h := newHarness(t)
	gw := gateway("by-tags", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.waitReady(gw)
	h.waitRoutes(gw.Status.EndpointID, h.privateRouteTables())
	id := gw.Status.EndpointID

	// Add the public table and drop the tag selector for two explicit private tables.
	want := sortStrings([]string{h.fix.PublicRouteTableID, h.fix.PrivateSubnets[0].RouteTableID, h.fix.PrivateSubnets[1].RouteTableID})
	h.sim.ResetCounters()
	h.update(gw, func() {
		gw.Spec.RouteTables = v1alpha1.RouteTableSelector{IDs: want}
	})
	h.waitReady(gw)
	h.eventually(10*time.Second, "routes follow the spec", func() error {
		if got := h.routesTo(id); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("routes in %v, want %v", got, want)
		}
		return nil
	})
	if n := h.sim.Counters()["ModifyVpcEndpoint"]["ok"]; n != 1 {
		t.Fatalf("%d ModifyVpcEndpoint calls for one edit, want exactly 1", n)
	}
	if m := h.mutatingCalls(); total(m) != 1 {
		t.Fatalf("mutating calls for one edit: %v", m)
	}
	h.waitEvent(gw, v1alpha1.EventModified, "route tables")
	if gw.Status.EndpointID != id {
		t.Fatalf("endpoint replaced: %s -> %s", id, gw.Status.EndpointID)
	}
}

const readOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`

func TestGatewayPolicySetChangedRemoved(t *testing.T) {
	h := newHarness(t)
	gw := gateway("policy", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()})
	gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(readOnlyPolicy)}
	h.create(gw)
	h.waitReady(gw)
	id := gw.Status.EndpointID
	if doc := aws.ToString(h.endpoint(id).PolicyDocument); !policy.Equal(doc, readOnlyPolicy) {
		t.Fatalf("policy in AWS = %s", doc)
	}

	// A reformatted but equivalent policy is not a change.
	h.sim.ResetCounters()
	h.update(gw, func() {
		gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(`{"Statement":[{"Resource":["*"],"Action":["s3:ListBucket","s3:GetObject"],"Principal":{"AWS":"*"},"Effect":"Allow"}],"Version":"2012-10-17"}`)}
	})
	h.waitReady(gw)
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("equivalent policy caused writes: %v", m)
	}

	changed := strings.Replace(readOnlyPolicy, `"s3:ListBucket"`, `"s3:PutObject"`, 1)
	h.update(gw, func() { gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(changed)} })
	h.waitReady(gw)
	h.eventually(5*time.Second, "changed policy", func() error {
		if doc := aws.ToString(h.endpoint(id).PolicyDocument); !policy.Equal(doc, changed) {
			return fmt.Errorf("policy in AWS = %s", doc)
		}
		return nil
	})

	h.update(gw, func() { gw.Spec.Policy = nil })
	h.waitReady(gw)
	h.eventually(5*time.Second, "policy reset", func() error {
		if doc := aws.ToString(h.endpoint(id).PolicyDocument); !policy.IsDefault(doc) {
			return fmt.Errorf("policy in AWS = %s", doc)
		}
		return nil
	})
	if n := h.sim.Counters()["ModifyVpcEndpoint"]["ok"]; n != 2 {
		t.Fatalf("%d ModifyVpcEndpoint calls for two policy edits, want 2", n)
	}
}

func TestGatewayUserTagsAddedAndRemoved(t *testing.T) {
	h := newHarness(t)
	gw := gateway("tags", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
	gw.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform", "Name": "s3-endpoint"}
	h.create(gw)
	h.waitReady(gw)
	id := gw.Status.EndpointID
	h.update(gw, func() { gw.Spec.Tags = map[string]v1alpha1.TagValue{"env": "prod"} })
	h.waitReady(gw)
	h.eventually(5*time.Second, "tags follow the spec", func() error {
		got := tagsOf(h.endpoint(id).Tags)
		want := map[string]string{"env": "prod", "Name": h.ns + "/tags", "vpce.dev/cluster": "test", "vpce.dev/owner": h.ns + "/tags", "vpce.dev/owner-uid": string(gw.UID)}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("tags %v, want %v", got, want)
		}
		return nil
	})
}

func TestGatewayAdoptionAndRefusal(t *testing.T) {
	h := newHarness(t)
	rt := h.privateRouteTables()
	existing, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.s3"), VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: rt[:1]})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(existing.VpcEndpoint.VpcEndpointId)
	gw := gateway("adopt", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[:2]})
	gw.Spec.EndpointID = id
	h.create(gw)
	h.waitReady(gw)
	if gw.Status.EndpointID != id {
		t.Fatalf("adopted %s, want %s", gw.Status.EndpointID, id)
	}
	h.waitRoutes(id, rt[:2])
	if tags := tagsOf(h.endpoint(id).Tags); tags["vpce.dev/owner-uid"] != string(gw.UID) {
		t.Fatalf("adopted endpoint not tagged as ours: %v", tags)
	}
	h.waitEvent(gw, v1alpha1.EventAdopted, id)
	if n := len(h.liveEndpoints()); n != 1 {
		t.Fatalf("%d endpoints after adoption, want 1", n)
	}

	// A second object may not take the endpoint the first one owns.
	h.sim.ResetCounters()
	thief := gateway("thief", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[2:]})
	thief.Spec.EndpointID = id
	h.create(thief)
	c := h.waitCondition(thief, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAdoptionRefused, 10*time.Second)
	if !strings.Contains(c.Message, "spec.endpointID") || !strings.Contains(c.Message, h.ns+"/adopt") {
		t.Fatalf("refusal message %q should name the field and the owner", c.Message)
	}
	// dynamodb endpoint of another service cannot be adopted as s3 either.
	dyn, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.dynamodb"), VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: rt[2:]})
	if err != nil {
		t.Fatal(err)
	}
	wrong := gateway("wrong-service", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[2:]})
	wrong.Spec.EndpointID = aws.ToString(dyn.VpcEndpoint.VpcEndpointId)
	h.create(wrong)
	c = h.waitCondition(wrong, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAdoptionRefused, 10*time.Second)
	if !strings.Contains(c.Message, "dynamodb") {
		t.Fatalf("refusal message %q should name the service", c.Message)
	}
	if m := h.mutatingCalls(); total(m) != 1 { // only the test's own CreateVpcEndpoint
		t.Fatalf("refused adoptions wrote to AWS: %v", m)
	}
}

func TestGatewayDriftRepaired(t *testing.T) {
	h := newHarness(t)
	rt := h.privateRouteTables()
	gw := gateway("drift", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt})
	gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(readOnlyPolicy)}
	h.create(gw)
	h.waitReady(gw)
	id := gw.Status.EndpointID

	// Someone removes a route table, changes the policy and strips the ownership tags in the console.
	if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), RemoveRouteTableIds: rt[:1], PolicyDocument: aws.String(policyDefault)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("vpce.dev/owner")}}}); err != nil {
		t.Fatal(err)
	}
	// Found by the periodic check: waitEvent gives up after five sync periods.
	ev := h.waitEvent(gw, v1alpha1.EventDriftCorrected, id)
	for _, what := range []string{"route tables +" + rt[0], "policy", "tags"} {
		if !strings.Contains(ev.Note, what) {
			t.Fatalf("DriftCorrected event %q does not say %q", ev.Note, what)
		}
	}
	h.waitRoutes(id, rt)
	for _, field := range []string{"route-tables", "policy", "tags"} {
		if n := testutil.ToFloat64(metrics.DriftRepairs.WithLabelValues("GatewayEndpoint", h.ns, field)); n < 1 {
			t.Fatalf("vpce_drift_repairs_total{object_namespace=%q,field=%q} = %v", h.ns, field, n)
		}
	}
	ep := h.endpoint(id)
	if !policy.Equal(aws.ToString(ep.PolicyDocument), readOnlyPolicy) || tagsOf(ep.Tags)["vpce.dev/owner"] != h.ns+"/drift" {
		t.Fatalf("not repaired: policy %s tags %v", aws.ToString(ep.PolicyDocument), tagsOf(ep.Tags))
	}

	// Someone deletes the endpoint outright: it is recreated.
	if res, err := h.ec2.DeleteVpcEndpoints(h.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil || len(res.Unsuccessful) > 0 {
		t.Fatalf("delete: %v %+v", err, res)
	}
	t.Logf("after delete: %s", h.endpoint(id).State)
	ev = h.waitEvent(gw, v1alpha1.EventDriftCorrected, "deleted outside the controller")
	h.waitReady(gw)
	if gw.Status.EndpointID == id {
		t.Fatal("status still names the deleted endpoint")
	}
	h.waitRoutes(gw.Status.EndpointID, rt)
	if n := len(h.liveEndpoints()); n != 1 {
		t.Fatalf("%d endpoints, want 1", n)
	}
}

const policyDefault = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

func TestGatewayRouteAlreadyExistsIsACondition(t *testing.T) {
	h := newHarness(t, harnessOptions{extraNamespaces: 1})
	rt := h.privateRouteTables()
	first := gateway("first", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[:2]})
	h.create(first)
	h.waitReady(first)

	// Another namespace, other tables of the same VPC and service: fine.
	second := gateway("second", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[2:]})
	second.Namespace = h.extra[0]
	if err := h.k.Create(h.ctx, second); err != nil {
		t.Fatal(err)
	}
	h.waitReady(second)

	// Overlapping tables: a clear condition, slow retries, no hot loop.
	h.update(second, func() { second.Spec.RouteTables.IDs = rt[1:] })
	c := h.waitCondition(second, v1alpha1.ConditionSynced, metav1.ConditionFalse, "RouteAlreadyExists", 10*time.Second)
	if !strings.Contains(c.Message, "route") {
		t.Fatalf("message %q", c.Message)
	}
	h.sim.ResetCounters()
	time.Sleep(4 * time.Second)
	if n := h.sim.Counters()["ModifyVpcEndpoint"]["RouteAlreadyExists"]; n > 1 {
		t.Fatalf("%d failing ModifyVpcEndpoint calls in 4s: a hot loop", n)
	}
	// Fixing the spec recovers at once.
	h.update(second, func() { second.Spec.RouteTables.IDs = rt[2:] })
	h.waitReady(second)
}

func TestGatewayVPCByTags(t *testing.T) {
	h := newHarness(t)
	gw := gateway("vpc-tags", "", v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	gw.Spec.VPC = v1alpha1.VPCSelector{Tags: map[string]string{"env": "prod"}}
	h.create(gw)
	c := h.waitCondition(gw, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonVPCNotFound, 10*time.Second)
	if !strings.Contains(c.Message, "spec.vpc.tags") || !strings.Contains(c.Message, "env=prod") {
		t.Fatalf("message %q", c.Message)
	}
	other, err := h.ec2.CreateVpc(h.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	otherID := aws.ToString(other.Vpc.VpcId)
	h.tag(otherID, "env", "prod")
	h.tag(h.fix.VPCID, "env", "prod")
	h.update(gw, func() { gw.Annotations = map[string]string{"poke": "1"} })
	c = h.waitCondition(gw, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonVPCAmbiguous, 10*time.Second)
	if !strings.Contains(c.Message, otherID) || !strings.Contains(c.Message, h.fix.VPCID) {
		t.Fatalf("message %q should name both candidates", c.Message)
	}
	if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{otherID}, Tags: []types.Tag{{Key: aws.String("env")}}}); err != nil {
		t.Fatal(err)
	}
	h.update(gw, func() { gw.Annotations = map[string]string{"poke": "2"} })
	h.waitReady(gw)
	if gw.Status.VPCID != h.fix.VPCID {
		t.Fatalf("resolved %s", gw.Status.VPCID)
	}
	if m := h.mutatingCalls(); m["CreateVpcEndpoint"] != 1 {
		t.Fatalf("calls %v", m)
	}
}

func TestGatewayDeleteWithBothPolicies(t *testing.T) {
	h := newHarness(t)
	rt := h.privateRouteTables()
	del := gateway("delete-me", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[:1]})
	keep := gateway("keep-me", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[1:2]})
	keep.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	h.create(del)
	h.create(keep)
	h.waitReady(del)
	h.waitReady(keep)
	delID, keepID := del.Status.EndpointID, keep.Status.EndpointID

	h.deleteAndWait(del)
	ep, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{delID}})
	if err == nil && len(ep.VpcEndpoints) == 1 && !strings.EqualFold(string(ep.VpcEndpoints[0].State), "deleted") {
		t.Fatalf("endpoint %s still %s after its object was deleted", delID, ep.VpcEndpoints[0].State)
	}
	h.waitRoutes(delID, nil)

	h.deleteAndWait(keep)
	kept := h.endpoint(keepID)
	if !strings.EqualFold(string(kept.State), "available") {
		t.Fatalf("retained endpoint is %s", kept.State)
	}
	tags := tagsOf(kept.Tags)
	for _, k := range []string{"vpce.dev/cluster", "vpce.dev/owner", "vpce.dev/owner-uid"} {
		if _, ok := tags[k]; ok {
			t.Fatalf("retained endpoint still carries %s: %v", k, tags)
		}
	}
	h.waitRoutes(keepID, rt[1:2])
}

func tagsOf(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
