package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InstanceConnectSubnet picks the one subnet of an Instance Connect Endpoint:
// exactly one of id or tags.
// +kubebuilder:validation:XValidation:rule="has(self.id) != has(self.tags)",message="set exactly one of subnet.id or subnet.tags"
// +kubebuilder:validation:XValidation:rule="!has(self.preferredZone) || has(self.tags)",message="subnet.preferredZone chooses among the subnets of subnet.tags; remove it when subnet.id names the subnet"
type InstanceConnectSubnet struct {
	// ID of the subnet, for example subnet-0c1d2e3f4a5b67890.
	// +kubebuilder:validation:Pattern=`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +optional
	ID string `json:"id,omitempty"`

	// Tags selects a subnet of the VPC that carries all of these tags: one in
	// preferredZone when there is one, else the one with the lowest ID.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=50
	// +optional
	Tags map[string]string `json:"tags,omitempty"`

	// PreferredZone is the availability zone (us-east-1a) whose subnet wins among
	// those with the tags.
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$`
	// +kubebuilder:validation:MaxLength=32
	// +optional
	PreferredZone string `json:"preferredZone,omitempty"`
}

// EgressDestination is one destination of the managed security group's egress
// rules: exactly one of cidrs or securityGroupIDs.
// +kubebuilder:validation:XValidation:rule="has(self.cidrs) != has(self.securityGroupIDs)",message="set exactly one of cidrs or securityGroupIDs in each egress entry"
type EgressDestination struct {
	// CIDRs the endpoint may connect to, IPv4 (10.0.0.0/16) or IPv6
	// (2001:db8::/56).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c))",message="cidrs must be valid CIDR blocks, for example 10.0.0.0/16"
	// +listType=set
	// +optional
	CIDRs []string `json:"cidrs,omitempty"`

	// SecurityGroupIDs whose members (your instances) the endpoint may connect to.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:Pattern=`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIDs,omitempty"`
}

// ManagedEgressSecurityGroup is a security group the controller creates, owns
// and keeps exact for an Instance Connect Endpoint: egress rules only (the
// endpoint connects out to your instances; nothing connects in to it).
type ManagedEgressSecurityGroup struct {
	// Egress destinations. Omitted means the VPC's CIDR blocks.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Egress []EgressDestination `json:"egress,omitempty"`

	// Ports opened (TCP) to every destination: 22 for SSH, 3389 for RDP.
	// Defaults to [22].
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=65535
	// +kubebuilder:default={22}
	// +listType=set
	// +optional
	Ports []int32 `json:"ports,omitempty"`
}

// InstanceConnectSecurityGroups says which security groups guard the
// endpoint's network interface.
// +kubebuilder:validation:XValidation:rule="has(self.ids) || has(self.managed)",message="set securityGroups.ids, securityGroups.managed, or both"
type InstanceConnectSecurityGroups struct {
	// IDs of existing security groups to attach as they are.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:Pattern=`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	IDs []string `json:"ids,omitempty"`

	// Managed asks the controller to create and keep an egress-only security
	// group for this endpoint.
	// +optional
	Managed *ManagedEgressSecurityGroup `json:"managed,omitempty"`
}

// InstanceConnectEndpointSpec is the desired state of an EC2 Instance Connect
// Endpoint.
type InstanceConnectEndpointSpec struct {
	EndpointAccountSpec `json:",inline"`

	// Region of the endpoint, for example us-east-1. Defaults to the manager's
	// --region. Immutable.
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-[a-z]+)+-[0-9]+$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.region is immutable: delete the object and create it again to use another region (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	// +optional
	Region string `json:"region,omitempty"`

	// VPC of the endpoint. AWS allows one Instance Connect Endpoint per VPC.
	// Immutable.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.vpc is immutable: delete the object and create it again to use another VPC (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	VPC VPCSelector `json:"vpc"`

	// Subnet that gets the endpoint's network interface. The endpoint reaches
	// instances in every subnet of the VPC. Immutable: AWS cannot move an
	// endpoint to another subnet.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.subnet is immutable (AWS cannot move an Instance Connect Endpoint to another subnet): delete the object and create it again to use another subnet (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	Subnet InstanceConnectSubnet `json:"subnet"`

	// SecurityGroups guarding the endpoint. Omitted means a managed group that
	// allows egress TCP 22 to the VPC's CIDR blocks and no ingress. Changed in
	// place.
	// +optional
	SecurityGroups *InstanceConnectSecurityGroups `json:"securityGroups,omitempty"`

	// PreserveClientIP makes connections reach instances from the client's IP
	// address instead of the endpoint's (then the instances' security groups
	// must admit the clients' addresses, and the instances need IPv4). AWS
	// supports it only on IPv4 endpoints, so not in an IPv6-only subnet.
	// Default false. Changed in place.
	// +kubebuilder:default=false
	// +optional
	PreserveClientIP bool `json:"preserveClientIP"`

	// Tags to put on the endpoint, in addition to the controller's ownership tags.
	// At most 46 (47 when one is Name): AWS allows 50 per resource, and the
	// controller adds three ownership tags and a Name unless this sets one. Keys
	// may not start with "aws:" or "vpce.dev/"; keys up to 128 and values up to
	// 256 characters.
	// +kubebuilder:validation:MaxProperties=47
	// +kubebuilder:validation:XValidation:rule="size(self) <= ('Name' in self ? 47 : 46)",message="at most 46 tags (47 when one is Name): AWS allows 50 per resource and the controller adds its ownership tags and a Name"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('aws:') && !k.startsWith('vpce.dev/'))",message="tag keys may not start with 'aws:' or 'vpce.dev/' (reserved)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) >= 1 && size(k) <= 128)",message="tag keys must be 1 to 128 characters"
	// +optional
	Tags map[string]TagValue `json:"tags,omitempty"`

	// DeletionPolicy says what happens to the endpoint when this object is
	// deleted: Delete (default) removes it from AWS, Retain leaves it and drops
	// the ownership tags.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// EndpointID adopts this existing Instance Connect Endpoint instead of
	// creating one. It must be in the spec's VPC and subnet and not owned by
	// another object; its security groups and preserveClientIP are then brought
	// to the spec.
	// +kubebuilder:validation:Pattern=`^eice-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +optional
	EndpointID string `json:"endpointID,omitempty"`
}

// InstanceConnectEndpointStatus is the observed state of an EC2 Instance
// Connect Endpoint. status.state is AWS's: create-in-progress,
// create-complete, update-in-progress, update-complete, create-failed,
// update-failed, delete-in-progress, delete-complete or delete-failed.
type InstanceConnectEndpointStatus struct {
	EndpointStatusCommon `json:",inline"`

	// DNSName is the endpoint's DNS name.
	// +optional
	DNSName string `json:"dnsName,omitempty"`

	// FIPSDNSName is the endpoint's FIPS DNS name.
	// +optional
	FIPSDNSName string `json:"fipsDNSName,omitempty"`

	// SubnetID is the subnet of the endpoint's network interface.
	// +optional
	SubnetID string `json:"subnetID,omitempty"`

	// AvailabilityZone of the subnet.
	// +optional
	AvailabilityZone string `json:"availabilityZone,omitempty"`

	// NetworkInterfaceIDs of the endpoint.
	// +optional
	NetworkInterfaceIDs []string `json:"networkInterfaceIDs,omitempty"`

	// SecurityGroupIDs attached to the endpoint, sorted.
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIDs,omitempty"`

	// PreserveClientIP says whether connections reach instances from the
	// client's IP address.
	// +optional
	PreserveClientIP bool `json:"preserveClientIP,omitempty"`

	// ManagedSecurityGroupID is the security group the controller created for
	// this endpoint.
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
}

// InstanceConnectEndpoint declares an EC2 Instance Connect Endpoint: one
// network interface in a private subnet through which
// `aws ec2-instance-connect ssh --connection-type eice` (and open-tunnel)
// reach the VPC's instances by their private addresses, without a bastion
// host, public IPs or an internet gateway.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=eice,categories=vpce
// +kubebuilder:validation:XValidation:rule="has(self.spec.region) == has(oldSelf.spec.region)",message="spec.region is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)",fieldPath=".spec.region"
// +kubebuilder:validation:XValidation:rule="has(self.spec.accountRef) == has(oldSelf.spec.accountRef)",message="spec.accountRef is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)",fieldPath=".spec.accountRef"
// +kubebuilder:printcolumn:name="VPC",type=string,JSONPath=`.status.vpcID`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpointID`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="DNS Name",type=string,JSONPath=`.status.dnsName`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Subnet",type=string,JSONPath=`.status.subnetID`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InstanceConnectEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec InstanceConnectEndpointSpec `json:"spec"`
	// Status is the observed state. It defaults to observedGeneration 0, so a new
	// object reads as in progress (kstatus) until the controller first reports.
	// +kubebuilder:default={}
	// +optional
	Status InstanceConnectEndpointStatus `json:"status,omitempty"`
}

// InstanceConnectEndpointList is a list of InstanceConnectEndpoints.
// +kubebuilder:object:root=true
type InstanceConnectEndpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the InstanceConnectEndpoints.
	Items []InstanceConnectEndpoint `json:"items"`
}

func init() {
	SchemeBuilder.Register(&InstanceConnectEndpoint{}, &InstanceConnectEndpointList{})
}
