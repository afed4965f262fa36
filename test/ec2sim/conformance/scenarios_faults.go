package conformance

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// faultScenarios cover what a client sees when AWS's side goes wrong: a lost
// response, an endpoint AWS failed, interfaces that outlive their endpoint.
func faultScenarios() []Scenario {
	return []Scenario{{
		Name:      "retried-remove-after-lost-response",
		Behaviour: "a ModifyVpcEndpoint whose response is lost has taken effect: retrying its RemoveRouteTableIds fails `InvalidParameter` because the route table is no longer associated",
		Source:    "EC2 API reference: ModifyVpcEndpoint (RemoveRouteTableId; no ClientToken), Error codes (`InvalidParameter`); aws-sdk-go-v2 standard retryer (retries HTTP 500 and 503)",
		Check:     checkRetriedRemoveAfterLostResponse,
	}, {
		Name:      "deleted-endpoint-interfaces-hold-security-group",
		Behaviour: "the network interfaces of a deleted interface endpoint go some time after it; meanwhile DeleteSecurityGroup of its security group fails `DependencyViolation`, and succeeds once they are gone",
		Source:    "EC2 API reference: DeleteSecurityGroup (`DependencyViolation` while a network interface uses the group), DeleteVpcEndpoints (\"we delete its endpoint network interfaces\"); terraform-provider-aws internal/service/ec2/vpc_security_group.go (retries DependencyViolation on delete)",
		Check:     checkDeletedEndpointInterfacesHoldGroup,
	}, {
		Name:      "failed-endpoint-last-error",
		Behaviour: "an endpoint AWS could not provision is described in state `failed` with a LastError {Code, Message}, and can be deleted",
		Source:    "EC2 API reference: VpcEndpoint (State `failed`, LastError), LastError; terraform-provider-aws internal/service/ec2/wait.go (waitVPCEndpointAvailable reports LastError of a failed endpoint)",
		Check:     checkFailedEndpoint,
	}}
}

func checkRetriedRemoveAfterLostResponse(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables)
	if err != nil {
		return err
	}
	remove := &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, RemoveRouteTableIds: n.RouteTables[1:]}
	lost := env.loseNextResponse("ModifyVpcEndpoint")
	_, err = env.Client.ModifyVpcEndpoint(ctx, remove)
	switch {
	case lost && (err == nil || errorCode(err) == "InvalidParameter"):
		return fmt.Errorf("the call whose response was lost answered %s, want a server error", answer(err))
	case !lost && err != nil:
		return stepErr("ModifyVpcEndpoint (its answer is then ignored, as if lost)", err)
	}
	_, err = env.Client.ModifyVpcEndpoint(ctx, remove)
	return wantCode("the retried ModifyVpcEndpoint RemoveRouteTableIds", err, "InvalidParameter")
}

func checkDeletedEndpointInterfacesHoldGroup(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	sg, err := env.createGroup(ctx, n.VpcID, "conformance-endpoint")
	if err != nil {
		return err
	}
	ep, err := env.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{SecurityGroups: []string{sg}})
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	if _, err := env.Client.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil {
		return stepErr("DeleteVpcEndpoints", err)
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
	deleteGroup := func() error {
		_, err := env.Client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)})
		return err
	}
	if err := wantCode("DeleteSecurityGroup as the endpoint is deleted", deleteGroup(), "DependencyViolation"); err != nil {
		return err
	}
	return env.eventually(ctx, func() error {
		if err := deleteGroup(); err != nil {
			return stepErr("DeleteSecurityGroup once the interfaces are gone", err)
		}
		return nil
	})
}

func checkFailedEndpoint(ctx context.Context, env *Env) error {
	if env.controls == nil {
		return fmt.Errorf("the target offers no way to have AWS's side fail an endpoint")
	}
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	ep, err := env.createInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{})
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	if err := env.controls.FailEndpoint(id, "Server.InsufficientCapacity", "no capacity"); err != nil {
		return fmt.Errorf("fail the endpoint: %v", err)
	}
	got, err := env.endpoint(ctx, id)
	if err != nil {
		return err
	}
	if !strings.EqualFold(string(got.State), "failed") || got.LastError == nil ||
		aws.ToString(got.LastError.Code) != "Server.InsufficientCapacity" || aws.ToString(got.LastError.Message) != "no capacity" {
		return fmt.Errorf("a failed endpoint is described in state `%s` with LastError %v, want `failed` with the code and message", got.State, got.LastError != nil)
	}
	if _, err := env.Client.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil {
		return stepErr("DeleteVpcEndpoints of a failed endpoint", err)
	}
	return nil
}

// answer renders a call's outcome in stable words: "success" or its error.
func answer(err error) string {
	if err == nil {
		return "success"
	}
	return describeErr(err)
}
