package ec2sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func (e *env) createICE(t *testing.T, in *ec2.CreateInstanceConnectEndpointInput) types.Ec2InstanceConnectEndpoint {
	t.Helper()
	return *must(e.ec2.CreateInstanceConnectEndpoint(ctx, in)).InstanceConnectEndpoint
}

func (e *env) ice(t *testing.T, id string) types.Ec2InstanceConnectEndpoint {
	t.Helper()
	out := must(e.ec2.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}}))
	if len(out.InstanceConnectEndpoints) != 1 {
		t.Fatalf("%s: %d endpoints", id, len(out.InstanceConnectEndpoints))
	}
	return out.InstanceConnectEndpoints[0]
}

// newVPC makes a VPC with one subnet, for a second Instance Connect Endpoint.
func (e *env) newVPC(t *testing.T, cidr, subnetCIDR string) (vpc, subnet string) {
	t.Helper()
	v := must(e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})).Vpc
	sn := must(e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.VpcId, CidrBlock: aws.String(subnetCIDR), AvailabilityZone: aws.String("us-east-1a")})).Subnet
	return aws.ToString(v.VpcId), aws.ToString(sn.SubnetId)
}

// TestInstanceConnectEndpointQuotas: one per VPC, five per account and region,
// and none in a subnet without a free address.
func TestInstanceConnectEndpointQuotas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	e.createICE(t, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(e.fx.PrivateSubnets[0].SubnetID)})
	_, err := e.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(e.fx.PrivateSubnets[1].SubnetID)})
	wantCode(t, err, "ServiceQuotaExceededException")
	for i := 1; i < ec2sim.InstanceConnectEndpointsPerRegion; i++ {
		_, sn := e.newVPC(t, fmt.Sprintf("10.%d.0.0/16", 100+i), fmt.Sprintf("10.%d.0.0/24", 100+i))
		e.createICE(t, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(sn)})
	}
	_, sn := e.newVPC(t, "10.200.0.0/16", "10.200.0.0/28")
	_, err = e.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(sn)})
	wantCode(t, err, "ServiceQuotaExceededException")

	// A full subnet: a /28 holds 11 interfaces.
	e2 := newEnv(t, ec2sim.Options{})
	_, small := e2.newVPC(t, "10.201.0.0/16", "10.201.0.0/28")
	for i := range 11 {
		e2.createInterface(t, "ssm", []string{small}, func(in *ec2.CreateVpcEndpointInput) {
			in.VpcId = must(e2.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{small}})).Subnets[0].VpcId
			in.PrivateDnsEnabled = aws.Bool(false)
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: tagsOf("n", fmt.Sprint(i))}}
		})
	}
	if n := aws.ToInt32(must(e2.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{small}})).Subnets[0].AvailableIpAddressCount); n != 0 {
		t.Fatalf("%d addresses left", n)
	}
	_, err = e2.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(small)})
	wantCode(t, err, "InsufficientFreeAddressesInSubnet")
}

// TestInstanceConnectEndpointAddressTypes: the type follows the subnet, and
// preserveClientIp needs an IPv4 endpoint.
func TestInstanceConnectEndpointAddressTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	dual := must(e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(e.fx.VPCID), CidrBlock: aws.String("10.0.70.0/24"), Ipv6CidrBlock: aws.String("2600:1f18:1:7000::/64")})).Subnet
	v6 := must(e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(e.fx.VPCID), Ipv6Native: aws.Bool(true), Ipv6CidrBlock: aws.String("2600:1f18:1:7100::/64")})).Subnet
	if !aws.ToBool(v6.Ipv6Native) || v6.CidrBlock != nil || len(dual.Ipv6CidrBlockAssociationSet) != 1 {
		t.Fatalf("subnets %+v %+v", dual, v6)
	}
	_, err := e.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: v6.SubnetId, PreserveClientIp: aws.Bool(true)})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = e.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: dual.SubnetId, PreserveClientIp: aws.Bool(true)})
	wantCode(t, err, "InvalidParameterCombination") // dual-stack by default
	got := e.createICE(t, &ec2.CreateInstanceConnectEndpointInput{SubnetId: dual.SubnetId, PreserveClientIp: aws.Bool(true), IpAddressType: types.IpAddressTypeIpv4})
	if got.IpAddressType != types.IpAddressTypeIpv4 || !aws.ToBool(got.PreserveClientIp) {
		t.Fatalf("created %+v", got)
	}
}

// TestInstanceConnectEndpointModify: the groups are replaced as a set and
// preserveClientIp changes; AWS updates it for a while, and refuses changes
// while it works on it.
func TestInstanceConnectEndpointModify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	got := e.createICE(t, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(e.fx.PrivateSubnets[0].SubnetID)})
	id := got.InstanceConnectEndpointId
	_, err := e.ec2.ModifyInstanceConnectEndpoint(ctx, &ec2.ModifyInstanceConnectEndpointInput{InstanceConnectEndpointId: id, PreserveClientIp: aws.Bool(true)})
	wantCode(t, err, "IncorrectState")
	e.advance(time.Second)
	sg := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("eice"), Description: aws.String("d"), VpcId: aws.String(e.fx.VPCID)})).GroupId
	must(e.ec2.ModifyInstanceConnectEndpoint(ctx, &ec2.ModifyInstanceConnectEndpointInput{InstanceConnectEndpointId: id, SecurityGroupIds: []string{*sg}, PreserveClientIp: aws.Bool(true)}))
	now := e.ice(t, *id)
	if now.State != types.Ec2InstanceConnectEndpointStateUpdateInProgress || len(now.SecurityGroupIds) != 1 || now.SecurityGroupIds[0] != *sg || !aws.ToBool(now.PreserveClientIp) {
		t.Fatalf("after modify %+v", now)
	}
	if enis := e.enis(t, now.NetworkInterfaceIds); len(enis) != 1 || aws.ToString(enis[0].Groups[0].GroupId) != *sg {
		t.Fatalf("interface groups %+v", enis)
	}
	e.advance(time.Second)
	if s := e.ice(t, *id).State; s != types.Ec2InstanceConnectEndpointStateUpdateComplete {
		t.Fatalf("state %s", s)
	}
	if err := e.sim.FailInstanceConnectEndpoint(*id, "update-failed", "Internal error"); err != nil {
		t.Fatal(err)
	}
	if f := e.ice(t, *id); f.State != types.Ec2InstanceConnectEndpointStateUpdateFailed || aws.ToString(f.StateMessage) != "Internal error" {
		t.Fatalf("failed %+v", f)
	}
}
