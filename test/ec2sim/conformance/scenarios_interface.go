package conformance

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// interfaceScenarios cover interface endpoints, their network interfaces,
// security groups and DNS.
func interfaceScenarios() []Scenario {
	return []Scenario{{
		Name:      "interface-endpoint-starts-pending",
		Behaviour: "an interface endpoint is `pending` when created and becomes `available` later",
		Source:    "EC2 API reference: VpcEndpoint.State; AWS PrivateLink guide: interface endpoint lifecycle; terraform-provider-aws internal/service/ec2/vpc_endpoint.go (waitVPCEndpointAvailable after CreateVpcEndpoint) and consts.go (vpcEndpointStatePending)",
		Check:     checkInterfaceStartsPending,
	}, {
		Name:      "interface-endpoint-eni-per-subnet",
		Behaviour: "an interface endpoint has one requester-managed network interface per subnet, of type `vpc_endpoint`, described `VPC Endpoint Interface vpce-…`, with a private IP inside the subnet's CIDR",
		Source:    "EC2 API reference: CreateVpcEndpoint (SubnetId: the subnets in which to create endpoint network interfaces), NetworkInterface (InterfaceType `vpc_endpoint`, RequesterManaged, Description)",
		Check:     checkInterfaceENIPerSubnet,
	}, {
		Name:      "interface-endpoint-duplicate-subnets-in-zone",
		Behaviour: "two subnets in one availability zone fail `DuplicateSubnetsInSameZone`",
		Source:    "EC2 API reference: Error codes (`DuplicateSubnetsInSameZone`), CreateVpcEndpoint (SubnetId)",
		Check:     checkInterfaceDuplicateZone,
	}, {
		Name:      "interface-endpoint-private-dns-needs-dns-hostnames",
		Behaviour: "PrivateDnsEnabled in a VPC with enableDnsHostnames off fails `InvalidParameter`",
		Source:    "EC2 API reference: CreateVpcEndpoint (PrivateDnsEnabled: \"To use a private hosted zone, you must set the following VPC attributes to true: enableDnsHostnames and enableDnsSupport\"); terraform-provider-aws internal/service/ec2/errors.go (errCodeInvalidParameter)",
		Check:     checkInterfacePrivateDNSNeedsHostnames,
	}, {
		Name:      "interface-endpoint-default-security-group",
		Behaviour: "an interface endpoint created without security groups gets the VPC's default security group",
		Source:    "EC2 API reference: CreateVpcEndpoint (SecurityGroupId: \"If this parameter is not specified, we use the default security group for the VPC\")",
		Check:     checkInterfaceDefaultSecurityGroup,
	}, {
		Name:      "interface-endpoint-modify-remove-subnet-deletes-eni",
		Behaviour: "ModifyVpcEndpoint RemoveSubnetIds deletes the endpoint's network interface in that subnet",
		Source:    "EC2 API reference: ModifyVpcEndpoint (RemoveSubnetId), DescribeNetworkInterfaces (`InvalidNetworkInterfaceID.NotFound`)",
		Check:     checkInterfaceRemoveSubnetDeletesENI,
	}, {
		Name:      "interface-endpoint-dns-entries",
		Behaviour: "an interface endpoint has a regional DNS entry `vpce-<id>-<suffix>.<service>.vpce.amazonaws.com`, one zonal entry per zone, and the service's private DNS name when private DNS is on",
		Source:    "EC2 API reference: VpcEndpoint.DnsEntries, DnsEntry; AWS PrivateLink guide: DNS hostnames of interface endpoints",
		Check:     checkInterfaceDNSEntries,
	}, {
		Name:      "security-group-in-use-dependency-violation",
		Behaviour: "DeleteSecurityGroup on a group used by an endpoint's network interface fails `DependencyViolation`",
		Source:    "EC2 API reference: DeleteSecurityGroup (a group associated with a network interface cannot be deleted: `DependencyViolation`); terraform-provider-aws internal/service/ec2/errors.go (errCodeDependencyViolation)",
		Check:     checkSecurityGroupInUse,
	}}
}

func checkInterfaceStartsPending(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	ep, err := env.createInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{})
	if err != nil {
		return err
	}
	if got := string(ep.State); !strings.EqualFold(got, "pending") {
		return fmt.Errorf("state is `%s` on create, want `pending`", got)
	}
	_, err = env.waitState(ctx, aws.ToString(ep.VpcEndpointId), "available")
	return err
}

// waitInterface creates an interface endpoint and waits until it is available.
func (e *Env) waitInterface(ctx context.Context, vpcID, service string, subnets []string, opts interfaceOpts) (types.VpcEndpoint, error) {
	ep, err := e.createInterface(ctx, vpcID, service, subnets, opts)
	if err != nil {
		return ep, err
	}
	return e.waitState(ctx, aws.ToString(ep.VpcEndpointId), "available")
}

func checkInterfaceENIPerSubnet(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	ep, err := env.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{})
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	if len(ep.NetworkInterfaceIds) != len(n.Subnets) {
		return fmt.Errorf("endpoint has %d network interfaces for %d subnets", len(ep.NetworkInterfaceIds), len(n.Subnets))
	}
	out, err := env.Client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
	if err != nil {
		return stepErr("DescribeNetworkInterfaces", err)
	}
	bySubnet := map[string]types.NetworkInterface{}
	for _, eni := range out.NetworkInterfaces {
		bySubnet[aws.ToString(eni.SubnetId)] = eni
	}
	for _, s := range n.Subnets {
		eni, ok := bySubnet[s.ID]
		if !ok {
			return fmt.Errorf("no network interface in subnet of zone %s", s.AZ)
		}
		if err := checkEndpointENI(eni, id, s.CIDR); err != nil {
			return err
		}
	}
	return nil
}

// checkEndpointENI checks one endpoint network interface against AWS's shape.
func checkEndpointENI(eni types.NetworkInterface, endpointID, cidr string) error {
	if want := "VPC Endpoint Interface " + endpointID; aws.ToString(eni.Description) != want {
		return fmt.Errorf("network interface description is %q, want \"VPC Endpoint Interface vpce-…\"", redactIDs(aws.ToString(eni.Description)))
	}
	if eni.InterfaceType != types.NetworkInterfaceTypeVpcEndpoint {
		return fmt.Errorf("network interface type is `%s`, want `vpc_endpoint`", eni.InterfaceType)
	}
	if !aws.ToBool(eni.RequesterManaged) {
		return fmt.Errorf("network interface is not requester-managed")
	}
	prefix := netip.MustParsePrefix(cidr)
	ip, err := netip.ParseAddr(aws.ToString(eni.PrivateIpAddress))
	if err != nil || !prefix.Contains(ip) {
		return fmt.Errorf("network interface private IP is not inside its subnet's CIDR")
	}
	return nil
}

func checkInterfaceDuplicateZone(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	second, err := env.createSubnet(ctx, n.VpcID, "10.0.100.0/24", n.Subnets[0].AZ)
	if err != nil {
		return err
	}
	_, err = env.Client.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(n.VpcID),
		ServiceName:     aws.String(serviceName("ssm")),
		VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds:       []string{n.Subnets[0].ID, second.ID},
	})
	return wantCode("CreateVpcEndpoint with two subnets in one zone", err, "DuplicateSubnetsInSameZone")
}

func checkInterfacePrivateDNSNeedsHostnames(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, false, 1)
	if err != nil {
		return err
	}
	_, err = env.Client.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(n.VpcID),
		ServiceName:       aws.String(serviceName("ssm")),
		VpcEndpointType:   types.VpcEndpointTypeInterface,
		SubnetIds:         n.subnetIDs(),
		PrivateDnsEnabled: aws.Bool(true),
	})
	return wantCode("CreateVpcEndpoint with private DNS and DNS hostnames off", err, "InvalidParameter")
}

func checkInterfaceDefaultSecurityGroup(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	defaultSG, err := env.defaultSecurityGroup(ctx, n.VpcID)
	if err != nil {
		return err
	}
	ep, err := env.createInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{})
	if err != nil {
		return err
	}
	if len(ep.Groups) != 1 || aws.ToString(ep.Groups[0].GroupId) != defaultSG {
		return fmt.Errorf("endpoint has %d security groups, want only the VPC's default group", len(ep.Groups))
	}
	return nil
}

func checkInterfaceRemoveSubnetDeletesENI(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	ep, err := env.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{})
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	removedENI, err := env.eniInSubnet(ctx, ep.NetworkInterfaceIds, n.Subnets[1].ID)
	if err != nil {
		return err
	}
	if _, err := env.Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId:   aws.String(id),
		RemoveSubnetIds: []string{n.Subnets[1].ID},
	}); err != nil {
		return stepErr("ModifyVpcEndpoint", err)
	}
	return env.eventually(ctx, func() error {
		out, err := env.Client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{removedENI}})
		if errorCode(err) == "InvalidNetworkInterfaceID.NotFound" {
			return nil
		}
		if err != nil {
			return stepErr("DescribeNetworkInterfaces", err)
		}
		if len(out.NetworkInterfaces) == 0 {
			return fmt.Errorf("DescribeNetworkInterfaces of the removed interface returned an empty list, want `InvalidNetworkInterfaceID.NotFound`")
		}
		return fmt.Errorf("the removed subnet's network interface still exists")
	})
}

// eniInSubnet returns the one of enis that sits in subnetID.
func (e *Env) eniInSubnet(ctx context.Context, enis []string, subnetID string) (string, error) {
	if len(enis) == 0 {
		return "", fmt.Errorf("endpoint has no network interfaces")
	}
	out, err := e.Client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: enis})
	if err != nil {
		return "", stepErr("DescribeNetworkInterfaces", err)
	}
	for _, eni := range out.NetworkInterfaces {
		if aws.ToString(eni.SubnetId) == subnetID {
			return aws.ToString(eni.NetworkInterfaceId), nil
		}
	}
	return "", fmt.Errorf("endpoint has no network interface in the subnet")
}

func checkInterfaceDNSEntries(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	ep, err := env.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{PrivateDNS: true})
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	suffix := ".ssm." + Region + ".vpce.amazonaws.com"
	var regional, zonal, private int
	example := "none"
	for i, d := range ep.DnsEntries {
		if i == 0 {
			example = "`" + dnsShape(aws.ToString(d.DnsName), id) + "`"
		}
		name := aws.ToString(d.DnsName)
		switch {
		case name == "ssm."+Region+".amazonaws.com":
			private++
		case strings.HasPrefix(name, id+"-") && strings.HasSuffix(name, suffix):
			label := strings.TrimSuffix(strings.TrimPrefix(name, id+"-"), suffix)
			if isZonalLabel(label) {
				zonal++
			} else if !strings.Contains(label, "-") && label != "" {
				regional++
			}
		}
	}
	if regional != 1 || zonal != len(n.Subnets) || private != 1 {
		return fmt.Errorf("DNS entries: %d regional, %d zonal, %d private DNS name (first: %s); want 1, %d, 1",
			regional, zonal, private, example, len(n.Subnets))
	}
	return nil
}

// dnsSuffixPattern matches the random label AWS appends to the endpoint ID.
var dnsSuffixPattern = regexp.MustCompile(`^vpce-<id>-[0-9a-z]+`)

// dnsShape renders a DNS name with the endpoint ID and its random suffix
// replaced by placeholders, so it is stable from run to run.
func dnsShape(name, endpointID string) string {
	name = strings.ReplaceAll(name, endpointID, "vpce-<id>")
	return dnsSuffixPattern.ReplaceAllString(name, "vpce-<id>-<suffix>")
}

// isZonalLabel reports whether label is `<suffix>-<zone>` for one of zones.
func isZonalLabel(label string) bool {
	for _, z := range zones {
		if strings.HasSuffix(label, "-"+z) && len(label) > len(z)+1 {
			return true
		}
	}
	return false
}

func checkSecurityGroupInUse(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	sg, err := env.Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(n.VpcID), GroupName: aws.String("endpoint-sg"), Description: aws.String("endpoint sg"),
	})
	if err != nil {
		return stepErr("CreateSecurityGroup", err)
	}
	if _, err := env.waitInterface(ctx, n.VpcID, "ssm", n.subnetIDs(), interfaceOpts{SecurityGroups: []string{aws.ToString(sg.GroupId)}}); err != nil {
		return err
	}
	_, err = env.Client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	return wantCode("DeleteSecurityGroup of a group in use", err, "DependencyViolation")
}
