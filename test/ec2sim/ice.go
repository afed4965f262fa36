package ec2sim

import (
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
	eniID       string
	dnsLabel    string
	clientToken string
}

func (ice *iceEndpoint) order() int64 { return ice.seq }

// advanceICE moves create-in-progress to create-complete and
// delete-in-progress to delete-complete, then forgets it after the linger.
func (s *Server) advanceICE(ice *iceEndpoint, now time.Time) {
	for !now.Before(ice.until) {
		at := ice.until
		switch ice.state {
		case "create-in-progress":
			ice.state = "create-complete"
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
	StateMessage               string   `xml:"stateMessage"`
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
		DNSName:                    host + suffix,
		FipsDNSName:                host + ".fips" + suffix,
		VpcID:                      ice.vpcID,
		AvailabilityZone:           ice.az,
		AvailabilityZoneID:         zoneID(s.opts.Region, ice.az),
		CreatedAt:                  timestamp(ice.created),
		SubnetID:                   ice.subnetID,
		PreserveClientIP:           ice.preserveIP,
		SecurityGroupIDs:           ice.groups,
		IPAddressType:              "ipv4",
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
	for _, other := range s.w.ices {
		if other.vpcID == v.id && !slices.Contains([]string{"delete-in-progress", "delete-complete"}, other.state) {
			return nil, errf("ServiceQuotaExceededException", "You've reached the maximum number of Instance Connect Endpoints (1) for VPC %s.", v.id)
		}
	}
	tags, err := p.tagSpecs("instance-connect-endpoint")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	preserve, _ := p.boolean("PreserveClientIp")
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
