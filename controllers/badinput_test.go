package controllers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
)

// badInput is one input the apiserver accepts but AWS's world refutes.
type badInput struct {
	name   string
	reason string
	field  string // the message must name it
	// build makes the object; fix repairs the input (the object or the world), or is
	// nil when only deletion helps (immutable fields).
	build func(h *harness) client.Object
	fix   func(h *harness, obj client.Object)
}

// otherVPC makes a second VPC with a subnet and a route table, for "wrong VPC" inputs.
func (h *harness) otherVPC() (vpc, subnet, routeTable string) {
	h.t.Helper()
	v, err := h.ec2.CreateVpc(h.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")})
	if err != nil {
		h.t.Fatal(err)
	}
	sn, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.8.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		h.t.Fatal(err)
	}
	rt, err := h.ec2.CreateRouteTable(h.ctx, &ec2.CreateRouteTableInput{VpcId: v.Vpc.VpcId})
	if err != nil {
		h.t.Fatal(err)
	}
	return aws.ToString(v.Vpc.VpcId), aws.ToString(sn.Subnet.SubnetId), aws.ToString(rt.RouteTable.RouteTableId)
}

func badInputs() []badInput {
	ssmTags := v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}
	setSubnets := func(ids ...string) func(h *harness, obj client.Object) {
		return func(h *harness, obj client.Object) {
			ie := obj.(*v1alpha1.InterfaceEndpoint)
			h.update(ie, func() { ie.Spec.Subnets = v1alpha1.SubnetSelector{IDs: ids} })
		}
	}
	setRouteTables := func(h *harness, obj client.Object) {
		gw := obj.(*v1alpha1.GatewayEndpoint)
		h.update(gw, func() { gw.Spec.RouteTables = v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()} })
	}
	setPolicy := func(h *harness, obj client.Object) {
		gw := obj.(*v1alpha1.GatewayEndpoint)
		h.update(gw, func() { gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(readOnlyPolicy)} })
	}
	return []badInput{
		{name: "unknown service", reason: "InvalidServiceName", field: "spec.service",
			build: func(h *harness) client.Object { return iface("bad", h.fix.VPCID, "sssm", ssmTags) }},
		{name: "subnet of another VPC", reason: v1alpha1.ReasonSubnetInOtherVPC, field: "spec.subnets.ids",
			build: func(h *harness) client.Object {
				_, sn, _ := h.otherVPC()
				return iface("bad", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: []string{sn}})
			},
			fix: func(h *harness, obj client.Object) { setSubnets(h.privateSubnets()...)(h, obj) }},
		{name: "route table of another VPC", reason: v1alpha1.ReasonRouteTableInOtherVPC, field: "spec.routeTables.ids",
			build: func(h *harness) client.Object {
				_, _, rt := h.otherVPC()
				return gateway("bad", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: []string{rt}})
			}, fix: setRouteTables},
		{name: "subnet that does not exist", reason: v1alpha1.ReasonSubnetNotFound, field: "spec.subnets.ids",
			build: func(h *harness) client.Object {
				return iface("bad", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: []string{"subnet-0123456789abcdef0"}})
			},
			fix: func(h *harness, obj client.Object) { setSubnets(h.privateSubnets()...)(h, obj) }},
		{name: "route table that does not exist", reason: v1alpha1.ReasonRouteTableNotFound, field: "spec.routeTables.ids",
			build: func(h *harness) client.Object {
				return gateway("bad", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: []string{"rtb-0123456789abcdef0"}})
			}, fix: setRouteTables},
		{name: "security group that does not exist", reason: v1alpha1.ReasonSecurityGroupNotFound, field: "spec.securityGroups.ids",
			build: func(h *harness) client.Object {
				ie := iface("bad", h.fix.VPCID, "ssm", ssmTags)
				ie.Spec.SecurityGroups = &v1alpha1.SecurityGroups{IDs: []string{"sg-0123456789abcdef0"}}
				return ie
			},
			fix: func(h *harness, obj client.Object) {
				ie := obj.(*v1alpha1.InterfaceEndpoint)
				h.update(ie, func() { ie.Spec.SecurityGroups = nil })
			}},
		{name: "zone the service lacks", reason: v1alpha1.ReasonZoneNotSupported, field: "spec.subnets.ids",
			build: func(h *harness) client.Object {
				return iface("bad", h.fix.VPCID, "ebs", v1alpha1.SubnetSelector{IDs: h.privateSubnetsInZones("us-east-1a", "us-east-1c")})
			},
			fix: func(h *harness, obj client.Object) {
				setSubnets(h.privateSubnetsInZones("us-east-1a", "us-east-1b")...)(h, obj)
			}},
		{name: "two subnets in one zone", reason: v1alpha1.ReasonDuplicateSubnetsInSameZone, field: "spec.subnets.ids",
			build: func(h *harness) client.Object {
				sn, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(h.fix.VPCID), CidrBlock: aws.String("10.0.77.0/24"), AvailabilityZone: aws.String("us-east-1a")})
				if err != nil {
					h.t.Fatal(err)
				}
				return iface("bad", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: append(h.privateSubnetsInZones("us-east-1a"), aws.ToString(sn.Subnet.SubnetId))})
			},
			fix: func(h *harness, obj client.Object) { setSubnets(h.privateSubnetsInZones("us-east-1a")...)(h, obj) }},
		{name: "policy over 20480 characters", reason: v1alpha1.ReasonInvalidPolicy, field: "spec.policy",
			build: func(h *harness) client.Object {
				gw := gateway("bad", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()})
				gw.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(`{"Statement":[{"Sid":"` + strings.Repeat("A", 20500) + `","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)}
				return gw
			}, fix: setPolicy},
		{name: "VPC tags matching no VPC", reason: v1alpha1.ReasonVPCNotFound, field: "spec.vpc.tags",
			build: func(h *harness) client.Object {
				gw := gateway("bad", "", v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
				gw.Spec.VPC = v1alpha1.VPCSelector{Tags: map[string]string{"team": "payments"}}
				return gw
			},
			fix: func(h *harness, obj client.Object) {
				h.tag(h.fix.VPCID, "team", "payments")
				h.update(obj, func() { obj.SetAnnotations(map[string]string{"fixed": "vpc tagged"}) })
			}},
		{name: "VPC tags matching two VPCs", reason: v1alpha1.ReasonVPCAmbiguous, field: "spec.vpc.tags",
			build: func(h *harness) client.Object {
				other, _, _ := h.otherVPC()
				h.tag(other, "team", "payments")
				h.tag(h.fix.VPCID, "team", "payments")
				gw := gateway("bad", "", v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
				gw.Spec.VPC = v1alpha1.VPCSelector{Tags: map[string]string{"team": "payments"}}
				gw.Annotations = map[string]string{"other": other}
				return gw
			},
			fix: func(h *harness, obj client.Object) {
				other := obj.GetAnnotations()["other"]
				if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{other}, Tags: []types.Tag{{Key: aws.String("team")}}}); err != nil {
					h.t.Fatal(err)
				}
				h.update(obj, func() { obj.SetAnnotations(map[string]string{"fixed": "other VPC untagged"}) })
			}},
		{name: "adoption of an endpoint another object owns", reason: v1alpha1.ReasonAdoptionRefused, field: "spec.endpointID",
			build: func(h *harness) client.Object {
				owner := gateway("owner", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
				h.create(owner)
				h.waitReady(owner)
				h.sim.ResetCounters()
				gw := gateway("bad", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[1:]})
				gw.Spec.EndpointID = owner.Status.EndpointID
				return gw
			},
			fix: func(h *harness, obj client.Object) {
				gw := obj.(*v1alpha1.GatewayEndpoint)
				h.update(gw, func() { gw.Spec.EndpointID = "" })
			}},

		// Instance Connect Endpoints: refused before anything is written, the
		// managed group included.
		{name: "instance connect endpoint in a VPC that has one", reason: v1alpha1.ReasonVPCHasInstanceConnectEndpoint, field: "spec.vpc",
			build: func(h *harness) client.Object {
				if _, err := h.ec2.CreateInstanceConnectEndpoint(h.ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(h.fix.PrivateSubnets[0].SubnetID)}); err != nil {
					h.t.Fatal(err)
				}
				return eice("bad", h.fix.VPCID)
			},
			fix: func(h *harness, obj client.Object) {
				for _, e := range h.liveICEs() {
					h.eventually(10*time.Second, "delete the other endpoint", func() error {
						_, err := h.ec2.DeleteInstanceConnectEndpoint(h.ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: e.InstanceConnectEndpointId})
						return err
					})
				}
			}},
		{name: "instance connect endpoint subnet tags match nothing", reason: v1alpha1.ReasonNoSubnets, field: "spec.subnet.tags",
			build: func(h *harness) client.Object {
				ep := eice("bad", h.fix.VPCID)
				ep.Spec.Subnet = v1alpha1.InstanceConnectSubnet{Tags: map[string]string{"tier": "bastion"}}
				return ep
			},
			fix: func(h *harness, _ client.Object) { h.tag(h.fix.PrivateSubnets[2].SubnetID, "tier", "bastion") }},
		{name: "instance connect endpoint subnet of another VPC", reason: v1alpha1.ReasonSubnetInOtherVPC, field: "spec.subnet.id",
			build: func(h *harness) client.Object {
				_, subnet, _ := h.otherVPC()
				ep := eice("bad", h.fix.VPCID)
				ep.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: subnet}
				return ep
			}},
		{name: "instance connect endpoint subnet without a free address", reason: v1alpha1.ReasonSubnetFull, field: "spec.subnet",
			build: func(h *harness) client.Object {
				ep := eice("bad", h.fix.VPCID)
				ep.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: h.fullSubnet()}
				return ep
			},
			fix: func(h *harness, obj client.Object) {
				ep := obj.(*v1alpha1.InstanceConnectEndpoint)
				live := h.liveEndpoints()
				h.eventually(10*time.Second, "free an address", func() error {
					_, err := h.ec2.DeleteVpcEndpoints(h.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(live[0].VpcEndpointId)}})
					return err
				})
				h.eventually(10*time.Second, "an address free in "+ep.Spec.Subnet.ID, func() error {
					out, err := h.ec2.DescribeSubnets(h.ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{ep.Spec.Subnet.ID}})
					if err != nil || aws.ToInt32(out.Subnets[0].AvailableIpAddressCount) == 0 {
						return fmt.Errorf("still full (%v)", err)
					}
					return nil
				})
			}},
		{name: "instance connect endpoint preserving the client IP in an IPv6-only subnet", reason: v1alpha1.ReasonPreserveClientIPNotSupported, field: "spec.preserveClientIP",
			build: func(h *harness) client.Object {
				sn, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(h.fix.VPCID), Ipv6Native: aws.Bool(true), Ipv6CidrBlock: aws.String("2600:1f18:1:7100::/64"), AvailabilityZone: aws.String("us-east-1a")})
				if err != nil {
					h.t.Fatal(err)
				}
				ep := eice("bad", h.fix.VPCID)
				ep.Spec.Subnet = v1alpha1.InstanceConnectSubnet{ID: aws.ToString(sn.Subnet.SubnetId)}
				ep.Spec.PreserveClientIP = true
				return ep
			},
			fix: func(h *harness, obj client.Object) {
				ep := obj.(*v1alpha1.InstanceConnectEndpoint)
				h.update(ep, func() { ep.Spec.PreserveClientIP = false })
			}},
		{name: "instance connect endpoint security group of another VPC", reason: v1alpha1.ReasonSecurityGroupNotFound, field: "spec.securityGroups.ids",
			build: func(h *harness) client.Object {
				vpc, _, _ := h.otherVPC()
				g, err := h.ec2.CreateSecurityGroup(h.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("elsewhere"), Description: aws.String("x"), VpcId: aws.String(vpc)})
				if err != nil {
					h.t.Fatal(err)
				}
				ep := eice("bad", h.fix.VPCID)
				ep.Spec.SecurityGroups = &v1alpha1.InstanceConnectSecurityGroups{IDs: []string{aws.ToString(g.GroupId)}}
				return ep
			},
			fix: func(h *harness, obj client.Object) {
				ep := obj.(*v1alpha1.InstanceConnectEndpoint)
				h.update(ep, func() { ep.Spec.SecurityGroups = nil })
			}},
	}
}

// fullSubnet makes a /28 subnet of the fixture VPC and fills its 11 addresses
// with interface endpoints.
func (h *harness) fullSubnet() string {
	h.t.Helper()
	sn, err := h.ec2.CreateSubnet(h.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(h.fix.VPCID), CidrBlock: aws.String("10.0.90.0/28"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		h.t.Fatal(err)
	}
	id := aws.ToString(sn.Subnet.SubnetId)
	for range 11 {
		if _, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.ssm"), VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: []string{id}, PrivateDnsEnabled: aws.Bool(false)}); err != nil {
			h.t.Fatal(err)
		}
	}
	return id
}

func (h *harness) privateSubnetsInZones(zones ...string) []string {
	var ids []string
	for _, z := range zones {
		for _, s := range h.fix.PrivateSubnets {
			if s.AvailabilityZone == z {
				ids = append(ids, s.SubnetID)
			}
		}
	}
	return ids
}

// TestBadInputIsRefusedClearly: for every input the apiserver cannot refute, the
// object says Synced=False with a reason and a message naming the field, nothing is
// written to AWS, the retry interval grows instead of hot-looping, and the object
// recovers as soon as the input is fixed.
func TestBadInputIsRefusedClearly(t *testing.T) {
	for _, c := range badInputs() {
		t.Run(c.name, func(t *testing.T) {
			// A fast terminal pace, so growth is visible within seconds.
			pace := backoff.DefaultPolicy
			pace.Terminal = backoff.Schedule{Base: 250 * time.Millisecond, Cap: time.Minute}
			h := newHarness(t, harnessOptions{backoff: pace})
			obj := c.build(h)
			h.sim.ResetCounters()
			h.create(obj)
			cond := h.waitCondition(obj, v1alpha1.ConditionSynced, metav1.ConditionFalse, c.reason, 15*time.Second)
			if !strings.Contains(cond.Message, c.field) {
				t.Fatalf("message %q does not name %s", cond.Message, c.field)
			}
			h.waitCondition(obj, v1alpha1.ConditionStalled, metav1.ConditionTrue, c.reason, 20*time.Second)
			h.waitEvent(obj, v1alpha1.EventSyncFailed, c.reason)

			// Watch the retries for 5 s: 250 ms growing gives ~5 attempts; a fixed
			// 250 ms pace would give 20.
			before := h.sim.Counters()["DescribeVpcs"]["ok"]
			time.Sleep(5 * time.Second)
			if n := h.sim.Counters()["DescribeVpcs"]["ok"] - before; n > 8 {
				t.Fatalf("%d reconciles in 5 s: the retry interval does not grow", n)
			}
			if m := h.mutatingCalls(); total(m) != 0 {
				t.Fatalf("bad input wrote to AWS: %v", m)
			}

			if c.fix == nil {
				h.deleteAndWait(obj)
				return
			}
			c.fix(h, obj)
			h.waitReady(obj)
		})
	}
}
