package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// hubAccount is the controller's own account in fleet runs: the manager acts
// with its root keys and assumes a spoke role in every target account.
const hubAccount = "111111111111"

// spokeRole is the role the controller assumes in each target account.
const spokeRole = "vpce-controller-spoke"

// fleetRegions are the regions of fleet runs, in order.
var fleetRegions = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"}

// fleetAccounts returns n target account IDs: 222222222222, 333333333333, …
func fleetAccounts(n int) []string {
	var out []string
	for i := range n {
		d := byte('2' + i)
		if d > '9' {
			d = 'a' // never reached with the sizes the flags allow
		}
		b := make([]byte, 12)
		for j := range b {
			b[j] = d
		}
		out = append(out, string(b))
	}
	return out
}

// pair is one AWS account and region of a fleet run, with its VPCs.
type pair struct {
	Account, Region string
	Namespace       string
	VPCs            []vpcWorld
}

// spokeRoles are the target accounts' roles: trusting the hub account, with the
// controller's published policy (config/iam/policy.json), as the multi-account
// guide sets them up.
func spokeRoles(root string, accounts []string) ([]ec2sim.Role, error) {
	trust, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + hubAccount + ":root"}, "Action": "sts:AssumeRole"}}})
	if err != nil {
		return nil, err
	}
	policy, err := os.ReadFile(filepath.Join(root, "config", "iam", "policy.json"))
	if err != nil {
		return nil, err
	}
	var roles []ec2sim.Role
	for _, a := range accounts {
		roles = append(roles, ec2sim.Role{Account: a, Name: spokeRole, TrustPolicy: trust, Policy: policy})
	}
	return roles, nil
}

// buildRegionWorld creates n VPCs in the client's account and region, each with
// DNS attributes on, 3 private subnets (one per AZ, tagged tier=private) with
// their route tables, and at least tables route tables in all.
func buildRegionWorld(ctx context.Context, cl *ec2.Client, region string, n, tables int) ([]vpcWorld, error) {
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
		for j, az := range []string{region + "a", region + "b", region + "c"} {
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
		out = append(out, w)
	}
	return out, nil
}
