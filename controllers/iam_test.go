package controllers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// TestUnderPublishedIAMPolicy runs the controller's whole life cycle (create,
// adopt, edit, drift repair, delete with both policies) with ec2sim evaluating
// config/iam/policy.json on every call: the controller works under the policy it
// publishes, and is never refused.
func TestUnderPublishedIAMPolicy(t *testing.T) {
	h := newHarness(t)
	// Adoption (spec.endpointID) needs the opt-in statement too.
	doc := publishedPolicy(t, "policy.json", "adoption-policy.json")
	rts := h.privateRouteTables()
	// An endpoint made by someone else, before the policy applies, to adopt.
	existing, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.dynamodb"), VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: rts[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sim.SetIAMPolicy(doc); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetCounters()

	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[:2]})
	adopt := gateway("dynamodb", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts})
	adopt.Spec.Service = "dynamodb"
	adopt.Spec.EndpointID = aws.ToString(existing.VpcEndpoint.VpcEndpointId)
	adopt.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	ie := iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.create(adopt)
	h.create(ie)
	h.waitReady(gw)
	h.waitReady(adopt)
	h.waitReady(ie)

	h.update(gw, func() {
		gw.Spec.RouteTables.IDs = rts
		gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(readOnlyPolicy)}
		gw.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
	})
	h.waitReady(gw)
	if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(gw.Status.EndpointID), RemoveRouteTableIds: rts[:1]}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(gw, v1alpha1.EventDriftCorrected, "route tables +"+rts[0])

	h.deleteAndWait(gw)
	h.deleteAndWait(ie)
	h.deleteAndWait(adopt)

	for action, outcomes := range h.sim.Counters() {
		if n := outcomes["UnauthorizedOperation"]; n > 0 {
			t.Errorf("%s refused %d times under the published policy", action, n)
		}
	}
}

// TestAdoptionIsOptIn (issue 11, failure 8): under config/iam/policy.json alone the
// role cannot claim an endpoint it does not own (tagging it with the cluster tag,
// after which the policy would let it modify and delete it): adoption is refused
// with a message naming the opt-in statement, and the endpoint keeps its tags.
func TestAdoptionIsOptIn(t *testing.T) {
	h := newHarness(t)
	rts := h.privateRouteTables()
	existing, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.dynamodb"), VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: rts[:1]})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(existing.VpcEndpoint.VpcEndpointId)
	if err := h.sim.SetIAMPolicy(publishedPolicy(t, "policy.json")); err != nil {
		t.Fatal(err)
	}
	adopt := gateway("adopt", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[:1]})
	adopt.Spec.Service = "dynamodb"
	adopt.Spec.EndpointID = id
	h.create(adopt)
	c := h.waitCondition(adopt, v1alpha1.ConditionSynced, "False", "UnauthorizedOperation", 15*time.Second)
	if !strings.Contains(c.Message, "config/iam/adoption-policy.json") {
		t.Fatalf("message %q does not name the opt-in statement", c.Message)
	}
	if tags := tagsOf(h.endpoint(id).Tags); len(tags) != 0 {
		t.Fatalf("the unowned endpoint was tagged: %v", tags)
	}
	// With the opt-in statement the same object adopts it.
	if err := h.sim.SetIAMPolicy(publishedPolicy(t, "policy.json", "adoption-policy.json")); err != nil {
		t.Fatal(err)
	}
	h.eventually(30*time.Second, "adopted once the statement is attached", func() error {
		if tagsOf(h.endpoint(id).Tags)["vpce.dev/owner-uid"] != string(adopt.UID) {
			return fmt.Errorf("tags %v", tagsOf(h.endpoint(id).Tags))
		}
		return nil
	})
}
