package ec2sim

import "strings"

// partition is the AWS partition of a region, the second field of every ARN
// there: aws-cn in the China regions (cn-*), aws-us-gov in GovCloud
// (us-gov-*), aws elsewhere (AWS General Reference: Amazon Resource Names).
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// ec2ARN is the ARN of an EC2 resource of type rt ("vpc-endpoint") of an
// account in a region.
func ec2ARN(region, account, rt, id string) string {
	return "arn:" + partition(region) + ":ec2:" + region + ":" + account + ":" + rt + "/" + id
}

// arn is the ARN of one of the cell's EC2 resources.
func (s *Server) arn(rt, id string) string { return ec2ARN(s.opts.Region, s.acct.id, rt, id) }
