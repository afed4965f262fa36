package ec2sim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

const fullAccess = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

func TestDefaultPolicyIsFullAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createGateway(t, "s3", nil)
	if *ep.PolicyDocument != fullAccess {
		t.Fatalf("policy = %s", *ep.PolicyDocument)
	}
}

func TestResetPolicyRestoresDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	custom := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	ep := *must(e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3"), PolicyDocument: aws.String(custom),
	})).VpcEndpoint
	if *ep.PolicyDocument != custom {
		t.Fatalf("policy = %s", *ep.PolicyDocument)
	}
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, ResetPolicy: aws.Bool(true)}))
	if got, _ := e.endpoint(t, *ep.VpcEndpointId); *got.PolicyDocument != fullAccess {
		t.Fatalf("policy after reset = %s", *got.PolicyDocument)
	}
}

func TestPolicyTooLongOrNotJSONIsRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	long, _ := json.Marshal(map[string]string{"Version": "2012-10-17", "Pad": strings.Repeat("x", 20480)})
	for _, doc := range []string{`{"Statement":[`, "not json", string(long)} {
		_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3"), PolicyDocument: aws.String(doc),
		})
		wantCode(t, err, "InvalidPolicyDocument")
	}
	ep := e.createGateway(t, "s3", nil)
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PolicyDocument: aws.String("{")})
	wantCode(t, err, "InvalidPolicyDocument")
}
