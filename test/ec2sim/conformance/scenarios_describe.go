package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// describeScenarios cover the catalogue calls: endpoint services and
// AWS-managed prefix lists.
func describeScenarios() []Scenario {
	return []Scenario{{
		Name:      "endpoint-service-ssm",
		Behaviour: "DescribeVpcEndpointServices lists com.amazonaws.<region>.ssm as an Interface service with PrivateDnsName ssm.<region>.amazonaws.com and its availability zones",
		Source:    "EC2 API reference: DescribeVpcEndpointServices, ServiceDetail (ServiceType, PrivateDnsName, AvailabilityZones)",
		Check:     checkServiceSSM,
	}, {
		Name:      "endpoint-service-s3-gateway",
		Behaviour: "DescribeVpcEndpointServices lists com.amazonaws.<region>.s3 with a Gateway service type",
		Source:    "EC2 API reference: DescribeVpcEndpointServices, ServiceTypeDetail",
		Check:     checkServiceS3,
	}, {
		Name:      "prefix-lists-s3-dynamodb",
		Behaviour: "DescribePrefixLists has the com.amazonaws.<region>.s3 and .dynamodb lists, each with a pl- ID and CIDR blocks",
		Source:    "EC2 API reference: DescribePrefixLists, PrefixList (Cidrs, PrefixListId, PrefixListName)",
		Check:     checkPrefixLists,
	}}
}

// service describes one endpoint service by its short name (the first
// detail listed under that name).
func (e *Env) service(ctx context.Context, short string) (types.ServiceDetail, error) {
	out, err := e.Client.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{
		ServiceNames: []string{serviceName(short)},
	})
	if err != nil {
		return types.ServiceDetail{}, stepErr("DescribeVpcEndpointServices", err)
	}
	for _, d := range out.ServiceDetails {
		if aws.ToString(d.ServiceName) == serviceName(short) {
			return d, nil
		}
	}
	return types.ServiceDetail{}, fmt.Errorf("DescribeVpcEndpointServices has no %s service", short)
}

// hasServiceType reports whether d lists the service type want.
func hasServiceType(d types.ServiceDetail, want types.ServiceType) bool {
	return slices.ContainsFunc(d.ServiceType, func(t types.ServiceTypeDetail) bool { return t.ServiceType == want })
}

func checkServiceSSM(ctx context.Context, env *Env) error {
	d, err := env.service(ctx, "ssm")
	if err != nil {
		return err
	}
	if !hasServiceType(d, types.ServiceTypeInterface) {
		return fmt.Errorf("ssm service type is not Interface")
	}
	if got, want := aws.ToString(d.PrivateDnsName), "ssm."+Region+".amazonaws.com"; got != want {
		return fmt.Errorf("ssm PrivateDnsName is %q, want %q", got, want)
	}
	if len(d.AvailabilityZones) == 0 {
		return fmt.Errorf("ssm lists no availability zones")
	}
	for _, az := range d.AvailabilityZones {
		if !strings.HasPrefix(az, Region) {
			return fmt.Errorf("ssm lists availability zone %q outside %s", az, Region)
		}
	}
	return nil
}

func checkServiceS3(ctx context.Context, env *Env) error {
	out, err := env.Client.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{
		ServiceNames: []string{serviceName("s3")},
	})
	if err != nil {
		return stepErr("DescribeVpcEndpointServices", err)
	}
	// AWS lists s3 once per type (Gateway and Interface), so look at all.
	for _, d := range out.ServiceDetails {
		if aws.ToString(d.ServiceName) == serviceName("s3") && hasServiceType(d, types.ServiceTypeGateway) {
			return nil
		}
	}
	return fmt.Errorf("no s3 service detail has the Gateway type")
}

func checkPrefixLists(ctx context.Context, env *Env) error {
	out, err := env.Client.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{})
	if err != nil {
		return stepErr("DescribePrefixLists", err)
	}
	for _, short := range []string{"s3", "dynamodb"} {
		i := slices.IndexFunc(out.PrefixLists, func(p types.PrefixList) bool {
			return aws.ToString(p.PrefixListName) == serviceName(short)
		})
		if i < 0 {
			return fmt.Errorf("no %s prefix list", short)
		}
		pl := out.PrefixLists[i]
		if !strings.HasPrefix(aws.ToString(pl.PrefixListId), "pl-") {
			return fmt.Errorf("%s prefix list ID does not start with pl-", short)
		}
		if len(pl.Cidrs) == 0 {
			return fmt.Errorf("%s prefix list has no Cidrs", short)
		}
	}
	return nil
}
