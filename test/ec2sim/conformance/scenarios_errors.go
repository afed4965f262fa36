package conformance

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// unknownEndpointID is well-formed but names no endpoint.
const unknownEndpointID = "vpce-0123456789abcdef0"

// errorScenarios cover the error codes of unknown and malformed input.
func errorScenarios() []Scenario {
	return []Scenario{{
		Name:      "unknown-service-name",
		Behaviour: "CreateVpcEndpoint for a service that does not exist fails `InvalidServiceName`",
		Source:    "EC2 API reference: Error codes (`InvalidServiceName`); terraform-provider-aws internal/service/ec2/errors.go (errCodeInvalidServiceName)",
		Check:     checkUnknownServiceName,
	}, {
		Name:      "describe-unknown-endpoint-id",
		Behaviour: "DescribeVpcEndpoints of a well-formed but unknown ID fails `InvalidVpcEndpointId.NotFound`",
		Source:    "EC2 API reference: Error codes (`InvalidVpcEndpointId.NotFound`); terraform-provider-aws internal/service/ec2/errors.go (errCodeInvalidVPCEndpointIdNotFound)",
		Check:     checkDescribeUnknownID,
	}, {
		Name:      "describe-malformed-endpoint-id",
		Behaviour: "DescribeVpcEndpoints of a malformed ID fails `InvalidVpcEndpointId.Malformed`",
		Source:    "EC2 API reference: Error codes (`InvalidVpcEndpointId.Malformed`)",
		Check:     checkDescribeMalformedID,
	}, {
		Name:      "delete-unknown-endpoint-unsuccessful",
		Behaviour: "DeleteVpcEndpoints of an unknown ID succeeds and lists the ID in `Unsuccessful` with code `InvalidVpcEndpoint.NotFound`",
		Source:    "EC2 API reference: DeleteVpcEndpoints (Unsuccessful); terraform-provider-aws internal/service/ec2/vpc_endpoint.go (resourceVPCEndpointDelete matches errCodeInvalidVPCEndpointNotFound in Unsuccessful)",
		Check:     checkDeleteUnknownID,
	}}
}

func checkUnknownServiceName(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	_, err = env.Client.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(n.VpcID),
		ServiceName:     aws.String(serviceName("no-such-service")),
		VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds:       n.subnetIDs(),
	})
	return wantCode("CreateVpcEndpoint of an unknown service", err, "InvalidServiceName")
}

func checkDescribeUnknownID(ctx context.Context, env *Env) error {
	out, err := env.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{unknownEndpointID}})
	if err == nil && len(out.VpcEndpoints) == 0 {
		return fmt.Errorf("DescribeVpcEndpoints of an unknown ID returned an empty list, want `InvalidVpcEndpointId.NotFound`")
	}
	return wantCode("DescribeVpcEndpoints of an unknown ID", err, "InvalidVpcEndpointId.NotFound")
}

func checkDescribeMalformedID(ctx context.Context, env *Env) error {
	out, err := env.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-not-an-id"}})
	if err == nil && len(out.VpcEndpoints) == 0 {
		return fmt.Errorf("DescribeVpcEndpoints of a malformed ID returned an empty list, want `InvalidVpcEndpointId.Malformed`")
	}
	return wantCode("DescribeVpcEndpoints of a malformed ID", err, "InvalidVpcEndpointId.Malformed")
}

func checkDeleteUnknownID(ctx context.Context, env *Env) error {
	out, err := env.Client.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{unknownEndpointID}})
	if err != nil {
		return fmt.Errorf("DeleteVpcEndpoints of an unknown ID failed with %s, want success with the ID in Unsuccessful", describeErr(err))
	}
	if len(out.Unsuccessful) != 1 || aws.ToString(out.Unsuccessful[0].ResourceId) != unknownEndpointID {
		return fmt.Errorf("DeleteVpcEndpoints of an unknown ID listed %d items in Unsuccessful, want the ID", len(out.Unsuccessful))
	}
	item := out.Unsuccessful[0]
	if item.Error == nil || aws.ToString(item.Error.Code) != "InvalidVpcEndpoint.NotFound" {
		code := ""
		if item.Error != nil {
			code = aws.ToString(item.Error.Code)
		}
		return fmt.Errorf("Unsuccessful item has code `%s`, want `InvalidVpcEndpoint.NotFound`", code)
	}
	return nil
}
