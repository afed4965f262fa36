package controllers_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// The create/modify/delete scenarios once more against moto_server, an independent
// EC2 emulator, as far as its fidelity allows (it moves no routes and makes no
// interfaces on modify, so only the endpoint's own description is checked), to show
// the controller is not tuned to our own emulator.

func TestMotoGatewayCreateModifyDelete(t *testing.T) {
	h := newHarness(t, harnessOptions{moto: true})
	rt := h.privateRouteTables()
	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[:2]})
	h.create(gw)
	h.waitReady(gw)
	id := gw.Status.EndpointID
	if got := sortStrings(h.endpoint(id).RouteTableIds); !reflect.DeepEqual(got, rt[:2]) {
		t.Fatalf("route tables %v", got)
	}
	// moto adds no route for a table added by ModifyVpcEndpoint and then fails the
	// delete (InvalidRoute.NotFound), so the modify here only removes a table.
	h.update(gw, func() { gw.Spec.RouteTables.IDs = rt[:1] })
	h.waitReady(gw)
	h.eventually(10*time.Second, "modified", func() error {
		if got := sortStrings(h.endpoint(id).RouteTableIds); !reflect.DeepEqual(got, rt[:1]) {
			return fmt.Errorf("route tables %v, want %v", got, rt[:1])
		}
		return nil
	})
	h.deleteAndWait(gw)
	out, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out.VpcEndpoints {
		if aws.ToString(e.VpcEndpointId) == id && !strings.EqualFold(string(e.State), "deleted") {
			t.Fatalf("endpoint %s is %s after deletion", id, e.State)
		}
	}
}

func TestMotoInterfaceCreateModifyDelete(t *testing.T) {
	h := newHarness(t, harnessOptions{moto: true})
	subs := h.privateSubnets()
	ie := iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: subs[:2]})
	h.create(ie)
	h.waitReady(ie)
	id, sg := ie.Status.EndpointID, ie.Status.ManagedSecurityGroupID
	if got := h.groupRules(sg); !reflect.DeepEqual(got, []string{"tcp/443 from " + h.fix.VPCCIDR}) {
		t.Fatalf("managed rules %v", got)
	}
	h.update(ie, func() { ie.Spec.Subnets.IDs = subs })
	h.waitReady(ie)
	h.eventually(10*time.Second, "modified", func() error {
		if got := sortStrings(h.endpoint(id).SubnetIds); !reflect.DeepEqual(got, subs) {
			return fmt.Errorf("subnets %v, want %v", got, subs)
		}
		return nil
	})
	h.deleteAndWait(ie)
	if h.groupExists(sg) {
		t.Fatalf("managed group %s left in moto", sg)
	}
}
