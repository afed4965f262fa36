package endpoint

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// sgRule is one ingress rule: a protocol and port range from one source.
type sgRule struct {
	Protocol string
	From, To int32
	CIDR     string // IPv4 or IPv6 CIDR
	Group    string
}

func (r sgRule) String() string {
	src := r.CIDR
	if r.Group != "" {
		src = r.Group
	}
	if r.From == r.To {
		return fmt.Sprintf("%s/%d from %s", r.Protocol, r.From, src)
	}
	return fmt.Sprintf("%s/%d-%d from %s", r.Protocol, r.From, r.To, src)
}

// desiredRules are the ingress rules the spec implies: TCP on each port from each
// source; no sources means the VPC's CIDR blocks; no ports means 443.
func desiredRules(m ManagedGroupSpec, vpcCIDRs []string) []sgRule {
	ports := m.Ports
	if len(ports) == 0 {
		ports = []int32{443}
	}
	cidrs, groups := m.CIDRs, m.GroupIDs
	if len(cidrs) == 0 && len(groups) == 0 {
		cidrs = vpcCIDRs
	}
	var out []sgRule
	for _, p := range ports {
		for _, c := range sortedSet(cidrs) {
			out = append(out, sgRule{Protocol: "tcp", From: p, To: p, CIDR: c})
		}
		for _, g := range sortedSet(groups) {
			out = append(out, sgRule{Protocol: "tcp", From: p, To: p, Group: g})
		}
	}
	return sortRules(out)
}

// observedRules flattens EC2 permissions into one rule per source.
func observedRules(perms []types.IpPermission) []sgRule {
	var out []sgRule
	for _, p := range perms {
		base := sgRule{Protocol: aws.ToString(p.IpProtocol), From: aws.ToInt32(p.FromPort), To: aws.ToInt32(p.ToPort)}
		if base.Protocol == "6" {
			base.Protocol = "tcp"
		}
		for _, r := range p.IpRanges {
			x := base
			x.CIDR = aws.ToString(r.CidrIp)
			out = append(out, x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.CIDR = aws.ToString(r.CidrIpv6)
			out = append(out, x)
		}
		for _, g := range p.UserIdGroupPairs {
			x := base
			x.Group = aws.ToString(g.GroupId)
			out = append(out, x)
		}
		for _, pl := range p.PrefixListIds {
			x := base
			x.CIDR = aws.ToString(pl.PrefixListId)
			out = append(out, x)
		}
	}
	return sortRules(out)
}

// diffRules returns the rules to authorize and to revoke so that have becomes want.
func diffRules(want, have []sgRule) (authorize, revoke []sgRule) {
	in := func(list []sgRule) map[sgRule]bool {
		m := make(map[sgRule]bool, len(list))
		for _, r := range list {
			m[r] = true
		}
		return m
	}
	haveSet, wantSet := in(have), in(want)
	for _, r := range want {
		if !haveSet[r] {
			authorize = append(authorize, r)
		}
	}
	for _, r := range have {
		if !wantSet[r] {
			revoke = append(revoke, r)
		}
	}
	return authorize, revoke
}

func sortRules(rs []sgRule) []sgRule {
	sort.Slice(rs, func(i, j int) bool { return rs[i].String() < rs[j].String() })
	return rs
}

// permissions turns rules into EC2 permissions, one per rule.
func permissions(rules []sgRule) []types.IpPermission {
	out := make([]types.IpPermission, 0, len(rules))
	for _, r := range rules {
		p := types.IpPermission{IpProtocol: aws.String(r.Protocol), FromPort: aws.Int32(r.From), ToPort: aws.Int32(r.To)}
		switch {
		case r.Group != "":
			p.UserIdGroupPairs = []types.UserIdGroupPair{{GroupId: aws.String(r.Group)}}
		case strings.HasPrefix(r.CIDR, "pl-"):
			p.PrefixListIds = []types.PrefixListId{{PrefixListId: aws.String(r.CIDR)}}
		case strings.Contains(r.CIDR, ":"):
			p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(r.CIDR)}}
		default:
			p.IpRanges = []types.IpRange{{CidrIp: aws.String(r.CIDR)}}
		}
		out = append(out, p)
	}
	return out
}

// groupName is the managed group's name: unique per cluster, namespace and name.
func groupName(o Owner) string {
	n := fmt.Sprintf("vpce-%s-%s-%s", o.Cluster, o.Namespace, o.Name)
	if len(n) > 255 {
		n = n[:255]
	}
	return n
}

// findManagedGroup finds the owner's group by its recorded ID or by ownership tags.
func findManagedGroup(ctx context.Context, cl awsclient.EC2, owner Owner, priorID string) (*types.SecurityGroup, error) {
	if priorID != "" {
		out, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{priorID}})
		if err != nil && !awserr.IsNotFound(err) {
			return nil, fromAWS(err, "describing the managed security group")
		}
		if err == nil && len(out.SecurityGroups) > 0 {
			return &out.SecurityGroups[0], nil
		}
	}
	out, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: ownerFilters(owner)})
	if err != nil {
		return nil, fromAWS(err, "looking up the managed security group by its ownership tags")
	}
	if len(out.SecurityGroups) == 0 {
		return nil, nil
	}
	return &out.SecurityGroups[0], nil
}

// ensureManagedGroup creates the owner's security group if it is missing and keeps
// its ingress rules exact. It returns the group's ID.
func ensureManagedGroup(ctx context.Context, cl awsclient.EC2, owner Owner, vpc vpcInfo, spec ManagedGroupSpec, priorID string, out *Outcome, drift bool) (string, error) {
	g, err := findManagedGroup(ctx, cl, owner, priorID)
	if err != nil {
		return "", err
	}
	if g != nil && aws.ToString(g.VpcId) != vpc.ID {
		g = nil
	}
	var have []sgRule
	if g == nil {
		id, err := createManagedGroup(ctx, cl, owner, vpc.ID)
		if err != nil {
			return "", err
		}
		g = &types.SecurityGroup{GroupId: aws.String(id), VpcId: aws.String(vpc.ID)}
		out.event(v1alpha1.EventCreated, "CreateSecurityGroup", "Created security group %s", id)
	} else {
		have = observedRules(g.IpPermissions)
	}
	id := aws.ToString(g.GroupId)
	authorize, revoke := diffRules(desiredRules(spec, vpc.CIDRs), have)
	if len(revoke) > 0 {
		if _, err := cl.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: permissions(revoke)}); err != nil && awserr.Code(err) != "InvalidPermission.NotFound" {
			return id, fromAWS(err, "revoking rules of security group "+id)
		}
	}
	if len(authorize) > 0 {
		if _, err := cl.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: permissions(authorize)}); err != nil && awserr.Code(err) != "InvalidPermission.Duplicate" {
			return id, fromAWS(err, "authorizing rules of security group "+id)
		}
	}
	if len(have) > 0 && len(authorize)+len(revoke) > 0 {
		msg := fmt.Sprintf("security group %s rules: %s", id, describeRuleChanges(authorize, revoke))
		if drift {
			out.event(v1alpha1.EventDriftCorrected, "UpdateSecurityGroupRules", "Repaired %s", msg)
			out.DriftFields = append(out.DriftFields, "security-group-rules")
		} else {
			out.event(v1alpha1.EventModified, "UpdateSecurityGroupRules", "Updated %s", msg)
		}
	}
	return id, nil
}

func describeRuleChanges(authorize, revoke []sgRule) string {
	var parts []string
	for _, r := range authorize {
		parts = append(parts, "+"+r.String())
	}
	for _, r := range revoke {
		parts = append(parts, "-"+r.String())
	}
	return strings.Join(parts, ", ")
}

func createManagedGroup(ctx context.Context, cl awsclient.EC2, owner Owner, vpcID string) (string, error) {
	name := groupName(owner)
	tags := ownershipTags(owner)
	tags[TagName] = name
	res, err := cl.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         aws.String(name),
		Description:       aws.String(fmt.Sprintf("Managed by vpce-controller for %s %s", owner.Kind, owner.Ref())),
		VpcId:             aws.String(vpcID),
		TagSpecifications: tagSpec(types.ResourceTypeSecurityGroup, tags),
	})
	if err == nil {
		return aws.ToString(res.GroupId), nil
	}
	if awserr.Code(err) != "InvalidGroup.Duplicate" {
		return "", fromAWS(err, "creating the managed security group")
	}
	// A group of that name exists: ours if it carries our UID (a create whose tag
	// lookup was not yet consistent), someone else's otherwise.
	desc, derr := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("group-name"), Values: []string{name}},
	}})
	if derr != nil {
		return "", fromAWS(derr, "describing security group "+name)
	}
	for _, g := range desc.SecurityGroups {
		if tagMap(g.Tags)[TagOwnerUID] == owner.UID {
			return aws.ToString(g.GroupId), nil
		}
	}
	return "", problemf("InvalidGroupDuplicate", "a security group named %s that this object does not own already exists in %s; delete or rename it", name, vpcID)
}

// deleteManagedGroup deletes the owner's group. It reports false while AWS still
// holds it (DependencyViolation: the endpoint's interfaces are not gone yet).
func deleteManagedGroup(ctx context.Context, cl awsclient.EC2, owner Owner, priorID string, out *Outcome) (bool, error) {
	g, err := findManagedGroup(ctx, cl, owner, priorID)
	if err != nil || g == nil {
		return err == nil, err
	}
	if tagMap(g.Tags)[TagOwnerUID] != owner.UID {
		return true, nil // not ours (any more): leave it
	}
	id := aws.ToString(g.GroupId)
	_, err = cl.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	switch {
	case err == nil:
		out.event(v1alpha1.EventDeleted, "DeleteSecurityGroup", "Deleted security group %s", id)
		return true, nil
	case awserr.IsNotFound(err):
		return true, nil
	case awserr.Code(err) == "DependencyViolation":
		return false, nil
	default:
		return false, fromAWS(err, "deleting security group "+id)
	}
}
