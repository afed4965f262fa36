package endpoint

import (
	"context"
	"time"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/guardrail"
)

// Type is the VPC endpoint type, as EC2 spells it.
type Type string

const (
	// Gateway endpoints add prefix-list routes to route tables (S3, DynamoDB).
	Gateway Type = "Gateway"
	// Interface endpoints put a network interface in each chosen subnet.
	Interface Type = "Interface"
	// InstanceConnect is an EC2 Instance Connect Endpoint: one network interface
	// in one subnet, through which EC2 Instance Connect reaches the VPC's instances.
	InstanceConnect Type = "InstanceConnect"
)

// Owner identifies the Kubernetes object an endpoint belongs to.
type Owner struct {
	// Cluster is the manager's --cluster-name.
	Cluster string
	// Kind is the object's kind (GatewayEndpoint, InterfaceEndpoint, InstanceConnectEndpoint).
	Kind string
	// Namespace and Name of the object.
	Namespace, Name string
	// UID of the object.
	UID string
}

// Ref is namespace/name, the value of the owner tag.
func (o Owner) Ref() string { return o.Namespace + "/" + o.Name }

// Spec is the desired state of one endpoint, independent of its kind.
type Spec struct {
	Type           Type
	Region         string
	VPCID          string
	VPCTags        map[string]string
	Service        string
	Policy         []byte // JSON document; nil means AWS's default policy
	Tags           map[string]string
	DeletionPolicy v1alpha1.DeletionPolicy
	AdoptID        string
	// AccountName is spec.accountRef.name ("" when not set).
	AccountName string
	// Guard is the object's AWSAccount's policy, for the check of the resolved
	// VPC; nil allows any VPC.
	Guard *guardrail.Policy

	// Gateway endpoints.
	RouteTableIDs       []string
	RouteTableSubnetIDs []string
	RouteTableTags      map[string]string

	// Interface endpoints.
	SubnetIDs        []string
	SubnetTags       map[string]string
	SecurityGroupIDs []string
	Managed          *ManagedGroupSpec // nil: no managed security group
	PrivateDNS       bool
	OnlyInbound      bool
	EnsureVPCDNS     bool
	DNSRecordIPType  string
	IPAddressType    string

	// Instance Connect Endpoints: the one subnet is SubnetIDs[0] or the subnet of
	// SubnetTags, in SubnetPreferredZone when one there has them; the groups are
	// SecurityGroupIDs and Managed, as for interface endpoints.
	SubnetPreferredZone string
	PreserveClientIP    bool
}

// ManagedGroupSpec is the desired managed security group.
type ManagedGroupSpec struct {
	// CIDRs and GroupIDs allowed in; both empty means the VPC's CIDR blocks.
	CIDRs    []string
	GroupIDs []string
	// Ports opened over TCP; empty means 443.
	Ports []int32
	// Egress makes the rules outbound, to CIDRs and GroupIDs, and the group has
	// no inbound rule (and not AWS's default allow-all outbound rule): an
	// Instance Connect Endpoint connects out to instances, nothing connects in.
	Egress bool
}

// Prior is what the object's status already records.
type Prior struct {
	EndpointID             string
	ManagedSecurityGroupID string
	NetworkInterfaces      []v1alpha1.NetworkInterface
	// EndpointIntent is the create of an endpoint recorded before it was made and
	// not yet seen in AWS (status.createIntent); nil once seen.
	EndpointIntent *Intent
	// GroupIntent is the same for the managed security group
	// (status.securityGroupCreateIntent).
	GroupIntent *Intent
	// AppliedTagKeys are the keys of the tags the controller set on the endpoint
	// (status.appliedTagKeys): the only ones it may remove.
	AppliedTagKeys []string
	// EndpointChange and GroupChange are the controller's last changes to the
	// endpoint and to the managed group, which AWS may not show yet
	// (status.lastChange, status.securityGroupLastChange).
	EndpointChange, GroupChange *Change
	// SpecChanged is true when the spec changed since the last reconcile
	// (metadata.generation differs from status.observedGeneration), or the object
	// has not been Ready at its generation yet: changes are then reported as
	// Modified rather than DriftCorrected.
	SpecChanged bool
	// GenerationChanged is true on the first reconcile of a new generation
	// (metadata.generation differs from status.observedGeneration): the spec is
	// new or was edited, and is acted on with fresh reads.
	GenerationChanged bool
	// GenerationSeen is when this process first saw the object's current
	// generation (set while GenerationChanged): data read after it is fresh
	// enough for the spec, however many reconciles the object waits through.
	GenerationSeen time.Time
	// DeletionStarted is when the object's deletion began; zero while it lives.
	DeletionStarted time.Time
}

// Intent is a create recorded durably before it is made: the ClientToken every
// attempt sends (none for a security group) and when it was recorded.
type Intent struct {
	ClientToken string
	Since       time.Time
}

// Change is a change the controller made to a resource: when, and a digest of
// the resource's state before it. Reading that state again within the
// consistency bound means AWS does not show the change yet.
type Change struct {
	At   time.Time
	From string
}

// Durable is what must survive a crash between an AWS write and the status write:
// the IDs the controller made, the creates it is about to make, and the changes it
// is about to make (which AWS may show late: status.lastChange,
// status.securityGroupLastChange).
type Durable struct {
	EndpointID     string
	EndpointIntent *Intent
	ManagedGroupID string
	GroupIntent    *Intent
	EndpointChange *Change
	GroupChange    *Change
}

// Request asks the engine to converge (or delete) one object's endpoint.
type Request struct {
	Owner Owner
	Spec  Spec
	Prior Prior
	// Clients are the EC2 clients of the object's AWSAccount; nil means the
	// engine's own (the controller's identity).
	Clients ClientSource
	// Record writes d into the object's status and returns once the API server has
	// stored it. The engine calls it before every create that has no recorded intent
	// yet, and makes no create when it fails. Nil records nothing (tables).
	Record func(ctx context.Context, d Durable) error
}
