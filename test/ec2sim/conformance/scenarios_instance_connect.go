package conformance

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// instanceConnectScenarios cover EC2 Instance Connect Endpoints.
func instanceConnectScenarios() []Scenario {
	return []Scenario{{
		Name:      "instance-connect-endpoint",
		Behaviour: "CreateInstanceConnectEndpoint returns an `eice-…` endpoint in the subnet that DescribeInstanceConnectEndpoints then lists, reaching `create-complete`",
		Source:    "EC2 API reference: CreateInstanceConnectEndpoint, DescribeInstanceConnectEndpoints, Ec2InstanceConnectEndpoint (State); terraform-provider-aws internal/service/ec2/errors.go (errCodeInvalidInstanceConnectEndpointIdNotFound)",
		Check:     checkInstanceConnectEndpoint,
	}}
}

func checkInstanceConnectEndpoint(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	out, err := env.Client.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId: aws.String(n.Subnets[0].ID),
	})
	if err != nil {
		return stepErr("CreateInstanceConnectEndpoint", err)
	}
	eice := out.InstanceConnectEndpoint
	if eice == nil || !strings.HasPrefix(aws.ToString(eice.InstanceConnectEndpointId), "eice-") {
		return fmt.Errorf("CreateInstanceConnectEndpoint returned no eice- endpoint")
	}
	if aws.ToString(eice.SubnetId) != n.Subnets[0].ID || aws.ToString(eice.VpcId) != n.VpcID {
		return fmt.Errorf("Instance Connect Endpoint is not in the given subnet and its VPC")
	}
	id := aws.ToString(eice.InstanceConnectEndpointId)
	return env.eventually(ctx, func() error {
		desc, err := env.Client.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{
			InstanceConnectEndpointIds: []string{id},
		})
		if err != nil {
			return stepErr("DescribeInstanceConnectEndpoints", err)
		}
		if len(desc.InstanceConnectEndpoints) != 1 {
			return fmt.Errorf("DescribeInstanceConnectEndpoints by ID returned %d endpoints, want 1", len(desc.InstanceConnectEndpoints))
		}
		if got := desc.InstanceConnectEndpoints[0].State; got != "create-complete" {
			return fmt.Errorf("Instance Connect Endpoint state stayed `%s`, want `create-complete`", got)
		}
		return nil
	})
}
