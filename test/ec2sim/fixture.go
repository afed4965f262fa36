package ec2sim

import (
	"net/netip"
)

// Fixture holds the IDs of the demo world LoadFixture creates: a VPC with
// both DNS attributes on, one private subnet per AZ (a, b, c) each with its
// own route table, and a public subnet with its own route table.
type Fixture struct {
	Account                string          `json:"account"`
	Region                 string          `json:"region"`
	VPCID                  string          `json:"vpcId"`
	VPCCIDR                string          `json:"vpcCidr"`
	PrivateSubnets         []FixtureSubnet `json:"privateSubnets"`
	PublicSubnetID         string          `json:"publicSubnetId"`
	PublicRouteTableID     string          `json:"publicRouteTableId"`
	MainRouteTableID       string          `json:"mainRouteTableId"`
	DefaultSecurityGroupID string          `json:"defaultSecurityGroupId"`
}

// FixtureSubnet is one private subnet of the fixture.
type FixtureSubnet struct {
	SubnetID         string `json:"subnetId"`
	AvailabilityZone string `json:"availabilityZone"`
	CIDR             string `json:"cidr"`
	RouteTableID     string `json:"routeTableId"`
}

// LoadFixture creates the demo world once and returns its IDs; later calls
// return the same world while its VPC exists. It acts in the view's account
// and region, or the default account and region for the value New returns.
func (s *Server) LoadFixture() Fixture {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.home().loadFixture()
}

// loadFixture is LoadFixture in a cell. The caller holds s.mu.
func (s *Server) loadFixture() Fixture {
	if s.fixture != nil && s.w.vpcs[s.fixture.VPCID] != nil {
		return *s.fixture
	}
	v := s.addVpc(netip.MustParsePrefix("10.0.0.0/16"))
	v.dnsHostnames = true
	s.w.addTags(v.id, []xmlTag{{"Name", "ec2sim-fixture"}})
	f := Fixture{
		Account:                s.acct.id,
		Region:                 s.opts.Region,
		VPCID:                  v.id,
		VPCCIDR:                v.cidr.String(),
		MainRouteTableID:       v.mainRouteTable,
		DefaultSecurityGroupID: v.defaultGroup,
	}
	tagged := func(id, name string) {
		tier := "private"
		if name == "public" {
			tier = "public"
		}
		s.w.addTags(id, []xmlTag{{"Name", name}, {"tier", tier}})
	}
	for i, az := range zones(s.opts.Region)[:3] {
		cidr := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(1 + i), 0}), 24)
		sn := s.addSubnet(v, cidr, az)
		rt := s.addRouteTable(v)
		_, _ = s.associate(rt, sn)
		tagged(sn.id, "private-"+az)
		tagged(rt.id, "private-"+az)
		f.PrivateSubnets = append(f.PrivateSubnets, FixtureSubnet{sn.id, az, cidr.String(), rt.id})
	}
	pub := s.addSubnet(v, netip.MustParsePrefix("10.0.101.0/24"), zones(s.opts.Region)[0])
	prt := s.addRouteTable(v)
	_, _ = s.associate(prt, pub)
	tagged(pub.id, "public")
	tagged(prt.id, "public")
	f.PublicSubnetID, f.PublicRouteTableID = pub.id, prt.id
	s.settle() // the fixture exists before any test: visible at once
	s.fixture = &f
	return f
}
