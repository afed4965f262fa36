package endpoint

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// vpcInfo is a resolved VPC.
type vpcInfo struct {
	ID    string
	CIDRs []string
	// Tags as EC2 lists them, for the AWSAccount's allowed-VPC check.
	Tags map[string]string
}

// serviceInfo is a resolved endpoint service.
type serviceInfo struct {
	Name               string
	Zones              []string
	AcceptanceRequired bool
	PrivateDNSName     string
	PolicySupported    bool
	// OffersGateway is set for services that offer gateway endpoints too (S3,
	// DynamoDB): AWS then defaults PrivateDnsOnlyForInboundResolverEndpoint to true.
	OffersGateway bool
}

// resolveVPC finds the VPC by ID or by tags (which must match exactly one).
func resolveVPC(ctx context.Context, cl awsclient.EC2, region string, s Spec) (vpcInfo, error) {
	in := &ec2.DescribeVpcsInput{}
	if s.VPCID != "" {
		in.VpcIds = []string{s.VPCID}
	} else {
		for _, k := range sortedKeys(s.VPCTags) {
			in.Filters = append(in.Filters, types.Filter{Name: aws.String("tag:" + k), Values: []string{s.VPCTags[k]}})
		}
	}
	var vpcs []types.Vpc
	p := ec2.NewDescribeVpcsPaginator(cl, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if awserr.IsNotFound(err) {
				return vpcInfo{}, problemf(v1alpha1.ReasonVPCNotFound, "spec.vpc.id: VPC %s does not exist in %s; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC", s.VPCID, region)
			}
			return vpcInfo{}, fromAWS(err, "describing the VPC")
		}
		vpcs = append(vpcs, page.Vpcs...)
	}
	switch len(vpcs) {
	case 0:
		if s.VPCID != "" {
			return vpcInfo{}, problemf(v1alpha1.ReasonVPCNotFound, "spec.vpc.id: VPC %s does not exist in %s; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC", s.VPCID, region)
		}
		return vpcInfo{}, problemf(v1alpha1.ReasonVPCNotFound, "spec.vpc.tags: no VPC in %s has tags %s; tag the VPC, or, as spec.vpc is immutable, delete this object and create it with another selector", region, formatTags(s.VPCTags))
	case 1:
	default:
		ids := make([]string, 0, len(vpcs))
		for _, v := range vpcs {
			ids = append(ids, aws.ToString(v.VpcId))
		}
		slices.Sort(ids)
		return vpcInfo{}, problemf(v1alpha1.ReasonVPCAmbiguous, "spec.vpc.tags: %d VPCs in %s have tags %s (%s); add a tag that only one of them carries, or, as spec.vpc is immutable, delete this object and create it with spec.vpc.id", len(vpcs), region, formatTags(s.VPCTags), strings.Join(ids, ", "))
	}
	v := vpcs[0]
	info := vpcInfo{ID: aws.ToString(v.VpcId), Tags: tagMap(v.Tags)}
	for _, a := range v.CidrBlockAssociationSet {
		if a.CidrBlockState == nil || a.CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
			info.CIDRs = append(info.CIDRs, aws.ToString(a.CidrBlock))
		}
	}
	if len(info.CIDRs) == 0 && v.CidrBlock != nil {
		info.CIDRs = []string{aws.ToString(v.CidrBlock)}
	}
	info.CIDRs = sortedSet(info.CIDRs)
	return info, nil
}

// fullServiceName expands a short service name (ssm, ecr.dkr) to com.amazonaws.<region>.<name>.
func fullServiceName(region, service string) string {
	if strings.HasPrefix(service, "com.amazonaws.") || strings.HasPrefix(service, "aws.") {
		return service
	}
	return "com.amazonaws." + region + "." + service
}

// resolveService looks the service up through DescribeVpcEndpointServices.
func resolveService(ctx context.Context, cl awsclient.EC2, name string, t Type) (serviceInfo, error) {
	out, err := cl.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}})
	if err != nil {
		p := fromAWS(err, "spec.service: looking up "+name)
		if p.Class == awserr.Terminal {
			p.Message += "; use a service name that DescribeVpcEndpointServices lists for this region"
		}
		return serviceInfo{}, p
	}
	offersGateway := false // AWS lists S3's gateway and interface services as one entry or as two
	for _, d := range out.ServiceDetails {
		offersGateway = offersGateway || aws.ToString(d.ServiceName) == name && hasServiceType(d.ServiceType, Gateway)
	}
	for _, d := range out.ServiceDetails {
		if aws.ToString(d.ServiceName) != name || !hasServiceType(d.ServiceType, t) {
			continue
		}
		info := serviceInfo{
			Name:               name,
			Zones:              sortedSet(d.AvailabilityZones),
			AcceptanceRequired: aws.ToBool(d.AcceptanceRequired),
			PrivateDNSName:     aws.ToString(d.PrivateDnsName),
			PolicySupported:    aws.ToBool(d.VpcEndpointPolicySupported),
			OffersGateway:      t == Interface && offersGateway,
		}
		return info, nil
	}
	return serviceInfo{}, problemf(v1alpha1.ReasonServiceNotFound, "spec.service: %s offers no %s endpoint in this region", name, strings.ToLower(string(t)))
}

func hasServiceType(ts []types.ServiceTypeDetail, t Type) bool {
	for _, x := range ts {
		if strings.EqualFold(string(x.ServiceType), string(t)) {
			return true
		}
	}
	return false
}

// resolvePrefixList finds the managed prefix list of a gateway service.
func resolvePrefixList(ctx context.Context, cl awsclient.EC2, service string) (string, error) {
	out, err := cl.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{
		Filters: []types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{service}}},
	})
	if err != nil {
		return "", fromAWS(err, "describing the prefix list of "+service)
	}
	for _, pl := range out.PrefixLists {
		if aws.ToString(pl.PrefixListName) == service {
			return aws.ToString(pl.PrefixListId), nil
		}
	}
	return "", nil
}

// subnetsOfVPC returns every subnet of the VPC by ID.
func subnetsOfVPC(ctx context.Context, cl awsclient.EC2, vpcID string) (map[string]types.Subnet, error) {
	out := map[string]types.Subnet{}
	p := ec2.NewDescribeSubnetsPaginator(cl, &ec2.DescribeSubnetsInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fromAWS(err, "describing the VPC's subnets")
		}
		for _, s := range page.Subnets {
			out[aws.ToString(s.SubnetId)] = s
		}
	}
	return out, nil
}

// explainMissingSubnets tells, for subnet IDs not in the VPC, whether they do not
// exist or belong to another VPC.
func explainMissingSubnets(ctx context.Context, cl awsclient.EC2, field, vpcID string, ids []string) error {
	out, err := cl.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		if awserr.IsNotFound(err) {
			return problemf(v1alpha1.ReasonSubnetNotFound, "%s: %s; remove it or name an existing subnet of %s", field, awserr.Message(err), vpcID)
		}
		return fromAWS(err, "describing subnets")
	}
	for _, s := range out.Subnets {
		if aws.ToString(s.VpcId) != vpcID {
			return problemf(v1alpha1.ReasonSubnetInOtherVPC, "%s: subnet %s is in %s, not in %s; name subnets of the endpoint's VPC", field, aws.ToString(s.SubnetId), aws.ToString(s.VpcId), vpcID)
		}
	}
	return problemf(v1alpha1.ReasonSubnetNotFound, "%s: subnets %s do not exist in %s", field, strings.Join(ids, ", "), vpcID)
}

// resolveRouteTables turns spec.routeTables into the sorted set of route table IDs.
func resolveRouteTables(ctx context.Context, cl awsclient.EC2, vpcID string, s Spec) ([]string, error) {
	tables := map[string]types.RouteTable{}
	p := ec2.NewDescribeRouteTablesPaginator(cl, &ec2.DescribeRouteTablesInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fromAWS(err, "describing the VPC's route tables")
		}
		for _, rt := range page.RouteTables {
			tables[aws.ToString(rt.RouteTableId)] = rt
		}
	}
	var want []string
	var missing []string
	for _, id := range s.RouteTableIDs {
		if _, ok := tables[id]; ok {
			want = append(want, id)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, explainMissingRouteTables(ctx, cl, vpcID, missing)
	}
	if len(s.RouteTableSubnetIDs) > 0 {
		ids, err := routeTablesOfSubnets(ctx, cl, vpcID, tables, s.RouteTableSubnetIDs)
		if err != nil {
			return nil, err
		}
		want = append(want, ids...)
	}
	if len(s.RouteTableTags) > 0 {
		n := 0
		for id, rt := range tables {
			if matchesTags(tagMap(rt.Tags), s.RouteTableTags) {
				want = append(want, id)
				n++
			}
		}
		if n == 0 && len(s.RouteTableIDs) == 0 && len(s.RouteTableSubnetIDs) == 0 {
			return nil, problemf(v1alpha1.ReasonNoRouteTables, "spec.routeTables.tags: no route table of %s has tags %s; tag the route tables or change the selector", vpcID, formatTags(s.RouteTableTags))
		}
	}
	return sortedSet(want), nil
}

func explainMissingRouteTables(ctx context.Context, cl awsclient.EC2, vpcID string, ids []string) error {
	out, err := cl.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: ids})
	if err != nil {
		if awserr.IsNotFound(err) {
			return problemf(v1alpha1.ReasonRouteTableNotFound, "spec.routeTables.ids: %s; remove it or name an existing route table of %s", awserr.Message(err), vpcID)
		}
		return fromAWS(err, "describing route tables")
	}
	for _, rt := range out.RouteTables {
		if aws.ToString(rt.VpcId) != vpcID {
			return problemf(v1alpha1.ReasonRouteTableInOtherVPC, "spec.routeTables.ids: route table %s is in %s, not in %s; name route tables of the endpoint's VPC", aws.ToString(rt.RouteTableId), aws.ToString(rt.VpcId), vpcID)
		}
	}
	return problemf(v1alpha1.ReasonRouteTableNotFound, "spec.routeTables.ids: route tables %s do not exist in %s", strings.Join(ids, ", "), vpcID)
}

// routeTablesOfSubnets returns the table each subnet uses: its explicit association,
// or else the VPC's main table.
func routeTablesOfSubnets(ctx context.Context, cl awsclient.EC2, vpcID string, tables map[string]types.RouteTable, subnets []string) ([]string, error) {
	assoc := map[string]string{}
	mainTable := ""
	for id, rt := range tables {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				mainTable = id
			}
			if a.SubnetId != nil {
				assoc[aws.ToString(a.SubnetId)] = id
			}
		}
	}
	var out, unassociated []string
	for _, s := range subnets {
		if id, ok := assoc[s]; ok {
			out = append(out, id)
		} else {
			unassociated = append(unassociated, s)
		}
	}
	if len(unassociated) > 0 {
		all, err := subnetsOfVPC(ctx, cl, vpcID)
		if err != nil {
			return nil, err
		}
		var missing []string
		for _, s := range unassociated {
			if _, ok := all[s]; !ok {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return nil, explainMissingSubnets(ctx, cl, "spec.routeTables.subnetIDs", vpcID, missing)
		}
		if mainTable == "" {
			return nil, problemf(v1alpha1.ReasonRouteTableNotFound, "spec.routeTables.subnetIDs: %s has no main route table", vpcID)
		}
		out = append(out, mainTable)
	}
	return out, nil
}

// resolveSubnets turns spec.subnets into subnet IDs, checking one subnet per AZ and
// AZs the service offers. It returns the chosen IDs and the AZ of every VPC subnet.
func resolveSubnets(ctx context.Context, cl awsclient.EC2, vpcID string, s Spec, svc serviceInfo) ([]string, map[string]string, error) {
	all, err := subnetsOfVPC(ctx, cl, vpcID)
	if err != nil {
		return nil, nil, err
	}
	azOf := make(map[string]string, len(all))
	for id, sn := range all {
		azOf[id] = aws.ToString(sn.AvailabilityZone)
	}
	offered := map[string]bool{}
	for _, z := range svc.Zones {
		offered[z] = true
	}
	if len(s.SubnetIDs) > 0 {
		var missing []string
		for _, id := range s.SubnetIDs {
			if _, ok := all[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, nil, explainMissingSubnets(ctx, cl, "spec.subnets.ids", vpcID, missing)
		}
		byAZ := map[string]string{}
		for _, id := range sortedSet(s.SubnetIDs) {
			az := azOf[id]
			if other, dup := byAZ[az]; dup {
				return nil, nil, problemf(v1alpha1.ReasonDuplicateSubnetsInSameZone, "spec.subnets.ids: %s and %s are both in %s; an interface endpoint takes at most one subnet per availability zone, remove one of them", other, id, az)
			}
			byAZ[az] = id
			if len(offered) > 0 && !offered[az] {
				return nil, nil, problemf(v1alpha1.ReasonZoneNotSupported, "spec.subnets.ids: subnet %s is in %s, but %s is offered only in %s; remove it or pick a subnet in one of those zones", id, az, svc.Name, strings.Join(svc.Zones, ", "))
			}
		}
		return sortedSet(s.SubnetIDs), azOf, nil
	}
	byAZ := map[string]string{}
	for _, id := range sortedKeys(all) {
		sn := all[id]
		az := azOf[id]
		if !matchesTags(tagMap(sn.Tags), s.SubnetTags) || (len(offered) > 0 && !offered[az]) {
			continue
		}
		if _, taken := byAZ[az]; !taken {
			byAZ[az] = id
		}
	}
	if len(byAZ) == 0 {
		return nil, nil, problemf(v1alpha1.ReasonNoSubnets, "spec.subnets.tags: no subnet of %s with tags %s is in a zone %s is offered in (%s); tag such subnets or change the selector", vpcID, formatTags(s.SubnetTags), svc.Name, strings.Join(svc.Zones, ", "))
	}
	ids := make([]string, 0, len(byAZ))
	for _, id := range byAZ {
		ids = append(ids, id)
	}
	return sortedSet(ids), azOf, nil
}

// checkSecurityGroups verifies that the given groups exist in the VPC.
func checkSecurityGroups(ctx context.Context, cl awsclient.EC2, vpcID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	out, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		if awserr.IsNotFound(err) {
			return problemf(v1alpha1.ReasonSecurityGroupNotFound, "spec.securityGroups.ids: %s; remove it or name an existing group of %s", awserr.Message(err), vpcID)
		}
		return fromAWS(err, "describing security groups")
	}
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.VpcId) != vpcID {
			return problemf(v1alpha1.ReasonSecurityGroupNotFound, "spec.securityGroups.ids: security group %s is in %s, not in %s; name groups of the endpoint's VPC", aws.ToString(g.GroupId), aws.ToString(g.VpcId), vpcID)
		}
	}
	return nil
}

func formatTags(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%s", k, m[k]))
	}
	return strings.Join(parts, ",")
}
