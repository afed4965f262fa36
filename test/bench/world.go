// Package bench measures the controller at scale: time to converge against the
// limit AWS's token buckets impose, EC2 calls per object and at rest, drift repair
// time, clean-up time, and the manager's memory and CPU. test/cmd/bench runs it.
//
// Test harness (under test/): the manager never imports it.
package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// vpcWorld is one benchmark VPC: three private subnets in three AZs with their
// route tables, extra route tables for more gateway endpoints, and its default group.
type vpcWorld struct {
	ID           string
	RouteTables  []string
	DefaultGroup string
}

// buildWorld creates n VPCs, each with DNS attributes on, 3 private subnets (one
// per AZ, tagged tier=private) with their route tables, and at least tables route
// tables in all.
func buildWorld(ctx context.Context, cl *ec2.Client, n, tables int) ([]vpcWorld, error) {
	var out []vpcWorld
	for i := 0; i < n; i++ {
		v, err := cl.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", i+1))})
		if err != nil {
			return nil, err
		}
		w := vpcWorld{ID: aws.ToString(v.Vpc.VpcId)}
		for _, attr := range []*ec2.ModifyVpcAttributeInput{
			{VpcId: v.Vpc.VpcId, EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
			{VpcId: v.Vpc.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		} {
			if _, err := cl.ModifyVpcAttribute(ctx, attr); err != nil {
				return nil, err
			}
		}
		tier := []types.Tag{{Key: aws.String("tier"), Value: aws.String("private")}}
		for j, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
			sn, err := cl.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, AvailabilityZone: aws.String(az), CidrBlock: aws.String(fmt.Sprintf("10.%d.%d.0/24", i+1, j+1)),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSubnet, Tags: tier}}})
			if err != nil {
				return nil, err
			}
			rt, err := cl.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: v.Vpc.VpcId,
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeRouteTable, Tags: tier}}})
			if err != nil {
				return nil, err
			}
			if _, err := cl.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sn.Subnet.SubnetId}); err != nil {
				return nil, err
			}
			w.RouteTables = append(w.RouteTables, aws.ToString(rt.RouteTable.RouteTableId))
		}
		for len(w.RouteTables) < tables {
			rt, err := cl.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: v.Vpc.VpcId})
			if err != nil {
				return nil, err
			}
			w.RouteTables = append(w.RouteTables, aws.ToString(rt.RouteTable.RouteTableId))
		}
		sgs, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{w.ID}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
		if err != nil || len(sgs.SecurityGroups) == 0 {
			return nil, fmt.Errorf("default group of %s: %v", w.ID, err)
		}
		w.DefaultGroup = aws.ToString(sgs.SecurityGroups[0].GroupId)
		out = append(out, w)
	}
	return out, nil
}
