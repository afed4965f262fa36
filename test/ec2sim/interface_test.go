package ec2sim_test

import (
	"net/netip"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestInterfaceEndpointHasOneENIPerSubnet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "logs", e.privateSubnets())
	if len(ep.NetworkInterfaceIds) != 3 {
		t.Fatalf("ENIs = %v, want 3", ep.NetworkInterfaceIds)
	}
	cidrs := map[string]netip.Prefix{}
	for _, s := range e.fx.PrivateSubnets {
		cidrs[s.SubnetID] = netip.MustParsePrefix(s.CIDR)
	}
	seen := map[string]bool{}
	for _, n := range e.enis(t, ep.NetworkInterfaceIds) {
		ip := netip.MustParseAddr(*n.PrivateIpAddress)
		if !cidrs[*n.SubnetId].Contains(ip) {
			t.Errorf("ENI %s IP %s outside subnet %s", *n.NetworkInterfaceId, ip, cidrs[*n.SubnetId])
		}
		if *n.Description != "VPC Endpoint Interface "+*ep.VpcEndpointId || n.InterfaceType != types.NetworkInterfaceTypeVpcEndpoint || !*n.RequesterManaged {
			t.Errorf("ENI = description %q type %q requesterManaged %v", *n.Description, n.InterfaceType, *n.RequesterManaged)
		}
		seen[*n.SubnetId] = true
	}
	if len(seen) != 3 {
		t.Fatalf("ENIs cover subnets %v", seen)
	}
	byType := must(e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{
		{Name: aws.String("interface-type"), Values: []string{"vpc_endpoint"}},
		{Name: aws.String("description"), Values: []string{"VPC Endpoint Interface " + *ep.VpcEndpointId}},
	}}))
	if len(byType.NetworkInterfaces) != 3 {
		t.Fatalf("filtered ENIs = %d", len(byType.NetworkInterfaces))
	}
}

func TestRemovingSubnetDeletesItsENI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	subnets := e.privateSubnets()
	ep := e.createInterface(t, "sts", subnets[:2])
	e.waitState(t, *ep.VpcEndpointId, "available")
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, RemoveSubnetIds: subnets[1:2]}))
	got, _ := e.endpoint(t, *ep.VpcEndpointId)
	if len(got.NetworkInterfaceIds) != 1 || !slices.Equal(got.SubnetIds, subnets[:1]) {
		t.Fatalf("after removal: subnets %v ENIs %v", got.SubnetIds, got.NetworkInterfaceIds)
	}
	left := must(e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{
		{Name: aws.String("subnet-id"), Values: subnets[1:2]},
	}}))
	if len(left.NetworkInterfaces) != 0 {
		t.Fatalf("removed subnet keeps ENIs %+v", left.NetworkInterfaces)
	}
	e.waitState(t, *ep.VpcEndpointId, "available")
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, RemoveSubnetIds: subnets[1:2]})
	wantCode(t, err, "InvalidParameter")
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: []string{"subnet-0123456789abcdef0"}})
	wantCode(t, err, "InvalidSubnetId.NotFound")
}

func TestTwoSubnetsInOneAZFailDuplicateSubnetsInSameZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	// The public subnet shares the first private subnet's AZ.
	subnets := []string{e.fx.PrivateSubnets[0].SubnetID, e.fx.PublicSubnetID}
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(e.fx.VPCID), ServiceName: svc("ssm"), VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: subnets,
	})
	wantCode(t, err, "DuplicateSubnetsInSameZone")
	ep := e.createInterface(t, "ssm", subnets[:1])
	e.waitState(t, *ep.VpcEndpointId, "available")
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: subnets[1:]})
	wantCode(t, err, "DuplicateSubnetsInSameZone")
}

func TestSubnetInAZTheServiceLacksFailsInvalidParameter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	svcs := must(e.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws.us-east-1.ebs"}}))
	if azs := svcs.ServiceDetails[0].AvailabilityZones; !slices.Equal(azs, []string{"us-east-1a", "us-east-1b"}) {
		t.Fatalf("ebs AZs = %v", azs)
	}
	_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(e.fx.VPCID), ServiceName: svc("ebs"), VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: e.privateSubnets(),
	})
	wantCode(t, err, "InvalidParameter")
	e.createInterface(t, "ebs", e.privateSubnets()[:2])
}

func TestNoSecurityGroupMeansVpcDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "kms", e.privateSubnets()[:1])
	if len(ep.Groups) != 1 || *ep.Groups[0].GroupId != e.fx.DefaultSecurityGroupID || *ep.Groups[0].GroupName != "default" {
		t.Fatalf("groups = %+v", ep.Groups)
	}
	n := e.enis(t, ep.NetworkInterfaceIds)[0]
	if len(n.Groups) != 1 || *n.Groups[0].GroupId != e.fx.DefaultSecurityGroupID {
		t.Fatalf("ENI groups = %+v", n.Groups)
	}
}

func TestInterfaceDNSEntriesInAWSFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:2], func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(true) })
	id := *ep.VpcEndpointId
	if len(ep.DnsEntries) != 4 {
		t.Fatalf("DNS entries = %d, want regional + 2 zonal + private", len(ep.DnsEntries))
	}
	regional := regexp.MustCompile(`^` + id + `-[a-z0-9]{8}\.ssm\.us-east-1\.vpce\.amazonaws\.com$`)
	zonal := regexp.MustCompile(`^` + id + `-[a-z0-9]{8}-us-east-1[ab]\.ssm\.us-east-1\.vpce\.amazonaws\.com$`)
	if !regional.MatchString(*ep.DnsEntries[0].DnsName) || *ep.DnsEntries[0].HostedZoneId != "Z7HUB22UULQXV" {
		t.Errorf("regional entry %s %s", *ep.DnsEntries[0].DnsName, *ep.DnsEntries[0].HostedZoneId)
	}
	for _, d := range ep.DnsEntries[1:3] {
		if !zonal.MatchString(*d.DnsName) || *d.HostedZoneId != "Z7HUB22UULQXV" {
			t.Errorf("zonal entry %s %s", *d.DnsName, *d.HostedZoneId)
		}
	}
	if *ep.DnsEntries[3].DnsName != "ssm.us-east-1.amazonaws.com" || *ep.DnsEntries[3].HostedZoneId == "Z7HUB22UULQXV" {
		t.Errorf("private entry %s %s", *ep.DnsEntries[3].DnsName, *ep.DnsEntries[3].HostedZoneId)
	}
	if !*ep.PrivateDnsEnabled || ep.DnsOptions == nil || ep.DnsOptions.DnsRecordIpType != types.DnsRecordIpTypeIpv4 {
		t.Errorf("privateDnsEnabled %v dnsOptions %+v", *ep.PrivateDnsEnabled, ep.DnsOptions)
	}
}

// TestS3InterfaceDNSNamesAreWildcards: AWS lists an S3 interface endpoint's
// regional and zonal names as *.vpce-…, which clients use as bucket.vpce-….
func TestS3InterfaceDNSNamesAreWildcards(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	ep := e.createInterface(t, "s3", e.privateSubnets()[:1], func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(false) })
	id := *ep.VpcEndpointId
	regional := regexp.MustCompile(`^\*\.` + id + `-[a-z0-9]{8}\.s3\.us-east-1\.vpce\.amazonaws\.com$`)
	zonal := regexp.MustCompile(`^\*\.` + id + `-[a-z0-9]{8}-us-east-1a\.s3\.us-east-1\.vpce\.amazonaws\.com$`)
	if len(ep.DnsEntries) != 2 || !regional.MatchString(*ep.DnsEntries[0].DnsName) || !zonal.MatchString(*ep.DnsEntries[1].DnsName) {
		var names []string
		for _, d := range ep.DnsEntries {
			names = append(names, *d.DnsName)
		}
		t.Fatalf("S3 interface DNS names %q, want a regional and a zonal *.%s-… name", names, id)
	}
}

func TestPrivateDNSNeedsBothVpcDNSAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	for _, attr := range []string{"support", "hostnames"} {
		v := must(e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})).Vpc
		must(e.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: v.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
		if attr == "support" {
			must(e.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: v.VpcId, EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))
		} else {
			must(e.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: v.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))
		}
		_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: v.VpcId, ServiceName: svc("ssm"), VpcEndpointType: types.VpcEndpointTypeInterface, PrivateDnsEnabled: aws.Bool(true),
		})
		wantCode(t, err, "InvalidParameter")
		want := "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for " + *v.VpcId
		if msg := err.Error(); !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(msg) {
			t.Fatalf("message = %s", msg)
		}
	}
	ep := e.createInterface(t, "ssm", nil, func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(false) })
	e.waitState(t, *ep.VpcEndpointId, "available")
}

func TestDeletingSecurityGroupUsedByEndpointFailsDependencyViolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	sg := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(e.fx.VPCID), GroupName: aws.String("endpoints"), Description: aws.String("endpoint ENIs"),
	}))
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1], func(in *ec2.CreateVpcEndpointInput) { in.SecurityGroupIds = []string{*sg.GroupId} })
	_, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	wantCode(t, err, "DependencyViolation")
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}}))
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	wantCode(t, err, "DependencyViolation")
	e.waitState(t, *ep.VpcEndpointId, "deleted")
	// The endpoint's interfaces linger after "deleted" and keep the group in use.
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	wantCode(t, err, "DependencyViolation")
	for waited := time.Duration(0); ; waited += step {
		if _, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId}); err == nil {
			break
		}
		wantCode(t, err, "DependencyViolation")
		if waited > time.Minute {
			t.Fatal("the group stayed in use a minute after the endpoint was deleted")
		}
		e.advance(step)
	}
}

func TestModifySecurityGroupsAndPrivateDNS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	sg := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(e.fx.VPCID), GroupName: aws.String("extra"), Description: aws.String("extra"),
	}))
	ep := e.createInterface(t, "ecr.api", e.privateSubnets()[:1], func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(false) })
	id := ep.VpcEndpointId
	e.waitState(t, *id, "available")
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, RemoveSecurityGroupIds: []string{e.fx.DefaultSecurityGroupID}})
	wantCode(t, err, "InvalidParameter")
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: id, AddSecurityGroupIds: []string{*sg.GroupId}, RemoveSecurityGroupIds: []string{e.fx.DefaultSecurityGroupID},
		PrivateDnsEnabled: aws.Bool(true),
	}))
	got := e.waitState(t, *id, "available")
	if len(got.Groups) != 1 || *got.Groups[0].GroupId != *sg.GroupId || !*got.PrivateDnsEnabled || len(got.DnsEntries) != 3 {
		t.Fatalf("groups %+v privateDns %v entries %d", got.Groups, *got.PrivateDnsEnabled, len(got.DnsEntries))
	}
	if n := e.enis(t, got.NetworkInterfaceIds)[0]; *n.Groups[0].GroupId != *sg.GroupId {
		t.Fatalf("ENI groups %+v", n.Groups)
	}
	_, err = e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, AddSecurityGroupIds: []string{"sg-0123456789abcdef0"}})
	wantCode(t, err, "InvalidGroup.NotFound")
}
