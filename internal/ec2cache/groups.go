package ec2cache

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

var groupOps = kindOps[types.SecurityGroup]{
	resource:    "SecurityGroup",
	id:          func(g types.SecurityGroup) string { return aws.ToString(g.GroupId) },
	tags:        func(g types.SecurityGroup) []types.Tag { return g.Tags },
	typ:         func(types.SecurityGroup) string { return "" },
	vpc:         func(g types.SecurityGroup) string { return aws.ToString(g.VpcId) },
	settled:     func(types.SecurityGroup) bool { return true },
	fingerprint: groupFingerprint,
	compact:     compactGroup,
}

// compactGroup keeps the fields the engine reads.
func compactGroup(g types.SecurityGroup) types.SecurityGroup {
	return types.SecurityGroup{GroupId: g.GroupId, GroupName: g.GroupName, VpcId: g.VpcId, Tags: g.Tags, IpPermissions: g.IpPermissions, IpPermissionsEgress: g.IpPermissionsEgress, OwnerId: g.OwnerId}
}

func groupFingerprint(g types.SecurityGroup) string {
	var parts []string
	for i, p := range append(append([]types.IpPermission(nil), g.IpPermissions...), g.IpPermissionsEgress...) {
		dir := "in/"
		if i >= len(g.IpPermissions) {
			dir = "out/"
		}
		base := dir + aws.ToString(p.IpProtocol) + "/" + itoa(aws.ToInt32(p.FromPort)) + "-" + itoa(aws.ToInt32(p.ToPort)) + "/"
		for _, r := range p.IpRanges {
			parts = append(parts, base+aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			parts = append(parts, base+aws.ToString(r.CidrIpv6))
		}
		for _, r := range p.UserIdGroupPairs {
			parts = append(parts, base+aws.ToString(r.GroupId))
		}
		for _, r := range p.PrefixListIds {
			parts = append(parts, base+aws.ToString(r.PrefixListId))
		}
	}
	return aws.ToString(g.GroupId) + "\x00" + aws.ToString(g.VpcId) + "\x00" + strings.Join(sortedCopy(parts), ",") + "\x00" + strings.Join(tagStrings(g.Tags), ",")
}

func (c *Client) fetchGroups(ctx context.Context, start time.Time, filters []types.Filter) ([]types.SecurityGroup, error) {
	var all []types.SecurityGroup
	var raw rawReads
	p := ec2.NewDescribeSecurityGroupsPaginator(c.EC2, &ec2.DescribeSecurityGroupsInput{Filters: filters, MaxResults: aws.Int32(1000)})
	pages := 0
	for p.HasMorePages() {
		// Members the store holds unchanged are not decoded (unchanged.go).
		u := unchangedOf(c, groupSet, c.groups)
		page, err := p.NextPage(ctx, u.option)
		if err != nil {
			return nil, err
		}
		raw.add(u)
		pages++
		// Compact as each page comes: a listing of many pages holds one page in
		// full at a time, not all.
		for _, g := range page.SecurityGroups {
			all = append(all, compactGroup(g))
		}
	}
	if c.isOwnedListing(filters) {
		c.budget.record(pagesGroups, pages)
		c.notify(c.groups.mergeListing(start, all, raw))
	} else {
		c.notify(c.groups.mergeRead(start, filterValues(filters, "group-id"), all, raw))
	}
	return append(all, c.groups.objects(raw.unchanged)...), nil
}

func (c *Client) listGroups(ctx context.Context) error {
	_, _, err := c.groupReads.query(ctx, c.clusterFilter())
	return err
}

// DescribeSecurityGroups answers queries of the cluster's groups and reads of
// groups by ID from the snapshot (groups the user names, checked for existence,
// for the inventory TTL), re-reading in one shared request what is not fresh.
func (c *Client) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	if in.NextToken != nil || in.MaxResults != nil || in.DryRun != nil || len(in.GroupNames) > 0 {
		return c.EC2.DescribeSecurityGroups(ctx, in, opts...)
	}
	switch {
	case len(in.GroupIds) > 0 && len(in.Filters) == 0:
		return c.groupsByID(ctx, in.GroupIds, opts)
	case len(in.GroupIds) == 0 && c.hasClusterFilter(in.Filters) && understood(in.Filters, "vpc-id", "group-id", "group-name"):
		need := c.need(ctx, c.snapshotTTL(), Groups)
		uid := c.ownerUID(in.Filters)
		for attempt := 0; attempt < 3; attempt++ {
			cands, stale, listing := c.groups.ownedQuery(uid, need, time.Time{})
			switch {
			case listing:
				if err := c.listGroups(ctx); err != nil {
					return nil, err
				}
			case len(stale) > 0:
				if _, _, err := c.groupReads.confirm(ctx, Groups, idFilter("group-id", stale)); err != nil {
					return nil, err
				}
			default:
				return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: matchGroups(cands, in.Filters)}, nil
			}
		}
	}
	return c.EC2.DescribeSecurityGroups(ctx, in, opts...)
}

func (c *Client) groupsByID(ctx context.Context, ids []string, opts []func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	need, foreignNeed := c.need(ctx, c.snapshotTTL(), Groups), c.need(ctx, c.inventoryTTL(), Groups)
	if c.groups.listed().Before(c.now().Add(-c.snapshotTTL())) {
		if err := c.listGroups(ctx); err != nil { // a cold snapshot: one listing answers every owned group
			return nil, err
		}
	}
	found := map[string]types.SecurityGroup{}
	var stale []string
	for _, id := range ids {
		if g, ok := c.groups.lookup(id, need, time.Time{}); ok {
			found[id] = g
			continue
		}
		c.mu.Lock()
		f, ok := c.foreign[id]
		c.mu.Unlock()
		if ok && !f.at.Before(foreignNeed) {
			found[id] = f.obj
			continue
		}
		stale = append(stale, id)
	}
	if len(stale) > 0 {
		items, start, err := c.groupReads.confirm(ctx, Groups, idFilter("group-id", stale))
		if err != nil {
			return nil, err
		}
		for _, g := range items {
			id := aws.ToString(g.GroupId)
			found[id] = g
			if !hasTag(g.Tags, c.o.ClusterTagKey, c.o.Cluster) {
				c.mu.Lock()
				c.foreign[id] = stamped[types.SecurityGroup]{compactGroup(g), start}
				c.mu.Unlock()
			}
		}
		var missing []string
		for _, id := range stale {
			if _, ok := found[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			// EC2 itself answers for groups it does not list (NotFound).
			out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: missing}, opts...)
			if err != nil {
				return out, err
			}
			for _, g := range out.SecurityGroups {
				found[aws.ToString(g.GroupId)] = g
			}
		}
	}
	out := &ec2.DescribeSecurityGroupsOutput{}
	for _, id := range sortedCopy(ids) {
		if g, ok := found[id]; ok && (len(out.SecurityGroups) == 0 || aws.ToString(out.SecurityGroups[len(out.SecurityGroups)-1].GroupId) != id) {
			out.SecurityGroups = append(out.SecurityGroups, g)
		}
	}
	return out, nil
}

func matchGroups(items []types.SecurityGroup, filters []types.Filter) []types.SecurityGroup {
	var out []types.SecurityGroup
	for _, g := range items {
		m := matcher{tags: g.Tags, fields: map[string][]string{"vpc-id": {aws.ToString(g.VpcId)}, "group-id": {aws.ToString(g.GroupId)}, "group-name": {aws.ToString(g.GroupName)}}}
		if ok, _ := m.match(filters); ok {
			out = append(out, g)
		}
	}
	return out
}
