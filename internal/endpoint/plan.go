package endpoint

import (
	"fmt"
	"maps"
	"strings"

	"github.com/vpce-dev/vpce-controller/internal/policy"
)

// Desired is the resolved desired state of an endpoint: every selector turned into IDs.
type Desired struct {
	Type             Type
	RouteTableIDs    []string
	SubnetIDs        []string
	SecurityGroupIDs []string
	// Policy is the compact JSON document; "" means AWS's default policy.
	Policy string
	// ManagePolicy is false for services that do not support endpoint policies.
	ManagePolicy bool
	// Tags are the hard tags (ownership tags and spec.tags), kept exactly; SoftTags
	// (--default-tags, the default Name) are set only where absent or the
	// controller's own; OwnedTagKeys are the keys the controller set before
	// (status.appliedTagKeys), the only ones it may remove. See tags.go.
	Tags         map[string]string
	SoftTags     map[string]string
	OwnedTagKeys []string
	// PrivateDNS, OnlyInbound: nil means "leave as it is".
	PrivateDNS      *bool
	OnlyInbound     *bool
	DNSRecordIPType string // "" leaves AWS's choice
	IPAddressType   string // "" leaves AWS's choice
	// ExplicitInbound sends OnlyInbound with every change that turns private DNS on,
	// for services whose AWS default for it is not false (those offering gateway
	// endpoints too).
	ExplicitInbound bool
	// PreserveClientIP of an Instance Connect Endpoint; nil leaves it.
	PreserveClientIP *bool
}

// Observed is an endpoint as EC2 describes it.
type Observed struct {
	ID               string
	State            string
	Type             Type
	VPCID            string
	ServiceName      string
	RouteTableIDs    []string
	SubnetIDs        []string
	SecurityGroupIDs []string
	Policy           string
	Tags             map[string]string
	// OwnerID is the AWS account that owns the endpoint.
	OwnerID          string
	PrivateDNS       bool
	OnlyInbound      bool
	DNSRecordIPType  string
	IPAddressType    string
	NetworkInterface []string
	DNSEntries       []dnsEntry
	LastError        string

	// Instance Connect Endpoints.
	ARN              string
	DNSName          string
	FIPSDNSName      string
	AvailabilityZone string
	PreserveClientIP bool
}

type dnsEntry struct{ Name, HostedZoneID string }

// Plan is the minimal set of changes that takes an endpoint from its observed to its
// desired state: at most one ModifyVpcEndpoint, one CreateTags and one DeleteTags.
type Plan struct {
	AddRouteTables, RemoveRouteTables       []string
	AddSubnets, RemoveSubnets               []string
	AddSecurityGroups, RemoveSecurityGroups []string
	Policy                                  *string
	ResetPolicy                             bool
	PrivateDNS, OnlyInbound                 *bool
	DNSRecordIPType, IPAddressType          string
	PreserveClientIP                        *bool
	SetTags                                 map[string]string
	RemoveTags                              []string
	// DeferredSubnets are subnet additions held back for a later pass because a subnet
	// of the same AZ is removed in this one (AWS never sees two subnets in one AZ).
	DeferredSubnets []string
}

// HasModify reports whether the plan needs a ModifyVpcEndpoint call.
func (p Plan) HasModify() bool {
	return len(p.AddRouteTables)+len(p.RemoveRouteTables)+len(p.AddSubnets)+len(p.RemoveSubnets)+
		len(p.AddSecurityGroups)+len(p.RemoveSecurityGroups) > 0 ||
		p.Policy != nil || p.ResetPolicy || p.PrivateDNS != nil || p.OnlyInbound != nil ||
		p.DNSRecordIPType != "" || p.IPAddressType != "" || p.PreserveClientIP != nil
}

// HasChanges reports whether the plan changes anything now or later.
func (p Plan) HasChanges() bool {
	return p.HasModify() || len(p.SetTags) > 0 || len(p.RemoveTags) > 0 || len(p.DeferredSubnets) > 0
}

// Fields names what the plan changes, for events and metrics (drift.go).
func (p Plan) Fields() []string {
	var f []string
	add := func(cond bool, name string) {
		if cond {
			f = append(f, name)
		}
	}
	add(len(p.AddRouteTables)+len(p.RemoveRouteTables) > 0, DriftRouteTables)
	add(len(p.AddSubnets)+len(p.RemoveSubnets)+len(p.DeferredSubnets) > 0, DriftSubnets)
	add(len(p.AddSecurityGroups)+len(p.RemoveSecurityGroups) > 0, DriftSecurityGroups)
	add(p.Policy != nil || p.ResetPolicy, DriftPolicy)
	add(p.PrivateDNS != nil, DriftPrivateDNS)
	add(p.OnlyInbound != nil || p.DNSRecordIPType != "", DriftDNSOptions)
	add(p.IPAddressType != "", DriftIPAddressType)
	add(p.PreserveClientIP != nil, DriftPreserveClientIP)
	add(len(p.SetTags)+len(p.RemoveTags) > 0, DriftTags)
	return f
}

// String describes the plan in words, for events and logs.
func (p Plan) String() string {
	var parts []string
	set := func(name string, add, remove []string) {
		var s []string
		for _, x := range add {
			s = append(s, "+"+x)
		}
		for _, x := range remove {
			s = append(s, "-"+x)
		}
		if len(s) > 0 {
			parts = append(parts, name+" "+strings.Join(s, " "))
		}
	}
	set("route tables", p.AddRouteTables, p.RemoveRouteTables)
	set("subnets", p.AddSubnets, p.RemoveSubnets)
	set("security groups", p.AddSecurityGroups, p.RemoveSecurityGroups)
	if p.Policy != nil {
		parts = append(parts, "policy set")
	}
	if p.ResetPolicy {
		parts = append(parts, "policy reset to AWS's default")
	}
	if p.PrivateDNS != nil {
		parts = append(parts, fmt.Sprintf("private DNS %s", onOff(*p.PrivateDNS)))
	}
	if p.OnlyInbound != nil {
		parts = append(parts, fmt.Sprintf("private DNS only for inbound resolver %s", onOff(*p.OnlyInbound)))
	}
	if p.DNSRecordIPType != "" {
		parts = append(parts, "DNS record IP type "+p.DNSRecordIPType)
	}
	if p.IPAddressType != "" {
		parts = append(parts, "IP address type "+p.IPAddressType)
	}
	if p.PreserveClientIP != nil {
		parts = append(parts, fmt.Sprintf("preserve client IP %s", onOff(*p.PreserveClientIP)))
	}
	if len(p.SetTags) > 0 {
		parts = append(parts, "tags set "+strings.Join(sortedKeys(p.SetTags), ","))
	}
	if len(p.RemoveTags) > 0 {
		parts = append(parts, "tags removed "+strings.Join(p.RemoveTags, ","))
	}
	if len(p.DeferredSubnets) > 0 {
		parts = append(parts, "subnets to add next "+strings.Join(p.DeferredSubnets, ","))
	}
	return strings.Join(parts, "; ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// ComputePlan compares desired and observed state and returns the minimal changes.
// subnetAZ maps subnet IDs (desired and observed) to their availability zones. It is
// a pure function.
func ComputePlan(d Desired, o Observed, subnetAZ map[string]string) Plan {
	var p Plan
	if d.Type == Gateway {
		p.AddRouteTables = difference(d.RouteTableIDs, o.RouteTableIDs)
		p.RemoveRouteTables = difference(o.RouteTableIDs, d.RouteTableIDs)
	}
	if d.Type == Interface {
		p.AddSubnets = difference(d.SubnetIDs, o.SubnetIDs)
		p.RemoveSubnets = difference(o.SubnetIDs, d.SubnetIDs)
		p.AddSubnets, p.DeferredSubnets = deferSameZoneAdds(p.AddSubnets, p.RemoveSubnets, subnetAZ)
		p.AddSecurityGroups = difference(d.SecurityGroupIDs, o.SecurityGroupIDs)
		p.RemoveSecurityGroups = difference(o.SecurityGroupIDs, d.SecurityGroupIDs)
		if d.PrivateDNS != nil && *d.PrivateDNS != o.PrivateDNS {
			v := *d.PrivateDNS
			p.PrivateDNS = &v
		}
		if d.OnlyInbound != nil && (*d.OnlyInbound != o.OnlyInbound || d.ExplicitInbound && p.PrivateDNS != nil && *p.PrivateDNS) {
			v := *d.OnlyInbound
			p.OnlyInbound = &v
		}
		if d.DNSRecordIPType != "" && d.DNSRecordIPType != o.DNSRecordIPType {
			p.DNSRecordIPType = d.DNSRecordIPType
		}
		if d.IPAddressType != "" && d.IPAddressType != o.IPAddressType {
			p.IPAddressType = d.IPAddressType
		}
	}
	if d.Type == InstanceConnect {
		// The subnet cannot change (spec.subnet is immutable); the groups and
		// preserveClientIP change in one ModifyInstanceConnectEndpoint.
		p.AddSecurityGroups = difference(d.SecurityGroupIDs, o.SecurityGroupIDs)
		p.RemoveSecurityGroups = difference(o.SecurityGroupIDs, d.SecurityGroupIDs)
		if d.PreserveClientIP != nil && *d.PreserveClientIP != o.PreserveClientIP {
			v := *d.PreserveClientIP
			p.PreserveClientIP = &v
		}
	}
	if d.ManagePolicy && !policy.Equal(d.Policy, o.Policy) {
		if d.Policy == "" {
			p.ResetPolicy = true
		} else {
			doc := d.Policy
			p.Policy = &doc
		}
	}
	p.SetTags, p.RemoveTags = diffTags(d, o.Tags)
	return p
}

// deferSameZoneAdds holds back additions in an AZ from which a subnet is removed in
// the same pass.
func deferSameZoneAdds(add, remove []string, subnetAZ map[string]string) (now, later []string) {
	removedAZ := map[string]bool{}
	for _, s := range remove {
		removedAZ[subnetAZ[s]] = true
	}
	for _, s := range add {
		if az, ok := subnetAZ[s]; ok && removedAZ[az] {
			later = append(later, s)
		} else {
			now = append(now, s)
		}
	}
	return now, later
}

// Applied returns the observed state as it will be once the plan is applied. The
// fuzz test checks that planning again from it finds nothing to do.
func (p Plan) Applied(o Observed) Observed {
	n := o
	n.RouteTableIDs = sortedSet(append(difference(o.RouteTableIDs, p.RemoveRouteTables), p.AddRouteTables...))
	n.SubnetIDs = sortedSet(append(difference(o.SubnetIDs, p.RemoveSubnets), append(p.AddSubnets, p.DeferredSubnets...)...))
	n.SecurityGroupIDs = sortedSet(append(difference(o.SecurityGroupIDs, p.RemoveSecurityGroups), p.AddSecurityGroups...))
	if p.Policy != nil {
		n.Policy = *p.Policy
	}
	if p.ResetPolicy {
		n.Policy = policy.DefaultDocument
	}
	if p.PrivateDNS != nil {
		n.PrivateDNS = *p.PrivateDNS
	}
	if p.OnlyInbound != nil {
		n.OnlyInbound = *p.OnlyInbound
	}
	if p.DNSRecordIPType != "" {
		n.DNSRecordIPType = p.DNSRecordIPType
	}
	if p.IPAddressType != "" {
		n.IPAddressType = p.IPAddressType
	}
	if p.PreserveClientIP != nil {
		n.PreserveClientIP = *p.PreserveClientIP
	}
	n.Tags = maps.Clone(o.Tags)
	if n.Tags == nil {
		n.Tags = map[string]string{}
	}
	for _, k := range p.RemoveTags {
		delete(n.Tags, k)
	}
	maps.Copy(n.Tags, p.SetTags)
	return n
}
