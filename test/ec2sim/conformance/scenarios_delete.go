package conformance

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// deleteScenario covers the deletion of an interface endpoint.
func deleteScenario() Scenario {
	return Scenario{
		Name:      "interface-endpoint-delete",
		Behaviour: "DeleteVpcEndpoints on an interface endpoint deletes its network interfaces; the endpoint goes `deleting`, then `deleted` or gone",
		Source:    "EC2 API reference: DeleteVpcEndpoints (\"When you delete an interface endpoint, we delete its endpoint network interfaces.\"); terraform-provider-aws internal/service/ec2/wait.go (waitVPCEndpointDeleted: pending `deleting`, `deleted`)",
		Check:     checkInterfaceDelete,
	}
}

func checkInterfaceDelete(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	ep, err := env.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{})
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	enis := ep.NetworkInterfaceIds
	if len(enis) == 0 {
		return fmt.Errorf("endpoint has no network interfaces")
	}
	out, err := env.Client.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		return stepErr("DeleteVpcEndpoints", err)
	}
	if len(out.Unsuccessful) != 0 {
		return fmt.Errorf("DeleteVpcEndpoints reported the endpoint in Unsuccessful")
	}
	if state, gone, err := env.stateOrGone(ctx, id); err != nil {
		return err
	} else if !gone && !strings.EqualFold(state, "deleting") && !strings.EqualFold(state, "deleted") {
		return fmt.Errorf("state right after delete is `%s`, want `deleting`", state)
	}
	if err := env.eventually(ctx, func() error {
		state, gone, err := env.stateOrGone(ctx, id)
		if err != nil {
			return err
		}
		if !gone && !strings.EqualFold(state, "deleted") {
			return fmt.Errorf("state stayed `%s` after delete, want `deleted` or gone", state)
		}
		return nil
	}); err != nil {
		return err
	}
	return env.eventually(ctx, func() error {
		for _, eni := range enis {
			out, err := env.Client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eni}})
			if errorCode(err) == "InvalidNetworkInterfaceID.NotFound" || (err == nil && len(out.NetworkInterfaces) == 0) {
				continue
			}
			if err != nil {
				return stepErr("DescribeNetworkInterfaces", err)
			}
			return fmt.Errorf("the endpoint's network interfaces still exist after delete")
		}
		return nil
	})
}

// stateOrGone describes an endpoint by ID and returns its state, or gone
// when AWS no longer knows it (NotFound or an empty answer).
func (e *Env) stateOrGone(ctx context.Context, id string) (state string, gone bool, err error) {
	out, err := e.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if errorCode(err) == "InvalidVpcEndpointId.NotFound" {
		return "", true, nil
	}
	if err != nil {
		return "", false, stepErr("DescribeVpcEndpoints", err)
	}
	if len(out.VpcEndpoints) == 0 {
		return "", true, nil
	}
	return string(out.VpcEndpoints[0].State), false, nil
}
