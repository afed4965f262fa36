package ec2sim_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestInterfaceEndpointStartsPendingThenAvailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1])
	if string(ep.State) != "pending" {
		t.Fatalf("state after create = %s, want pending", ep.State)
	}
	if got, _ := e.endpoint(t, *ep.VpcEndpointId); string(got.State) != "pending" {
		t.Fatalf("described state = %s, want pending", got.State)
	}
	e.waitState(t, *ep.VpcEndpointId, "available")
}

func TestGatewayEndpointIsAvailableAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createGateway(t, "s3", e.privateTables())
	if string(ep.State) != "available" {
		t.Fatalf("state = %s, want available", ep.State)
	}
}

func TestDeleteGoesDeletingDeletedGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{ENILinger: 500 * time.Millisecond})
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:2])
	id := *ep.VpcEndpointId
	e.waitState(t, id, "available")
	out := must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}))
	if len(out.Unsuccessful) != 0 {
		t.Fatalf("unsuccessful: %+v", out.Unsuccessful)
	}
	if got, _ := e.endpoint(t, id); string(got.State) != "deleting" {
		t.Fatalf("state after delete = %s, want deleting", got.State)
	}
	if n := len(e.enis(t, ep.NetworkInterfaceIds)); n != 2 {
		t.Fatalf("ENIs while deleting = %d, want 2", n)
	}
	deleted := e.waitState(t, id, "deleted")
	if len(deleted.NetworkInterfaceIds) != 0 {
		t.Fatalf("deleted endpoint still lists ENIs %v", deleted.NetworkInterfaceIds)
	}
	// The interfaces linger after "deleted" for ENILinger, then go.
	e.advance(500*time.Millisecond - step)
	if n := len(e.enis(t, ep.NetworkInterfaceIds)); n != 2 {
		t.Fatalf("ENIs just before the linger ends = %d, want 2", n)
	}
	e.advance(step)
	_, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds[:1]})
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
	e.waitState(t, id, "gone")
}

func TestAcceptanceRequiredStartsPendingAcceptance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	name := e.sim.AddEndpointService(ec2sim.EndpointServiceConfig{AcceptanceRequired: true})
	create := func() types.VpcEndpoint {
		return *must(e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(e.fx.VPCID), ServiceName: aws.String(name),
			VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: e.privateSubnets()[:1],
		})).VpcEndpoint
	}
	ep := create()
	if string(ep.State) != "pendingAcceptance" {
		t.Fatalf("state = %s, want pendingAcceptance", ep.State)
	}
	services := must(e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}}))
	serviceID := services.ServiceDetails[0].ServiceId
	if !*services.ServiceDetails[0].AcceptanceRequired {
		t.Fatal("service does not report AcceptanceRequired")
	}
	acc := must(e.ec2.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{
		ServiceId: serviceID, VpcEndpointIds: []string{*ep.VpcEndpointId, "vpce-0123456789abcdef0"},
	}))
	if len(acc.Unsuccessful) != 1 || *acc.Unsuccessful[0].Error.Code != "InvalidVpcEndpointId.NotFound" {
		t.Fatalf("unsuccessful = %+v", acc.Unsuccessful)
	}
	e.waitState(t, *ep.VpcEndpointId, "available")

	second := create()
	if err := e.sim.RejectEndpoint(*second.VpcEndpointId); err != nil {
		t.Fatal(err)
	}
	e.waitState(t, *second.VpcEndpointId, "rejected")
	if err := e.sim.AcceptEndpoint(*second.VpcEndpointId); err == nil {
		t.Fatal("accepting a rejected endpoint succeeded")
	}
	third := create()
	if err := e.sim.AcceptEndpoint(*third.VpcEndpointId); err != nil {
		t.Fatal(err)
	}
	e.waitState(t, *third.VpcEndpointId, "pending")
}

func TestModifyMakesInterfaceEndpointPendingAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1])
	id := *ep.VpcEndpointId
	e.waitState(t, id, "available")
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: &id, AddSubnetIds: e.privateSubnets()[1:2]}))
	if got, _ := e.endpoint(t, id); string(got.State) != "pending" {
		t.Fatalf("state after modify = %s, want pending", got.State)
	}
	e.waitState(t, id, "available")
}

func TestModifyWhilePendingFailsOperationInProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1])
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: e.privateSubnets()[1:2]})
	wantCode(t, err, "OperationInProgress")
	e.waitState(t, *ep.VpcEndpointId, "available")
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: e.privateSubnets()[1:2]}))
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, ResetPolicy: aws.Bool(true)})
	wantCode(t, err, "OperationInProgress")
}
