package endpoint

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// sgRule is one rule: a protocol and port range from one source (ingress) or to
// one destination (egress).
type sgRule struct {
	Protocol string
	From, To int32
	CIDR     string // IPv4 or IPv6 CIDR
	Group    string
	Egress   bool
}

func (r sgRule) String() string {
	peer, dir := r.CIDR, "from"
	if r.Group != "" {
		peer = r.Group
	}
	if r.Egress {
		dir = "to"
	}
	if r.Protocol == "-1" {
		return fmt.Sprintf("all traffic %s %s", dir, peer)
	}
	if r.From == r.To {
		return fmt.Sprintf("%s/%d %s %s", r.Protocol, r.From, dir, peer)
	}
	return fmt.Sprintf("%s/%d-%d %s %s", r.Protocol, r.From, r.To, dir, peer)
}

// desiredRules are the rules the spec implies: TCP on each port from each source
// (to each destination when m.Egress); no sources means the VPC's CIDR blocks; no
// ports means 443.
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
			out = append(out, sgRule{Protocol: "tcp", From: p, To: p, CIDR: c, Egress: m.Egress})
		}
		for _, g := range sortedSet(groups) {
			out = append(out, sgRule{Protocol: "tcp", From: p, To: p, Group: g, Egress: m.Egress})
		}
	}
	return sortRules(out)
}

// groupRules are the rules of the group that the spec manages: its ingress
// rules, and with m.Egress its egress rules too (otherwise they are left alone).
func groupRules(g types.SecurityGroup, m ManagedGroupSpec) []sgRule {
	rules := observedRules(g.IpPermissions)
	if m.Egress {
		for _, r := range observedRules(g.IpPermissionsEgress) {
			r.Egress = true
			rules = append(rules, r)
		}
	}
	return sortRules(rules)
}

// defaultEgress is the rule AWS gives every new security group: all outbound
// IPv4 traffic.
var defaultEgress = sgRule{Protocol: "-1", CIDR: "0.0.0.0/0", Egress: true}

// splitRules separates ingress from egress rules.
func splitRules(rules []sgRule) (ingress, egress []sgRule) {
	for _, r := range rules {
		if r.Egress {
			egress = append(egress, r)
		} else {
			ingress = append(ingress, r)
		}
	}
	return ingress, egress
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
		if r.Protocol == "-1" {
			p.FromPort, p.ToPort = nil, nil // all traffic: no ports
		}
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

// groupName is the managed group's name: unique per object (the UID's first
// eight characters end it), so a group left behind by deletionPolicy Retain never
// blocks a new object of the same name, and one object can never make two groups
// in its VPC, where names are unique.
func groupName(o Owner) string {
	suffix := "-" + uidFragment(o.UID)
	return truncate(fmt.Sprintf("vpce-%s-%s-%s", o.Cluster, o.Namespace, o.Name), maxGroupName-len(suffix)) + suffix
}

// maxGroupName and maxGroupDescription are EC2's limits, in characters.
const (
	maxGroupName        = 255
	maxGroupDescription = 255
)

func uidFragment(uid string) string {
	if len(uid) > 8 {
		return uid[:8]
	}
	return uid
}

// groupDescription describes the managed group, within EC2's limit.
func groupDescription(o Owner) string {
	return truncate(fmt.Sprintf("Managed by vpce-controller for %s %s", o.Kind, o.Ref()), maxGroupDescription)
}

// lookupManagedGroup finds the owner's group by the ID its status records, by its
// ownership tags, or (byName) by its name.
func lookupManagedGroup(ctx context.Context, cl awsclient.EC2, owner Owner, priorID string, byName bool) (*types.SecurityGroup, error) {
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
	if len(out.SecurityGroups) > 0 {
		return &out.SecurityGroups[0], nil
	}
	if !byName {
		return nil, nil
	}
	// Tags may lag behind a create, and may have been stripped: the name is the
	// object's too.
	out, err = cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("group-name"), Values: []string{groupName(owner)}},
	}})
	if err != nil {
		return nil, fromAWS(err, "looking up the managed security group by its name")
	}
	for _, g := range out.SecurityGroups {
		if t := tagMap(g.Tags); t[TagOwnerUID] == owner.UID || t[TagOwnerUID] == "" && t[TagCluster] == "" {
			return &g, nil
		}
	}
	return nil, nil
}

// findGroup finds the object's managed group in its VPC. A group found is seen (its
// create intent is settled); one that lost its ownership tags gets them back, or a
// condition says how to restore them.
func (e *Engine) findGroup(ctx context.Context, cl awsclient.EC2, req Request, vpcID string, out *Outcome) (*types.SecurityGroup, error) {
	// The name is looked up (an EC2 read of its own: no snapshot holds groups
	// without this cluster's tags) only when the status records the group or a
	// create of it. Otherwise nothing was made for this object (every create is
	// recorded first) and the name, unique to the object, is free unless someone
	// made a group of that name by hand: the create then fails
	// InvalidGroup.Duplicate, which createManagedGroup resolves.
	made := req.Prior.ManagedSecurityGroupID != "" || req.Prior.GroupIntent != nil
	g, err := lookupManagedGroup(ctx, cl, req.Owner, req.Prior.ManagedSecurityGroupID, made)
	if err != nil || g == nil || aws.ToString(g.VpcId) != vpcID {
		return nil, err
	}
	out.ManagedGroupID = aws.ToString(g.GroupId)
	out.GroupIntent = nil
	if c := req.Prior.GroupChange; e.settling(c, groupDigest(*g, *req.Spec.Managed)) {
		// AWS still shows the group as it was before the controller changed it.
		out.groupSettling = true
		return g, nil
	}
	out.GroupChange = nil
	restored, err := keepGroupOwned(ctx, cl, req.Owner, g, out)
	if err != nil {
		return nil, err
	}
	if restored {
		e.changed(&out.GroupChange, groupDigest(*g, *req.Spec.Managed))
	}
	return g, nil
}

// keepGroupOwned restores ownership tags stripped from the managed group. Under the
// published IAM policy the controller may not (it changes only groups that carry
// them): the user then must, and the condition says how.
func keepGroupOwned(ctx context.Context, cl awsclient.EC2, owner Owner, g *types.SecurityGroup, out *Outcome) (bool, error) {
	id, have := aws.ToString(g.GroupId), tagMap(g.Tags)
	if c, u := have[TagCluster], have[TagOwnerUID]; c != "" && c != owner.Cluster || u != "" && u != owner.UID {
		return false, problemf(v1alpha1.ReasonSecurityGroupOwnershipLost, "status.managedSecurityGroupID: security group %s now carries the ownership tags of %s in cluster %s, so this object leaves it alone; delete this object and recreate it, or give the group back its tags (see docs/troubleshooting.md)", id, have[TagOwner], c)
	}
	missing := map[string]string{}
	for k, v := range ownershipTags(owner) {
		if have[k] != v {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return false, nil
	}
	_, err := cl.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(missing)})
	switch {
	case err == nil:
		out.repaired([]string{DriftSecurityGroupTags}, "CreateTags", "Restored the ownership tags %s of security group %s", strings.Join(sortedKeys(missing), ","), id)
		return true, nil
	case awserr.Code(err) == "UnauthorizedOperation":
		return false, ownershipLost(owner, id, "change it")
	default:
		return false, fromAWS(err, "restoring the ownership tags of security group "+id)
	}
}

// ownershipLost is the problem of a managed group whose ownership tags are gone,
// when the IAM policy then forbids what the controller must do to it.
func ownershipLost(owner Owner, id, what string) *Problem {
	return problemf(v1alpha1.ReasonSecurityGroupOwnershipLost,
		"status.managedSecurityGroupID: security group %s lost its ownership tags, and the controller's IAM policy lets it %s only while the group carries them: restore them (aws ec2 create-tags --resources %s --tags Key=%s,Value=%s Key=%s,Value=%s Key=%s,Value=%s) or, to delete this object, delete the group yourself",
		id, what, id, TagCluster, owner.Cluster, TagOwner, tagValue(owner.Ref()), TagOwnerUID, owner.UID)
}

// ensureGroup creates the managed group when g is nil and keeps its rules exact
// (ingress; ingress and egress with spec.Egress). It returns the group's ID.
func (e *Engine) ensureGroup(ctx context.Context, cl awsclient.EC2, req Request, vpc vpcInfo, g *types.SecurityGroup, spec ManagedGroupSpec, out *Outcome) (string, error) {
	// The rules of a group made in this reconcile, or by a create whose group was
	// not seen before, are part of making it (for an egress-only group, revoking
	// AWS's allow-all egress rule too); any other change to them is reported.
	making := g == nil || req.Prior.GroupIntent != nil
	if g == nil {
		made, err := e.createManagedGroup(ctx, cl, req.Owner, vpc.ID, out)
		if err != nil {
			return "", err
		}
		if prior, id := req.Prior.ManagedSecurityGroupID, aws.ToString(made.GroupId); prior != "" && prior != id && req.Prior.GroupIntent == nil {
			out.repaired([]string{DriftSecurityGroup}, "RecreateSecurityGroup", "Security group %s was deleted outside the controller; created %s in its place", prior, id)
		}
		g = made
		if spec.Egress && len(g.IpPermissionsEgress) == 0 {
			// AWS gives every new group a rule allowing all outbound IPv4 traffic.
			g.IpPermissionsEgress = permissions([]sgRule{defaultEgress})
		}
	}
	have := groupRules(*g, spec)
	id := aws.ToString(g.GroupId)
	if out.groupSettling {
		out.Poll = e.pendingPoll()
		return id, nil
	}
	notYet := func(err error) bool {
		// A group made moments ago may be unknown to the rule calls for a while
		// (AWS's own example of eventual consistency).
		return awserr.Code(err) == "InvalidGroup.NotFound" && (out.GroupIntent != nil || e.within(req.Prior.GroupIntent))
	}
	authorize, revoke := diffRules(desiredRules(spec, vpc.CIDRs), have)
	changing := len(authorize)+len(revoke) > 0
	prev := out.GroupChange
	if changing && prev == nil {
		// Recorded before the rules change (see recordChange), as the group shows
		// now (a group just made: bare): until AWS shows the rules, a read of that
		// is waited out, not taken for drift.
		if err := e.recordChange(ctx, req, out, &out.GroupChange, groupDigest(*g, spec)); err != nil {
			return id, err
		}
	}
	if err := applyRules(ctx, cl, id, authorize, revoke); err != nil {
		out.GroupChange = prev
		if notYet(err) {
			return id, errGroupNotYetVisible
		}
		return id, fromAWS(err, "changing the rules of security group "+id)
	}
	if !making && changing {
		msg := fmt.Sprintf("security group %s rules: %s", id, describeRuleChanges(authorize, revoke))
		out.changedOrRepaired(req, []string{DriftSecurityGroupRules}, "UpdateSecurityGroupRules", "Updated %s", "Repaired %s", msg)
	}
	return id, nil
}

// applyRules revokes, then authorizes, ingress and egress rules of a group. A
// rule already revoked or already there is no error (a retried call, or AWS not
// showing the group's last change yet); AWS's other errors are returned as they
// are (InvalidGroup.NotFound: see notYet) or as a Problem.
func applyRules(ctx context.Context, cl awsclient.EC2, id string, authorize, revoke []sgRule) error {
	revokeIn, revokeOut := splitRules(revoke)
	addIn, addOut := splitRules(authorize)
	call := func(rules []sgRule, what, ignore string, f func([]types.IpPermission) error) error {
		if len(rules) == 0 {
			return nil
		}
		if err := f(permissions(rules)); err != nil && awserr.Code(err) != ignore {
			if awserr.Code(err) == "InvalidGroup.NotFound" {
				return err
			}
			return fromAWS(err, what+" rules of security group "+id)
		}
		return nil
	}
	if err := call(revokeIn, "revoking", "InvalidPermission.NotFound", func(p []types.IpPermission) error {
		_, err := cl.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: p})
		return err
	}); err != nil {
		return err
	}
	if err := call(revokeOut, "revoking egress", "InvalidPermission.NotFound", func(p []types.IpPermission) error {
		_, err := cl.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: p})
		return err
	}); err != nil {
		return err
	}
	if err := call(addIn, "authorizing", "InvalidPermission.Duplicate", func(p []types.IpPermission) error {
		_, err := cl.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: p})
		return err
	}); err != nil {
		return err
	}
	return call(addOut, "authorizing egress", "InvalidPermission.Duplicate", func(p []types.IpPermission) error {
		_, err := cl.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: p})
		return err
	})
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

// createManagedGroup makes the owner's group. Its name is the object's, so a
// repeated create (after a crash, or while AWS does not list the first yet) fails
// InvalidGroup.Duplicate instead of making a second group.
// It returns the group as AWS shows it once made.
func (e *Engine) createManagedGroup(ctx context.Context, cl awsclient.EC2, owner Owner, vpcID string, out *Outcome) (*types.SecurityGroup, error) {
	name := groupName(owner)
	tags := e.groupTags(owner, name)
	res, err := cl.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         aws.String(name),
		Description:       aws.String(groupDescription(owner)),
		VpcId:             aws.String(vpcID),
		TagSpecifications: tagSpec(types.ResourceTypeSecurityGroup, tags),
	})
	if err == nil {
		id := aws.ToString(res.GroupId)
		out.ManagedGroupID = id
		out.event(v1alpha1.EventCreated, "CreateSecurityGroup", "Created security group %s", id)
		return &types.SecurityGroup{GroupId: res.GroupId, VpcId: aws.String(vpcID), Tags: ec2Tags(tags)}, nil
	}
	if awserr.Code(err) != "InvalidGroup.Duplicate" {
		p := fromAWS(err, "creating the managed security group")
		if p.Class == awserr.Terminal {
			out.GroupIntent = nil // refused: nothing was made
		}
		return nil, p
	}
	// A group of this name exists: this object's (an earlier attempt AWS does not
	// show yet), or, after the consistency bound, one made by hand.
	desc, derr := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("group-name"), Values: []string{name}},
	}})
	if derr != nil {
		return nil, fromAWS(derr, "describing security group "+name)
	}
	for _, g := range desc.SecurityGroups {
		if tagMap(g.Tags)[TagOwnerUID] == owner.UID {
			out.ManagedGroupID = aws.ToString(g.GroupId)
			return &g, nil
		}
	}
	if e.within(out.GroupIntent) {
		return nil, errGroupNotYetVisible
	}
	return nil, problemf("InvalidGroupDuplicate", "a security group named %s that this object does not own already exists in %s; delete or rename it", name, vpcID)
}

// deleteManagedGroup deletes the owner's group. It reports false while AWS still
// holds it (DependencyViolation: the endpoint's interfaces are not gone yet) or
// may not list it yet (a recorded create within the consistency bound).
func (e *Engine) deleteManagedGroup(ctx context.Context, cl awsclient.EC2, req Request, out *Outcome) (bool, error) {
	owner := req.Owner
	g, err := lookupManagedGroup(ctx, cl, owner, req.Prior.ManagedSecurityGroupID, true)
	if err != nil {
		return false, err
	}
	if g == nil {
		if in := req.Prior.GroupIntent; e.within(in) {
			out.notReady(v1alpha1.ReasonDeleting, "looking for the security group created at %s before concluding none was made (for up to %s more: AWS is eventually consistent)", in.Since.UTC().Format(time.RFC3339), e.until(in))
			return false, nil
		}
		return true, nil
	}
	id, have := aws.ToString(g.GroupId), tagMap(g.Tags)
	if c, u := have[TagCluster], have[TagOwnerUID]; c != "" && c != owner.Cluster || u != "" && u != owner.UID {
		return true, nil // someone else's now: leave it
	}
	_, err = cl.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	switch {
	case err == nil:
		out.event(v1alpha1.EventDeleted, "DeleteSecurityGroup", "Deleted security group %s", id)
		return true, nil
	case awserr.IsNotFound(err):
		return true, nil
	case awserr.Code(err) == "DependencyViolation":
		return false, e.groupInUse(ctx, cl, req, g, out)
	case awserr.Code(err) == "UnauthorizedOperation" && have[TagCluster] == "":
		return false, ownershipLost(owner, id, "delete it")
	default:
		return false, fromAWS(err, "deleting security group "+id)
	}
}

// groupInUse explains a DependencyViolation on the managed group. The interfaces of
// the object's own endpoint release it on their own; anything else holding it (a
// rule of another group, an interface attached by hand) never does, and is named in
// a condition once the consistency bound has passed since the deletion began (at
// once when a live object drops its managed group).
func (e *Engine) groupInUse(ctx context.Context, cl awsclient.EC2, req Request, g *types.SecurityGroup, out *Outcome) error {
	id := aws.ToString(g.GroupId)
	out.notReady(v1alpha1.ReasonDeleting, "waiting for AWS to release security group %s (DependencyViolation: the endpoint's network interfaces are still going away)", id)
	if start := req.Prior.DeletionStarted; !start.IsZero() && e.now().Sub(start) < e.bound() {
		return nil
	}
	refs, err := groupReferences(ctx, cl, g, req.Prior.EndpointID)
	if err != nil || len(refs) == 0 {
		return err
	}
	return &Problem{
		Reason:  v1alpha1.ReasonSecurityGroupInUse,
		Message: fmt.Sprintf("managed security group %s cannot be deleted: it is still referenced by %s; remove those references and the controller finishes on its own", id, strings.Join(refs, ", ")),
		Class:   awserr.Retryable,
	}
}

// groupReferences names what holds the group other than the interfaces of the
// object's own endpoint: network interfaces using it, and rules of the VPC's other
// groups that name it.
func groupReferences(ctx context.Context, cl awsclient.EC2, g *types.SecurityGroup, ownEndpoint string) ([]string, error) {
	id := aws.ToString(g.GroupId)
	var refs []string
	nis, err := cl.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{id}}}})
	if err != nil {
		return nil, fromAWS(err, "looking up what uses security group "+id)
	}
	for _, n := range nis.NetworkInterfaces {
		desc := aws.ToString(n.Description)
		if ownEndpoint != "" && strings.HasSuffix(desc, " "+ownEndpoint) {
			continue // "VPC Endpoint Interface vpce-…", "EC2 Instance Connect Endpoint eice-…"
		}
		ref := "network interface " + aws.ToString(n.NetworkInterfaceId)
		if desc != "" {
			ref += fmt.Sprintf(" (%q)", desc)
		}
		refs = append(refs, ref)
	}
	groups, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{aws.ToString(g.VpcId)}}}})
	if err != nil {
		return nil, fromAWS(err, "looking up the rules that name security group "+id)
	}
	for _, other := range groups.SecurityGroups {
		if aws.ToString(other.GroupId) == id {
			continue
		}
		for dir, perms := range map[string][]types.IpPermission{"an inbound": other.IpPermissions, "an outbound": other.IpPermissionsEgress} {
			if namesGroup(perms, id) {
				refs = append(refs, fmt.Sprintf("%s rule of security group %s (%s)", dir, aws.ToString(other.GroupId), aws.ToString(other.GroupName)))
			}
		}
	}
	sort.Strings(refs)
	return refs, nil
}

func namesGroup(perms []types.IpPermission, id string) bool {
	for _, p := range perms {
		for _, pair := range p.UserIdGroupPairs {
			if aws.ToString(pair.GroupId) == id {
				return true
			}
		}
	}
	return false
}
