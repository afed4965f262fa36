package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SubnetSelector picks the subnets that get the endpoint's network interfaces:
// exactly one of ids or tags, at most one subnet per availability zone.
// +kubebuilder:validation:XValidation:rule="has(self.ids) != has(self.tags)",message="set exactly one of subnets.ids or subnets.tags"
type SubnetSelector struct {
	// IDs of subnets, at most one per availability zone, used as given.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	IDs []string `json:"ids,omitempty"`

	// Tags selects subnets of the VPC that carry all of these tags: at most one
	// per availability zone the service supports (the lowest subnet ID wins, so
	// the choice is the same on every reconcile).
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=50
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// IngressSource is one source of the managed security group's ingress rules:
// exactly one of cidrs or securityGroupIDs.
// +kubebuilder:validation:XValidation:rule="has(self.cidrs) != has(self.securityGroupIDs)",message="set exactly one of cidrs or securityGroupIDs in each ingress entry"
type IngressSource struct {
	// CIDRs allowed in, IPv4 (10.0.0.0/16) or IPv6 (2001:db8::/56).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c))",message="cidrs must be valid CIDR blocks, for example 10.0.0.0/16"
	// +listType=set
	// +optional
	CIDRs []string `json:"cidrs,omitempty"`

	// SecurityGroupIDs whose members are allowed in.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:Pattern=`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIDs,omitempty"`
}

// ManagedSecurityGroup is a security group the controller creates, owns and
// keeps exact.
type ManagedSecurityGroup struct {
	// Ingress sources. Omitted means the VPC's CIDR blocks.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Ingress []IngressSource `json:"ingress,omitempty"`

	// Ports opened (TCP) to every ingress source. Defaults to [443].
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=65535
	// +kubebuilder:default={443}
	// +listType=set
	// +optional
	Ports []int32 `json:"ports,omitempty"`
}

// SecurityGroups says which security groups guard the endpoint's network
// interfaces.
// +kubebuilder:validation:XValidation:rule="has(self.ids) || has(self.managed)",message="set securityGroups.ids, securityGroups.managed, or both"
type SecurityGroups struct {
	// IDs of existing security groups to attach as they are.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:Pattern=`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	IDs []string `json:"ids,omitempty"`

	// Managed asks the controller to create and keep a security group for this
	// endpoint.
	// +optional
	Managed *ManagedSecurityGroup `json:"managed,omitempty"`
}

// PrivateDNS configures private DNS: the service's public name resolving to
// the endpoint's private IPs inside the VPC. The rule tolerates absent fields
// because the apiserver checks the spec.privateDNS default ({}) against it
// before the nested defaults are applied.
// +kubebuilder:validation:XValidation:rule="!has(self.onlyForInboundResolverEndpoint) || !self.onlyForInboundResolverEndpoint || !has(self.enabled) || self.enabled",message="privateDNS.onlyForInboundResolverEndpoint requires privateDNS.enabled"
type PrivateDNS struct {
	// Enabled turns private DNS on. Default true. Needs the VPC's enableDnsSupport
	// and enableDnsHostnames attributes.
	// +kubebuilder:default=true
	// +optional
	Enabled bool `json:"enabled"`

	// OnlyForInboundResolverEndpoint limits private DNS to queries from a Route 53
	// inbound resolver endpoint (used with an S3 interface endpoint beside a
	// gateway one).
	// +kubebuilder:default=false
	// +optional
	OnlyForInboundResolverEndpoint bool `json:"onlyForInboundResolverEndpoint"`

	// EnsureVPCAttributes lets the controller turn on the VPC's enableDnsSupport
	// and enableDnsHostnames when they are off. When false (default), the
	// controller reports which attribute is off instead.
	// +kubebuilder:default=false
	// +optional
	EnsureVPCAttributes bool `json:"ensureVPCAttributes"`
}

// DNSRecordIPType is the IP type of the endpoint's DNS records.
// +kubebuilder:validation:Enum=ipv4;dualstack;ipv6;service-defined
type DNSRecordIPType string

// IPAddressType is the IP address type of the endpoint's network interfaces.
// +kubebuilder:validation:Enum=ipv4;dualstack;ipv6
type IPAddressType string

// InterfaceEndpointSpec is the desired state of an interface VPC endpoint.
// +kubebuilder:validation:XValidation:rule="!has(self.dnsRecordIPType) || self.dnsRecordIPType == 'service-defined' || (has(self.ipAddressType) ? (self.ipAddressType == 'dualstack' || self.ipAddressType == self.dnsRecordIPType) : self.dnsRecordIPType == 'ipv4')",message="dnsRecordIPType must match ipAddressType: ipv4 endpoints (the default) take ipv4 records, ipv6 endpoints ipv6 records, dualstack endpoints any; service-defined always works",fieldPath=".dnsRecordIPType"
type InterfaceEndpointSpec struct {
	EndpointSpecCommon `json:",inline"`

	// Service is a short AWS service name (ssm, ecr.dkr, s3), a full name
	// (com.amazonaws.us-east-1.ssm), or a PrivateLink service name
	// (com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0). Immutable.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.service is immutable: delete the object and create it again for another service (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	Service string `json:"service"`

	// Subnets that get one network interface each, at most one per availability
	// zone.
	Subnets SubnetSelector `json:"subnets"`

	// SecurityGroups guarding the endpoint. Omitted means a managed group that
	// admits TCP 443 from the VPC's CIDR blocks.
	// +optional
	SecurityGroups *SecurityGroups `json:"securityGroups,omitempty"`

	// PrivateDNS settings. Private DNS is on by default.
	// +kubebuilder:default={}
	// +optional
	PrivateDNS PrivateDNS `json:"privateDNS"`

	// DNSRecordIPType is the IP type of the endpoint's DNS records. Omitted leaves
	// AWS's choice.
	// +optional
	DNSRecordIPType DNSRecordIPType `json:"dnsRecordIPType,omitempty"`

	// IPAddressType is the IP address type of the endpoint's network interfaces.
	// Omitted means ipv4.
	// +optional
	IPAddressType IPAddressType `json:"ipAddressType,omitempty"`

	// ConnectionDetails publishes the endpoint ID, DNS names, addresses per zone
	// and, for S3, the endpoint URLs in a ConfigMap for applications. Omitted: no
	// ConfigMap.
	// +optional
	ConnectionDetails *ConnectionDetails `json:"connectionDetails,omitempty"`
}

// NetworkInterface is one of the endpoint's network interfaces.
type NetworkInterface struct {
	// ID of the network interface (eni-...).
	ID string `json:"id"`
	// SubnetID of the subnet it lives in.
	SubnetID string `json:"subnetID"`
	// AvailabilityZone of the subnet.
	AvailabilityZone string `json:"availabilityZone"`
	// PrivateIPv4 address clients connect to.
	// +optional
	PrivateIPv4 string `json:"privateIPv4,omitempty"`
	// PrivateIPv6 address clients connect to.
	// +optional
	PrivateIPv6 string `json:"privateIPv6,omitempty"`
}

// DNSEntryType says what a DNS entry resolves for.
// +kubebuilder:validation:Enum=Regional;Zonal;PrivateDNS
type DNSEntryType string

// DNS entry types.
const (
	// DNSEntryRegional resolves to the interfaces in every AZ.
	DNSEntryRegional DNSEntryType = "Regional"
	// DNSEntryZonal resolves to the interface in one AZ.
	DNSEntryZonal DNSEntryType = "Zonal"
	// DNSEntryPrivateDNS is the service's own name, resolving privately inside the
	// VPC.
	DNSEntryPrivateDNS DNSEntryType = "PrivateDNS"
)

// DNSEntry is a DNS name clients use to reach the endpoint.
type DNSEntry struct {
	// Name is the DNS name.
	Name string `json:"name"`
	// HostedZoneID of the name's zone.
	// +optional
	HostedZoneID string `json:"hostedZoneID,omitempty"`
	// Type is Regional, Zonal or PrivateDNS.
	Type DNSEntryType `json:"type"`
	// AvailabilityZone of a Zonal entry.
	// +optional
	AvailabilityZone string `json:"availabilityZone,omitempty"`
}

// InterfaceEndpointStatus is the observed state of an interface VPC endpoint.
type InterfaceEndpointStatus struct {
	EndpointStatusCommon `json:",inline"`

	// SubnetIDs that have a network interface of the endpoint, sorted.
	// +optional
	SubnetIDs []string `json:"subnetIDs,omitempty"`

	// NetworkInterfaces of the endpoint, one per subnet.
	// +optional
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`

	// SecurityGroupIDs attached to the endpoint, sorted.
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIDs,omitempty"`

	// ManagedSecurityGroupID is the security group the controller created for this
	// endpoint.
	// +optional
	ManagedSecurityGroupID string `json:"managedSecurityGroupID,omitempty"`

	// SecurityGroupLastChange records the controller's last change to the managed
	// group (rules, tags) that AWS may not show yet, like lastChange for the
	// endpoint.
	// +optional
	SecurityGroupLastChange *Change `json:"securityGroupLastChange,omitempty"`

	// SecurityGroupCreateIntent records a CreateSecurityGroup of the managed group
	// the controller is about to make (or has made) and has not yet seen AWS list,
	// like createIntent for the endpoint.
	// +optional
	SecurityGroupCreateIntent *CreateIntent `json:"securityGroupCreateIntent,omitempty"`

	// PrivateDNSEnabled says whether private DNS is on for the endpoint.
	// +optional
	PrivateDNSEnabled bool `json:"privateDNSEnabled,omitempty"`

	// DNSEntries are the names clients use to reach the endpoint.
	// +optional
	DNSEntries []DNSEntry `json:"dnsEntries,omitempty"`
}

// InterfaceEndpoint declares an AWS interface VPC endpoint: one network
// interface per chosen subnet (one subnet per AZ) guarded by security groups,
// with private DNS so the service's public name resolves to those private IPs
// inside the VPC.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ife,categories=vpce
// +kubebuilder:validation:XValidation:rule="has(self.spec.region) == has(oldSelf.spec.region)",message="spec.region is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)",fieldPath=".spec.region"
// +kubebuilder:validation:XValidation:rule="has(self.spec.accountRef) == has(oldSelf.spec.accountRef)",message="spec.accountRef is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)",fieldPath=".spec.accountRef"
// +kubebuilder:printcolumn:name="VPC",type=string,JSONPath=`.status.vpcID`
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.service`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpointID`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Subnets",type=string,JSONPath=`.status.subnetIDs`,priority=1
// +kubebuilder:printcolumn:name="DNS Name",type=string,JSONPath=`.status.dnsEntries[?(@.type=="Regional")].name`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InterfaceEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec InterfaceEndpointSpec `json:"spec"`
	// Status is the observed state. It defaults to observedGeneration 0, so a new
	// object reads as in progress (kstatus) until the controller first reports.
	// +kubebuilder:default={}
	// +optional
	Status InterfaceEndpointStatus `json:"status,omitempty"`
}

// InterfaceEndpointList is a list of InterfaceEndpoints.
// +kubebuilder:object:root=true
type InterfaceEndpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the InterfaceEndpoints.
	Items []InterfaceEndpoint `json:"items"`
}

func init() {
	SchemeBuilder.Register(&InterfaceEndpoint{}, &InterfaceEndpointList{})
}
