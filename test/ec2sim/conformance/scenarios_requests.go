package conformance

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// requestScenarios cover request-level features: idempotency, dry runs,
// filters and pagination.
func requestScenarios() []Scenario {
	return []Scenario{{
		Name:      "client-token-idempotent",
		Behaviour: "repeating CreateVpcEndpoint with the same ClientToken and parameters returns the same endpoint and creates no other",
		Source:    "EC2 API reference: CreateVpcEndpoint (ClientToken); Ensuring idempotency in Amazon EC2 API requests",
		Check:     checkClientTokenIdempotent,
	}, {
		Name:      "client-token-parameter-mismatch",
		Behaviour: "reusing a ClientToken with different parameters fails `IdempotentParameterMismatch`",
		Source:    "EC2 API reference: Error codes (`IdempotentParameterMismatch`); Ensuring idempotency in Amazon EC2 API requests",
		Check:     checkClientTokenMismatch,
	}, {
		Name:      "dry-run",
		Behaviour: "CreateVpcEndpoint with DryRun fails `DryRunOperation` and creates nothing",
		Source:    "EC2 API reference: CreateVpcEndpoint (DryRun: \"If you have the required permissions, the error response is DryRunOperation\")",
		Check:     checkDryRun,
	}, {
		Name:      "filter-service-name",
		Behaviour: "DescribeVpcEndpoints filter `service-name` returns only endpoints of that service",
		Source:    "EC2 API reference: DescribeVpcEndpoints (Filter `service-name`)",
		Check:     checkFilterServiceName,
	}, {
		Name:      "filter-tag",
		Behaviour: "DescribeVpcEndpoints filter `tag:<key>` returns only endpoints with that tag value",
		Source:    "EC2 API reference: DescribeVpcEndpoints (Filter `tag:<key>`)",
		Check:     checkFilterTag,
	}, {
		Name:      "filter-vpc-endpoint-state",
		Behaviour: "DescribeVpcEndpoints filter `vpc-endpoint-state` returns only endpoints in that state",
		Source:    "EC2 API reference: DescribeVpcEndpoints (Filter `vpc-endpoint-state`)",
		Check:     checkFilterState,
	}, {
		Name:      "filter-vpc-endpoint-type",
		Behaviour: "DescribeVpcEndpoints filter `vpc-endpoint-type` returns only endpoints of that type",
		Source:    "EC2 API reference: DescribeVpcEndpoints (Filter `vpc-endpoint-type`)",
		Check:     checkFilterType,
	}, {
		Name:      "describe-pagination",
		Behaviour: "DescribeVpcEndpoints with MaxResults returns at most that many endpoints and a NextToken that yields the rest",
		Source:    "EC2 API reference: DescribeVpcEndpoints (MaxResults, NextToken)",
		Check:     checkPagination,
	}}
}

// gatewayInput is a gateway endpoint request for the s3 service.
func gatewayInput(vpcID string, routeTables []string, token string) *ec2.CreateVpcEndpointInput {
	return &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(vpcID),
		ServiceName:     aws.String(serviceName("s3")),
		VpcEndpointType: types.VpcEndpointTypeGateway,
		RouteTableIds:   routeTables,
		ClientToken:     aws.String(token),
	}
}

// countEndpoints counts the endpoints of a VPC.
func (e *Env) countEndpoints(ctx context.Context, vpcID string) (int, error) {
	eps, err := e.describeEndpoints(ctx, filter("vpc-id", vpcID))
	return len(eps), err
}

// describeEndpoints describes the endpoints matching filters.
func (e *Env) describeEndpoints(ctx context.Context, filters ...types.Filter) ([]types.VpcEndpoint, error) {
	out, err := e.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: filters})
	if err != nil {
		return nil, stepErr("DescribeVpcEndpoints", err)
	}
	return out.VpcEndpoints, nil
}

func checkClientTokenIdempotent(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	first, err := env.Client.CreateVpcEndpoint(ctx, gatewayInput(n.VpcID, n.RouteTables, "conformance-token-1"))
	if err != nil {
		return stepErr("CreateVpcEndpoint", err)
	}
	second, err := env.Client.CreateVpcEndpoint(ctx, gatewayInput(n.VpcID, n.RouteTables, "conformance-token-1"))
	if err != nil {
		return fmt.Errorf("repeated CreateVpcEndpoint failed with %s, want the same endpoint", describeErr(err))
	}
	if aws.ToString(first.VpcEndpoint.VpcEndpointId) != aws.ToString(second.VpcEndpoint.VpcEndpointId) {
		return fmt.Errorf("repeated CreateVpcEndpoint returned a different endpoint ID")
	}
	if aws.ToString(second.ClientToken) != "conformance-token-1" {
		return fmt.Errorf("repeated CreateVpcEndpoint did not echo the ClientToken")
	}
	count, err := env.countEndpoints(ctx, n.VpcID)
	if err != nil {
		return err
	}
	if count != 1 {
		return fmt.Errorf("VPC has %d endpoints after a repeated request, want 1", count)
	}
	return nil
}

func checkClientTokenMismatch(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	if _, err := env.Client.CreateVpcEndpoint(ctx, gatewayInput(n.VpcID, n.RouteTables[:1], "conformance-token-2")); err != nil {
		return stepErr("CreateVpcEndpoint", err)
	}
	_, err = env.Client.CreateVpcEndpoint(ctx, gatewayInput(n.VpcID, n.RouteTables[1:], "conformance-token-2"))
	return wantCode("CreateVpcEndpoint reusing a token with other route tables", err, "IdempotentParameterMismatch")
}

func checkDryRun(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	in := gatewayInput(n.VpcID, n.RouteTables, "conformance-token-3")
	in.DryRun = aws.Bool(true)
	_, err = env.Client.CreateVpcEndpoint(ctx, in)
	if err := wantCode("CreateVpcEndpoint with DryRun", err, "DryRunOperation"); err != nil {
		return err
	}
	count, err := env.countEndpoints(ctx, n.VpcID)
	if err != nil {
		return err
	}
	if count != 0 {
		return fmt.Errorf("DryRun created %d endpoints", count)
	}
	return nil
}

// twoEndpoints creates an s3 gateway endpoint tagged team=storage and an
// ssm interface endpoint tagged team=ops, and waits until both are available.
func (e *Env) twoEndpoints(ctx context.Context) (n network, gateway, iface string, err error) {
	n, err = e.newNetwork(ctx, true, 1)
	if err != nil {
		return n, "", "", err
	}
	in := gatewayInput(n.VpcID, n.RouteTables, "conformance-token-4")
	in.TagSpecifications = endpointTags(map[string]string{"team": "storage"})
	gw, err := e.Client.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return n, "", "", stepErr("CreateVpcEndpoint (Gateway)", err)
	}
	ep, err := e.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{Tags: map[string]string{"team": "ops"}})
	if err != nil {
		return n, "", "", err
	}
	gateway = aws.ToString(gw.VpcEndpoint.VpcEndpointId)
	if _, err := e.waitState(ctx, gateway, "available"); err != nil {
		return n, "", "", err
	}
	return n, gateway, aws.ToString(ep.VpcEndpointId), nil
}

// wantOnly checks that a filtered describe returned exactly the endpoint want.
func (e *Env) wantOnly(ctx context.Context, what, want string, filters ...types.Filter) error {
	eps, err := e.describeEndpoints(ctx, filters...)
	if err != nil {
		return err
	}
	if len(eps) != 1 || aws.ToString(eps[0].VpcEndpointId) != want {
		return fmt.Errorf("filter %s returned %d endpoints, want only the matching one", what, len(eps))
	}
	return nil
}

func checkFilterServiceName(ctx context.Context, env *Env) error {
	n, gateway, iface, err := env.twoEndpoints(ctx)
	if err != nil {
		return err
	}
	if err := env.wantOnly(ctx, "service-name=s3", gateway, filter("vpc-id", n.VpcID), filter("service-name", serviceName("s3"))); err != nil {
		return err
	}
	return env.wantOnly(ctx, "service-name=ssm", iface, filter("vpc-id", n.VpcID), filter("service-name", serviceName("ssm")))
}

func checkFilterTag(ctx context.Context, env *Env) error {
	n, gateway, iface, err := env.twoEndpoints(ctx)
	if err != nil {
		return err
	}
	if err := env.wantOnly(ctx, "tag:team=storage", gateway, filter("vpc-id", n.VpcID), filter("tag:team", "storage")); err != nil {
		return err
	}
	return env.wantOnly(ctx, "tag:team=ops", iface, filter("vpc-id", n.VpcID), filter("tag:team", "ops"))
}

func checkFilterState(ctx context.Context, env *Env) error {
	n, _, _, err := env.twoEndpoints(ctx)
	if err != nil {
		return err
	}
	available, err := env.describeEndpoints(ctx, filter("vpc-id", n.VpcID), filter("vpc-endpoint-state", "available"))
	if err != nil {
		return err
	}
	if len(available) != 2 {
		return fmt.Errorf("filter vpc-endpoint-state=available returned %d of 2 available endpoints", len(available))
	}
	pending, err := env.describeEndpoints(ctx, filter("vpc-id", n.VpcID), filter("vpc-endpoint-state", "pending"))
	if err != nil {
		return err
	}
	if len(pending) != 0 {
		return fmt.Errorf("filter vpc-endpoint-state=pending returned %d endpoints, want 0", len(pending))
	}
	return nil
}

func checkFilterType(ctx context.Context, env *Env) error {
	n, gateway, iface, err := env.twoEndpoints(ctx)
	if err != nil {
		return err
	}
	if err := env.wantOnly(ctx, "vpc-endpoint-type=Gateway", gateway, filter("vpc-id", n.VpcID), filter("vpc-endpoint-type", "Gateway")); err != nil {
		return err
	}
	return env.wantOnly(ctx, "vpc-endpoint-type=Interface", iface, filter("vpc-id", n.VpcID), filter("vpc-endpoint-type", "Interface"))
}

// paginationPageSize is the MaxResults the pagination scenario asks for:
// the smallest value every EC2 describe call accepts.
const paginationPageSize = 5

func checkPagination(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, svc := range []string{"s3", "dynamodb"} {
		ep, err := env.createGateway(ctx, n.VpcID, svc, nil)
		if err != nil {
			return err
		}
		want[aws.ToString(ep.VpcEndpointId)] = true
	}
	for _, svc := range []string{"ssm", "ssmmessages", "ec2messages", "sts"} {
		ep, err := env.createInterface(ctx, n.VpcID, svc, n.subnetIDs(), interfaceOpts{})
		if err != nil {
			return err
		}
		want[aws.ToString(ep.VpcEndpointId)] = true
	}

	seen := map[string]bool{}
	var token *string
	for page := 1; ; page++ {
		out, err := env.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{
			Filters:    []types.Filter{filter("vpc-id", n.VpcID)},
			MaxResults: aws.Int32(paginationPageSize),
			NextToken:  token,
		})
		if err != nil {
			return stepErr(fmt.Sprintf("DescribeVpcEndpoints page %d", page), err)
		}
		if len(out.VpcEndpoints) > paginationPageSize {
			return fmt.Errorf("page %d has %d endpoints, want at most MaxResults=%d", page, len(out.VpcEndpoints), paginationPageSize)
		}
		for _, id := range endpointIDs(out.VpcEndpoints) {
			if seen[id] {
				return fmt.Errorf("page %d repeats an endpoint", page)
			}
			seen[id] = true
		}
		token = out.NextToken
		if aws.ToString(token) == "" {
			break
		}
		if page == 2 {
			return fmt.Errorf("pagination did not end after 2 pages of %d for %d endpoints", paginationPageSize, len(want))
		}
	}
	if len(seen) != len(want) {
		return fmt.Errorf("pages held %d of %d endpoints", len(seen), len(want))
	}
	return nil
}
