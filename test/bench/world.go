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

// buildWorld creates n VPCs in us-east-1 as buildRegionWorld does, and finds
// each one's default security group.
func buildWorld(ctx context.Context, cl *ec2.Client, n, tables int) ([]vpcWorld, error) {
	out, err := buildRegionWorld(ctx, cl, "us-east-1", n, tables)
	if err != nil {
		return nil, err
	}
	for i := range out {
		w := &out[i]
		sgs, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{w.ID}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
		if err != nil || len(sgs.SecurityGroups) == 0 {
			return nil, fmt.Errorf("default group of %s: %v", w.ID, err)
		}
		w.DefaultGroup = aws.ToString(sgs.SecurityGroups[0].GroupId)
	}
	return out, nil
}
