package ec2sim

import (
	"net/url"
	"slices"
	"strings"
)

// clientTokenUse records the endpoint a ClientToken created and the request
// parameters it was created with.
type clientTokenUse struct {
	endpointID  string
	fingerprint string
}

// fingerprint canonicalises a request's parameters for idempotency checks.
func fingerprint(p params) string {
	v := url.Values{}
	for k, vals := range p.v {
		switch k {
		case "Action", "Version", "DryRun", "ClientToken":
			continue
		}
		v[k] = vals
	}
	return v.Encode()
}

func (s *Server) createVpcEndpoint(p params) (any, *apiError) {
	token := p.str("ClientToken")
	if use, ok := s.w.tokens[token]; ok && token != "" {
		if use.fingerprint != fingerprint(p) {
			return nil, errf("IdempotentParameterMismatch", "The client token '%s' has already been used with different request parameters.", token)
		}
		return s.createResponse(s.w.endpoints[use.endpointID], token), nil
	}
	e, err := s.newEndpoint(p)
	if err != nil {
		return nil, err
	}
	if token != "" {
		s.w.tokens[token] = clientTokenUse{e.id, fingerprint(p)}
	}
	return s.createResponse(e, token), nil
}

func (s *Server) createResponse(e *endpoint, token string) any {
	return struct {
		VpcEndpoint xmlEndpoint `xml:"vpcEndpoint"`
		ClientToken string      `xml:"clientToken,omitempty"`
	}{s.endpointXML(e, s.w.tags[e.id]), token}
}

// newEndpoint validates a CreateVpcEndpoint request completely, then
// creates the endpoint with its routes or ENIs.
func (s *Server) newEndpoint(p params) (*endpoint, *apiError) {
	v, err := s.findVpc(p.str("VpcId"))
	if err != nil {
		return nil, err
	}
	name := p.str("ServiceName")
	if name == "" {
		return nil, errMissingParameter("serviceName")
	}
	typ := p.str("VpcEndpointType")
	if typ == "" {
		typ = "Gateway"
	}
	sv, types := s.findService(name, typ)
	if len(types) == 0 {
		return nil, errf("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", name)
	}
	if sv == nil {
		return nil, errInvalidParameter("Endpoint type (%s) does not match available service types ([%s]).", typ, strings.Join(types, ", "))
	}
	policy, err := policyParam(p)
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecs("vpc-endpoint")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	e := &endpoint{
		id:          s.newID("vpce"),
		vpcID:       v.id,
		svc:         sv,
		typ:         typ,
		state:       stateAvailable,
		policy:      policy,
		enis:        map[string]string{},
		dnsLabel:    s.randAlnum(8, "abcdefghijklmnopqrstuvwxyz0123456789"),
		privateZone: "Z" + s.randAlnum(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
	}
	if typ == "Gateway" {
		err = s.planGateway(e, v, p)
	} else {
		err = s.planInterface(e, v, p)
	}
	if err != nil {
		return nil, err
	}
	if e.typ == "Interface" && e.privateDNS {
		// Private DNS associates the service's private hosted zone with the VPC.
		if err := s.authorizeDependent(route53Associate, url.Values{"HostedZoneId": {e.privateZone}}); err != nil {
			return nil, err
		}
	}
	now := s.now()
	e.seq, e.created = s.w.next(), now
	if typ == "Interface" {
		e.state, e.until = statePending, now.Add(s.delay(s.opts.StateDelay))
		if sv.acceptance {
			e.state = statePendingAcceptance
		}
		for _, id := range e.subnets {
			e.enis[id] = s.addENI(s.w.subnets[id], "VPC Endpoint Interface "+e.id, "vpc_endpoint", e.groups).id
		}
	}
	s.addGatewayRoutes(e, e.routeTables)
	s.w.endpoints[e.id] = e
	s.w.addTags(e.id, tags)
	return e, nil
}

// planGateway validates a gateway endpoint's parameters into e.
func (s *Server) planGateway(e *endpoint, v *vpc, p params) *apiError {
	switch {
	case len(p.list("SubnetId")) > 0:
		return errInvalidParameter("Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.")
	case len(p.list("SecurityGroupId")) > 0:
		return errInvalidParameter("Security Group IDs are only supported for Interface type VPC Endpoints.")
	}
	if dns, _ := p.boolean("PrivateDnsEnabled"); dns {
		return errInvalidParameter("Private DNS can only be enabled for Interface type VPC Endpoints.")
	}
	if p.has("DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint") {
		return errInboundOnlyForInterfaces()
	}
	tables := dedup(p.list("RouteTableId"))
	if err := s.checkGatewayTables(e, v, tables); err != nil {
		return err
	}
	e.routeTables = tables
	return nil
}

// checkGatewayTables validates route tables to add to a gateway endpoint.
func (s *Server) checkGatewayTables(e *endpoint, v *vpc, tables []string) *apiError {
	for _, id := range tables {
		rt, err := s.findRouteTable(id, kindEndpointRTB)
		if err != nil {
			return err
		}
		if rt.vpcID != v.id {
			return errInvalidParameter("The route table %s does not belong to VPC %s.", id, v.id)
		}
		for _, r := range rt.routes {
			if r.destPL == e.svc.prefixList && r.gatewayID != e.id {
				return errf("RouteAlreadyExists", "route table %s already has a route with destination-prefix-list-id %s", id, r.destPL)
			}
		}
	}
	return nil
}

// planInterface validates an interface endpoint's parameters into e.
func (s *Server) planInterface(e *endpoint, v *vpc, p params) *apiError {
	if len(p.list("RouteTableId")) > 0 {
		return errInvalidParameter("Route table IDs are only supported for Gateway type VPC Endpoint.")
	}
	subnets := dedup(p.list("SubnetId"))
	if err := s.checkSubnets(e, v, subnets); err != nil {
		return err
	}
	groups := dedup(p.list("SecurityGroupId"))
	if len(groups) == 0 {
		groups = []string{v.defaultGroup}
	}
	if err := s.checkGroups(v, groups); err != nil {
		return err
	}
	e.subnets, e.groups = subnets, groups
	e.privateDNS = e.svc.privateDNS != "" && e.svc.dnsSuffix != "s3"
	if dns, ok := p.boolean("PrivateDnsEnabled"); ok {
		e.privateDNS = dns
	}
	e.recordIPType, e.ipAddressType = "ipv4", "ipv4"
	if err := s.applyDNSOptions(e, v, p); err != nil {
		return err
	}
	s.defaultInboundOnly(e)
	if err := s.checkInboundOnly(e, v); err != nil {
		return err
	}
	return s.checkPrivateDNS(e, v)
}

// checkSubnets validates an interface endpoint's complete subnet list: same
// VPC, an AZ the service offers, at most one subnet per AZ.
func (s *Server) checkSubnets(e *endpoint, v *vpc, subnets []string) *apiError {
	byAZ := map[string]string{}
	for _, id := range subnets {
		sn, err := s.findSubnet(id, kindEndpointSubnet)
		if err != nil {
			return err
		}
		if sn.vpcID != v.id {
			return errInvalidParameter("The subnet %s does not belong to VPC %s.", id, v.id)
		}
		if !slices.Contains(e.svc.azs, sn.az) {
			return errInvalidParameter("The VPC endpoint service %s does not support the availability zone of the subnet: %s.", e.svc.name, id)
		}
		if other, dup := byAZ[sn.az]; dup {
			return errf("DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of %s", other)
		}
		byAZ[sn.az] = id
	}
	return nil
}

// checkGroups validates security groups for an interface endpoint.
func (s *Server) checkGroups(v *vpc, groups []string) *apiError {
	for _, id := range groups {
		g, err := s.findGroup(id)
		if err != nil {
			return err
		}
		if g.vpcID != v.id {
			return errInvalidParameter("The security group %s does not belong to VPC %s.", id, v.id)
		}
	}
	return nil
}

// applyDNSOptions reads DnsOptions and IpAddressType into e.
func (s *Server) applyDNSOptions(e *endpoint, v *vpc, p params) *apiError {
	for key, dst := range map[string]*string{"DnsOptions.DnsRecordIpType": &e.recordIPType, "IpAddressType": &e.ipAddressType} {
		val := p.str(key)
		if val == "" {
			continue
		}
		switch val {
		case "ipv4", "dualstack", "ipv6", "service-defined":
		default:
			return errInvalidParameterValue("Value (%s) for parameter %s is invalid.", val, key)
		}
		if (val == "ipv6" || val == "dualstack") && !slices.Contains(e.svc.ipTypes, "ipv6") {
			return errInvalidParameter("The VPC endpoint service %s does not support the IP address type %s.", e.svc.name, val)
		}
		*dst = val
	}
	if inbound, ok := p.boolean("DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint"); ok {
		e.inboundOnly = &inbound
	}
	return nil
}

// defaultInboundOnly applies AWS's default for a service offered both as
// gateway and interface endpoint (S3): with private DNS on and the option not
// given, PrivateDnsOnlyForInboundResolverEndpoint is true (AWS PrivateLink
// guide, "Private DNS for Amazon S3 interface endpoints";
// terraform-aws-modules/terraform-aws-vpc#1012).
func (s *Server) defaultInboundOnly(e *endpoint) {
	if e.privateDNS && e.inboundOnly == nil && s.offersGateway(e.svc.dnsSuffix) {
		inbound := true
		e.inboundOnly = &inbound
	}
}

// checkInboundOnly requires a gateway endpoint for the service in the VPC
// when private DNS is only for the inbound resolver: in-VPC traffic then
// takes the gateway.
func (s *Server) checkInboundOnly(e *endpoint, v *vpc) *apiError {
	if e.inboundOnly != nil && *e.inboundOnly && !s.hasGatewayFor(v, e.svc.dnsSuffix) {
		return errInvalidParameter("To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC %s must have a Gateway endpoint for the service.", v.id)
	}
	return nil
}

// offersGateway reports whether the region offers the service label ("s3")
// as a gateway endpoint service too.
func (s *Server) offersGateway(label string) bool {
	for _, sv := range s.w.services {
		if sv.typ == "Gateway" && sv.dnsSuffix == label {
			return true
		}
	}
	return false
}

func errInboundOnlyForInterfaces() *apiError {
	return errInvalidParameter("DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to Interface VPC Endpoints.")
}

// hasGatewayFor reports whether the VPC has a live gateway endpoint for the
// service label ("s3" or "dynamodb").
func (s *Server) hasGatewayFor(v *vpc, label string) bool {
	for _, other := range s.w.endpoints {
		if other.vpcID == v.id && other.typ == "Gateway" && other.svc.dnsSuffix == label && !other.gone() {
			return true
		}
	}
	return false
}

// checkPrivateDNS validates enabling private DNS: the service must have a
// name, the VPC both DNS attributes, and no other endpoint the same name.
func (s *Server) checkPrivateDNS(e *endpoint, v *vpc) *apiError {
	if !e.privateDNS {
		return nil
	}
	if e.svc.privateDNS == "" {
		return errInvalidParameter("Private DNS can't be enabled because the service %s does not provide a private DNS name.", e.svc.name)
	}
	if !v.dnsSupport || !v.dnsHostnames {
		return errInvalidParameter("Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s", v.id)
	}
	for _, other := range s.w.endpoints {
		if other.id != e.id && other.vpcID == v.id && other.privateDNS && other.svc.privateDNS == e.svc.privateDNS && !other.gone() {
			return errInvalidParameter("private-dns-enabled cannot be set because there is already a conflicting DNS domain for %s in the VPC %s", e.svc.privateDNS, v.id)
		}
	}
	return nil
}

// dedup drops repeated values, keeping the first occurrence.
func dedup(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
