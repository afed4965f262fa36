package controllers_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// TestUnderPublishedIAMPolicy runs the controller's whole life cycle (create,
// adopt, edit, drift repair, delete with both policies) with ec2sim evaluating
// config/iam/policy.json on every call: the controller works under the policy it
// publishes, and is never refused.
func TestUnderPublishedIAMPolicy(t *testing.T) {
	h := newHarness(t)
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "config", "iam", "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
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
