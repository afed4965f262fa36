package controllers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// startMoto starts a moto_server of the test's own and returns its URL.
func startMoto(t *testing.T) string { return testenv.StartMoto(t) }

// buildFixture makes ec2sim's demo world through the EC2 API, for peers that have
// no fixture: a VPC with DNS attributes on, three private subnets in three AZs each
// with its own route table, and a public subnet, tagged like the fixture.
func buildFixture(t *testing.T, cl *ec2.Client) ec2sim.Fixture {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tag := func(id, k, v string) {
		_, err := cl.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}})
		must(err)
	}
	vpc, err := cl.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must(err)
	f := ec2sim.Fixture{Region: "us-east-1", VPCID: aws.ToString(vpc.Vpc.VpcId), VPCCIDR: "10.0.0.0/16"}
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: vpc.Vpc.VpcId, EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: vpc.Vpc.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		_, err := cl.ModifyVpcAttribute(ctx, attr)
		must(err)
	}
	mainRT, err := cl.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{f.VPCID}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
	must(err)
	if len(mainRT.RouteTables) > 0 {
		f.MainRouteTableID = aws.ToString(mainRT.RouteTables[0].RouteTableId)
	}
	subnet := func(cidr, az, tier string) (string, string) {
		sn, err := cl.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(az)})
		must(err)
		rt, err := cl.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
		must(err)
		_, err = cl.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sn.Subnet.SubnetId})
		must(err)
		for _, id := range []string{aws.ToString(sn.Subnet.SubnetId), aws.ToString(rt.RouteTable.RouteTableId)} {
			tag(id, "tier", tier)
		}
		return aws.ToString(sn.Subnet.SubnetId), aws.ToString(rt.RouteTable.RouteTableId)
	}
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		cidr := fmt.Sprintf("10.0.%d.0/24", i+1)
		sn, rt := subnet(cidr, az, "private")
		f.PrivateSubnets = append(f.PrivateSubnets, ec2sim.FixtureSubnet{SubnetID: sn, AvailabilityZone: az, CIDR: cidr, RouteTableID: rt})
	}
	f.PublicSubnetID, f.PublicRouteTableID = subnet("10.0.101.0/24", "us-east-1a", "public")
	return f
}
