package conformance

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// sarSource is where AWS lists resource types and dependent actions.
const sarSource = "Service Authorization Reference: Actions, resources, and condition keys for Amazon EC2"

// iamScenarios cover how AWS evaluates an identity-based policy. They need a
// target that evaluates one (ec2sim's controls); the caller is always
// allowed to set up the world first.
func iamScenarios() []Scenario {
	return []Scenario{{
		Name:      "iam-describe-has-no-resource-level-permissions",
		Behaviour: "DescribeVpcs has no resource types: a policy allowing it only on `vpc/*` ARNs refuses it `UnauthorizedOperation`, one allowing it on `*` lets it through",
		Source:    sarSource + " (DescribeVpcs: no resource type; ModifyVpcAttribute and DescribeVpcAttribute: vpc*)",
		Check:     checkDescribeNeedsStar,
	}, {
		Name:      "iam-create-vpc-endpoint-dependent-actions",
		Behaviour: "CreateVpcEndpoint also needs its dependent actions ec2:DescribeVpcs, ec2:DescribeSubnets and ec2:DescribeSecurityGroups: without them it fails `UnauthorizedOperation` and creates nothing",
		Source:    sarSource + " (CreateVpcEndpoint, dependent actions)",
		Check:     checkCreateEndpointDependentActions,
	}, {
		Name:      "iam-private-dns-needs-route53",
		Behaviour: "CreateVpcEndpoint of an interface endpoint with private DNS also needs route53:AssociateVPCWithHostedZone (its private hosted zone is associated with the VPC): without it the call fails `UnauthorizedOperation`; without private DNS it does not need it",
		Source:    sarSource + " (CreateVpcEndpoint, dependent action route53:AssociateVPCWithHostedZone); Service Authorization Reference: Amazon Route 53 (AssociateVPCWithHostedZone, hostedzone)",
		Check:     checkPrivateDNSNeedsRoute53,
	}}
}

// withPolicy evaluates doc for the calls of f, then turns evaluation off.
func (e *Env) withPolicy(doc string, f func() error) error {
	if e.controls == nil {
		return fmt.Errorf("the target does not evaluate IAM policies")
	}
	if err := e.controls.SetIAMPolicy([]byte(doc)); err != nil {
		return fmt.Errorf("set the IAM policy: %v", err)
	}
	defer func() { _ = e.controls.SetIAMPolicy(nil) }()
	return f()
}

// allowPolicy allows actions (a JSON list body) on resources.
func allowPolicy(actions, resources string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + actions + `],"Resource":[` + resources + `]}]}`
}

func checkDescribeNeedsStar(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 0)
	if err != nil {
		return err
	}
	describe := func() error {
		_, err := env.Client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{n.VpcID}})
		return err
	}
	if err := env.withPolicy(allowPolicy(`"ec2:DescribeVpcs"`, `"arn:aws:ec2:*:*:vpc/*"`), func() error {
		return wantCode("DescribeVpcs allowed on vpc/* only", describe(), "UnauthorizedOperation")
	}); err != nil {
		return err
	}
	return env.withPolicy(allowPolicy(`"ec2:DescribeVpcs"`, `"*"`), func() error {
		if err := describe(); err != nil {
			return stepErr("DescribeVpcs allowed on *", err)
		}
		return nil
	})
}

func checkCreateEndpointDependentActions(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	create := func() error {
		_, err := env.Client.CreateVpcEndpoint(ctx, gatewayInput(n.VpcID, n.RouteTables, "conformance-iam"))
		return err
	}
	if err := env.withPolicy(allowPolicy(`"ec2:CreateVpcEndpoint"`, `"*"`), func() error {
		return wantCode("CreateVpcEndpoint without its dependent describe actions", create(), "UnauthorizedOperation")
	}); err != nil {
		return err
	}
	if count, err := env.countEndpoints(ctx, n.VpcID); err != nil || count != 0 {
		return fmt.Errorf("a refused CreateVpcEndpoint made %d endpoints", count)
	}
	return env.withPolicy(allowPolicy(`"ec2:CreateVpcEndpoint","ec2:DescribeVpcs","ec2:DescribeSubnets","ec2:DescribeSecurityGroups"`, `"*"`), func() error {
		if err := create(); err != nil {
			return stepErr("CreateVpcEndpoint with its dependent actions", err)
		}
		return nil
	})
}

func checkPrivateDNSNeedsRoute53(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	create := func(privateDNS bool) error {
		_, err := env.Client.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(n.VpcID), ServiceName: aws.String(serviceName("ssm")), VpcEndpointType: types.VpcEndpointTypeInterface,
			SubnetIds: n.subnetIDs(), PrivateDnsEnabled: aws.Bool(privateDNS),
		})
		return err
	}
	const ec2Actions = `"ec2:CreateVpcEndpoint","ec2:DescribeVpcs","ec2:DescribeSubnets","ec2:DescribeSecurityGroups"`
	if err := env.withPolicy(allowPolicy(ec2Actions, `"*"`), func() error {
		if err := wantCode("CreateVpcEndpoint with private DNS without route53:AssociateVPCWithHostedZone", create(true), "UnauthorizedOperation"); err != nil {
			return err
		}
		if err := create(false); err != nil {
			return stepErr("CreateVpcEndpoint without private DNS", err)
		}
		return nil
	}); err != nil {
		return err
	}
	return env.withPolicy(allowPolicy(ec2Actions+`,"route53:AssociateVPCWithHostedZone"`, `"*"`), func() error {
		if err := create(true); err != nil {
			return stepErr("CreateVpcEndpoint with private DNS and route53:AssociateVPCWithHostedZone", err)
		}
		return nil
	})
}
