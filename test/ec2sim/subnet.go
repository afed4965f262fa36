package ec2sim

import (
	"net/netip"
	"slices"
	"strings"
)

// subnet is a subnet of a VPC in one Availability Zone.
type subnet struct {
	seq   int64
	id    string
	vpcID string
	cidr  netip.Prefix
	az    string
	// ipv6CIDR is the subnet's IPv6 block ("" for none); ipv6Native subnets
	// have no IPv4 block.
	ipv6CIDR   string
	ipv6Native bool
}

func (sn *subnet) order() int64 { return sn.seq }

type xmlSubnet struct {
	SubnetID                    string               `xml:"subnetId"`
	SubnetArn                   string               `xml:"subnetArn"`
	State                       string               `xml:"state"`
	VpcID                       string               `xml:"vpcId"`
	OwnerID                     string               `xml:"ownerId"`
	CidrBlock                   string               `xml:"cidrBlock,omitempty"`
	AvailableIPAddressCount     int                  `xml:"availableIpAddressCount"`
	AvailabilityZone            string               `xml:"availabilityZone"`
	AvailabilityZoneID          string               `xml:"availabilityZoneId"`
	DefaultForAz                bool                 `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool                 `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool                 `xml:"assignIpv6AddressOnCreation"`
	Ipv6Native                  bool                 `xml:"ipv6Native"`
	Ipv6CidrBlocks              []xmlSubnetIpv6Block `xml:"ipv6CidrBlockAssociationSet>item"`
	Tags                        []xmlTag             `xml:"tagSet>item"`
}

type xmlSubnetIpv6Block struct {
	AssociationID string `xml:"associationId"`
	Ipv6CidrBlock string `xml:"ipv6CidrBlock"`
	State         string `xml:"ipv6CidrBlockState>state"`
}

func (s *Server) subnetXML(sn *subnet, tags map[string]string) xmlSubnet {
	used := 0
	for _, n := range s.w.enis {
		if n.subnetID == sn.id {
			used++
		}
	}
	out := xmlSubnet{
		SubnetID:           sn.id,
		SubnetArn:          s.arn("subnet", sn.id),
		State:              "available",
		VpcID:              sn.vpcID,
		OwnerID:            s.accountID(),
		AvailabilityZone:   sn.az,
		AvailabilityZoneID: zoneID(s.opts.Region, sn.az),
		Ipv6Native:         sn.ipv6Native,
		Tags:               tagSet(tags),
	}
	if sn.cidr.IsValid() {
		out.CidrBlock, out.AvailableIPAddressCount = sn.cidr.String(), hostCount(sn.cidr)-5-used
	}
	if sn.ipv6CIDR != "" {
		out.Ipv6CidrBlocks = []xmlSubnetIpv6Block{{AssociationID: "subnet-cidr-assoc-" + strings.TrimPrefix(sn.id, "subnet-"), Ipv6CidrBlock: sn.ipv6CIDR, State: "associated"}}
	}
	return out
}

func (s *Server) subnetAttrs(sn *subnet) attrs {
	return func(name string) ([]string, bool) {
		switch name {
		case "subnet-id":
			return []string{sn.id}, true
		case "vpc-id":
			return []string{sn.vpcID}, true
		case "availability-zone", "availabilityZone":
			return []string{sn.az}, true
		case "availability-zone-id":
			return []string{zoneID(s.opts.Region, sn.az)}, true
		case "cidr-block", "cidr", "cidrBlock":
			return []string{sn.cidr.String()}, true
		case "state":
			return []string{"available"}, true
		case "default-for-az", "defaultForAz", "map-public-ip-on-launch":
			return []string{"false"}, true
		case "owner-id":
			return []string{s.accountID()}, true
		case "subnet-arn":
			return []string{s.arn("subnet", sn.id)}, true
		}
		return nil, false
	}
}

// findSubnet returns an existing subnet or kind's error for its ID (not
// found before its creation is visible).
func (s *Server) findSubnet(id string, kind idKind) (*subnet, *apiError) {
	if sn, ok := s.w.subnets[id]; ok && s.born(id) {
		return sn, nil
	}
	if err := kind.check(id); err != nil {
		return nil, err
	}
	return nil, kind.notFoundErr(id)
}

// addSubnet creates a subnet; the caller has validated its arguments.
func (s *Server) addSubnet(v *vpc, cidr netip.Prefix, az string) *subnet {
	sn := &subnet{seq: s.w.next(), id: s.newID("subnet"), vpcID: v.id, cidr: cidr, az: az}
	s.w.subnets[sn.id] = sn
	return sn
}

func (s *Server) createSubnet(p params) (any, *apiError) {
	v, err := s.findVpc(p.str("VpcId"))
	if err != nil {
		return nil, err
	}
	// IPv6 blocks are taken as given (ec2sim does not model the VPC's IPv6 block).
	native, _ := p.boolean("Ipv6Native")
	ipv6 := p.str("Ipv6CidrBlock")
	if ipv6 != "" {
		if pfx, err := netip.ParsePrefix(ipv6); err != nil || !pfx.Addr().Is6() || pfx.Bits() != 64 {
			return nil, errf("InvalidSubnet.Range", "The IPv6 CIDR '%s' is invalid.", ipv6)
		}
	}
	raw := p.str("CidrBlock")
	var cidr netip.Prefix
	switch {
	case native && (ipv6 == "" || raw != ""):
		return nil, errInvalidParameterValue("An IPv6-only subnet takes an Ipv6CidrBlock and no CidrBlock.")
	case native:
	case raw == "":
		return nil, errMissingParameter("cidrBlock")
	default:
		var ok bool
		cidr, ok = parseCIDR(raw, 16, 28)
		if !ok || !within(cidr, v.cidr) {
			return nil, errf("InvalidSubnet.Range", "The CIDR '%s' is invalid.", raw)
		}
		for _, other := range s.w.subnets {
			if other.vpcID == v.id && other.cidr.Overlaps(cidr) {
				return nil, errf("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", raw)
			}
		}
	}
	all := zones(s.opts.Region)
	az := p.str("AvailabilityZone")
	if id := p.str("AvailabilityZoneId"); az == "" && id != "" {
		for _, z := range all {
			if zoneID(s.opts.Region, z) == id {
				az = z
			}
		}
		if az == "" {
			return nil, errInvalidParameterValue("Value (%s) for parameter availabilityZoneId is invalid.", id)
		}
	}
	if az == "" {
		az = all[s.rng.IntN(len(all))]
	}
	if !slices.Contains(all, az) {
		return nil, errInvalidParameterValue("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", az, strings.Join(all, ", "))
	}
	tags, err := p.tagSpecs("subnet")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	sn := s.addSubnet(v, cidr, az)
	sn.ipv6CIDR, sn.ipv6Native = ipv6, native
	s.w.addTags(sn.id, tags)
	return struct {
		Subnet xmlSubnet `xml:"subnet"`
	}{s.subnetXML(sn, s.w.tags[sn.id])}, nil
}

func (s *Server) describeSubnets(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, s.subnetAttrs(&subnet{})); err != nil {
		return nil, err
	}
	ids := p.list("SubnetId")
	if err := s.checkSeen(kindSubnet, ids); err != nil {
		return nil, err
	}
	var list []viewed[*subnet]
	for _, v := range viewOf(s, "subnet", s.w.subnets) {
		if (len(ids) == 0 || slices.Contains(ids, v.res.id)) && matches(fs, v.tags, s.subnetAttrs(v.res)) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		Subnets   []xmlSubnet `xml:"subnetSet>item"`
		NextToken string      `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.Subnets = append(out.Subnets, s.subnetXML(v.res, v.tags))
	}
	return out, nil
}

func (s *Server) deleteSubnet(p params) (any, *apiError) {
	id := p.str("SubnetId")
	if id == "" {
		return nil, errMissingParameter("subnetId")
	}
	sn, err := s.findSubnet(id, kindSubnet)
	if err != nil {
		return nil, err
	}
	for _, n := range s.w.enis {
		if n.subnetID == sn.id {
			return nil, errDependency("The subnet '%s' has dependencies and cannot be deleted.", sn.id)
		}
	}
	for _, rt := range s.w.routeTables {
		rt.assocs = slices.DeleteFunc(rt.assocs, func(a *rtAssoc) bool { return a.subnetID == sn.id })
	}
	delete(s.w.subnets, sn.id)
	s.w.forget(sn.id)
	return xmlReturn{Return: true}, nil
}
