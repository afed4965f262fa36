package chaos

import (
	"slices"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// matches reports whether every selector tag is among a zone's tags.
func matches(selector map[string]string, az string) bool {
	have := zoneTags(az)
	for k, v := range selector {
		if have[k] != v {
			return false
		}
	}
	return true
}

// wantRouteTables is the sorted set of route tables a gateway selector
// designates in net: the listed tables, the tables of the listed subnets and
// the tables whose tags match.
func wantRouteTables(sel v1alpha1.RouteTableSelector, net network) []string {
	set := map[string]bool{}
	for _, id := range sel.IDs {
		set[id] = true
	}
	for _, z := range net.Zones {
		if slices.Contains(sel.SubnetIDs, z.SubnetID) || (len(sel.Tags) > 0 && matches(sel.Tags, z.AZ)) {
			set[z.RouteTable] = true
		}
	}
	return keys(set)
}

// wantSubnets is the sorted set of subnets an interface selector designates in net.
func wantSubnets(sel v1alpha1.SubnetSelector, net network) []string {
	set := map[string]bool{}
	for _, id := range sel.IDs {
		set[id] = true
	}
	for _, z := range net.Zones {
		if len(sel.Tags) > 0 && matches(sel.Tags, z.AZ) {
			set[z.SubnetID] = true
		}
	}
	return keys(set)
}

// wantPorts is the sorted set of TCP ports a managed group opens.
func wantPorts(m *v1alpha1.ManagedSecurityGroup) []int32 {
	if len(m.Ports) == 0 {
		return []int32{443}
	}
	return slices.Sorted(slices.Values(m.Ports))
}

// managed returns an interface spec's managed group, or nil. Omitted
// securityGroups mean a managed group with the defaults.
func managed(spec v1alpha1.InterfaceEndpointSpec) *v1alpha1.ManagedSecurityGroup {
	if spec.SecurityGroups == nil {
		return &v1alpha1.ManagedSecurityGroup{}
	}
	return spec.SecurityGroups.Managed
}

// managedEgress returns an Instance Connect spec's managed group, or nil.
// Omitted securityGroups mean a managed group with the defaults.
func managedEgress(spec v1alpha1.InstanceConnectEndpointSpec) *v1alpha1.ManagedEgressSecurityGroup {
	if spec.SecurityGroups == nil {
		return &v1alpha1.ManagedEgressSecurityGroup{}
	}
	return spec.SecurityGroups.Managed
}

// wantEgressPorts is the sorted set of TCP ports a managed egress group opens.
func wantEgressPorts(m *v1alpha1.ManagedEgressSecurityGroup) []int32 {
	if len(m.Ports) == 0 {
		return []int32{22}
	}
	return slices.Sorted(slices.Values(m.Ports))
}

// wantICESubnets are the subnets an Instance Connect selector may designate in
// net: the one it names, or the preferred zone's subnet among those whose tags
// match (AWS keeps the endpoint where it was made, so the choice is one).
func wantICESubnet(sel v1alpha1.InstanceConnectSubnet, net network) string {
	if sel.ID != "" {
		return sel.ID
	}
	first := ""
	for _, z := range net.Zones {
		if !matches(sel.Tags, z.AZ) {
			continue
		}
		if z.AZ == sel.PreferredZone {
			return z.SubnetID
		}
		if first == "" || z.SubnetID < first {
			first = z.SubnetID
		}
	}
	return first
}

// keys returns a set's members, sorted.
func keys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
