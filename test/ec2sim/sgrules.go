package ec2sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// sgRule is one security group rule: a protocol and port range and exactly
// one peer (CIDR, group or prefix list).
type sgRule struct {
	id           string
	protocol     string
	from, to     *int
	cidr         string
	groupID      string
	prefixListID string
	desc         string
}

// key identifies a rule regardless of its ID and description.
func (r *sgRule) key() string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s", r.protocol, intStr(r.from), intStr(r.to), r.cidr, r.groupID, r.prefixListID)
}

func (r *sgRule) peer() string {
	return r.cidr + r.groupID + r.prefixListID
}

func intStr(p *int) string {
	if p == nil {
		return "-1"
	}
	return strconv.Itoa(*p)
}

// normalizeProtocol maps names and numbers onto EC2's canonical protocol.
func normalizeProtocol(p string) (string, *apiError) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "-1", "all":
		return "-1", nil
	case "":
		return "", errMissingParameter("ipProtocol")
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, nil
	}
	return "", errInvalidParameterValue("Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// parseRules decodes IpPermissions.N (or the legacy top-level fields) into
// one rule per peer.
func (s *Server) parseRules(p params) ([]*sgRule, *apiError) {
	type perm struct{ proto, from, to, prefix string }
	var perms []perm
	for _, n := range p.indices("IpPermissions") {
		m := member("IpPermissions", n)
		perms = append(perms, perm{p.str(m + ".IpProtocol"), p.str(m + ".FromPort"), p.str(m + ".ToPort"), m})
	}
	if len(perms) == 0 && p.has("IpProtocol") {
		perms = append(perms, perm{p.str("IpProtocol"), p.str("FromPort"), p.str("ToPort"), ""})
	}
	var rules []*sgRule
	for _, pm := range perms {
		proto, err := normalizeProtocol(pm.proto)
		if err != nil {
			return nil, err
		}
		base := sgRule{protocol: proto}
		if proto != "-1" {
			from, err1 := strconv.Atoi(pm.from)
			to, err2 := strconv.Atoi(pm.to)
			if err1 != nil || err2 != nil {
				return nil, errInvalidParameterValue("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
			}
			if (proto == "tcp" || proto == "udp") && (from < 0 || to > 65535 || from > to) {
				return nil, errInvalidParameterValue("Invalid port range: from port %d, to port %d", from, to)
			}
			base.from, base.to = &from, &to
		}
		add := func(r sgRule) { rules = append(rules, &r) }
		if pm.prefix == "" {
			if cidr := p.str("CidrIp"); cidr != "" {
				r := base
				r.cidr = cidr
				add(r)
			}
			continue
		}
		for _, n := range p.indices(pm.prefix + ".IpRanges") {
			m := member(pm.prefix+".IpRanges", n)
			cidr, ok := parseCIDR(p.str(m+".CidrIp"), 0, 32)
			if !ok {
				return nil, errInvalidParameterValue("CIDR block %s is malformed", p.str(m+".CidrIp"))
			}
			r := base
			r.cidr, r.desc = cidr.String(), p.str(m+".Description")
			add(r)
		}
		for _, n := range p.indices(pm.prefix + ".Groups") {
			m := member(pm.prefix+".Groups", n)
			peer, err := s.findGroup(p.str(m + ".GroupId"))
			if err != nil {
				return nil, err
			}
			r := base
			r.groupID, r.desc = peer.id, p.str(m+".Description")
			add(r)
		}
		for _, n := range p.indices(pm.prefix + ".PrefixListIds") {
			m := member(pm.prefix+".PrefixListIds", n)
			r := base
			r.prefixListID, r.desc = p.str(m+".PrefixListId"), p.str(m+".Description")
			add(r)
		}
	}
	if len(rules) == 0 {
		return nil, errMissingParameter("ipPermissions")
	}
	for _, r := range rules {
		if !validGroupText(r.desc) {
			return nil, errInvalidParameterValue("Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  %s", groupTextSet)
		}
	}
	return rules, nil
}

func (s *Server) authorizeIngress(p params) (any, *apiError) { return s.authorizeRules(p, false) }
func (s *Server) authorizeEgress(p params) (any, *apiError)  { return s.authorizeRules(p, true) }
func (s *Server) revokeIngress(p params) (any, *apiError)    { return s.revokeRules(p, false) }
func (s *Server) revokeEgress(p params) (any, *apiError)     { return s.revokeRules(p, true) }

// rulesOf returns a pointer to the group's ingress or egress rules.
func (g *securityGroup) rulesOf(egress bool) *[]*sgRule {
	if egress {
		return &g.egress
	}
	return &g.ingress
}

func (s *Server) authorizeRules(p params, egress bool) (any, *apiError) {
	g, err := s.groupByIDOrName(p)
	if err != nil {
		return nil, err
	}
	rules, err := s.parseRules(p)
	if err != nil {
		return nil, err
	}
	existing := g.rulesOf(egress)
	seen := map[string]bool{}
	for _, r := range *existing {
		seen[r.key()] = true
	}
	for _, r := range rules {
		if seen[r.key()] {
			from, to := intStr(r.from), intStr(r.to)
			return nil, errf("InvalidPermission.Duplicate", "the specified rule \"peer: %s, %s, from port: %s, to port: %s, ALLOW\" already exists", r.peer(), strings.ToUpper(r.protocol), from, to)
		}
		seen[r.key()] = true
	}
	out := struct {
		Return bool      `xml:"return"`
		Rules  []xmlRule `xml:"securityGroupRuleSet>item"`
	}{Return: true}
	for _, r := range rules {
		r.id = s.newID("sgr")
		*existing = append(*existing, r)
		out.Rules = append(out.Rules, s.ruleXML(g, r, egress))
	}
	return out, nil
}

func (s *Server) revokeRules(p params, egress bool) (any, *apiError) {
	g, err := s.groupByIDOrName(p)
	if err != nil {
		return nil, err
	}
	existing := g.rulesOf(egress)
	var drop []string // rule IDs
	if ids := p.list("SecurityGroupRuleId"); len(ids) > 0 {
		for _, id := range ids {
			if !slices.ContainsFunc(*existing, func(r *sgRule) bool { return r.id == id }) {
				return nil, kindRule.notFoundErr(id)
			}
		}
		drop = ids
	} else {
		rules, err := s.parseRules(p)
		if err != nil {
			return nil, err
		}
		for _, want := range rules {
			i := slices.IndexFunc(*existing, func(r *sgRule) bool { return r.key() == want.key() })
			if i < 0 {
				return nil, errf("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			drop = append(drop, (*existing)[i].id)
		}
	}
	*existing = slices.DeleteFunc(*existing, func(r *sgRule) bool { return slices.Contains(drop, r.id) })
	return xmlReturn{Return: true}, nil
}

type xmlIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xmlGroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type xmlPrefixListID struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

type xmlIPPermission struct {
	IPProtocol    string            `xml:"ipProtocol"`
	FromPort      *int              `xml:"fromPort,omitempty"`
	ToPort        *int              `xml:"toPort,omitempty"`
	Groups        []xmlGroupPair    `xml:"groups>item"`
	IPRanges      []xmlIPRange      `xml:"ipRanges>item"`
	PrefixListIDs []xmlPrefixListID `xml:"prefixListIds>item"`
}

// permissionsXML groups rules by protocol and port range as EC2 does.
func (s *Server) permissionsXML(rules []*sgRule) []xmlIPPermission {
	var out []xmlIPPermission
	index := map[string]int{}
	for _, r := range rules {
		k := r.protocol + "|" + intStr(r.from) + "|" + intStr(r.to)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, xmlIPPermission{IPProtocol: r.protocol, FromPort: r.from, ToPort: r.to})
		}
		switch {
		case r.cidr != "":
			out[i].IPRanges = append(out[i].IPRanges, xmlIPRange{r.cidr, r.desc})
		case r.groupID != "":
			out[i].Groups = append(out[i].Groups, xmlGroupPair{s.accountID(), r.groupID, r.desc})
		default:
			out[i].PrefixListIDs = append(out[i].PrefixListIDs, xmlPrefixListID{r.prefixListID, r.desc})
		}
	}
	return out
}

type xmlReferencedGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type xmlRule struct {
	SecurityGroupRuleID  string              `xml:"securityGroupRuleId"`
	GroupID              string              `xml:"groupId"`
	GroupOwnerID         string              `xml:"groupOwnerId"`
	IsEgress             bool                `xml:"isEgress"`
	IPProtocol           string              `xml:"ipProtocol"`
	FromPort             string              `xml:"fromPort"`
	ToPort               string              `xml:"toPort"`
	CidrIpv4             string              `xml:"cidrIpv4,omitempty"`
	ReferencedGroupInfo  *xmlReferencedGroup `xml:"referencedGroupInfo,omitempty"`
	PrefixListID         string              `xml:"prefixListId,omitempty"`
	Description          string              `xml:"description,omitempty"`
	SecurityGroupRuleArn string              `xml:"securityGroupRuleArn"`
	Tags                 []xmlTag            `xml:"tagSet>item"`
}

func (s *Server) ruleXML(g *securityGroup, r *sgRule, egress bool) xmlRule {
	out := xmlRule{
		SecurityGroupRuleID:  r.id,
		GroupID:              g.id,
		GroupOwnerID:         s.accountID(),
		IsEgress:             egress,
		IPProtocol:           r.protocol,
		FromPort:             intStr(r.from),
		ToPort:               intStr(r.to),
		CidrIpv4:             r.cidr,
		PrefixListID:         r.prefixListID,
		Description:          r.desc,
		SecurityGroupRuleArn: s.arn("security-group-rule", r.id),
	}
	if r.groupID != "" {
		out.ReferencedGroupInfo = &xmlReferencedGroup{r.groupID, s.accountID()}
	}
	return out
}

// ruleRow is one rule in creation order of its group, for pagination.
type ruleRow struct {
	seq int64
	xmlRule
}

func (r ruleRow) order() int64 { return r.seq }

func (s *Server) describeSecurityGroupRules(p params) (any, *apiError) {
	fs := p.filters()
	attr := func(r xmlRule) attrs {
		return func(name string) ([]string, bool) {
			switch name {
			case "group-id":
				return []string{r.GroupID}, true
			case "security-group-rule-id":
				return []string{r.SecurityGroupRuleID}, true
			}
			return nil, false
		}
	}
	if err := checkFilters(fs, attr(xmlRule{})); err != nil {
		return nil, err
	}
	ids := p.list("SecurityGroupRuleId")
	var rows []ruleRow
	for _, v := range viewOf(s, "sg", s.w.groups) {
		g := v.res
		for _, egress := range []bool{false, true} {
			for _, r := range *g.rulesOf(egress) {
				x := s.ruleXML(g, r, egress)
				if (len(ids) == 0 || slices.Contains(ids, r.id)) && matches(fs, nil, attr(x)) {
					rows = append(rows, ruleRow{int64(len(rows) + 1), x})
				}
			}
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(rows, func(r ruleRow) bool { return r.SecurityGroupRuleID == id }) {
			return nil, kindRule.notFoundErr(id)
		}
	}
	page, next, err := paginate(rows, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		Rules     []xmlRule `xml:"securityGroupRuleSet>item"`
		NextToken string    `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, r := range page {
		out.Rules = append(out.Rules, r.xmlRule)
	}
	return out, nil
}
