package ec2sim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// eni is a requester-managed network interface of an interface endpoint or
// an Instance Connect Endpoint.
type eni struct {
	seq          int64
	id           string
	subnetID     string
	vpcID        string
	az           string
	ip           string
	mac          string
	desc         string
	ifType       string
	groups       []string
	attachmentID string
	created      time.Time
}

func (n *eni) order() int64 { return n.seq }

// addENI creates an interface in a subnet at its lowest free address (EC2
// reserves the first four and the last address of every subnet).
func (s *Server) addENI(sn *subnet, desc, ifType string, groups []string) *eni {
	used := map[string]bool{}
	for _, n := range s.w.enis {
		if n.subnetID == sn.id {
			used[n.ip] = true
		}
	}
	ip := ""
	for i := 4; sn.cidr.IsValid() && i < hostCount(sn.cidr)-1; i++ {
		if a := nthAddr(sn.cidr, i).String(); !used[a] {
			ip = a
			break
		}
	}
	n := &eni{
		seq:          s.w.next(),
		id:           s.newID("eni"),
		subnetID:     sn.id,
		vpcID:        sn.vpcID,
		az:           sn.az,
		ip:           ip,
		mac:          fmt.Sprintf("0e:%s:%s:%s:%s:%s", s.randHex(2), s.randHex(2), s.randHex(2), s.randHex(2), s.randHex(2)),
		desc:         desc,
		ifType:       ifType,
		groups:       slices.Clone(groups),
		attachmentID: "ela-attach-" + s.randHex(17),
		created:      s.now(),
	}
	s.w.enis[n.id] = n
	return n
}

// removeENI deletes an interface and its tags.
func (s *Server) removeENI(id string) {
	delete(s.w.enis, id)
	s.w.forget(id)
}

// lingeringENI is an interface of a deleted endpoint and when it goes.
type lingeringENI struct {
	id string
	at time.Time
}

// lingerENI schedules the removal of an interface of a deleted endpoint: it
// stays (and keeps its security groups in use) until at.
func (s *Server) lingerENI(id string, at time.Time) {
	s.w.lingering = append(s.w.lingering, lingeringENI{id, at})
	slices.SortStableFunc(s.w.lingering, func(a, b lingeringENI) int { return a.at.Compare(b.at) })
}

// removeLingeringENIs removes the interfaces whose time has come, each
// recorded for reads at its removal time.
func (s *Server) removeLingeringENIs(now time.Time) {
	for len(s.w.lingering) > 0 && !now.Before(s.w.lingering[0].at) {
		n := s.w.lingering[0]
		s.w.lingering = s.w.lingering[1:]
		s.removeENI(n.id)
		s.record(n.at)
	}
}

type xmlPrivateIP struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type xmlAttachment struct {
	AttachmentID        string `xml:"attachmentId"`
	InstanceOwnerID     string `xml:"instanceOwnerId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type xmlENI struct {
	NetworkInterfaceID string               `xml:"networkInterfaceId"`
	SubnetID           string               `xml:"subnetId"`
	VpcID              string               `xml:"vpcId"`
	AvailabilityZone   string               `xml:"availabilityZone"`
	AvailabilityZoneID string               `xml:"availabilityZoneId"`
	Description        string               `xml:"description"`
	OwnerID            string               `xml:"ownerId"`
	RequesterID        string               `xml:"requesterId"`
	RequesterManaged   bool                 `xml:"requesterManaged"`
	Status             string               `xml:"status"`
	MacAddress         string               `xml:"macAddress"`
	PrivateIPAddress   string               `xml:"privateIpAddress"`
	PrivateDNSName     string               `xml:"privateDnsName"`
	SourceDestCheck    bool                 `xml:"sourceDestCheck"`
	InterfaceType      string               `xml:"interfaceType"`
	Groups             []xmlGroupIdentifier `xml:"groupSet>item"`
	Attachment         xmlAttachment        `xml:"attachment"`
	PrivateIPs         []xmlPrivateIP       `xml:"privateIpAddressesSet>item"`
	Tags               []xmlTag             `xml:"tagSet>item"`
}

// privateDNSName is the EC2 hostname of a private address.
func (s *Server) privateDNSName(ip string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if s.opts.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + s.opts.Region + ".compute.internal"
}

func (s *Server) groupIdentifiers(ids []string) []xmlGroupIdentifier {
	var out []xmlGroupIdentifier
	for _, id := range ids {
		name := ""
		if g := s.w.groups[id]; g != nil {
			name = g.name
		}
		out = append(out, xmlGroupIdentifier{id, name})
	}
	return out
}

func (s *Server) eniXML(n *eni, tags map[string]string) xmlENI {
	dns := s.privateDNSName(n.ip)
	return xmlENI{
		NetworkInterfaceID: n.id,
		SubnetID:           n.subnetID,
		VpcID:              n.vpcID,
		AvailabilityZone:   n.az,
		AvailabilityZoneID: zoneID(s.opts.Region, n.az),
		Description:        n.desc,
		OwnerID:            s.accountID(),
		RequesterID:        "727180483921",
		RequesterManaged:   true,
		Status:             "in-use",
		MacAddress:         n.mac,
		PrivateIPAddress:   n.ip,
		PrivateDNSName:     dns,
		SourceDestCheck:    true,
		InterfaceType:      n.ifType,
		Groups:             s.groupIdentifiers(n.groups),
		Attachment:         xmlAttachment{n.attachmentID, "amazon-aws", 1, "attached", timestamp(n.created), false},
		PrivateIPs:         []xmlPrivateIP{{n.ip, dns, true}},
		Tags:               tagSet(tags),
	}
}

func (s *Server) eniAttrs(n *eni) attrs {
	return func(name string) ([]string, bool) {
		switch name {
		case "network-interface-id":
			return []string{n.id}, true
		case "vpc-id":
			return []string{n.vpcID}, true
		case "subnet-id":
			return []string{n.subnetID}, true
		case "availability-zone":
			return []string{n.az}, true
		case "description":
			return []string{n.desc}, true
		case "requester-managed":
			return []string{"true"}, true
		case "requester-id":
			return []string{"727180483921"}, true
		case "interface-type":
			return []string{n.ifType}, true
		case "status":
			return []string{"in-use"}, true
		case "private-ip-address", "addresses.private-ip-address":
			return []string{n.ip}, true
		case "private-dns-name":
			return []string{s.privateDNSName(n.ip)}, true
		case "mac-address":
			return []string{n.mac}, true
		case "group-id":
			return n.groups, true
		case "owner-id":
			return []string{s.accountID()}, true
		case "attachment.instance-owner-id":
			return []string{"amazon-aws"}, true
		case "attachment.status":
			return []string{"attached"}, true
		case "attachment.attachment-id":
			return []string{n.attachmentID}, true
		}
		return nil, false
	}
}

func (s *Server) describeNetworkInterfaces(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, s.eniAttrs(&eni{})); err != nil {
		return nil, err
	}
	ids := p.list("NetworkInterfaceId")
	if err := s.checkSeen(kindENI, ids); err != nil {
		return nil, err
	}
	var list []viewed[*eni]
	for _, v := range viewOf(s, "eni", s.w.enis) {
		if (len(ids) == 0 || slices.Contains(ids, v.res.id)) && matches(fs, v.tags, s.eniAttrs(v.res)) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		ENIs      []xmlENI `xml:"networkInterfaceSet>item"`
		NextToken string   `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.ENIs = append(out.ENIs, s.eniXML(v.res, v.tags))
	}
	return out, nil
}
