package ec2sim

import (
	"net/netip"
	"slices"
)

// vpc is a VPC with its IPv4 block and DNS attributes.
type vpc struct {
	seq            int64
	id             string
	owner          string // the account
	cidr           netip.Prefix
	cidrAssocID    string
	dnsSupport     bool
	dnsHostnames   bool
	mainRouteTable string
	defaultGroup   string
}

func (v *vpc) order() int64 { return v.seq }

type xmlCidrAssoc struct {
	AssociationID string `xml:"associationId"`
	CidrBlock     string `xml:"cidrBlock"`
	State         string `xml:"cidrBlockState>state"`
}

type xmlVpc struct {
	VpcID           string         `xml:"vpcId"`
	OwnerID         string         `xml:"ownerId"`
	State           string         `xml:"state"`
	CidrBlock       string         `xml:"cidrBlock"`
	CidrAssocs      []xmlCidrAssoc `xml:"cidrBlockAssociationSet>item"`
	DhcpOptionsID   string         `xml:"dhcpOptionsId"`
	Tags            []xmlTag       `xml:"tagSet>item"`
	InstanceTenancy string         `xml:"instanceTenancy"`
	IsDefault       bool           `xml:"isDefault"`
}

func (s *Server) vpcXML(v *vpc, tags map[string]string) xmlVpc {
	return xmlVpc{
		VpcID:           v.id,
		OwnerID:         s.accountID(),
		State:           "available",
		CidrBlock:       v.cidr.String(),
		CidrAssocs:      []xmlCidrAssoc{{v.cidrAssocID, v.cidr.String(), "associated"}},
		DhcpOptionsID:   "dopt-" + hashHex(s.opts.Region, 17),
		Tags:            tagSet(tags),
		InstanceTenancy: "default",
	}
}

func (v *vpc) attrs(name string) ([]string, bool) {
	switch name {
	case "vpc-id":
		return []string{v.id}, true
	case "cidr", "cidr-block-association.cidr-block":
		return []string{v.cidr.String()}, true
	case "cidr-block-association.association-id":
		return []string{v.cidrAssocID}, true
	case "cidr-block-association.state":
		return []string{"associated"}, true
	case "state":
		return []string{"available"}, true
	case "is-default":
		return []string{"false"}, true
	case "owner-id":
		return []string{v.owner}, true
	case "dhcp-options-id":
		return nil, true
	}
	return nil, false
}

// findVpc returns an existing VPC or the error EC2 answers for its ID.
func (s *Server) findVpc(id string) (*vpc, *apiError) {
	if id == "" {
		return nil, errMissingParameter("vpcId")
	}
	if v, ok := s.w.vpcs[id]; ok && s.born(id) {
		return v, nil
	}
	if err := kindVpc.check(id); err != nil {
		return nil, err
	}
	return nil, kindVpc.notFoundErr(id)
}

// addVpc creates a VPC with its main route table and default security group.
func (s *Server) addVpc(cidr netip.Prefix) *vpc {
	v := &vpc{
		seq:         s.w.next(),
		id:          s.newID("vpc"),
		owner:       s.accountID(),
		cidr:        cidr,
		cidrAssocID: s.newID("vpc-cidr-assoc"),
		dnsSupport:  true,
	}
	s.w.vpcs[v.id] = v
	rt := s.addRouteTable(v)
	rt.assocs = append(rt.assocs, &rtAssoc{id: s.newID("rtbassoc"), main: true})
	v.mainRouteTable = rt.id
	v.defaultGroup = s.addDefaultGroup(v).id
	return v
}

func (s *Server) createVpc(p params) (any, *apiError) {
	raw := p.str("CidrBlock")
	if raw == "" {
		return nil, errMissingParameter("cidrBlock")
	}
	cidr, ok := parseCIDR(raw, 16, 28)
	if !ok {
		return nil, errf("InvalidVpc.Range", "The CIDR '%s' is invalid.", raw)
	}
	tags, err := p.tagSpecs("vpc")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	v := s.addVpc(cidr)
	s.w.addTags(v.id, tags)
	return struct {
		Vpc xmlVpc `xml:"vpc"`
	}{s.vpcXML(v, s.w.tags[v.id])}, nil
}

func (s *Server) describeVpcs(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, (&vpc{}).attrs); err != nil {
		return nil, err
	}
	ids := p.list("VpcId")
	if err := s.checkSeen(kindVpc, ids); err != nil {
		return nil, err
	}
	var list []viewed[*vpc]
	for _, v := range viewOf(s, "vpc", s.w.vpcs) {
		if (len(ids) == 0 || slices.Contains(ids, v.res.id)) && matches(fs, v.tags, v.res.attrs) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		Vpcs      []xmlVpc `xml:"vpcSet>item"`
		NextToken string   `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.Vpcs = append(out.Vpcs, s.vpcXML(v.res, v.tags))
	}
	return out, nil
}

func (s *Server) deleteVpc(p params) (any, *apiError) {
	v, err := s.findVpc(p.str("VpcId"))
	if err != nil {
		return nil, err
	}
	dependent := false
	for _, sn := range s.w.subnets {
		dependent = dependent || sn.vpcID == v.id
	}
	for _, rt := range s.w.routeTables {
		dependent = dependent || rt.vpcID == v.id && rt.id != v.mainRouteTable
	}
	for _, g := range s.w.groups {
		dependent = dependent || g.vpcID == v.id && g.id != v.defaultGroup
	}
	for _, e := range s.w.endpoints {
		dependent = dependent || e.vpcID == v.id
	}
	if dependent {
		return nil, errDependency("The vpc '%s' has dependencies and cannot be deleted.", v.id)
	}
	for _, id := range []string{v.mainRouteTable, v.defaultGroup, v.id} {
		s.w.forget(id)
	}
	delete(s.w.routeTables, v.mainRouteTable)
	delete(s.w.groups, v.defaultGroup)
	delete(s.w.vpcs, v.id)
	return xmlReturn{Return: true}, nil
}

func (s *Server) modifyVpcAttribute(p params) (any, *apiError) {
	v, err := s.findVpc(p.str("VpcId"))
	if err != nil {
		return nil, err
	}
	support, hasSupport := p.boolean("EnableDnsSupport.Value")
	hostnames, hasHostnames := p.boolean("EnableDnsHostnames.Value")
	_, hasNAUM := p.boolean("EnableNetworkAddressUsageMetrics.Value")
	switch n := btoi(hasSupport) + btoi(hasHostnames) + btoi(hasNAUM); {
	case n == 0:
		return nil, errInvalidParameterCombination("No attributes specified.")
	case n > 1:
		return nil, errInvalidParameterCombination("Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames")
	}
	if hasSupport {
		v.dnsSupport = support
	}
	if hasHostnames {
		v.dnsHostnames = hostnames
	}
	return xmlReturn{Return: true}, nil
}

type xmlBoolValue struct {
	Value bool `xml:"value"`
}

func (s *Server) describeVpcAttribute(p params) (any, *apiError) {
	id := p.str("VpcId")
	if id == "" {
		return nil, errMissingParameter("vpcId")
	}
	if err := s.checkSeen(kindVpc, []string{id}); err != nil {
		return nil, err
	}
	res, _, _ := s.seen(id)
	v := res.(*vpc)
	out := struct {
		VpcID        string        `xml:"vpcId"`
		DnsSupport   *xmlBoolValue `xml:"enableDnsSupport,omitempty"`
		DnsHostnames *xmlBoolValue `xml:"enableDnsHostnames,omitempty"`
		NAUM         *xmlBoolValue `xml:"enableNetworkAddressUsageMetrics,omitempty"`
	}{VpcID: v.id}
	switch attr := p.str("Attribute"); attr {
	case "enableDnsSupport":
		out.DnsSupport = &xmlBoolValue{v.dnsSupport}
	case "enableDnsHostnames":
		out.DnsHostnames = &xmlBoolValue{v.dnsHostnames}
	case "enableNetworkAddressUsageMetrics":
		out.NAUM = &xmlBoolValue{false}
	case "":
		return nil, errMissingParameter("attribute")
	default:
		return nil, errInvalidParameterValue("Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
