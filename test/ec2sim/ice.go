package ec2sim

import (
	"fmt"
	"slices"
	"time"
)

// iceEndpoint is an EC2 Instance Connect Endpoint.
type iceEndpoint struct {
	seq         int64
	id          string
	subnetID    string
	vpcID       string
	az          string
	state       string
	until       time.Time
	created     time.Time
	groups      []string
	preserveIP  bool
	ipType      string
	eniID       string
	dnsLabel    string
	clientToken string
	// message is the stateMessage of a failed state.
	message string
}

// InstanceConnectEndpointsPerRegion is AWS's quota of Instance Connect Endpoints
// per account and region (not adjustable); one per VPC and one per subnet.
const InstanceConnectEndpointsPerRegion = 5

func (ice *iceEndpoint) order() int64 { return ice.seq }

// advanceICE moves create-in-progress to create-complete, update-in-progress
// to update-complete and delete-in-progress to delete-complete, then forgets
// it after the linger.
func (s *Server) advanceICE(ice *iceEndpoint, now time.Time) {
	for !now.Before(ice.until) {
		at := ice.until
		switch ice.state {
		case "create-in-progress":
			ice.state = "create-complete"
		case "update-in-progress":
			ice.state = "update-complete"
		case "delete-in-progress":
			ice.state = "delete-complete"
			s.removeENI(ice.eniID)
			ice.until = ice.until.Add(s.delay(s.opts.DeletedLinger))
			s.record(at)
			continue
		case "delete-complete":
			delete(s.w.ices, ice.id)
			s.w.forget(ice.id)
		default:
			return
		}
		s.record(at)
		return
	}
}

type xmlICE struct {
	OwnerID                    string   `xml:"ownerId"`
	InstanceConnectEndpointID  string   `xml:"instanceConnectEndpointId"`
	InstanceConnectEndpointArn string   `xml:"instanceConnectEndpointArn"`
	State                      string   `xml:"state"`
	StateMessage               string   `xml:"stateMessage,omitempty"`
	DNSName                    string   `xml:"dnsName"`
	FipsDNSName                string   `xml:"fipsDnsName"`
	NetworkInterfaceIDs        []string `xml:"networkInterfaceIdSet>item"`
	VpcID                      string   `xml:"vpcId"`
	AvailabilityZone           string   `xml:"availabilityZone"`
	AvailabilityZoneID         string   `xml:"availabilityZoneId"`
	CreatedAt                  string   `xml:"createdAt"`
	SubnetID                   string   `xml:"subnetId"`
	PreserveClientIP           bool     `xml:"preserveClientIp"`
	SecurityGroupIDs           []string `xml:"securityGroupIdSet>item"`
	IPAddressType              string   `xml:"ipAddressType"`
	Tags                       []xmlTag `xml:"tagSet>item"`
}

func (s *Server) iceXML(ice *iceEndpoint, tags map[string]string) xmlICE {
	host := ice.id + "." + ice.dnsLabel
	suffix := ".ec2-instance-connect-endpoint." + s.opts.Region + ".amazonaws.com"
	out := xmlICE{
		OwnerID:                    s.accountID(),
		InstanceConnectEndpointID:  ice.id,
		InstanceConnectEndpointArn: s.arn("instance-connect-endpoint", ice.id),
		State:                      ice.state,
		StateMessage:               ice.message,
		DNSName:                    host + suffix,
		FipsDNSName:                host + ".fips" + suffix,
		VpcID:                      ice.vpcID,
		AvailabilityZone:           ice.az,
		AvailabilityZoneID:         zoneID(s.opts.Region, ice.az),
		CreatedAt:                  timestamp(ice.created),
		SubnetID:                   ice.subnetID,
		PreserveClientIP:           ice.preserveIP,
		SecurityGroupIDs:           ice.groups,
		IPAddressType:              ice.ipType,
		Tags:                       tagSet(tags),
	}
	if _, ok := s.w.enis[ice.eniID]; ok {
		out.NetworkInterfaceIDs = []string{ice.eniID}
	}
	return out
}

func (ice *iceEndpoint) attrs(name string) ([]string, bool) {
	switch name {
	case "instance-connect-endpoint-id":
		return []string{ice.id}, true
	case "state":
		return []string{ice.state}, true
	case "vpc-id":
		return []string{ice.vpcID}, true
	case "subnet-id":
		return []string{ice.subnetID}, true
	case "availability-zone":
		return []string{ice.az}, true
	}
	return nil, false
}

func (s *Server) createInstanceConnectEndpoint(p params) (any, *apiError) {
	token := p.str("ClientToken")
	if token != "" {
		for _, ice := range s.w.ices {
			if ice.clientToken == token {
				return s.iceCreateResponse(ice), nil
			}
		}
	}
	if p.str("SubnetId") == "" {
		return nil, errMissingParameter("subnetId")
	}
	sn, err := s.findSubnet(p.str("SubnetId"), kindSubnet)
	if err != nil {
		return nil, err
	}
	v := s.w.vpcs[sn.vpcID]
	groups := dedup(p.list("SecurityGroupId"))
	if len(groups) == 0 {
		groups = []string{v.defaultGroup}
	}
	if err := s.checkGroups(v, groups); err != nil {
		return nil, err
	}
	preserve, _ := p.boolean("PreserveClientIp")
	ipType, err := iceAddressType(sn, p.str("IpAddressType"), preserve)
	if err != nil {
		return nil, err
	}
	live := 0
	for _, other := range s.w.ices {
		if slices.Contains([]string{"delete-in-progress", "delete-complete"}, other.state) {
			continue
		}
		live++
		if other.vpcID == v.id {
			return nil, errf("ServiceQuotaExceededException", "You've reached the maximum number of Instance Connect Endpoints (1) for VPC %s.", v.id)
		}
	}
	if live >= InstanceConnectEndpointsPerRegion {
		return nil, errf("ServiceQuotaExceededException", "You've reached the maximum number of Instance Connect Endpoints (%d) for this account in %s.", InstanceConnectEndpointsPerRegion, s.opts.Region)
	}
	if ipType != "ipv6" && !s.hasFreeAddress(sn) {
		return nil, errf("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.id)
	}
	tags, err := p.tagSpecs("instance-connect-endpoint")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	now := s.now()
	ice := &iceEndpoint{
		seq:         s.w.next(),
		id:          s.newID("eice"),
		subnetID:    sn.id,
		vpcID:       sn.vpcID,
		az:          sn.az,
		state:       "create-in-progress",
		until:       now.Add(s.delay(s.opts.StateDelay)),
		created:     now,
		groups:      groups,
		preserveIP:  preserve,
		ipType:      ipType,
		dnsLabel:    s.randHex(8),
		clientToken: token,
	}
	ice.eniID = s.addENI(sn, "EC2 Instance Connect Endpoint "+ice.id, "ec2_instance_connect_endpoint", groups).id
	s.w.ices[ice.id] = ice
	s.w.addTags(ice.id, tags)
	return s.iceCreateResponse(ice), nil
}

func (s *Server) iceCreateResponse(ice *iceEndpoint) any {
	return struct {
		Endpoint    xmlICE `xml:"instanceConnectEndpoint"`
		ClientToken string `xml:"clientToken,omitempty"`
	}{s.iceXML(ice, s.w.tags[ice.id]), ice.clientToken}
}

// findICE returns an existing Instance Connect Endpoint or EC2's error (not
// found before its creation is visible).
func (s *Server) findICE(id string) (*iceEndpoint, *apiError) {
	if ice, ok := s.w.ices[id]; ok && s.born(id) {
		return ice, nil
	}
	if err := kindICE.check(id); err != nil {
		return nil, err
	}
	return nil, kindICE.notFoundErr(id)
}

func (s *Server) describeInstanceConnectEndpoints(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, (&iceEndpoint{}).attrs); err != nil {
		return nil, err
	}
	ids := p.list("InstanceConnectEndpointId")
	if err := s.checkSeen(kindICE, ids); err != nil {
		return nil, err
	}
	var list []viewed[*iceEndpoint]
	for _, v := range viewOf(s, "eice", s.w.ices) {
		if (len(ids) == 0 || slices.Contains(ids, v.res.id)) && matches(fs, v.tags, v.res.attrs) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 1)
	if err != nil {
		return nil, err
	}
	out := struct {
		Endpoints []xmlICE `xml:"instanceConnectEndpointSet>item"`
		NextToken string   `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.Endpoints = append(out.Endpoints, s.iceXML(v.res, v.tags))
	}
	return out, nil
}

func (s *Server) deleteInstanceConnectEndpoint(p params) (any, *apiError) {
	id := p.str("InstanceConnectEndpointId")
	if id == "" {
		return nil, errMissingParameter("instanceConnectEndpointId")
	}
	ice, err := s.findICE(id)
	if err != nil {
		return nil, err
	}
	if ice.state != "delete-in-progress" && ice.state != "delete-complete" {
		ice.state, ice.until = "delete-in-progress", s.now().Add(s.delay(s.opts.StateDelay))
	}
	return struct {
		Endpoint xmlICE `xml:"instanceConnectEndpoint"`
	}{s.iceXML(ice, s.w.tags[ice.id])}, nil
}

// iceAddressType is the IP address type of a new endpoint: the one asked for,
// else the subnet's (dualstack with both IPv4 and IPv6 CIDRs, ipv6 when
// IPv6-only, ipv4 otherwise). AWS preserves the client IP only on ipv4 endpoints.
func iceAddressType(sn *subnet, asked string, preserve bool) (string, *apiError) {
	def := "ipv4"
	switch {
	case sn.ipv6Native:
		def = "ipv6"
	case sn.ipv6CIDR != "":
		def = "dualstack"
	}
	typ := asked
	switch asked {
	case "":
		typ = def
	case "ipv4", "dualstack", "ipv6":
		if asked != def && (sn.ipv6Native || asked != "ipv4" && sn.ipv6CIDR == "") {
			return "", errInvalidParameterValue("The IP address type %s is not supported by subnet %s.", asked, sn.id)
		}
	default:
		return "", errInvalidParameterValue("Value (%s) for parameter ipAddressType is invalid.", asked)
	}
	if preserve && typ != "ipv4" {
		return "", errf("InvalidParameterCombination", "PreserveClientIp is only supported on IPv4 EC2 Instance Connect Endpoints; the endpoint's IP address type is %s.", typ)
	}
	return typ, nil
}

// hasFreeAddress reports whether a subnet has an IPv4 address left for a
// network interface.
func (s *Server) hasFreeAddress(sn *subnet) bool {
	used := 0
	for _, n := range s.w.enis {
		if n.subnetID == sn.id {
			used++
		}
	}
	return sn.cidr.IsValid() && hostCount(sn.cidr)-5-used > 0
}

// modifyInstanceConnectEndpoint changes an endpoint's security groups (the new
// set replaces the old), preserveClientIp and IP address type; the endpoint is
// update-in-progress for a while, then update-complete.
func (s *Server) modifyInstanceConnectEndpoint(p params) (any, *apiError) {
	id := p.str("InstanceConnectEndpointId")
	if id == "" {
		return nil, errMissingParameter("instanceConnectEndpointId")
	}
	ice, err := s.findICE(id)
	if err != nil {
		return nil, err
	}
	switch ice.state {
	case "create-complete", "update-complete", "update-failed":
	default:
		return nil, errf("IncorrectState", "Instance Connect Endpoint %s is in state %s and cannot be modified.", id, ice.state)
	}
	sn := s.w.subnets[ice.subnetID]
	groups := ice.groups
	if p.has("SecurityGroupId.1") {
		groups = dedup(p.list("SecurityGroupId"))
		if err := s.checkGroups(s.w.vpcs[ice.vpcID], groups); err != nil {
			return nil, err
		}
	}
	preserve := ice.preserveIP
	if v, ok := p.boolean("PreserveClientIp"); ok {
		preserve = v
	}
	asked := p.str("IpAddressType")
	if asked == "" {
		asked = ice.ipType
	}
	ipType, aerr := iceAddressType(sn, asked, preserve)
	if aerr != nil {
		return nil, aerr
	}
	ice.groups, ice.preserveIP, ice.ipType, ice.message = groups, preserve, ipType, ""
	if n, ok := s.w.enis[ice.eniID]; ok {
		n.groups = slices.Clone(groups)
	}
	ice.state, ice.until = "update-in-progress", s.now().Add(s.delay(s.opts.StateDelay))
	return xmlReturn{Return: true}, nil
}

// FailInstanceConnectEndpoint puts an endpoint in a failed state
// (create-failed, update-failed or delete-failed) with AWS's state message, as
// AWS does when it cannot finish the work.
func (s *Server) FailInstanceConnectEndpoint(id, state, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s = s.cellWithICE(id)
	ice, ok := s.w.ices[id]
	if !ok {
		return fmt.Errorf("no Instance Connect Endpoint %s", id)
	}
	ice.state, ice.message, ice.until = state, message, time.Time{}
	s.record(s.now())
	return nil
}

// cellWithICE is the account and region cell that holds the Instance Connect
// Endpoint id (the home cell when none does).
func (s *Server) cellWithICE(id string) *Server {
	for _, c := range s.allCells() {
		if _, ok := c.w.ices[id]; ok {
			return c
		}
	}
	return s.home()
}

// instanceConnectDependents are the dependent actions AWS authorizes with
// CreateInstanceConnectEndpoint ("Grant IAM permissions to use EC2 Instance
// Connect Endpoint", EC2 user guide): ec2:CreateNetworkInterface on the new
// interface, its subnet and groups, and iam:CreateServiceLinkedRole for the
// endpoint service's role.
func instanceConnectDependents(q params, region, account string) []authzCheck {
	const eni = "ec2:CreateNetworkInterface"
	checks := []authzCheck{{eni, resourceARN(region, account, "network-interface", "*"), map[string][]string{}}}
	for _, id := range ids(q, []string{"SubnetId", "SecurityGroupId"}) {
		checks = append(checks, authzCheck{eni, resourceARN(region, account, resourceType(id), id), map[string][]string{}})
	}
	role := "arn:" + partition(region) + ":iam::" + account + ":role/aws-service-role/ec2-instance-connect.amazonaws.com/AWSServiceRoleForEC2InstanceConnect"
	return append(checks, authzCheck{"iam:CreateServiceLinkedRole", role, map[string][]string{"iam:awsservicename": {"ec2-instance-connect.amazonaws.com"}}})
}
