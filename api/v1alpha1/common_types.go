package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeletionPolicy says what happens to the AWS endpoint when its object is
// deleted.
// +kubebuilder:validation:Enum=Delete;Retain
type DeletionPolicy string

const (
	// DeletionPolicyDelete deletes the endpoint (and any security group the
	// controller made) with the object.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyRetain leaves the endpoint in AWS and removes only the
	// controller's ownership tags.
	DeletionPolicyRetain DeletionPolicy = "Retain"
)

// VPCSelector picks the VPC of an endpoint: exactly one of id or tags.
// +kubebuilder:validation:XValidation:rule="has(self.id) != has(self.tags)",message="set exactly one of vpc.id or vpc.tags"
type VPCSelector struct {
	// ID of the VPC, for example vpc-0a1b2c3d4e5f67890.
	// +kubebuilder:validation:Pattern=`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +optional
	ID string `json:"id,omitempty"`

	// Tags that exactly one VPC of the region carries (every key and value must
	// match). Zero or several matching VPCs is reported in the Synced condition.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=50
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// TagValue is the value of an AWS tag.
// +kubebuilder:validation:MaxLength=256
type TagValue string

// EndpointSpecCommon holds the fields that both endpoint kinds share.
type EndpointSpecCommon struct {
	EndpointAccountSpec `json:",inline"`

	// Region of the endpoint, for example us-east-1. Defaults to the manager's
	// --region. Immutable.
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-[a-z]+)+-[0-9]+$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.region is immutable: delete the object and create it again to use another region (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	// +optional
	Region string `json:"region,omitempty"`

	// VPC to create the endpoint in. Immutable.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.vpc is immutable: delete the object and create it again to use another VPC (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	VPC VPCSelector `json:"vpc"`

	// Policy is the endpoint's IAM policy document, written as an object (YAML or
	// JSON), not as a string. Omitted means AWS's default policy, which allows
	// full access. The apiserver checks its structure and reports every mistake at
	// once: Version "2012-10-17" or "2008-10-17"; Statement a list (also of one
	// statement); in each statement Effect Allow or Deny, exactly one of Principal
	// or NotPrincipal, of Action or NotAction, and of Resource or NotResource,
	// optionally Sid and Condition, and no other key. Keys are case-sensitive.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Policy *apiextensionsv1.JSON `json:"policy,omitempty"`

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

	// EndpointID adopts this existing endpoint instead of creating one. The
	// endpoint must be in the same VPC, for the same service, and not owned by
	// another object.
	// +kubebuilder:validation:Pattern=`^vpce-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +optional
	EndpointID string `json:"endpointID,omitempty"`
}

// EndpointStatusCommon holds the status fields that both endpoint kinds share.
type EndpointStatusCommon struct {
	EndpointAccountStatus `json:",inline"`

	// ObservedGeneration is the metadata.generation the controller last acted on.
	// +kubebuilder:default=0
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// EndpointID is the ID of the AWS VPC endpoint (vpce-...).
	// +optional
	EndpointID string `json:"endpointID,omitempty"`

	// State is the endpoint's state as AWS reports it (pending, available,
	// pendingAcceptance, deleting, rejected, failed, ...).
	// +optional
	State string `json:"state,omitempty"`

	// ServiceName is the full service name the endpoint connects to, for example
	// com.amazonaws.us-east-1.s3.
	// +optional
	ServiceName string `json:"serviceName,omitempty"`

	// VPCID is the ID of the resolved VPC.
	// +optional
	VPCID string `json:"vpcID,omitempty"`

	// Region is the region the endpoint lives in.
	// +optional
	Region string `json:"region,omitempty"`

	// CreateIntent records a CreateVpcEndpoint the controller is about to make (or
	// has made) and has not yet seen AWS list. It is written, and confirmed by the
	// API server, before the create call, and cleared once the endpoint is seen.
	// While it is set, every attempt of the create sends the same ClientToken, so
	// AWS returns the endpoint of an earlier attempt instead of making a second
	// one, and a "not found" within the manager's --consistency-bound of it means
	// "not visible yet".
	// +optional
	CreateIntent *CreateIntent `json:"createIntent,omitempty"`

	// LastChange records the controller's last change to the endpoint that AWS may
	// not show yet: AWS shows a changed resource in its previous state for a
	// while, and reading that state within the manager's --consistency-bound of
	// the change is waited out, not taken for drift. It is written before the
	// change is made.
	// +optional
	LastChange *Change `json:"lastChange,omitempty"`

	// Conditions: Ready says whether the endpoint is available and matches the
	// spec; Synced says whether the last reconcile applied the spec, and why not;
	// Reconciling (while work goes on) and Stalled (when the user must act) follow
	// the kstatus conventions that GitOps tools read. ConnectionDetailsReady,
	// while spec.connectionDetails is set, says whether its ConfigMap is
	// written.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// CreateIntent is a create recorded in the status before it is made, kept
// until AWS lists what it made.
type CreateIntent struct {
	// ClientToken is sent with every attempt of this create. Empty for a security
	// group: EC2 takes no token there, and the group's name is unique per object.
	// +optional
	ClientToken string `json:"clientToken,omitempty"`

	// Since is when the intent was recorded, before the first attempt.
	Since metav1.Time `json:"since"`
}

// Change is a change the controller made to an AWS resource: when, and a
// digest of the resource's state before it.
type Change struct {
	// At is when the change was made.
	At metav1.Time `json:"at"`

	// From is a digest of the resource's state before the change.
	From string `json:"from"`
}

// Condition types.
const (
	// ConditionReady is True when the endpoint is available in AWS and matches the
	// spec.
	ConditionReady = "Ready"
	// ConditionSynced is True when the last reconcile applied the spec to AWS.
	ConditionSynced = "Synced"
	// ConditionReconciling is True while the controller is still working towards
	// the spec (AWS provisioning, a retried transient error, deletion); absent
	// otherwise. It follows the kstatus convention that Flux and Argo CD read.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when only a change by the user (or in AWS) can make
	// progress: invalid input, a rejected or failed endpoint; absent otherwise.
	ConditionStalled = "Stalled"
	// ConditionConnectionDetailsReady is True when the ConfigMap of
	// spec.connectionDetails holds the endpoint's current connection details;
	// present only while spec.connectionDetails is set.
	ConditionConnectionDetailsReady = "ConnectionDetailsReady"
)

// Finalizer is put on every object before the controller first writes to AWS.
const Finalizer = "networking.vpce.dev/finalizer"
