package conformance

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// endpointIDPattern is AWS's VPC endpoint ID format.
var endpointIDPattern = regexp.MustCompile(`^vpce-[0-9a-f]{17}$`)

// gatewayScenarios cover gateway endpoints and the routes they own.
func gatewayScenarios() []Scenario {
	return []Scenario{{
		Name:      "endpoint-id-format",
		Behaviour: "VPC endpoint IDs are `vpce-` followed by 17 hexadecimal digits",
		Source:    "EC2 API reference: Resource IDs (long ID format, `vpce-` prefix); terraform-provider-aws internal/service/ec2/vpc_endpoint.go",
		Check:     checkEndpointIDFormat,
	}, {
		Name:      "gateway-endpoint-adds-routes",
		Behaviour: "a gateway endpoint adds to each of its route tables a route {DestinationPrefixListId: the service's pl-…, GatewayId: vpce-…}",
		Source:    "EC2 API reference: CreateVpcEndpoint (RouteTableId), Route (DestinationPrefixListId, GatewayId)",
		Check:     checkGatewayAddsRoutes,
	}, {
		Name:      "gateway-endpoint-modify-moves-routes",
		Behaviour: "ModifyVpcEndpoint AddRouteTableIds adds the prefix-list route to the added tables and RemoveRouteTableIds removes it from the removed ones",
		Source:    "EC2 API reference: ModifyVpcEndpoint (AddRouteTableId, RemoveRouteTableId)",
		Check:     checkGatewayModifyMovesRoutes,
	}, {
		Name:      "gateway-endpoint-route-already-exists",
		Behaviour: "a second gateway endpoint for the same service on the same route table fails `RouteAlreadyExists`",
		Source:    "EC2 API reference: Error codes (`RouteAlreadyExists`); terraform-provider-aws internal/service/ec2/errors.go (errCodeRouteAlreadyExists)",
		Check:     checkGatewayRouteAlreadyExists,
	}, {
		Name:      "gateway-endpoint-delete-removes-routes",
		Behaviour: "DeleteVpcEndpoints on a gateway endpoint removes its prefix-list routes from its route tables",
		Source:    "EC2 API reference: DeleteVpcEndpoints (\"When you delete a gateway endpoint, we delete the endpoint routes in the route tables for the endpoint.\")",
		Check:     checkGatewayDeleteRemovesRoutes,
	}}
}

func checkEndpointIDFormat(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", nil)
	if err != nil {
		return err
	}
	if id := aws.ToString(ep.VpcEndpointId); !endpointIDPattern.MatchString(id) {
		return fmt.Errorf("endpoint ID has %d characters and does not match vpce-<17 hex>", len(id))
	}
	return nil
}

func checkGatewayAddsRoutes(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	pl, err := env.prefixListID(ctx, "s3")
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables)
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	if !sameSet(ep.RouteTableIds, n.RouteTables) {
		return fmt.Errorf("endpoint lists %d route tables, want the 2 given", len(ep.RouteTableIds))
	}
	return env.waitRoutes(ctx, n.RouteTables, pl, id, true)
}

func checkGatewayModifyMovesRoutes(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 3)
	if err != nil {
		return err
	}
	pl, err := env.prefixListID(ctx, "s3")
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables[:2])
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	if _, err := env.waitState(ctx, id, "available"); err != nil {
		return err
	}
	if _, err := env.Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId:       aws.String(id),
		AddRouteTableIds:    n.RouteTables[2:],
		RemoveRouteTableIds: n.RouteTables[:1],
	}); err != nil {
		return stepErr("ModifyVpcEndpoint", err)
	}
	for _, c := range []struct {
		what    string
		table   string
		present bool
	}{
		{"the added route table", n.RouteTables[2], true},
		{"the kept route table", n.RouteTables[1], true},
		{"the removed route table", n.RouteTables[0], false},
	} {
		if err := env.waitRoutes(ctx, []string{c.table}, pl, id, c.present); err != nil {
			return fmt.Errorf("after modify (%s): %w", c.what, err)
		}
	}
	got, err := env.endpoint(ctx, id)
	if err != nil {
		return err
	}
	if !sameSet(got.RouteTableIds, n.RouteTables[1:]) {
		return fmt.Errorf("after modify the endpoint's RouteTableIds are not the 2 expected tables")
	}
	return nil
}

func checkGatewayRouteAlreadyExists(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	if _, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables); err != nil {
		return err
	}
	_, err = env.Client.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId:         aws.String(n.VpcID),
		ServiceName:   aws.String(serviceName("s3")),
		RouteTableIds: n.RouteTables,
	})
	return wantCode("second s3 CreateVpcEndpoint", err, "RouteAlreadyExists")
}

func checkGatewayDeleteRemovesRoutes(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	pl, err := env.prefixListID(ctx, "s3")
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables)
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	if err := env.waitRoutes(ctx, n.RouteTables, pl, id, true); err != nil {
		return err
	}
	out, err := env.Client.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		return stepErr("DeleteVpcEndpoints", err)
	}
	if len(out.Unsuccessful) != 0 {
		return fmt.Errorf("DeleteVpcEndpoints reported the endpoint in Unsuccessful")
	}
	if err := env.waitRoutes(ctx, n.RouteTables, pl, id, false); err != nil {
		return fmt.Errorf("after delete: %w", err)
	}
	return nil
}
