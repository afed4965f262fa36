package ec2sim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestGatewayEndpointsOnlyForS3AndDynamoDB(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	for _, name := range []string{"s3", "dynamodb"} {
		e.createGateway(t, name, e.privateTables()[:1])
	}
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(e.fx.VPCID), ServiceName: svc("ssm"), VpcEndpointType: types.VpcEndpointTypeGateway,
	})
	wantCode(t, err, "InvalidParameter")
}

func TestGatewayEndpointAddsPrefixListRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createGateway(t, "s3", e.privateTables())
	pls := must(e.ec2.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{
		Filters: []types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{"com.amazonaws.us-east-1.s3"}}},
	}))
	if len(pls.PrefixLists) != 1 || *pls.PrefixLists[0].PrefixListId != "pl-63a5400a" {
		t.Fatalf("prefix lists = %+v", pls.PrefixLists)
	}
	for _, id := range e.privateTables() {
		routes := endpointRoutes(e.routeTable(t, id))
		if len(routes) != 1 || *routes[0].DestinationPrefixListId != "pl-63a5400a" || *routes[0].GatewayId != *ep.VpcEndpointId {
			t.Fatalf("routes of %s = %+v", id, routes)
		}
		if routes[0].Origin != types.RouteOriginCreateRoute || routes[0].State != types.RouteStateActive {
			t.Fatalf("route origin/state = %s/%s", routes[0].Origin, routes[0].State)
		}
	}
	if got := endpointRoutes(e.routeTable(t, e.fx.PublicRouteTableID)); len(got) != 0 {
		t.Fatalf("public table got routes %+v", got)
	}
}

func TestGatewayModifyAddsAndRemovesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	tables := e.privateTables()
	ep := e.createGateway(t, "dynamodb", tables[:1])
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: ep.VpcEndpointId, AddRouteTableIds: tables[1:], RemoveRouteTableIds: tables[:1],
	}))
	if got := endpointRoutes(e.routeTable(t, tables[0])); len(got) != 0 {
		t.Fatalf("removed table still has %+v", got)
	}
	for _, id := range tables[1:] {
		if got := endpointRoutes(e.routeTable(t, id)); len(got) != 1 {
			t.Fatalf("added table %s has %+v", id, got)
		}
	}
	got, _ := e.endpoint(t, *ep.VpcEndpointId)
	if len(got.RouteTableIds) != 2 || string(got.State) != "available" {
		t.Fatalf("endpoint = %+v", got)
	}
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, RemoveRouteTableIds: tables[:1]})
	wantCode(t, err, "InvalidParameter")
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddRouteTableIds: []string{"rtb-0123456789abcdef0"}})
	wantCode(t, err, "InvalidRouteTableId.NotFound")
}

func TestGatewaySecondEndpointInSameTableFailsRouteAlreadyExists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	tables := e.privateTables()
	e.createGateway(t, "s3", tables[:1])
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3"), RouteTableIds: tables[:1],
	})
	wantCode(t, err, "RouteAlreadyExists")
	second := e.createGateway(t, "s3", tables[1:2])
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: second.VpcEndpointId, AddRouteTableIds: tables[:1]})
	wantCode(t, err, "RouteAlreadyExists")
	e.createGateway(t, "dynamodb", tables[:1])
}

func TestGatewayDeleteRemovesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createGateway(t, "s3", e.privateTables())
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}}))
	for _, id := range e.privateTables() {
		if got := endpointRoutes(e.routeTable(t, id)); len(got) != 0 {
			t.Fatalf("table %s keeps %+v", id, got)
		}
	}
	e.createGateway(t, "s3", e.privateTables())
}
