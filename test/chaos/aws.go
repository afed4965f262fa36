package chaos

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Ownership tag keys (internal/endpoint's), repeated so the suite checks the
// documented contract rather than the implementation's constants.
const (
	tagCluster  = "vpce.dev/cluster"
	tagOwner    = "vpce.dev/owner"
	tagOwnerUID = "vpce.dev/owner-uid"
)

// eniPrefix starts the description AWS gives an interface endpoint's network
// interfaces, and iceENIPrefix ec2sim's for an Instance Connect Endpoint's.
const (
	eniPrefix    = "VPC Endpoint Interface "
	iceENIPrefix = "EC2 Instance Connect Endpoint "
)

// awsState is what the checks read from EC2 in one go.
type awsState struct {
	endpoints []ec2types.VpcEndpoint // not deleting or deleted
	ices      []ec2types.Ec2InstanceConnectEndpoint
	groups    []ec2types.SecurityGroup
	enis      []ec2types.NetworkInterface // of VPC endpoints and Instance Connect Endpoints
}

// readAWS lists every live endpoint, every security group and every endpoint
// network interface.
func readAWS(ctx context.Context, api *ec2.Client) (*awsState, error) {
	var st awsState
	eps := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{})
	for eps.HasMorePages() {
		page, err := eps.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.VpcEndpoints {
			if s := state(e); s != "deleting" && s != "deleted" {
				st.endpoints = append(st.endpoints, e)
			}
		}
	}
	ices := ec2.NewDescribeInstanceConnectEndpointsPaginator(api, &ec2.DescribeInstanceConnectEndpointsInput{MaxResults: aws.Int32(50)})
	for ices.HasMorePages() {
		page, err := ices.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.InstanceConnectEndpoints {
			if !strings.HasPrefix(string(e.State), "delete-") || e.State == ec2types.Ec2InstanceConnectEndpointStateDeleteFailed {
				st.ices = append(st.ices, e)
			}
		}
	}
	groups := ec2.NewDescribeSecurityGroupsPaginator(api, &ec2.DescribeSecurityGroupsInput{})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		st.groups = append(st.groups, page.SecurityGroups...)
	}
	enis := ec2.NewDescribeNetworkInterfacesPaginator(api, &ec2.DescribeNetworkInterfacesInput{})
	for enis.HasMorePages() {
		page, err := enis.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range page.NetworkInterfaces {
			if d := aws.ToString(n.Description); strings.HasPrefix(d, eniPrefix) || strings.HasPrefix(d, iceENIPrefix) {
				st.enis = append(st.enis, n)
			}
		}
	}
	return &st, nil
}

// state is an endpoint's state in lowercase, as AWS answers it (the SDK's
// constants are capitalised).
func state(e ec2types.VpcEndpoint) string { return strings.ToLower(string(e.State)) }

// tags turns EC2 tags into a map.
func tags(list []ec2types.Tag) map[string]string {
	m := make(map[string]string, len(list))
	for _, t := range list {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
