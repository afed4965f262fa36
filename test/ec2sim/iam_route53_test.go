package ec2sim

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// TestPrivateDNSNeedsRoute53AssociateVPCWithHostedZone: CreateVpcEndpoint
// asks for route53:AssociateVPCWithHostedZone on the endpoint's private
// hosted zone once it knows the endpoint gets private DNS (also by default),
// and refuses the call, creating nothing, without it.
func TestPrivateDNSNeedsRoute53AssociateVPCWithHostedZone(t *testing.T) {
	const create = `"ec2:CreateVpcEndpoint"`
	const describes = `"ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs"`
	s := New(Options{Seed: 1})
	fx := s.LoadFixture()
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
	ctx := t.Context()
	iface := func(privateDNS bool) error {
		_, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &fx.VPCID, ServiceName: aws.String("com.amazonaws.us-east-1.ssm"),
			VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: []string{fx.PrivateSubnets[0].SubnetID}, PrivateDnsEnabled: aws.Bool(privateDNS)})
		return err
	}
	if err := s.SetIAMPolicy([]byte(allowOn(create+","+describes, `"*"`))); err != nil {
		t.Fatal(err)
	}
	err := iface(true)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnauthorizedOperation" || !strings.Contains(ae.ErrorMessage(), "route53:AssociateVPCWithHostedZone on resource: arn:aws:route53:::hostedzone/Z") {
		t.Fatalf("private DNS without route53: %v", err)
	}
	if n := len(s.home().w.endpoints); n != 0 {
		t.Fatalf("a refused create made %d endpoints", n)
	}
	if err := iface(false); err != nil {
		t.Fatalf("no private DNS without route53: %v", err)
	}
	if err := s.SetIAMPolicy([]byte(`{"Statement":[` +
		`{"Effect":"Allow","Action":[` + create + `,` + describes + `],"Resource":"*"},` +
		`{"Effect":"Allow","Action":"route53:AssociateVPCWithHostedZone","Resource":"arn:aws:route53:::hostedzone/*"}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := iface(true); err != nil {
		t.Fatalf("private DNS with route53: %v", err)
	}
}
