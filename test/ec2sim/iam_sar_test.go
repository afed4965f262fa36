package ec2sim

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// allowOn is a policy allowing actions on resources.
func allowOn(actions, resources string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + actions + `],"Resource":[` + resources + `]}]}`
}

// TestResourceLevelSupportFollowsTheServiceAuthorizationReference: actions
// the reference lists without a resource type match only "Resource": "*";
// the others match their resources' ARNs.
func TestResourceLevelSupportFollowsTheServiceAuthorizationReference(t *testing.T) {
	vpcOnly := allowOn(`"ec2:DescribeVpcAttribute","ec2:DescribeVpcs","ec2:ModifyVpcAttribute","ec2:AcceptVpcEndpointConnections"`,
		`"arn:aws:ec2:*:*:vpc/*","arn:aws:ec2:*:*:vpc-endpoint-service/*"`)
	runCalls(t, vpcOnly, []call{
		{"DescribeVpcAttribute takes the vpc resource type", "DescribeVpcAttribute", vals("VpcId", "vpc-1", "Attribute", "enableDnsSupport"), nil, true},
		{"DescribeVpcs takes none: only *", "DescribeVpcs", vals("VpcId.1", "vpc-1"), nil, false},
		{"ModifyVpcAttribute takes the vpc resource type", "ModifyVpcAttribute", vals("VpcId", "vpc-1", "EnableDnsHostnames.Value", "true"), nil, true},
		{"AcceptVpcEndpointConnections acts on the service, not the endpoints", "AcceptVpcEndpointConnections", vals("ServiceId", "vpce-svc-1", "VpcEndpointId.1", "vpce-1"), nil, true},
	})
	runCalls(t, allowOn(`"ec2:DescribeVpcs","ec2:DescribeVpcAttribute"`, `"*"`), []call{
		{"* matches a read without resource type", "DescribeVpcs", vals(), nil, true},
		{"* matches a read with one", "DescribeVpcAttribute", vals("VpcId", "vpc-1"), nil, true},
	})
}

// TestCreateVpcEndpointDependentActions: the reference lists
// ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeVpcs and
// route53:AssociateVPCWithHostedZone as dependent actions of
// ec2:CreateVpcEndpoint; the route53 one is needed when the endpoint gets
// private DNS (its private hosted zone is associated with the VPC).
func TestCreateVpcEndpointDependentActions(t *testing.T) {
	const create = `"ec2:CreateVpcEndpoint"`
	const describes = `"ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs"`
	gw := vals("VpcId", "vpc-1", "ServiceName", "com.amazonaws.us-east-1.s3", "RouteTableId.1", "rtb-1")
	runCalls(t, allowOn(create, `"*"`), []call{{"without the describes", "CreateVpcEndpoint", gw, nil, false}})
	runCalls(t, allowOn(create+","+describes, `"*"`), []call{
		{"with them", "CreateVpcEndpoint", gw, nil, true},
		{"route53 is its own call", route53Associate, vals("HostedZoneId", "Z1"), nil, false},
	})
	runCalls(t, allowOn(`"route53:AssociateVPCWithHostedZone"`, `"arn:aws:route53:::hostedzone/*"`), []call{
		{"on the hosted zone", route53Associate, vals("HostedZoneId", "Z1"), nil, true},
	})

}

// TestARNsUseTheRegionsPartition: China and GovCloud regions have their own
// partition in every ARN, the ones policies match and the ones EC2 returns.
func TestARNsUseTheRegionsPartition(t *testing.T) {
	for region, part := range map[string]string{"us-east-1": "aws", "eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		s := New(Options{Region: region, Seed: 1})
		fx := s.LoadFixture()
		srv := httptest.NewServer(s)
		c := ec2.New(ec2.Options{Region: region, BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
		ctx := t.Context()
		out, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{fx.PrivateSubnets[0].SubnetID}})
		if err != nil {
			t.Fatal(err)
		}
		sn := out.Subnets[0]
		if want := "arn:" + part + ":ec2:" + region + ":" + defaultAccountID + ":subnet/" + *sn.SubnetId; *sn.SubnetArn != want {
			t.Errorf("%s: subnet ARN %s, want %s", region, *sn.SubnetArn, want)
		}
		if err := s.SetIAMPolicy([]byte(allowOn(`"ec2:CreateSecurityGroup"`, `"arn:`+part+`:ec2:*:*:security-group/*","arn:`+part+`:ec2:*:*:vpc/*"`))); err != nil {
			t.Fatal(err)
		}
		g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &fx.VPCID, GroupName: aws.String("g"), Description: aws.String("d")})
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		if !strings.HasPrefix(*g.SecurityGroupArn, "arn:"+part+":ec2:") {
			t.Errorf("%s: group ARN %s", region, *g.SecurityGroupArn)
		}
		if part != "aws" {
			// A policy written for the aws partition does not match here.
			if err := s.SetIAMPolicy([]byte(allowOn(`"ec2:CreateSecurityGroup"`, `"arn:aws:ec2:*:*:security-group/*","arn:aws:ec2:*:*:vpc/*"`))); err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &fx.VPCID, GroupName: aws.String("h"), Description: aws.String("d")})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "UnauthorizedOperation" || !strings.Contains(ae.ErrorMessage(), "User: arn:"+part+":iam::"+defaultAccountID+":root ") {
				t.Errorf("%s: a policy for arn:aws: answered %v", region, err)
			}
		}
		srv.Close()
	}
}
