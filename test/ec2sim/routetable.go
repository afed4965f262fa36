package ec2sim

import (
	"slices"
)

// routeTable is a VPC route table with its routes and associations.
type routeTable struct {
	seq    int64
	id     string
	owner  string // the account
	vpcID  string
	routes []*route
	assocs []*rtAssoc
}

func (rt *routeTable) order() int64 { return rt.seq }

// route is one route; gateway endpoint routes have a prefix list destination
// and the endpoint as gateway.
type route struct {
	destCIDR  string
	destPL    string
	gatewayID string
	origin    string
}

// rtAssoc associates a table with a subnet, or is the VPC's main association.
type rtAssoc struct {
	id       string
	subnetID string
	main     bool
}

type xmlRoute struct {
	DestinationCidrBlock    string `xml:"destinationCidrBlock,omitempty"`
	DestinationPrefixListID string `xml:"destinationPrefixListId,omitempty"`
	GatewayID               string `xml:"gatewayId,omitempty"`
	State                   string `xml:"state"`
	Origin                  string `xml:"origin"`
}

type xmlRTAssoc struct {
	Main                    bool   `xml:"main"`
	RouteTableAssociationID string `xml:"routeTableAssociationId"`
	RouteTableID            string `xml:"routeTableId"`
	SubnetID                string `xml:"subnetId,omitempty"`
	State                   string `xml:"associationState>state"`
}

type xmlRouteTable struct {
	RouteTableID string       `xml:"routeTableId"`
	VpcID        string       `xml:"vpcId"`
	OwnerID      string       `xml:"ownerId"`
	Routes       []xmlRoute   `xml:"routeSet>item"`
	Assocs       []xmlRTAssoc `xml:"associationSet>item"`
	Tags         []xmlTag     `xml:"tagSet>item"`
}

func (s *Server) routeTableXML(rt *routeTable, tags map[string]string) xmlRouteTable {
	out := xmlRouteTable{RouteTableID: rt.id, VpcID: rt.vpcID, OwnerID: s.accountID(), Tags: tagSet(tags)}
	for _, r := range rt.routes {
		out.Routes = append(out.Routes, xmlRoute{r.destCIDR, r.destPL, r.gatewayID, "active", r.origin})
	}
	for _, a := range rt.assocs {
		out.Assocs = append(out.Assocs, xmlRTAssoc{a.main, a.id, rt.id, a.subnetID, "associated"})
	}
	return out
}

func (rt *routeTable) attrs(name string) ([]string, bool) {
	var out []string
	switch name {
	case "route-table-id":
		return []string{rt.id}, true
	case "vpc-id":
		return []string{rt.vpcID}, true
	case "owner-id":
		return []string{rt.owner}, true
	case "association.subnet-id", "association.main", "association.route-table-association-id", "association.route-table-id", "association.association-state":
		for _, a := range rt.assocs {
			out = append(out, map[string]string{
				"association.subnet-id":                  a.subnetID,
				"association.main":                       boolStr(a.main),
				"association.route-table-association-id": a.id,
				"association.route-table-id":             rt.id,
				"association.association-state":          "associated",
			}[name])
		}
		return out, true
	case "route.destination-cidr-block", "route.destination-prefix-list-id", "route.gateway-id", "route.origin", "route.state":
		for _, r := range rt.routes {
			out = append(out, map[string]string{
				"route.destination-cidr-block":     r.destCIDR,
				"route.destination-prefix-list-id": r.destPL,
				"route.gateway-id":                 r.gatewayID,
				"route.origin":                     r.origin,
				"route.state":                      "active",
			}[name])
		}
		return out, true
	}
	return nil, false
}

// findRouteTable returns an existing table or kind's error for its ID (not
// found before its creation is visible).
func (s *Server) findRouteTable(id string, kind idKind) (*routeTable, *apiError) {
	if rt, ok := s.w.routeTables[id]; ok && s.born(id) {
		return rt, nil
	}
	if err := kind.check(id); err != nil {
		return nil, err
	}
	return nil, kind.notFoundErr(id)
}

// addRouteTable creates a table holding the VPC's local route.
func (s *Server) addRouteTable(v *vpc) *routeTable {
	rt := &routeTable{seq: s.w.next(), id: s.newID("rtb"), owner: s.accountID(), vpcID: v.id}
	rt.routes = []*route{{destCIDR: v.cidr.String(), gatewayID: "local", origin: "CreateRouteTable"}}
	s.w.routeTables[rt.id] = rt
	return rt
}

// associate associates a subnet with a table explicitly.
func (s *Server) associate(rt *routeTable, sn *subnet) (*rtAssoc, *apiError) {
	if rt.vpcID != sn.vpcID {
		return nil, errInvalidParameterValue("Route table %s and subnet %s belong to different networks", rt.id, sn.id)
	}
	for _, other := range s.w.routeTables {
		for _, a := range other.assocs {
			if a.subnetID == sn.id {
				return nil, errf("Resource.AlreadyAssociated", "the specified association for route table %s conflicts with an existing association", rt.id)
			}
		}
	}
	a := &rtAssoc{id: s.newID("rtbassoc"), subnetID: sn.id}
	rt.assocs = append(rt.assocs, a)
	return a, nil
}

func (s *Server) createRouteTable(p params) (any, *apiError) {
	v, err := s.findVpc(p.str("VpcId"))
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecs("route-table")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	rt := s.addRouteTable(v)
	s.w.addTags(rt.id, tags)
	return struct {
		RouteTable  xmlRouteTable `xml:"routeTable"`
		ClientToken string        `xml:"clientToken,omitempty"`
	}{s.routeTableXML(rt, s.w.tags[rt.id]), p.str("ClientToken")}, nil
}

func (s *Server) describeRouteTables(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, (&routeTable{}).attrs); err != nil {
		return nil, err
	}
	ids := p.list("RouteTableId")
	if err := s.checkSeen(kindRTB, ids); err != nil {
		return nil, err
	}
	var list []viewed[*routeTable]
	for _, v := range viewOf(s, "rtb", s.w.routeTables) {
		if (len(ids) == 0 || slices.Contains(ids, v.res.id)) && matches(fs, v.tags, v.res.attrs) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		RouteTables []xmlRouteTable `xml:"routeTableSet>item"`
		NextToken   string          `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.RouteTables = append(out.RouteTables, s.routeTableXML(v.res, v.tags))
	}
	return out, nil
}

func (s *Server) deleteRouteTable(p params) (any, *apiError) {
	id := p.str("RouteTableId")
	if id == "" {
		return nil, errMissingParameter("routeTableId")
	}
	rt, err := s.findRouteTable(id, kindRTB)
	if err != nil {
		return nil, err
	}
	if len(rt.assocs) > 0 {
		return nil, errDependency("The routeTable '%s' has dependencies and cannot be deleted.", rt.id)
	}
	for _, e := range s.w.endpoints {
		e.routeTables = slices.DeleteFunc(e.routeTables, func(x string) bool { return x == rt.id })
	}
	delete(s.w.routeTables, rt.id)
	s.w.forget(rt.id)
	return xmlReturn{Return: true}, nil
}

func (s *Server) associateRouteTable(p params) (any, *apiError) {
	rt, err := s.findRouteTable(p.str("RouteTableId"), kindRTB)
	if err != nil {
		return nil, err
	}
	if p.str("SubnetId") == "" {
		return nil, errMissingParameter("subnetId")
	}
	sn, err := s.findSubnet(p.str("SubnetId"), kindSubnet)
	if err != nil {
		return nil, err
	}
	a, err := s.associate(rt, sn)
	if err != nil {
		return nil, err
	}
	return struct {
		AssociationID string `xml:"associationId"`
		State         string `xml:"associationState>state"`
	}{a.id, "associated"}, nil
}

func (s *Server) disassociateRouteTable(p params) (any, *apiError) {
	id := p.str("AssociationId")
	if id == "" {
		return nil, errMissingParameter("associationId")
	}
	for _, rt := range s.w.routeTables {
		for i, a := range rt.assocs {
			if a.id != id {
				continue
			}
			if a.main {
				return nil, errInvalidParameterValue("cannot disassociate the main route table association %s", id)
			}
			rt.assocs = slices.Delete(rt.assocs, i, i+1)
			return xmlReturn{Return: true}, nil
		}
	}
	if err := kindAssoc.check(id); err != nil {
		return nil, err
	}
	return nil, kindAssoc.notFoundErr(id)
}
