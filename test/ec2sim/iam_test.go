package ec2sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

const clusterTag = "vpce.dev/cluster"

// controllerPolicy is config/iam/policy.json, the policy the controller publishes.
func controllerPolicy(t *testing.T) []byte {
	t.Helper()
	doc, err := os.ReadFile("../../config/iam/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// mergePolicies joins the statements of policy documents into one.
func mergePolicies(t *testing.T, docs ...[]byte) []byte {
	t.Helper()
	var all []json.RawMessage
	for _, d := range docs {
		var p struct{ Statement []json.RawMessage }
		if err := json.Unmarshal(d, &p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Statement...)
	}
	out, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": all})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newPolicyEnv starts an emulator that evaluates the controller's policy.
func newPolicyEnv(t *testing.T) *env {
	t.Helper()
	auth, err := ec2sim.PolicyAuthorizer(controllerPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, ec2sim.Options{Authorizer: auth})
}

// unprotected runs f with policy evaluation off, to set up resources the
// controller could not make itself.
func (e *env) unprotected(t *testing.T, f func()) {
	t.Helper()
	if err := e.sim.SetIAMPolicy(nil); err != nil {
		t.Fatal(err)
	}
	f()
	if err := e.sim.SetIAMPolicy(controllerPolicy(t)); err != nil {
		t.Fatal(err)
	}
}

// wantDenied checks an UnauthorizedOperation (403) naming the action.
func wantDenied(t *testing.T, err error, action string) {
	t.Helper()
	wantCode(t, err, "UnauthorizedOperation")
	if status(t, err) != http.StatusForbidden {
		t.Fatalf("HTTP %d, want 403", status(t, err))
	}
	var ae smithy.APIError
	errors.As(err, &ae)
	if msg := ae.ErrorMessage(); !strings.Contains(msg, "is not authorized to perform: ec2:"+action+" on resource: ") {
		t.Fatalf("message %q does not name ec2:%s", msg, action)
	}
}

func tagSpecs(rt types.ResourceType, kv ...string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: rt, Tags: tagsOf(kv...)}}
}

func TestControllerPolicyEndpoints(t *testing.T) {
	t.Parallel()
	e := newPolicyEnv(t)
	tables := e.privateTables()
	create := func(specs []types.TagSpecification, tables ...string) (*ec2.CreateVpcEndpointOutput, error) {
		return e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3"), RouteTableIds: tables, TagSpecifications: specs,
		})
	}

	_, err := create(nil, tables[0])
	wantDenied(t, err, "CreateVpcEndpoint")
	_, err = create(tagSpecs(types.ResourceTypeVpcEndpoint, "team", "a"), tables[0])
	wantDenied(t, err, "CreateVpcEndpoint")
	owned := *must(create(tagSpecs(types.ResourceTypeVpcEndpoint, clusterTag, "c1", "Name", "x"), tables[0])).VpcEndpoint.VpcEndpointId

	must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{owned}}))
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(owned), AddRouteTableIds: tables[1:2]}))
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{owned}, Tags: tagsOf("team", "b")}))
	must(e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{owned}, Tags: tagsOf("team", "b")}))

	var foreign string
	e.unprotected(t, func() { foreign = *must(create(nil, tables[2])).VpcEndpoint.VpcEndpointId })
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(foreign), ResetPolicy: aws.Bool(true)})
	wantDenied(t, err, "ModifyVpcEndpoint")
	_, err = e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{foreign}})
	wantDenied(t, err, "DeleteVpcEndpoints")
	if !strings.Contains(err.Error(), "vpc-endpoint/"+foreign+" because no identity-based policy allows the ec2:DeleteVpcEndpoints action") {
		t.Fatalf("message: %v", err)
	}
	_, err = e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{owned, foreign}})
	wantDenied(t, err, "DeleteVpcEndpoints")
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{foreign}, Tags: tagsOf("team", "b")})
	wantDenied(t, err, "CreateTags")
	_, err = e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{foreign}, Tags: tagsOf("Name", "")})
	wantDenied(t, err, "DeleteTags")

	// Adoption: only with config/iam/adoption-policy.json may the controller
	// claim an untagged endpoint by tagging it with the cluster tag; then it owns it.
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{foreign}, Tags: tagsOf(clusterTag, "c1", "team", "a")})
	wantDenied(t, err, "CreateTags")
	adoption, err := os.ReadFile("../../config/iam/adoption-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetIAMPolicy(mergePolicies(t, controllerPolicy(t), adoption)); err != nil {
		t.Fatal(err)
	}
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{foreign}, Tags: tagsOf(clusterTag, "c1", "team", "a")}))
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{foreign}, Tags: tagsOf(clusterTag, "c2")})
	wantDenied(t, err, "CreateTags") // an owned endpoint cannot be claimed again
	if err := e.sim.SetIAMPolicy(controllerPolicy(t)); err != nil {
		t.Fatal(err)
	}
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(foreign), ResetPolicy: aws.Bool(true)}))

	// Retain: ownership tags come off an endpoint in one call; it is foreign after.
	must(e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{foreign}, Tags: []types.Tag{{Key: aws.String(clusterTag)}}}))
	_, err = e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{foreign}})
	wantDenied(t, err, "DeleteVpcEndpoints")
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{owned}}))
}

func TestControllerPolicyInterfaceEndpointAndGroup(t *testing.T) {
	t.Parallel()
	e := newPolicyEnv(t)
	newGroup := func(name string, specs []types.TagSpecification) (*ec2.CreateSecurityGroupOutput, error) {
		return e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(name), Description: aws.String("d"), VpcId: aws.String(e.fx.VPCID), TagSpecifications: specs,
		})
	}
	_, err := newGroup("untagged", nil)
	wantDenied(t, err, "CreateSecurityGroup")
	_, err = newGroup("other", tagSpecs(types.ResourceTypeSecurityGroup, "vpce.dev/owner", "ns/a"))
	wantDenied(t, err, "CreateSecurityGroup")
	sg := *must(newGroup("owned", tagSpecs(types.ResourceTypeSecurityGroup, clusterTag, "c1"))).GroupId

	perm := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}}
	must(e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: perm}))
	must(e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: perm}))
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(e.fx.DefaultSecurityGroupID), IpPermissions: perm})
	wantDenied(t, err, "AuthorizeSecurityGroupIngress")
	// Egress rules (the Instance Connect Endpoint's managed group): of owned groups only.
	must(e.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(sg), IpPermissions: perm}))
	must(e.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sg), IpPermissions: perm}))
	_, err = e.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(e.fx.DefaultSecurityGroupID), IpPermissions: perm})
	wantDenied(t, err, "AuthorizeSecurityGroupEgress")

	// An interface endpoint in the fixture's subnets with the owned group and
	// a group the controller does not own (spec.securityGroupIDs).
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1], func(in *ec2.CreateVpcEndpointInput) {
		in.SecurityGroupIds = []string{sg, e.fx.DefaultSecurityGroupID}
		in.TagSpecifications = tagSpecs(types.ResourceTypeVpcEndpoint, clusterTag, "c1")
	})
	e.waitState(t, *ep.VpcEndpointId, "available")
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: e.privateSubnets()[1:2], RemoveSecurityGroupIds: []string{e.fx.DefaultSecurityGroupID},
	}))
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}}))
	e.waitState(t, *ep.VpcEndpointId, "gone")
	must(e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{sg}, Tags: tagsOf("Name", "")}))
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(e.fx.DefaultSecurityGroupID)})
	wantDenied(t, err, "DeleteSecurityGroup")
	must(e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)}))
}

func TestControllerPolicyOutsideItsRemit(t *testing.T) {
	t.Parallel()
	e := newPolicyEnv(t)
	// The optional statement lets the controller turn on VPC DNS attributes.
	must(e.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(e.fx.VPCID), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	must(e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	must(e.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(e.fx.VPCID), Attribute: typesAttr("enableDnsSupport")}))

	_, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16"),
		TagSpecifications: tagSpecs(types.ResourceTypeVpc, clusterTag, "c1")})
	wantDenied(t, err, "CreateVpc")
	_, err = e.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(e.privateSubnets()[0])})
	wantDenied(t, err, "DeleteSubnet")
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.fx.VPCID}, Tags: tagsOf(clusterTag, "c1")})
	wantDenied(t, err, "CreateTags")
	_, err = e.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	wantDenied(t, err, "DescribeAvailabilityZones")
	_, err = e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3"), DryRun: aws.Bool(true)})
	wantDenied(t, err, "CreateVpcEndpoint")
	_, err = e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3"), DryRun: aws.Bool(true),
		TagSpecifications: tagSpecs(types.ResourceTypeVpcEndpoint, clusterTag, "c1")})
	wantCode(t, err, "DryRunOperation")
}

func TestAdminIAMRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	post := func(body []byte) int {
		t.Helper()
		resp, err := http.Post(e.url+"/_sim/iam", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	must(e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")}))
	if got := post(controllerPolicy(t)); got != http.StatusOK {
		t.Fatalf("POST /_sim/iam: %d", got)
	}
	_, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	wantDenied(t, err, "CreateVpc")
	if got := post([]byte(`{"Statement":[{"Effect":"Perhaps","Action":"*","Resource":"*"}]}`)); got != http.StatusBadRequest {
		t.Fatalf("invalid policy: %d", got)
	}
	_, err = e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	wantDenied(t, err, "CreateVpc") // a refused policy changes nothing
	if got := post(nil); got != http.StatusOK {
		t.Fatalf("empty POST /_sim/iam: %d", got)
	}
	must(e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")}))
}
