package ec2sim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// numberedTags returns n tags prefix0=v … prefix(n-1)=v.
func numberedTags(prefix string, n int) []types.Tag {
	var out []types.Tag
	for i := 0; i < n; i++ {
		out = append(out, types.Tag{Key: aws.String(fmt.Sprintf("%s%d", prefix, i)), Value: aws.String("v")})
	}
	return out
}

func TestS3InterfaceEndpointWithPrivateDNSNeedsAGatewayByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	create := func(inbound *bool) (*ec2.CreateVpcEndpointOutput, error) {
		in := &ec2.CreateVpcEndpointInput{
			VpcId: &e.fx.VPCID, ServiceName: svc("s3"), VpcEndpointType: types.VpcEndpointTypeInterface,
			SubnetIds: e.privateSubnets()[:1], PrivateDnsEnabled: aws.Bool(true),
		}
		if inbound != nil {
			in.DnsOptions = &types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: inbound}
		}
		return e.ec2.CreateVpcEndpoint(ctx, in)
	}
	// Nobody asked for "inbound only", but AWS defaults it to true for S3 and
	// then wants a gateway endpoint in the VPC.
	_, err := create(nil)
	wantCode(t, err, "InvalidParameter")
	want := "To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC " + e.fx.VPCID + " must have a Gateway endpoint for the service."
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("message %v, want %q", err, want)
	}
	// Saying false works without a gateway endpoint, and is reported.
	out := must(create(aws.Bool(false)))
	if o := out.VpcEndpoint.DnsOptions; o == nil || o.PrivateDnsOnlyForInboundResolverEndpoint == nil || *o.PrivateDnsOnlyForInboundResolverEndpoint {
		t.Fatalf("dns options %+v, want PrivateDnsOnlyForInboundResolverEndpoint false", o)
	}
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*out.VpcEndpoint.VpcEndpointId}}))
	e.waitState(t, *out.VpcEndpoint.VpcEndpointId, "gone")
	// With a gateway endpoint for S3 the default applies and is reported.
	e.createGateway(t, "s3", e.privateTables()[:1])
	out = must(create(nil))
	got, _ := e.endpoint(t, *out.VpcEndpoint.VpcEndpointId)
	if o := got.DnsOptions; o == nil || o.PrivateDnsOnlyForInboundResolverEndpoint == nil || !*o.PrivateDnsOnlyForInboundResolverEndpoint {
		t.Fatalf("dns options %+v, want PrivateDnsOnlyForInboundResolverEndpoint true by default", o)
	}
	// Services offered only as interface endpoints have no such default.
	ssm := e.createInterface(t, "ssm", e.privateSubnets()[:1], func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(true) })
	if o := ssm.DnsOptions; o == nil || o.PrivateDnsOnlyForInboundResolverEndpoint != nil {
		t.Fatalf("ssm dns options %+v, want no PrivateDnsOnlyForInboundResolverEndpoint", o)
	}
	// The option is for interface endpoints only.
	_, err = e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("dynamodb"),
		DnsOptions: &types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(false)}})
	wantCode(t, err, "InvalidParameter")
}

func TestEnablingPrivateDNSOnAnS3InterfaceEndpointAppliesTheDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "s3", e.privateSubnets()[:1])
	e.waitState(t, *ep.VpcEndpointId, "available")
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PrivateDnsEnabled: aws.Bool(true)})
	wantCode(t, err, "InvalidParameter")
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PrivateDnsEnabled: aws.Bool(true),
		DnsOptions: &types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(false)}}))
}

func TestFiftyTagsPerResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	// On create: 51 tags in the TagSpecification are too many.
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("s3"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: numberedTags("k", 51)}}})
	wantCode(t, err, "TagLimitExceeded")
	ep := must(e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("s3"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: numberedTags("k", 48)}}})).VpcEndpoint
	id := []string{*ep.VpcEndpointId}
	// CreateTags counts what the resource already has.
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: id, Tags: numberedTags("n", 3)})
	wantCode(t, err, "TagLimitExceeded")
	if !strings.Contains(err.Error(), "The maximum number of Tags for a resource has been reached.") {
		t.Fatalf("message: %v", err)
	}
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: id, Tags: numberedTags("n", 2)}))
	// At 50, changing the value of a tag it has is not a new tag.
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: id, Tags: []types.Tag{{Key: aws.String("k0"), Value: aws.String("w")}}}))
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: id, Tags: numberedTags("x", 1)})
	wantCode(t, err, "TagLimitExceeded")
	if got, _ := e.endpoint(t, *ep.VpcEndpointId); len(got.Tags) != 50 {
		t.Fatalf("%d tags, want 50", len(got.Tags))
	}
}

func TestTagAndSecurityGroupLengthLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	gw := []string{*e.createGateway(t, "s3", nil).VpcEndpointId}
	tag := func(k, v string) error {
		_, err := e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: gw, Tags: tagsOf(k, v)})
		return err
	}
	// Limits count characters, not bytes.
	if err := tag(strings.Repeat("é", 128), strings.Repeat("é", 256)); err != nil {
		t.Fatalf("a 128-character key and a 256-character value: %v", err)
	}
	wantCode(t, tag(strings.Repeat("k", 129), "v"), "InvalidParameterValue")
	wantCode(t, tag("k", strings.Repeat("v", 257)), "InvalidParameterValue")

	group := func(name, desc string) error {
		_, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &e.fx.VPCID, GroupName: &name, Description: &desc})
		return err
	}
	if err := group(strings.Repeat("n", 255), strings.Repeat("d", 255)); err != nil {
		t.Fatalf("255-character name and description: %v", err)
	}
	err := group("long-description", strings.Repeat("d", 256))
	wantCode(t, err, "InvalidParameterValue")
	if !strings.Contains(err.Error(), "Invalid security group description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*") {
		t.Fatalf("message: %v", err)
	}
	wantCode(t, group("quote", "the controller's group"), "InvalidParameterValue")
	wantCode(t, group(strings.Repeat("n", 256), "d"), "InvalidParameterValue")
	err = group("sg-mine", "d")
	if !strings.Contains(err.Error(), "Value (sg-mine) for parameter GroupName is invalid. Group names may not be in the format sg-*.") {
		t.Fatalf("message: %v", err)
	}
}

func TestFailedPartialAndExpiredEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1])
	id := *ep.VpcEndpointId
	if err := e.sim.FailEndpoint(id, "Server.InsufficientCapacity", "Insufficient capacity in us-east-1a"); err != nil {
		t.Fatal(err)
	}
	got, _ := e.endpoint(t, id)
	if got.State != types.State("failed") || got.LastError == nil || *got.LastError.Code != "Server.InsufficientCapacity" || *got.LastError.Message != "Insufficient capacity in us-east-1a" {
		t.Fatalf("state %q last error %+v", got.State, got.LastError)
	}
	// It stays failed (no transition takes it back) and can only be deleted.
	e.advance(time.Minute)
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: &id, ResetPolicy: aws.Bool(true)})
	wantCode(t, err, "IncorrectState")
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}))
	e.waitState(t, id, "gone")

	// The admin route sets any state EC2 reports, spelled as on the wire.
	other := *e.createGateway(t, "s3", nil).VpcEndpointId
	post := func(path, body string) int {
		resp := must(http.Post(e.url+"/_sim/endpoints/"+other+path, "application/json", strings.NewReader(body)))
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, st := range []string{"partial", "Expired"} {
		if code := post("/state", `{"state":"`+st+`"}`); code != 200 {
			t.Fatalf("state %s: HTTP %d", st, code)
		}
		if got, _ := e.endpoint(t, other); string(got.State) != strings.ToLower(st) {
			t.Fatalf("state %q, want %q", got.State, strings.ToLower(st))
		}
	}
	if code := post("/fail", `{"code":"VpcEndpointLimitExceeded","message":"too many"}`); code != 200 {
		t.Fatalf("fail: HTTP %d", code)
	}
	if got, _ := e.endpoint(t, other); got.State != "failed" || *got.LastError.Code != "VpcEndpointLimitExceeded" {
		t.Fatalf("after /fail: %q %+v", got.State, got.LastError)
	}
	if code := post("/state", `{"state":"broken"}`); code != 409 {
		t.Fatalf("unknown state: HTTP %d", code)
	}
}
