package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AWSAccountSpec says how the controller reaches an AWS account and which
// endpoint objects may use it, with what.
// +kubebuilder:validation:XValidation:rule="!has(self.externalID) || has(self.roleARN)",message="externalID needs roleARN: it is sent when the controller assumes that role",fieldPath=".externalID"
// +kubebuilder:validation:XValidation:rule="!has(self.sessionTags) || has(self.roleARN)",message="sessionTags needs roleARN: they are set when the controller assumes that role",fieldPath=".sessionTags"
// +kubebuilder:validation:XValidation:rule="!has(self.allowedVPCs) || has(self.allowedRegions)",message="allowedVPCs needs allowedRegions: the controller resolves the allowed VPCs in each allowed region",fieldPath=".allowedVPCs"
type AWSAccountSpec struct {
	// RoleARN is the IAM role the controller assumes to act in the account, for
	// example arn:aws:iam::222222222222:role/vpce-controller. Omitted: the
	// controller's own identity (IRSA, EKS Pod Identity or the default chain).
	// +kubebuilder:validation:Pattern=`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	RoleARN string `json:"roleARN,omitempty"`

	// ExternalID is sent with every AssumeRole of roleARN; the role's trust policy
	// can require it (sts:ExternalId), so only installs that know it may assume
	// the role.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1224
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9+=,.@:/_-]+$`
	// +optional
	ExternalID string `json:"externalID,omitempty"`

	// SessionTags are set on every session of roleARN (the trust policy must allow
	// sts:TagSession); the role's policies can match them as aws:PrincipalTag.
	// +kubebuilder:validation:MaxProperties=50
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) >= 1 && size(k) <= 128)",message="session tag keys must be 1 to 128 characters"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 256)",message="session tag values must be at most 256 characters"
	// +optional
	SessionTags map[string]string `json:"sessionTags,omitempty"`

	// NamespaceSelector selects the namespaces whose endpoint objects may use this
	// account: {} selects every namespace. An object of another namespace is
	// refused (Synced=False, reason NamespaceNotAllowed) before any AWS call.
	NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`

	// AllowedRegions lists the regions objects may use. Omitted: any region.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=40
	// +kubebuilder:validation:items:Pattern=`^[a-z]{2}(-[a-z]+)+-[0-9]+$`
	// +kubebuilder:validation:items:MaxLength=32
	// +listType=set
	// +optional
	AllowedRegions []string `json:"allowedRegions,omitempty"`

	// AllowedVPCs lists the VPCs objects may use, each by id or by tags (a VPC
	// carrying all of them). Omitted: any VPC. Needs allowedRegions: the
	// controller lists the allowed VPCs of each allowed region into
	// status.allowedVPCs, and checks objects against that list before any AWS
	// call.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +optional
	AllowedVPCs []VPCRule `json:"allowedVPCs,omitempty"`

	// AllowedServices lists the services objects may use: short names (s3,
	// ecr.dkr), full names (com.amazonaws.us-east-1.ssm) or PrivateLink service
	// names, where * matches any characters (com.amazonaws.vpce.*). An
	// InstanceConnectEndpoint names no service: it is allowed as
	// ec2-instance-connect-endpoint (or by *). Omitted: any service.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9*]([a-z0-9.*-]*[a-z0-9*])?$`
	// +kubebuilder:validation:items:MaxLength=255
	// +listType=set
	// +optional
	AllowedServices []string `json:"allowedServices,omitempty"`

	// AllowAdoption lets objects adopt existing endpoints with spec.endpointID.
	// Default false: an adopted endpoint is changed, re-tagged and, on delete,
	// deleted by the controller, so only accounts that opt in allow it.
	// +kubebuilder:default=false
	// +optional
	AllowAdoption bool `json:"allowAdoption"`

	// AllowVPCAttributeChanges lets objects turn on the VPC's DNS attributes with
	// spec.privateDNS.ensureVPCAttributes. Default false: those attributes are
	// VPC-wide and not the object's own.
	// +kubebuilder:default=false
	// +optional
	AllowVPCAttributeChanges bool `json:"allowVPCAttributeChanges"`
}

// VPCRule allows VPCs: exactly one of id or tags.
// +kubebuilder:validation:XValidation:rule="has(self.id) != has(self.tags)",message="set exactly one of id or tags in each allowedVPCs entry"
type VPCRule struct {
	// ID of an allowed VPC, for example vpc-0a1b2c3d4e5f67890.
	// +kubebuilder:validation:Pattern=`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +optional
	ID string `json:"id,omitempty"`

	// Tags that allowed VPCs carry (every key and value must match).
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=50
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// AllowedVPC is a VPC that spec.allowedVPCs allows, as the controller last
// listed it.
type AllowedVPC struct {
	// Region of the VPC.
	Region string `json:"region"`
	// ID of the VPC.
	ID string `json:"id"`
	// Tags of the VPC, against which objects that select their VPC by tags are
	// checked.
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// AWSAccountStatus is what the controller found out about the account.
type AWSAccountStatus struct {
	// ObservedGeneration is the metadata.generation the controller last checked.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// AccountID is the account the controller acts in: STS GetCallerIdentity
	// through the assumed role (or the controller's own identity).
	// +optional
	AccountID string `json:"accountID,omitempty"`

	// ARN is the identity the controller acts as in the account (the assumed-role
	// session, or its own).
	// +optional
	ARN string `json:"arn,omitempty"`

	// AllowedVPCs are the VPCs spec.allowedVPCs matches in the allowed regions, as
	// last listed (every --sync-period, and on each change of the spec).
	// +optional
	AllowedVPCs []AllowedVPC `json:"allowedVPCs,omitempty"`

	// LastChecked is when the controller last assumed the role and listed the
	// VPCs.
	// +optional
	LastChecked *metav1.Time `json:"lastChecked,omitempty"`

	// Conditions: Ready says whether the controller can act in the account, and
	// precisely why not; Stalled (kstatus) is True while only a change of the
	// role, its trust policy or this spec can help.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AWSAccount says how the controller reaches one AWS account (the role to
// assume, with an optional external ID and session tags) and which endpoint
// objects may use it: the namespaces it selects, and optional allow-lists of
// regions, VPCs and services. Endpoint objects name it in spec.accountRef.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=awsacct,categories=vpce
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.status.accountID`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.roleARN`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AWSAccount struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says how to reach the account and who may use it.
	Spec AWSAccountSpec `json:"spec"`
	// Status is what the controller found out.
	// +optional
	Status AWSAccountStatus `json:"status,omitempty"`
}

// AWSAccountList is a list of AWSAccounts.
// +kubebuilder:object:root=true
type AWSAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the AWSAccounts.
	Items []AWSAccount `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AWSAccount{}, &AWSAccountList{})
}
