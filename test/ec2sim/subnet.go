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
}

func (sn *subnet) order() int64 { return sn.seq }

type xmlSubnet struct {
	SubnetID                    string   `xml:"subnetId"`
	SubnetArn                   string   `xml:"subnetArn"`
	State                       string   `xml:"state"`
	VpcID                       string   `xml:"vpcId"`
	OwnerID                     string   `xml:"ownerId"`
	CidrBlock                   string   `xml:"cidrBlock"`
	AvailableIPAddressCount     int      `xml:"availableIpAddressCount"`
	AvailabilityZone            string   `xml:"availabilityZone"`
	AvailabilityZoneID          string   `xml:"availabilityZoneId"`
	DefaultForAz                bool     `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool     `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool     `xml:"assignIpv6AddressOnCreation"`
	Tags                        []xmlTag `xml:"tagSet>item"`
}

func (s *Server) subnetXML(sn *subnet, tags map[string]string) xmlSubnet {
	used := 0
	for _, n := range s.w.enis {
		if n.subnetID == sn.id {
			used++
		}
	}
	return xmlSubnet{
		SubnetID:                sn.id,
		SubnetArn:               s.arn("subnet", sn.id),
		State:                   "available",
		VpcID:                   sn.vpcID,
		OwnerID:                 s.accountID(),
		CidrBlock:               sn.cidr.String(),
		AvailableIPAddressCount: hostCount(sn.cidr) - 5 - used,
		AvailabilityZone:        sn.az,
		AvailabilityZoneID:      zoneID(s.opts.Region, sn.az),
		Tags:                    tagSet(tags),
	}
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
	raw := p.str("CidrBlock")
	if raw == "" {
		return nil, errMissingParameter("cidrBlock")
	}
	cidr, ok := parseCIDR(raw, 16, 28)
	if !ok || !within(cidr, v.cidr) {
		return nil, errf("InvalidSubnet.Range", "The CIDR '%s' is invalid.", raw)
	}
	for _, other := range s.w.subnets {
		if other.vpcID == v.id && other.cidr.Overlaps(cidr) {
			return nil, errf("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", raw)
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
