package ec2sim

import (
	"slices"
	"strings"
)

// service is one entry of DescribeVpcEndpointServices: an AWS service of
// one endpoint type, or a PrivateLink service added through the admin API.
type service struct {
	seq        int64
	name       string
	id         string
	typ        string // "Interface" or "Gateway"
	azs        []string
	privateDNS string
	policy     bool
	acceptance bool
	ipTypes    []string
	owner      string
	baseDNS    string
	prefixList string // gateway services: the destination of their routes
	dnsSuffix  string // the service label in endpoint DNS names
	wildcard   bool   // endpoint DNS names start with "*." (S3: bucket.vpce-…)
}

func (sv *service) order() int64 { return sv.seq }

// awsService describes a catalogue entry before it is specialised to a region.
type awsService struct {
	short      string // name after com.amazonaws.<region>.
	typ        string
	privateDNS string // with <r> for the region
	noPolicy   bool
	ipv6       bool
	twoAZs     bool // deliberately offered in only two AZs
	lacksD     bool // not offered in us-east-1d
	wildcard   bool // endpoint DNS names are wildcards, as AWS names S3's
}

var awsServices = []awsService{
	{short: "s3", typ: "Gateway", ipv6: true},
	{short: "s3", typ: "Interface", privateDNS: "*.s3.<r>.amazonaws.com", ipv6: true, wildcard: true},
	{short: "dynamodb", typ: "Gateway", ipv6: true},
	{short: "dynamodb", typ: "Interface"},
	{short: "ssm", typ: "Interface", privateDNS: "ssm.<r>.amazonaws.com"},
	{short: "ssmmessages", typ: "Interface", privateDNS: "ssmmessages.<r>.amazonaws.com", noPolicy: true},
	{short: "ec2messages", typ: "Interface", privateDNS: "ec2messages.<r>.amazonaws.com", noPolicy: true},
	{short: "ec2", typ: "Interface", privateDNS: "ec2.<r>.amazonaws.com", ipv6: true},
	{short: "ecr.api", typ: "Interface", privateDNS: "api.ecr.<r>.amazonaws.com"},
	{short: "ecr.dkr", typ: "Interface", privateDNS: "*.dkr.ecr.<r>.amazonaws.com"},
	{short: "logs", typ: "Interface", privateDNS: "logs.<r>.amazonaws.com"},
	{short: "sts", typ: "Interface", privateDNS: "sts.<r>.amazonaws.com", ipv6: true},
	{short: "kms", typ: "Interface", privateDNS: "kms.<r>.amazonaws.com", lacksD: true},
	{short: "secretsmanager", typ: "Interface", privateDNS: "secretsmanager.<r>.amazonaws.com"},
	{short: "sqs", typ: "Interface", privateDNS: "sqs.<r>.amazonaws.com"},
	{short: "sns", typ: "Interface", privateDNS: "sns.<r>.amazonaws.com", lacksD: true},
	{short: "monitoring", typ: "Interface", privateDNS: "monitoring.<r>.amazonaws.com"},
	{short: "elasticloadbalancing", typ: "Interface", privateDNS: "elasticloadbalancing.<r>.amazonaws.com"},
	{short: "lambda", typ: "Interface", privateDNS: "lambda.<r>.amazonaws.com"},
	{short: "execute-api", typ: "Interface", privateDNS: "*.execute-api.<r>.amazonaws.com"},
	{short: "ebs", typ: "Interface", privateDNS: "ebs.<r>.amazonaws.com", noPolicy: true, twoAZs: true},
}

// catalogue returns the region's AWS services in AWS's naming.
func catalogue(region string) []*service {
	var out []*service
	for i, a := range awsServices {
		name := "com.amazonaws." + region + "." + a.short
		sv := &service{
			seq:        int64(i + 1),
			name:       name,
			id:         "vpce-svc-" + hashHex(name+a.typ, 17),
			typ:        a.typ,
			azs:        zones(region),
			privateDNS: strings.ReplaceAll(a.privateDNS, "<r>", region),
			policy:     !a.noPolicy,
			ipTypes:    []string{"ipv4"},
			owner:      "amazon",
			baseDNS:    a.short + "." + region + ".vpce.amazonaws.com",
			dnsSuffix:  a.short,
			wildcard:   a.wildcard,
		}
		if a.ipv6 {
			sv.ipTypes = append(sv.ipTypes, "ipv6")
		}
		if a.typ == "Gateway" {
			sv.baseDNS = a.short + "." + region + ".amazonaws.com"
			sv.prefixList = prefixListFor(region, a.short).id
		}
		switch {
		case a.twoAZs:
			sv.azs = sv.azs[:2]
		case a.lacksD:
			sv.azs = slices.DeleteFunc(sv.azs, func(z string) bool { return strings.HasSuffix(z, "d") })
		}
		out = append(out, sv)
	}
	return out
}

// EndpointServiceConfig describes a PrivateLink endpoint service added with
// AddEndpointService.
type EndpointServiceConfig struct {
	AvailabilityZones       []string `json:"availabilityZones"`       // default: all of the region's zones
	AcceptanceRequired      bool     `json:"acceptanceRequired"`      // endpoints start pendingAcceptance
	PrivateDNSName          string   `json:"privateDnsName"`          // optional private DNS name
	SupportedIPAddressTypes []string `json:"supportedIpAddressTypes"` // default ["ipv4"]
}

// AddEndpointService adds a PrivateLink service owned by another account and
// returns its name, com.amazonaws.vpce.<region>.vpce-svc-<17 hex>: in the
// view's account and region, or in the default region of every account
// (those created later too) for the value New returns.
func (s *Server) AddEndpointService(cfg EndpointServiceConfig) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isRoot() {
		return s.addEndpointService(cfg, s.newID("vpce-svc")).name
	}
	id := s.newID("vpce-svc")
	var sv *service
	for _, a := range s.scopeAccounts() {
		sv = s.reg.cell(a, s.opts.Region).addEndpointService(cfg, id)
	}
	s.reg.services[s.opts.Region] = append(s.reg.services[s.opts.Region], sv)
	return sv.name
}

// copyFor returns a copy of a PrivateLink service for another cell's
// catalogue, at position seq.
func (sv *service) copyFor(seq int64) *service {
	c := *sv
	c.seq = seq
	return &c
}

// addEndpointService adds a PrivateLink service to a cell's catalogue. The
// caller holds s.mu.
func (s *Server) addEndpointService(cfg EndpointServiceConfig, id string) *service {
	sv := &service{
		seq:        int64(len(s.w.services) + 1),
		name:       "com.amazonaws.vpce." + s.opts.Region + "." + id,
		id:         id,
		typ:        "Interface",
		azs:        cfg.AvailabilityZones,
		privateDNS: cfg.PrivateDNSName,
		acceptance: cfg.AcceptanceRequired,
		ipTypes:    cfg.SupportedIPAddressTypes,
		owner:      "111122223333",
		baseDNS:    id + "." + s.opts.Region + ".vpce.amazonaws.com",
		dnsSuffix:  id,
	}
	if len(sv.azs) == 0 {
		sv.azs = zones(s.opts.Region)
	}
	if len(sv.ipTypes) == 0 {
		sv.ipTypes = []string{"ipv4"}
	}
	s.w.services = append(s.w.services, sv)
	return sv
}

// findService returns the catalogue entry of a name and endpoint type; with
// an empty type, the first entry of that name.
func (s *Server) findService(name, typ string) (*service, []string) {
	var found *service
	var types []string
	for _, sv := range s.w.services {
		if sv.name != name {
			continue
		}
		types = append(types, sv.typ)
		if found == nil && (typ == "" || sv.typ == typ) {
			found = sv
		}
	}
	return found, types
}

type xmlServiceType struct {
	ServiceType string `xml:"serviceType"`
}

type xmlPrivateDNSDetails struct {
	PrivateDNSName string `xml:"privateDnsName"`
}

type xmlServiceDetail struct {
	ServiceName                     string                 `xml:"serviceName"`
	ServiceID                       string                 `xml:"serviceId"`
	ServiceType                     []xmlServiceType       `xml:"serviceType>item"`
	ServiceRegion                   string                 `xml:"serviceRegion"`
	AvailabilityZones               []string               `xml:"availabilityZoneSet>item"`
	AvailabilityZoneIDs             []string               `xml:"availabilityZoneIdSet>item"`
	Owner                           string                 `xml:"owner"`
	BaseEndpointDNSNames            []string               `xml:"baseEndpointDnsNameSet>item"`
	PrivateDNSName                  string                 `xml:"privateDnsName,omitempty"`
	PrivateDNSNames                 []xmlPrivateDNSDetails `xml:"privateDnsNameSet>item"`
	PrivateDNSNameVerificationState string                 `xml:"privateDnsNameVerificationState,omitempty"`
	VpcEndpointPolicySupported      bool                   `xml:"vpcEndpointPolicySupported"`
	AcceptanceRequired              bool                   `xml:"acceptanceRequired"`
	ManagesVpcEndpoints             bool                   `xml:"managesVpcEndpoints"`
	SupportedIPAddressTypes         []string               `xml:"supportedIpAddressTypeSet>item"`
	Tags                            []xmlTag               `xml:"tagSet>item"`
}

func (s *Server) serviceXML(sv *service) xmlServiceDetail {
	out := xmlServiceDetail{
		ServiceName:                sv.name,
		ServiceID:                  sv.id,
		ServiceType:                []xmlServiceType{{sv.typ}},
		ServiceRegion:              s.opts.Region,
		AvailabilityZones:          sv.azs,
		Owner:                      sv.owner,
		BaseEndpointDNSNames:       []string{sv.baseDNS},
		PrivateDNSName:             sv.privateDNS,
		VpcEndpointPolicySupported: sv.policy,
		AcceptanceRequired:         sv.acceptance,
		SupportedIPAddressTypes:    sv.ipTypes,
	}
	for _, z := range sv.azs {
		out.AvailabilityZoneIDs = append(out.AvailabilityZoneIDs, zoneID(s.opts.Region, z))
	}
	if sv.privateDNS != "" {
		out.PrivateDNSNames = []xmlPrivateDNSDetails{{sv.privateDNS}}
		out.PrivateDNSNameVerificationState = "verified"
	}
	return out
}

func (sv *service) attrs(name string) ([]string, bool) {
	switch name {
	case "service-name":
		return []string{sv.name}, true
	case "service-type":
		return []string{sv.typ}, true
	case "owner":
		return []string{sv.owner}, true
	case "supported-ip-address-types":
		return sv.ipTypes, true
	case "service-region":
		return nil, true
	}
	return nil, false
}

func (s *Server) describeVpcEndpointServices(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, (&service{}).attrs); err != nil {
		return nil, err
	}
	names := p.list("ServiceName")
	for _, n := range names {
		if sv, _ := s.findService(n, ""); sv == nil {
			return nil, errf("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", n)
		}
	}
	var list []*service
	for _, sv := range s.w.services {
		if (len(names) == 0 || slices.Contains(names, sv.name)) && matches(fs, nil, sv.attrs) {
			list = append(list, sv)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		ServiceNames []string           `xml:"serviceNameSet>item"`
		Services     []xmlServiceDetail `xml:"serviceDetailSet>item"`
		NextToken    string             `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, sv := range page {
		if !slices.Contains(out.ServiceNames, sv.name) {
			out.ServiceNames = append(out.ServiceNames, sv.name)
		}
		out.Services = append(out.Services, s.serviceXML(sv))
	}
	return out, nil
}
