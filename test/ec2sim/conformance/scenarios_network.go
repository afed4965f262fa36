package conformance

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// networkScenarios cover the VPC world endpoints are built in.
func networkScenarios() []Scenario {
	return []Scenario{{
		Name:      "vpc-main-route-table",
		Behaviour: "a new VPC has exactly one main route table, found by the `association.main=true` filter and marked `Main` in its association",
		Source:    "EC2 API reference: CreateVpc, DescribeRouteTables (filter `association.main`), RouteTableAssociation.Main",
		Check:     checkMainRouteTable,
	}, {
		Name:      "subnet-route-table-association",
		Behaviour: "AssociateRouteTable links a subnet to a route table, shown as a non-main association with the subnet's ID",
		Source:    "EC2 API reference: AssociateRouteTable, RouteTableAssociation",
		Check:     checkSubnetAssociation,
	}}
}

func checkMainRouteTable(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	out, err := env.Client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		filter("vpc-id", n.VpcID), filter("association.main", "true"),
	}})
	if err != nil {
		return stepErr("DescribeRouteTables", err)
	}
	if len(out.RouteTables) != 1 {
		return fmt.Errorf("filter association.main=true found %d route tables, want 1", len(out.RouteTables))
	}
	for _, a := range out.RouteTables[0].Associations {
		if aws.ToBool(a.Main) {
			return nil
		}
	}
	return fmt.Errorf("main route table has no association with Main=true")
}

func checkSubnetAssociation(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	rt, err := env.routeTable(ctx, n.RouteTables[0])
	if err != nil {
		return err
	}
	for _, a := range rt.Associations {
		if aws.ToString(a.SubnetId) == n.Subnets[0].ID && !aws.ToBool(a.Main) {
			return nil
		}
	}
	return fmt.Errorf("route table has no non-main association with the subnet")
}
