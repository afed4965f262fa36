package conformance

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// limitScenarios cover AWS's defaults and limits.
func limitScenarios() []Scenario {
	return []Scenario{{
		Name:      "s3-interface-private-dns-needs-gateway-by-default",
		Behaviour: "an S3 interface endpoint with private DNS and no DnsOptions gets PrivateDnsOnlyForInboundResolverEndpoint true, which fails `InvalidParameter` without an S3 gateway endpoint in the VPC; with the option set to false it is created and reports it",
		Source:    "AWS PrivateLink guide: Private DNS for Amazon S3 interface endpoints; EC2 API reference: DnsOptionsSpecification; terraform-aws-modules/terraform-aws-vpc#1012 (\"To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC must have a Gateway endpoint for the service.\")",
		Check:     checkS3PrivateDNSDefault,
	}, {
		Name:      "tag-limit-50",
		Behaviour: "a resource carries at most 50 tags: CreateTags that would add a 51st fails `TagLimitExceeded`",
		Source:    "Amazon EC2 user guide: Tag restrictions (maximum 50 tags per resource); EC2 API reference: Error codes (`TagLimitExceeded`)",
		Check:     checkTagLimit,
	}, {
		Name:      "tag-length-limits",
		Behaviour: "a tag key of 129 characters or a value of 257 characters fails `InvalidParameterValue`",
		Source:    "Amazon EC2 user guide: Tag restrictions (key up to 128, value up to 256 Unicode characters); EC2 API reference: Tag",
		Check:     checkTagLengths,
	}, {
		Name:      "security-group-description-limit",
		Behaviour: "CreateSecurityGroup with a description of 256 characters fails `InvalidParameterValue`",
		Source:    "EC2 API reference: CreateSecurityGroup (Description: \"Up to 255 characters in length\")",
		Check:     checkGroupDescriptionLimit,
	}}
}

func checkS3PrivateDNSDefault(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	in := func(inbound *bool) *ec2.CreateVpcEndpointInput {
		out := &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(n.VpcID), ServiceName: aws.String(serviceName("s3")), VpcEndpointType: types.VpcEndpointTypeInterface,
			SubnetIds: n.subnetIDs(), PrivateDnsEnabled: aws.Bool(true),
		}
		if inbound != nil {
			out.DnsOptions = &types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: inbound}
		}
		return out
	}
	_, err = env.Client.CreateVpcEndpoint(ctx, in(nil))
	if err := wantCode("CreateVpcEndpoint (S3, Interface, private DNS, no gateway endpoint, no DnsOptions)", err, "InvalidParameter"); err != nil {
		return err
	}
	out, err := env.Client.CreateVpcEndpoint(ctx, in(aws.Bool(false)))
	if err != nil {
		return stepErr("CreateVpcEndpoint with PrivateDnsOnlyForInboundResolverEndpoint false", err)
	}
	if o := out.VpcEndpoint.DnsOptions; o == nil || o.PrivateDnsOnlyForInboundResolverEndpoint == nil || *o.PrivateDnsOnlyForInboundResolverEndpoint {
		return fmt.Errorf("the endpoint does not report PrivateDnsOnlyForInboundResolverEndpoint false in DnsOptions")
	}
	return nil
}

// numberedTags returns n tags prefix0=v … prefix(n-1)=v.
func numberedTags(prefix string, n int) []types.Tag {
	out := make([]types.Tag, n)
	for i := range out {
		out[i] = types.Tag{Key: aws.String(fmt.Sprintf("%s%d", prefix, i)), Value: aws.String("v")}
	}
	return out
}

func checkTagLimit(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 0)
	if err != nil {
		return err
	}
	sg, err := env.createGroup(ctx, n.VpcID, "conformance-tags")
	if err != nil {
		return err
	}
	if _, err := env.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{sg}, Tags: numberedTags("k", 50)}); err != nil {
		return stepErr("CreateTags with 50 tags", err)
	}
	_, err = env.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{sg}, Tags: numberedTags("extra", 1)})
	return wantCode("CreateTags of a 51st tag", err, "TagLimitExceeded")
}

func checkTagLengths(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 0)
	if err != nil {
		return err
	}
	sg, err := env.createGroup(ctx, n.VpcID, "conformance-tag-length")
	if err != nil {
		return err
	}
	tag := func(k, v string) error {
		_, err := env.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{sg}, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}})
		return err
	}
	if err := tag(strings.Repeat("k", 128), strings.Repeat("v", 256)); err != nil {
		return stepErr("CreateTags with a 128-character key and a 256-character value", err)
	}
	if err := wantCode("CreateTags with a 129-character key", tag(strings.Repeat("k", 129), "v"), "InvalidParameterValue"); err != nil {
		return err
	}
	return wantCode("CreateTags with a 257-character value", tag("k", strings.Repeat("v", 257)), "InvalidParameterValue")
}

func checkGroupDescriptionLimit(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 0)
	if err != nil {
		return err
	}
	_, err = env.Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(n.VpcID), GroupName: aws.String("conformance-long"), Description: aws.String(strings.Repeat("d", 256)),
	})
	return wantCode("CreateSecurityGroup with a 256-character description", err, "InvalidParameterValue")
}
