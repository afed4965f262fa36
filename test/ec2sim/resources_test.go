package ec2sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestCreateVpcMakesMainRouteTableAndDefaultGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	v := must(e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("172.16.0.0/16"), TagSpecifications: []types.TagSpecification{
		{ResourceType: types.ResourceTypeVpc, Tags: tagsOf("Name", "second")},
	}})).Vpc
	if *v.CidrBlockAssociationSet[0].CidrBlock != "172.16.0.0/16" || *v.IsDefault || *v.Tags[0].Value != "second" {
		t.Fatalf("vpc = %+v", v)
	}
	rts := must(e.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: append(filters("vpc-id", *v.VpcId), filters("association.main", "true")...)}))
	if len(rts.RouteTables) != 1 || *rts.RouteTables[0].Routes[0].GatewayId != "local" || *rts.RouteTables[0].Routes[0].DestinationCidrBlock != "172.16.0.0/16" {
		t.Fatalf("main tables %+v", rts.RouteTables)
	}
	sgs := must(e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: append(filters("vpc-id", *v.VpcId), filters("group-name", "default")...)}))
	if len(sgs.SecurityGroups) != 1 || len(sgs.SecurityGroups[0].IpPermissionsEgress) != 1 {
		t.Fatalf("default groups %+v", sgs.SecurityGroups)
	}
	_, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sgs.SecurityGroups[0].GroupId})
	wantCode(t, err, "CannotDelete")
	attr := must(e.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: v.VpcId, Attribute: types.VpcAttributeNameEnableDnsHostnames}))
	if *attr.EnableDnsHostnames.Value {
		t.Fatal("new VPC has DNS hostnames on")
	}
	sn := must(e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.VpcId, CidrBlock: aws.String("172.16.1.0/24"), AvailabilityZone: aws.String("us-east-1b")})).Subnet
	_, err = e.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: v.VpcId})
	wantCode(t, err, "DependencyViolation")
	must(e.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.SubnetId}))
	must(e.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: v.VpcId}))
}

func TestSubnetsAndRouteTables(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	_, err := e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.fx.VPCID, CidrBlock: aws.String("10.0.1.0/25")})
	wantCode(t, err, "InvalidSubnet.Conflict")
	_, err = e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.fx.VPCID, CidrBlock: aws.String("10.9.0.0/24")})
	wantCode(t, err, "InvalidSubnet.Range")
	sn := must(e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.fx.VPCID, CidrBlock: aws.String("10.0.50.0/24"), AvailabilityZone: aws.String("us-east-1d")})).Subnet
	if *sn.AvailableIpAddressCount != 251 || *sn.AvailabilityZoneId != "use1-az4" {
		t.Fatalf("subnet %+v", sn)
	}
	byAZ := must(e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filters("availability-zone", "us-east-1a")}))
	if len(byAZ.Subnets) != 2 {
		t.Fatalf("us-east-1a subnets = %d", len(byAZ.Subnets))
	}
	rt := must(e.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &e.fx.VPCID, TagSpecifications: []types.TagSpecification{
		{ResourceType: types.ResourceTypeRouteTable, Tags: tagsOf("tier", "extra")},
	}})).RouteTable
	assoc := must(e.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTableId, SubnetId: sn.SubnetId}))
	_, err = e.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTableId, SubnetId: sn.SubnetId})
	wantCode(t, err, "Resource.AlreadyAssociated")
	got := must(e.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: filters("tag:tier", "extra")}))
	if len(got.RouteTables) != 1 || *got.RouteTables[0].Associations[0].SubnetId != *sn.SubnetId || *got.RouteTables[0].Associations[0].Main {
		t.Fatalf("tables %+v", got.RouteTables)
	}
	_, err = e.ec2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: rt.RouteTableId})
	wantCode(t, err, "DependencyViolation")
	must(e.ec2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: assoc.AssociationId}))
	must(e.ec2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: rt.RouteTableId}))
}

func TestSecurityGroupRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	sg := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &e.fx.VPCID, GroupName: aws.String("web"), Description: aws.String("web"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: tagsOf("team", "a")}}}))
	_, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &e.fx.VPCID, GroupName: aws.String("web"), Description: aws.String("web")})
	wantCode(t, err, "InvalidGroup.Duplicate")
	perm := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges:         []types.IpRange{{CidrIp: aws.String("10.0.0.0/16"), Description: aws.String("vpc")}},
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: &e.fx.DefaultSecurityGroupID}},
	}
	out := must(e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{perm}}))
	if len(out.SecurityGroupRules) != 2 {
		t.Fatalf("rules %+v", out.SecurityGroupRules)
	}
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{perm}})
	wantCode(t, err, "InvalidPermission.Duplicate")
	got := must(e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filters("tag:team", "a")})).SecurityGroups
	if len(got) != 1 || len(got[0].IpPermissions) != 1 || len(got[0].IpPermissions[0].IpRanges) != 1 || len(got[0].IpPermissions[0].UserIdGroupPairs) != 1 || *got[0].IpPermissions[0].FromPort != 443 {
		t.Fatalf("groups %+v", got)
	}
	if *got[0].IpPermissionsEgress[0].IpProtocol != "-1" || *got[0].IpPermissionsEgress[0].IpRanges[0].CidrIp != "0.0.0.0/0" {
		t.Fatalf("egress %+v", got[0].IpPermissionsEgress)
	}
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &e.fx.DefaultSecurityGroupID})
	wantCode(t, err, "CannotDelete")
	must(e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{perm}}))
	_, err = e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{perm}})
	wantCode(t, err, "InvalidPermission.NotFound")
	must(e.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
	}}))
	must(e.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String("pl-63a5400a")}}},
	}}))
	rules := must(e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: filters("group-id", *sg.GroupId)})).SecurityGroupRules
	if len(rules) != 1 || !*rules[0].IsEgress || *rules[0].PrefixListId != "pl-63a5400a" {
		t.Fatalf("rules %+v", rules)
	}
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String("sg-0123456789abcdef0")})
	wantCode(t, err, "InvalidGroup.NotFound")
	must(e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId}))
}

func TestTagsCreateDeleteAndDescribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createGateway(t, "s3", nil)
	id := *ep.VpcEndpointId
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id, e.fx.VPCID}, Tags: tagsOf("env", "dev", "team", "a")}))
	tagged := must(e.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: append(filters("resource-type", "vpc-endpoint"), filters("key", "env")...)}))
	if len(tagged.Tags) != 1 || *tagged.Tags[0].ResourceId != id || tagged.Tags[0].ResourceType != types.ResourceTypeVpcEndpoint {
		t.Fatalf("tags %+v", tagged.Tags)
	}
	must(e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("other")}, {Key: aws.String("team")}}}))
	got, _ := e.endpoint(t, id)
	if len(got.Tags) != 1 || *got.Tags[0].Key != "env" {
		t.Fatalf("tags after delete %+v", got.Tags)
	}
	_, err := e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpce-0123456789abcdef0"}, Tags: tagsOf("a", "b")})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: tagsOf("aws:x", "b")})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeVpcEndpointServicesCatalogue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	all := must(e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{}))
	for _, name := range []string{"s3", "dynamodb", "ssm", "ssmmessages", "ec2messages", "ec2", "ecr.api", "ecr.dkr", "logs", "sts", "kms",
		"secretsmanager", "sqs", "sns", "monitoring", "elasticloadbalancing", "lambda", "execute-api"} {
		if !slices.Contains(all.ServiceNames, "com.amazonaws.us-east-1."+name) {
			t.Errorf("catalogue lacks %s", name)
		}
	}
	s3 := must(e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{Filters: filters("service-name", "com.amazonaws.us-east-1.s3")}))
	if len(s3.ServiceDetails) != 2 || len(s3.ServiceNames) != 1 {
		t.Fatalf("s3 entries %d names %v", len(s3.ServiceDetails), s3.ServiceNames)
	}
	gw := must(e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{Filters: filters("service-type", "Gateway")}))
	if len(gw.ServiceDetails) != 2 {
		t.Fatalf("gateway services %d", len(gw.ServiceDetails))
	}
	kms := must(e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws.us-east-1.kms"}})).ServiceDetails[0]
	if slices.Contains(kms.AvailabilityZones, "us-east-1d") || *kms.PrivateDnsName != "kms.us-east-1.amazonaws.com" || !*kms.VpcEndpointPolicySupported {
		t.Fatalf("kms %+v", kms)
	}
	_, err := e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws.us-east-1.nope"}})
	wantCode(t, err, "InvalidServiceName")
}

func TestInstanceConnectEndpointLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	out := must(e.ec2.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId: &e.fx.PrivateSubnets[0].SubnetID, PreserveClientIp: aws.Bool(true),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstanceConnectEndpoint, Tags: tagsOf("k", "v")}},
	})).InstanceConnectEndpoint
	id := *out.InstanceConnectEndpointId
	if out.State != types.Ec2InstanceConnectEndpointStateCreateInProgress || !*out.PreserveClientIp || len(out.NetworkInterfaceIds) != 1 || out.SecurityGroupIds[0] != e.fx.DefaultSecurityGroupID {
		t.Fatalf("created %+v", out)
	}
	state := func() types.Ec2InstanceConnectEndpointState {
		got := must(e.ec2.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{Filters: filters("tag:k", "v")}))
		if len(got.InstanceConnectEndpoints) == 0 {
			return "gone"
		}
		return got.InstanceConnectEndpoints[0].State
	}
	waitFor := func(want types.Ec2InstanceConnectEndpointState) {
		for waited := time.Duration(0); state() != want; waited += step {
			if waited > time.Minute {
				t.Fatalf("state %s, want %s", state(), want)
			}
			e.advance(step)
		}
	}
	waitFor(types.Ec2InstanceConnectEndpointStateCreateComplete)
	del := must(e.ec2.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: &id}))
	if del.InstanceConnectEndpoint.State != types.Ec2InstanceConnectEndpointStateDeleteInProgress {
		t.Fatalf("delete state %s", del.InstanceConnectEndpoint.State)
	}
	waitFor(types.Ec2InstanceConnectEndpointStateDeleteComplete)
	waitFor("gone")
	_, err := e.ec2.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: &id})
	wantCode(t, err, "InvalidInstanceConnectEndpointId.NotFound")
}
