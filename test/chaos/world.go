package chaos

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// zoneSuffixes are the availability zones (after the region) each VPC spans.
var zoneSuffixes = []string{"a", "b", "c"}

// zone is one subnet of a chaos VPC with the route table it alone uses.
type zone struct {
	AZ         string
	SubnetID   string
	RouteTable string
}

// network is a VPC made for the run: DNS support and hostnames on, one
// subnet per zone, each with its own route table. Subnets and route tables
// carry tier=private and zone=<az>, so tag selectors work.
type network struct {
	ID           string
	DefaultGroup string
	Zones        []zone
}

// subnetIDs returns the VPC's subnet IDs.
func (n network) subnetIDs() []string {
	out := make([]string, len(n.Zones))
	for i, z := range n.Zones {
		out[i] = z.SubnetID
	}
	return out
}

// routeTables returns the VPC's route table IDs.
func (n network) routeTables() []string {
	out := make([]string, len(n.Zones))
	for i, z := range n.Zones {
		out[i] = z.RouteTable
	}
	return out
}

// zoneTags are the tags of a subnet or route table in az.
func zoneTags(az string) map[string]string {
	return map[string]string{"tier": "private", "zone": az}
}

// buildNetworks creates n VPCs through the EC2 API: VPC i has CIDR
// 10.(i+1).0.0/16.
func buildNetworks(ctx context.Context, api *ec2.Client, region string, n int) ([]network, error) {
	nets := make([]network, 0, n)
	for i := 0; i < n; i++ {
		net, err := buildNetwork(ctx, api, region, i)
		if err != nil {
			return nil, fmt.Errorf("chaos: VPC %d: %w", i, err)
		}
		nets = append(nets, net)
	}
	return nets, nil
}

// buildNetwork creates VPC number i with its subnets and route tables.
func buildNetwork(ctx context.Context, api *ec2.Client, region string, i int) (network, error) {
	vpc, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{
		CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", i+1)),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeVpc,
			Tags:         []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(fmt.Sprintf("chaos-%d", i))}},
		}},
	})
	if err != nil {
		return network{}, err
	}
	net := network{ID: aws.ToString(vpc.Vpc.VpcId)}
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: aws.String(net.ID), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: aws.String(net.ID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		if _, err := api.ModifyVpcAttribute(ctx, attr); err != nil {
			return network{}, err
		}
	}
	groups, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{net.ID}},
		{Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		return network{}, err
	}
	if len(groups.SecurityGroups) != 1 {
		return network{}, fmt.Errorf("%d default security groups in %s", len(groups.SecurityGroups), net.ID)
	}
	net.DefaultGroup = aws.ToString(groups.SecurityGroups[0].GroupId)
	for j, suffix := range zoneSuffixes {
		az := region + suffix
		sn, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:            aws.String(net.ID),
			CidrBlock:        aws.String(fmt.Sprintf("10.%d.%d.0/24", i+1, j+1)),
			AvailabilityZone: aws.String(az),
		})
		if err != nil {
			return network{}, err
		}
		rt, err := api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(net.ID)})
		if err != nil {
			return network{}, err
		}
		z := zone{AZ: az, SubnetID: aws.ToString(sn.Subnet.SubnetId), RouteTable: aws.ToString(rt.RouteTable.RouteTableId)}
		if _, err := api.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
			RouteTableId: aws.String(z.RouteTable), SubnetId: aws.String(z.SubnetID),
		}); err != nil {
			return network{}, err
		}
		var tags []ec2types.Tag
		for k, v := range zoneTags(az) {
			tags = append(tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		sort.Slice(tags, func(a, b int) bool { return *tags[a].Key < *tags[b].Key })
		if _, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{z.SubnetID, z.RouteTable}, Tags: tags}); err != nil {
			return network{}, err
		}
		net.Zones = append(net.Zones, z)
	}
	return net, nil
}
