package ec2sim_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestIDsUseAWSFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	sg := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: aws.String(e.fx.VPCID), GroupName: aws.String("x"), Description: aws.String("x")}))
	rule := must(e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}},
	}}}))
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1])
	rt := e.routeTable(t, e.fx.PrivateSubnets[0].RouteTableID)
	ice := must(e.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(e.fx.PublicSubnetID)}))
	ids := map[string]string{
		"vpc": e.fx.VPCID, "subnet": e.fx.PublicSubnetID, "rtb": *rt.RouteTableId,
		"rtbassoc": *rt.Associations[0].RouteTableAssociationId, "sg": *sg.GroupId, "sgr": *rule.SecurityGroupRules[0].SecurityGroupRuleId,
		"vpce": *ep.VpcEndpointId, "eni": ep.NetworkInterfaceIds[0], "eice": *ice.InstanceConnectEndpoint.InstanceConnectEndpointId,
	}
	for prefix, id := range ids {
		if !regexp.MustCompile(`^` + prefix + `-[0-9a-f]{17}$`).MatchString(id) {
			t.Errorf("%s ID %q not in AWS format", prefix, id)
		}
	}
}

func TestUnknownAndMalformedIDsFailWithAWSCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	const missing = "0123456789abcdef0"
	vpc := aws.String(e.fx.VPCID)
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"describe vpce", func() error {
			_, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-" + missing}})
			return err
		}, "InvalidVpcEndpointId.NotFound"},
		{"malformed vpce", func() error {
			_, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpc-" + missing}})
			return err
		}, "InvalidVpcEndpointId.Malformed"},
		{"modify malformed vpce", func() error {
			_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("endpoint")})
			return err
		}, "InvalidVpcEndpointId.Malformed"},
		{"unknown service", func() error {
			_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc, ServiceName: svc("nope")})
			return err
		}, "InvalidServiceName"},
		{"unknown vpc", func() error {
			_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-" + missing), ServiceName: svc("s3")})
			return err
		}, "InvalidVpcID.NotFound"},
		{"endpoint subnet", func() error {
			_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc, ServiceName: svc("ssm"), VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: []string{"subnet-" + missing}})
			return err
		}, "InvalidSubnetId.NotFound"},
		{"endpoint route table", func() error {
			_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc, ServiceName: svc("s3"), RouteTableIds: []string{"rtb-" + missing}})
			return err
		}, "InvalidRouteTableId.NotFound"},
		{"endpoint group", func() error {
			_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc, ServiceName: svc("ssm"), VpcEndpointType: types.VpcEndpointTypeInterface, SecurityGroupIds: []string{"sg-" + missing}})
			return err
		}, "InvalidGroup.NotFound"},
		{"describe subnet", func() error {
			_, err := e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-" + missing}})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"describe route table", func() error {
			_, err := e.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-" + missing}})
			return err
		}, "InvalidRouteTableID.NotFound"},
		{"describe group", func() error {
			_, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-" + missing}})
			return err
		}, "InvalidGroup.NotFound"},
		{"describe vpc", func() error {
			_, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-" + missing}})
			return err
		}, "InvalidVpcID.NotFound"},
		{"unknown filter", func() error {
			_, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
			return err
		}, "InvalidParameterValue"},
	}
	for _, c := range cases {
		err := c.call()
		if got := code(t, err); got != c.code {
			t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.code, err)
		} else if status(t, err) != 400 {
			t.Errorf("%s: HTTP %d, want 400", c.name, status(t, err))
		}
	}
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc, ServiceName: svc("nope")})
	if !strings.Contains(err.Error(), "The Vpc Endpoint Service 'com.amazonaws.us-east-1.nope' does not exist") {
		t.Errorf("InvalidServiceName message: %v", err)
	}
}

func TestDeleteVpcEndpointsReportsUnknownIDsInUnsuccessful(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createGateway(t, "s3", nil)
	out := must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{
		VpcEndpointIds: []string{*ep.VpcEndpointId, "vpce-0123456789abcdef0", "bogus"},
	}))
	got := map[string]string{}
	for _, u := range out.Unsuccessful {
		got[*u.ResourceId] = *u.Error.Code
	}
	want := map[string]string{"vpce-0123456789abcdef0": "InvalidVpcEndpoint.NotFound", "bogus": "InvalidVpcEndpointId.Malformed"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("unsuccessful = %v, want %v", got, want)
	}
	e.waitState(t, *ep.VpcEndpointId, "deleted")
}

func TestClientTokenIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	in := &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(e.fx.VPCID), ServiceName: svc("ssm"), VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds: e.privateSubnets()[:1], ClientToken: aws.String("token-1"),
	}
	first := must(e.ec2.CreateVpcEndpoint(ctx, in))
	second := must(e.ec2.CreateVpcEndpoint(ctx, in))
	if *first.VpcEndpoint.VpcEndpointId != *second.VpcEndpoint.VpcEndpointId || *second.ClientToken != "token-1" {
		t.Fatalf("retry created %s, first %s (token %v)", *second.VpcEndpoint.VpcEndpointId, *first.VpcEndpoint.VpcEndpointId, second.ClientToken)
	}
	all := must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}))
	if len(all.VpcEndpoints) != 1 {
		t.Fatalf("%d endpoints after retry", len(all.VpcEndpoints))
	}
	in.SubnetIds = e.privateSubnets()[:2]
	_, err := e.ec2.CreateVpcEndpoint(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
}

func TestDryRunAnswersDryRunOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{DryRun: aws.Bool(true), VpcId: aws.String(e.fx.VPCID), ServiceName: svc("s3")})
	wantCode(t, err, "DryRunOperation")
	if s := status(t, err); s != 412 {
		t.Fatalf("HTTP %d, want 412", s)
	}
	_, err = e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if all := must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})); len(all.VpcEndpoints) != 0 {
		t.Fatal("dry run created an endpoint")
	}
}

func TestDescribeVpcEndpointsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	gw := e.createGateway(t, "s3", nil)
	tagged := e.createInterface(t, "ssm", nil, func(in *ec2.CreateVpcEndpointInput) {
		in.PrivateDnsEnabled = aws.Bool(false)
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("team-a")}}}}
	})
	other := e.createInterface(t, "sts", nil)
	count := func(filters ...types.Filter) []string {
		out := must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: filters}))
		var ids []string
		for _, ep := range out.VpcEndpoints {
			ids = append(ids, *ep.VpcEndpointId)
		}
		return ids
	}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	checks := []struct {
		filters []types.Filter
		want    []string
	}{
		{[]types.Filter{f("vpc-id", e.fx.VPCID)}, []string{*gw.VpcEndpointId, *tagged.VpcEndpointId, *other.VpcEndpointId}},
		{[]types.Filter{f("service-name", "com.amazonaws.us-east-1.ssm")}, []string{*tagged.VpcEndpointId}},
		{[]types.Filter{f("vpc-endpoint-id", *other.VpcEndpointId)}, []string{*other.VpcEndpointId}},
		{[]types.Filter{f("vpc-endpoint-state", "available")}, []string{*gw.VpcEndpointId}},
		{[]types.Filter{f("vpc-endpoint-state", "pending"), f("vpc-endpoint-type", "Interface")}, []string{*tagged.VpcEndpointId, *other.VpcEndpointId}},
		{[]types.Filter{f("vpc-endpoint-type", "Gateway")}, []string{*gw.VpcEndpointId}},
		{[]types.Filter{f("tag:owner", "team-*")}, []string{*tagged.VpcEndpointId}},
		{[]types.Filter{f("tag-key", "owner")}, []string{*tagged.VpcEndpointId}},
		{[]types.Filter{f("tag:owner", "team-b")}, nil},
	}
	for _, c := range checks {
		if got := count(c.filters...); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("filters %v: got %v, want %v", *c.filters[0].Name, got, c.want)
		}
	}
}

func TestDescribePagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	var created []string
	for i := 0; i < 12; i++ {
		created = append(created, *e.createInterface(t, "sqs", nil, func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(false) }).VpcEndpointId)
	}
	var got []string
	pages := 0
	p := ec2.NewDescribeVpcEndpointsPaginator(e.ec2, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))
		pages++
		for _, ep := range out.VpcEndpoints {
			got = append(got, *ep.VpcEndpointId)
		}
	}
	if pages != 3 || fmt.Sprint(got) != fmt.Sprint(created) {
		t.Fatalf("%d pages, ids %v, want %v", pages, got, created)
	}
	_, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(1)})
	wantCode(t, err, "InvalidParameterValue")
	subnets := must(e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5)}))
	if len(subnets.Subnets) != 4 || subnets.NextToken != nil {
		t.Fatalf("subnets page = %d, token %v", len(subnets.Subnets), subnets.NextToken)
	}
}
