package ec2sim

import (
	"regexp"
	"slices"
	"strings"
)

// securityGroup is a VPC security group with its rules.
type securityGroup struct {
	seq     int64
	id      string
	owner   string // the account
	vpcID   string
	name    string
	desc    string
	ingress []*sgRule
	egress  []*sgRule
}

func (g *securityGroup) order() int64 { return g.seq }

type xmlGroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xmlSecurityGroup struct {
	OwnerID             string            `xml:"ownerId"`
	GroupID             string            `xml:"groupId"`
	GroupName           string            `xml:"groupName"`
	GroupDescription    string            `xml:"groupDescription"`
	VpcID               string            `xml:"vpcId"`
	SecurityGroupArn    string            `xml:"securityGroupArn"`
	IPPermissions       []xmlIPPermission `xml:"ipPermissions>item"`
	IPPermissionsEgress []xmlIPPermission `xml:"ipPermissionsEgress>item"`
	Tags                []xmlTag          `xml:"tagSet>item"`
}

func (s *Server) groupArn(id string) string {
	return s.arn("security-group", id)
}

func (s *Server) groupXML(g *securityGroup, tags map[string]string) xmlSecurityGroup {
	return xmlSecurityGroup{
		OwnerID:             s.accountID(),
		GroupID:             g.id,
		GroupName:           g.name,
		GroupDescription:    g.desc,
		VpcID:               g.vpcID,
		SecurityGroupArn:    s.groupArn(g.id),
		IPPermissions:       s.permissionsXML(g.ingress),
		IPPermissionsEgress: s.permissionsXML(g.egress),
		Tags:                tagSet(tags),
	}
}

func (g *securityGroup) attrs(name string) ([]string, bool) {
	switch name {
	case "group-id":
		return []string{g.id}, true
	case "group-name":
		return []string{g.name}, true
	case "description":
		return []string{g.desc}, true
	case "vpc-id":
		return []string{g.vpcID}, true
	case "owner-id":
		return []string{g.owner}, true
	}
	return nil, false
}

// groupTextSet is the character set EC2 allows in a VPC security group's
// name and description and in a rule's description, as its error spells it.
const groupTextSet = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"

var groupText = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}$`)

// validGroupText reports whether s is at most 255 characters of groupTextSet.
func validGroupText(s string) bool { return groupText.MatchString(s) }

// findGroup returns an existing group or the error EC2 answers for its ID
// (InvalidGroup.NotFound before its creation is visible).
func (s *Server) findGroup(id string) (*securityGroup, *apiError) {
	if g, ok := s.w.groups[id]; ok && s.born(id) {
		return g, nil
	}
	if err := kindGroup.check(id); err != nil {
		return nil, err
	}
	return nil, kindGroup.notFoundErr(id)
}

// addGroup creates a group with EC2's default egress rule (all traffic out).
func (s *Server) addGroup(v *vpc, name, desc string) *securityGroup {
	g := &securityGroup{seq: s.w.next(), id: s.newID("sg"), owner: s.accountID(), vpcID: v.id, name: name, desc: desc}
	g.egress = []*sgRule{{id: s.newID("sgr"), protocol: "-1", cidr: "0.0.0.0/0"}}
	s.w.groups[g.id] = g
	return g
}

// addDefaultGroup creates a VPC's "default" group, which also admits all
// traffic from its own members.
func (s *Server) addDefaultGroup(v *vpc) *securityGroup {
	g := s.addGroup(v, "default", "default VPC security group")
	g.ingress = []*sgRule{{id: s.newID("sgr"), protocol: "-1", groupID: g.id}}
	return g
}

func (s *Server) createSecurityGroup(p params) (any, *apiError) {
	name, desc := p.str("GroupName"), p.str("GroupDescription")
	switch {
	case name == "":
		return nil, errMissingParameter("groupName")
	case desc == "":
		return nil, errMissingParameter("groupDescription")
	case p.str("VpcId") == "":
		return nil, errf("VPCIdNotSpecified", "No default VPC for this user")
	case name == "default":
		return nil, errInvalidParameterValue("Cannot use reserved security group name: default")
	case strings.HasPrefix(name, "sg-"):
		return nil, errInvalidParameterValue("Value (%s) for parameter GroupName is invalid. Group names may not be in the format sg-*.", name)
	case !validGroupText(name):
		return nil, errInvalidParameterValue("Invalid security group name. Valid names are strings less than 256 characters from the following set:  %s", groupTextSet)
	case !validGroupText(desc):
		return nil, errInvalidParameterValue("Invalid security group description. Valid descriptions are strings less than 256 characters from the following set:  %s", groupTextSet)
	}
	v, err := s.findVpc(p.str("VpcId"))
	if err != nil {
		return nil, err
	}
	for _, g := range s.w.groups {
		if g.vpcID == v.id && g.name == name {
			return nil, errf("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, v.id)
		}
	}
	tags, err := p.tagSpecs("security-group")
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	g := s.addGroup(v, name, desc)
	s.w.addTags(g.id, tags)
	return struct {
		GroupID          string   `xml:"groupId"`
		SecurityGroupArn string   `xml:"securityGroupArn"`
		Tags             []xmlTag `xml:"tagSet>item"`
	}{g.id, s.groupArn(g.id), tagSet(s.w.tags[g.id])}, nil
}

func (s *Server) describeSecurityGroups(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, (&securityGroup{}).attrs); err != nil {
		return nil, err
	}
	ids, names := p.list("GroupId"), p.list("GroupName")
	if err := s.checkSeen(kindGroup, ids); err != nil {
		return nil, err
	}
	seen := viewOf(s, "sg", s.w.groups)
	for _, name := range names {
		if !slices.ContainsFunc(seen, func(v viewed[*securityGroup]) bool { return v.res.name == name }) {
			return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC 'none'", name)
		}
	}
	var list []viewed[*securityGroup]
	for _, v := range seen {
		if len(ids) > 0 && !slices.Contains(ids, v.res.id) || len(names) > 0 && !slices.Contains(names, v.res.name) {
			continue
		}
		if matches(fs, v.tags, v.res.attrs) {
			list = append(list, v)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		Groups    []xmlSecurityGroup `xml:"securityGroupInfo>item"`
		NextToken string             `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, v := range page {
		out.Groups = append(out.Groups, s.groupXML(v.res, v.tags))
	}
	return out, nil
}

// groupByIDOrName resolves GroupId, or GroupName when no ID is given.
func (s *Server) groupByIDOrName(p params) (*securityGroup, *apiError) {
	if id := p.str("GroupId"); id != "" {
		return s.findGroup(id)
	}
	name := p.str("GroupName")
	if name == "" {
		return nil, errMissingParameter("groupId")
	}
	for _, g := range sorted(s.w.groups) {
		if g.name == name && s.born(g.id) {
			return g, nil
		}
	}
	return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC 'none'", name)
}

func (s *Server) deleteSecurityGroup(p params) (any, *apiError) {
	g, err := s.groupByIDOrName(p)
	if err != nil {
		return nil, err
	}
	if v := s.w.vpcs[g.vpcID]; v != nil && v.defaultGroup == g.id {
		return nil, errf("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.id)
	}
	for _, n := range s.w.enis {
		if slices.Contains(n.groups, g.id) {
			return nil, errDependency("resource %s has a dependent object", g.id)
		}
	}
	for _, other := range s.w.groups {
		if other.id == g.id {
			continue
		}
		for _, r := range append(slices.Clone(other.ingress), other.egress...) {
			if r.groupID == g.id {
				return nil, errDependency("resource %s has a dependent object", g.id)
			}
		}
	}
	delete(s.w.groups, g.id)
	s.w.forget(g.id)
	return struct {
		Return  bool   `xml:"return"`
		GroupID string `xml:"groupId"`
	}{true, g.id}, nil
}
