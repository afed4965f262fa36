package ec2sim

import (
	"slices"
	"sort"
	"time"
)

// Endpoint states, as EC2 spells them on the wire (the SDK's enum spells
// them in PascalCase: "Available").
const (
	statePendingAcceptance = "pendingAcceptance"
	statePending           = "pending"
	stateAvailable         = "available"
	stateDeleting          = "deleting"
	stateDeleted           = "deleted"
	stateRejected          = "rejected"
	stateFailed            = "failed"
	stateExpired           = "expired"
	statePartial           = "partial"
)

// endpointStates are every state EC2 reports for a VPC endpoint.
var endpointStates = []string{statePendingAcceptance, statePending, stateAvailable, stateDeleting, stateDeleted, stateRejected, stateFailed, stateExpired, statePartial}

// lastError is the error EC2 reports for a failed endpoint.
type lastError struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// endpoint is a VPC endpoint of type Gateway or Interface.
type endpoint struct {
	seq           int64
	id            string
	vpcID         string
	svc           *service
	typ           string
	state         string
	until         time.Time // end of the current pending, deleting or deleted period
	created       time.Time
	policy        string
	routeTables   []string
	subnets       []string
	enis          map[string]string // subnet ID -> ENI ID
	groups        []string
	privateDNS    bool
	recordIPType  string
	inboundOnly   *bool
	ipAddressType string
	dnsLabel      string // the random part of the endpoint's DNS names
	privateZone   string // hosted zone of the private DNS name
	lastErr       *lastError
}

func (e *endpoint) order() int64 { return e.seq }

func (e *endpoint) gone() bool { return e.state == stateDeleting || e.state == stateDeleted }

// advanceEndpoint applies the transitions whose time has passed, each
// recorded for reads at the time it happened.
func (s *Server) advanceEndpoint(e *endpoint, now time.Time) {
	for !now.Before(e.until) {
		at := e.until
		switch e.state {
		case statePending:
			e.state = stateAvailable
		case stateDeleting:
			e.state = stateDeleted
			for _, id := range e.enis {
				s.lingerENI(id, at.Add(s.delay(s.opts.ENILinger)))
			}
			e.enis = map[string]string{}
			e.until = e.until.Add(s.delay(s.opts.DeletedLinger))
			s.record(at)
			continue
		case stateDeleted:
			delete(s.w.endpoints, e.id)
			s.w.forget(e.id)
			for token, use := range s.w.tokens {
				if use.endpointID == e.id {
					delete(s.w.tokens, token)
				}
			}
		default:
			return
		}
		s.record(at)
		return
	}
}

// findEndpoint returns an existing endpoint or EC2's error for its ID; an
// endpoint whose creation is not visible yet is not found.
func (s *Server) findEndpoint(id string) (*endpoint, *apiError) {
	if id == "" {
		return nil, errMissingParameter("vpcEndpointId")
	}
	if err := kindEndpoint.check(id); err != nil {
		return nil, err
	}
	e, ok := s.w.endpoints[id]
	if !ok || !s.born(id) {
		return nil, kindEndpoint.notFoundErr(id)
	}
	return e, nil
}

type xmlDNSEntry struct {
	DNSName      string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId"`
}

type xmlDNSOptions struct {
	DNSRecordIPType string `xml:"dnsRecordIpType"`
	InboundOnly     *bool  `xml:"privateDnsOnlyForInboundResolverEndpoint,omitempty"`
}

type xmlEndpoint struct {
	VpcEndpointID       string               `xml:"vpcEndpointId"`
	VpcEndpointType     string               `xml:"vpcEndpointType"`
	VpcID               string               `xml:"vpcId"`
	ServiceName         string               `xml:"serviceName"`
	ServiceRegion       string               `xml:"serviceRegion"`
	State               string               `xml:"state"`
	PolicyDocument      string               `xml:"policyDocument,omitempty"`
	RouteTableIDs       []string             `xml:"routeTableIdSet>item"`
	SubnetIDs           []string             `xml:"subnetIdSet>item"`
	Groups              []xmlGroupIdentifier `xml:"groupSet>item"`
	IPAddressType       string               `xml:"ipAddressType,omitempty"`
	DNSOptions          *xmlDNSOptions       `xml:"dnsOptions,omitempty"`
	PrivateDNSEnabled   bool                 `xml:"privateDnsEnabled"`
	RequesterManaged    bool                 `xml:"requesterManaged"`
	NetworkInterfaceIDs []string             `xml:"networkInterfaceIdSet>item"`
	DNSEntries          []xmlDNSEntry        `xml:"dnsEntrySet>item"`
	CreationTimestamp   string               `xml:"creationTimestamp"`
	LastError           *lastError           `xml:"lastError,omitempty"`
	Tags                []xmlTag             `xml:"tagSet>item"`
	OwnerID             string               `xml:"ownerId"`
}

func (s *Server) endpointXML(e *endpoint, tags map[string]string) xmlEndpoint {
	out := xmlEndpoint{
		VpcEndpointID:     e.id,
		VpcEndpointType:   e.typ,
		VpcID:             e.vpcID,
		ServiceName:       e.svc.name,
		ServiceRegion:     s.opts.Region,
		State:             e.state,
		PolicyDocument:    e.policy,
		RouteTableIDs:     e.routeTables,
		SubnetIDs:         e.subnets,
		PrivateDNSEnabled: e.privateDNS,
		CreationTimestamp: timestamp(e.created),
		LastError:         e.lastErr,
		Tags:              tagSet(tags),
		OwnerID:           s.accountID(),
	}
	if e.typ == "Interface" {
		out.Groups = s.groupIdentifiers(e.groups)
		out.IPAddressType = e.ipAddressType
		out.DNSOptions = &xmlDNSOptions{e.recordIPType, e.inboundOnly}
		for _, sn := range e.subnets {
			if id, ok := e.enis[sn]; ok {
				out.NetworkInterfaceIDs = append(out.NetworkInterfaceIDs, id)
			}
		}
		out.DNSEntries = s.dnsEntries(e)
	}
	return out
}

// dnsEntries returns an interface endpoint's names in AWS's formats: the
// regional name, one zonal name per AZ, then the private DNS name. S3's
// regional and zonal names are wildcards (*.vpce-…), as AWS lists them.
func (s *Server) dnsEntries(e *endpoint) []xmlDNSEntry {
	if e.state == stateDeleted {
		return nil
	}
	zone := vpceHostedZone(s.opts.Region)
	base := e.id + "-" + e.dnsLabel
	if e.svc.wildcard {
		base = "*." + base
	}
	suffix := "." + e.svc.dnsSuffix + "." + s.opts.Region + ".vpce.amazonaws.com"
	out := []xmlDNSEntry{{base + suffix, zone}}
	var azs []string
	for _, id := range e.subnets {
		if sn := s.w.subnets[id]; sn != nil && !slices.Contains(azs, sn.az) {
			azs = append(azs, sn.az)
		}
	}
	sort.Strings(azs)
	for _, az := range azs {
		out = append(out, xmlDNSEntry{base + "-" + az + suffix, zone})
	}
	if e.privateDNS && e.svc.privateDNS != "" {
		out = append(out, xmlDNSEntry{e.svc.privateDNS, e.privateZone})
	}
	return out
}

func (e *endpoint) attrs(name string) ([]string, bool) {
	switch name {
	case "vpc-endpoint-id":
		return []string{e.id}, true
	case "vpc-id":
		return []string{e.vpcID}, true
	case "service-name":
		if e.svc == nil {
			return nil, true
		}
		return []string{e.svc.name}, true
	case "vpc-endpoint-state":
		return []string{e.state}, true
	case "vpc-endpoint-type":
		return []string{e.typ}, true
	case "ip-address-type":
		return []string{e.ipAddressType}, true
	case "service-region":
		return nil, true
	}
	return nil, false
}

func (s *Server) describeVpcEndpoints(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, (&endpoint{}).attrs); err != nil {
		return nil, err
	}
	ids := p.list("VpcEndpointId")
	if err := s.checkSeen(kindEndpoint, ids); err != nil {
		return nil, err
	}
	var list []viewed[*endpoint]
	for _, v := range viewOf(s, "vpce", s.w.endpoints) {
		if (len(ids) == 0 || slices.Contains(ids, v.res.id)) && matches(fs, v.tags, v.res.attrs) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		Endpoints []xmlEndpoint `xml:"vpcEndpointSet>item"`
		NextToken string        `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.Endpoints = append(out.Endpoints, s.endpointXML(v.res, v.tags))
	}
	return out, nil
}

type xmlUnsuccessful struct {
	Error      xmlErrorItem `xml:"error"`
	ResourceID string       `xml:"resourceId"`
}

type xmlErrorItem struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

func unsuccessful(id string, err *apiError) xmlUnsuccessful {
	return xmlUnsuccessful{xmlErrorItem{err.Code, err.Message}, id}
}

type xmlUnsuccessfulSet struct {
	Unsuccessful []xmlUnsuccessful `xml:"unsuccessful>item"`
}

func (s *Server) deleteVpcEndpoints(p params) (any, *apiError) {
	ids := p.list("VpcEndpointId")
	if len(ids) == 0 {
		return nil, errMissingParameter("vpcEndpointId")
	}
	var out xmlUnsuccessfulSet
	for _, id := range ids {
		e, err := s.findEndpoint(id)
		if err != nil && err.Code == kindEndpoint.notFound {
			// In Unsuccessful EC2 spells it without "Id" (terraform-provider-aws
			// matches InvalidVpcEndpoint.NotFound here).
			err.Code = "InvalidVpcEndpoint.NotFound"
		}
		if err != nil {
			out.Unsuccessful = append(out.Unsuccessful, unsuccessful(id, err))
			continue
		}
		s.startDelete(e)
	}
	return out, nil
}

// startDelete moves an endpoint to deleting: its routes go at once, its
// ENIs when it reaches deleted.
func (s *Server) startDelete(e *endpoint) {
	if e.gone() {
		return
	}
	s.removeGatewayRoutes(e, e.routeTables)
	e.state = stateDeleting
	e.until = s.now().Add(s.delay(s.opts.StateDelay))
}

// removeGatewayRoutes deletes the endpoint's routes from the given tables.
func (s *Server) removeGatewayRoutes(e *endpoint, tables []string) {
	for _, id := range tables {
		if rt := s.w.routeTables[id]; rt != nil {
			rt.routes = slices.DeleteFunc(rt.routes, func(r *route) bool { return r.gatewayID == e.id })
		}
	}
}

// addGatewayRoutes adds the endpoint's prefix-list route to the tables.
func (s *Server) addGatewayRoutes(e *endpoint, tables []string) {
	for _, id := range tables {
		rt := s.w.routeTables[id]
		rt.routes = append(rt.routes, &route{destPL: e.svc.prefixList, gatewayID: e.id, origin: "CreateRoute"})
	}
}
