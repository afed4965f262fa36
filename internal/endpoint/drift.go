package endpoint

import "github.com/vpce-dev/vpce-controller/api/v1alpha1"

// What a repair of drift (a change made outside the controller) set right: the
// field label of vpce_drift_repairs_total and Outcome.DriftFields. The list is
// closed, so the label's cardinality is bounded.
const (
	// DriftEndpoint: the endpoint was deleted outside the controller and recreated.
	DriftEndpoint = "endpoint"
	// DriftRouteTables: route tables added to or removed from a gateway endpoint.
	DriftRouteTables = "route-tables"
	// DriftSubnets: subnets added to or removed from an interface endpoint.
	DriftSubnets = "subnets"
	// DriftSecurityGroups: security groups of an interface endpoint swapped, added or removed.
	DriftSecurityGroups = "security-groups"
	// DriftPolicy: the endpoint policy changed or reset.
	DriftPolicy = "policy"
	// DriftPrivateDNS: private DNS turned off (or on).
	DriftPrivateDNS = "private-dns"
	// DriftDNSOptions: the DNS record IP type or "private DNS only for inbound
	// resolver endpoint" changed.
	DriftDNSOptions = "dns-options"
	// DriftIPAddressType: the endpoint's IP address type changed.
	DriftIPAddressType = "ip-address-type"
	// DriftPreserveClientIP: preserveClientIP of an Instance Connect Endpoint changed.
	DriftPreserveClientIP = "preserve-client-ip"
	// DriftTags: tags of the endpoint removed or changed.
	DriftTags = "tags"
	// DriftSecurityGroup: the managed security group was deleted outside the
	// controller and created again.
	DriftSecurityGroup = "security-group"
	// DriftSecurityGroupRules: rules of the managed security group revoked, added
	// or changed.
	DriftSecurityGroupRules = "security-group-rules"
	// DriftSecurityGroupTags: ownership tags of the managed security group removed.
	DriftSecurityGroupTags = "security-group-tags"
	// DriftVPCDNSAttributes: enableDnsSupport or enableDnsHostnames of the VPC
	// turned off, turned on again because spec.privateDNS.ensureVPCAttributes asks.
	DriftVPCDNSAttributes = "vpc-dns-attributes"
	// DriftConnectionDetails: the ConfigMap of spec.connectionDetails edited or
	// deleted by hand (repaired by the controllers, not the engine).
	DriftConnectionDetails = "connection-details"
)

// DriftFields lists every drift field, in the order docs/operations.md lists them.
var DriftFields = []string{
	DriftEndpoint, DriftRouteTables, DriftSubnets, DriftSecurityGroups, DriftPolicy,
	DriftPrivateDNS, DriftDNSOptions, DriftIPAddressType, DriftPreserveClientIP, DriftTags,
	DriftSecurityGroup, DriftSecurityGroupRules, DriftSecurityGroupTags, DriftVPCDNSAttributes,
	DriftConnectionDetails,
}

// repaired reports a repair: a DriftCorrected event and the fields it set right
// (for vpce_drift_repairs_total). Every repair of drift goes through here.
func (o *Outcome) repaired(fields []string, action, format string, args ...any) {
	o.event(v1alpha1.EventDriftCorrected, action, format, args...)
	o.DriftFields = append(o.DriftFields, fields...)
}

// changedOrRepaired reports a change made to converge: a repair of drift when the
// spec has not changed since the object was converged, a modification otherwise.
func (o *Outcome) changedOrRepaired(req Request, fields []string, action, modified, repaired string, args ...any) {
	if req.Prior.SpecChanged {
		o.event(v1alpha1.EventModified, action, modified, args...)
		return
	}
	o.repaired(fields, action, repaired, args...)
}
