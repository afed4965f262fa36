package v1alpha1

// ClaimAnnotation records, on each endpoint object, the install that acts on
// it: its --cluster-name, or "<cluster-name>/<shard-name>" for one shard of a
// cluster's managers (--shard-name). It is written together with the finalizer
// before any AWS call; another install (another --cluster-name) or another
// shard in the same Kubernetes cluster leaves the object alone and never
// removes the claim or the finalizer. To hand an object over, overwrite the
// annotation with the new install's (or shard's) value.
const ClaimAnnotation = "vpce.dev/claimed-by"

// AccountReference names the AWSAccount an endpoint lives in.
type AccountReference struct {
	// Name of a cluster-scoped AWSAccount.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// EndpointAccountSpec chooses the AWS account of an endpoint.
type EndpointAccountSpec struct {
	// AccountRef names the AWSAccount to create the endpoint in; the account's
	// guard rails (namespaces, regions, VPCs, services, adoption, VPC attribute
	// changes) apply before any AWS call. Omitted: the manager's default account
	// (--default-account), or else its own identity without guard rails.
	// Immutable: it cannot be added, changed or removed after creation.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.accountRef is immutable: delete the object and create it again to use another AWSAccount (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	// +optional
	AccountRef *AccountReference `json:"accountRef,omitempty"`
}

// EndpointAccountStatus records where the endpoint lives and which of its tags
// the controller set.
type EndpointAccountStatus struct {
	// AccountID is the AWS account the endpoint lives in.
	// +optional
	AccountID string `json:"accountID,omitempty"`

	// EndpointARN is the endpoint's ARN
	// (arn:<partition>:ec2:<region>:<account>:vpc-endpoint/<id>, or
	// instance-connect-endpoint/<id> for an Instance Connect Endpoint).
	// +optional
	EndpointARN string `json:"endpointARN,omitempty"`

	// AppliedTagKeys are the keys of the tags the controller set on the endpoint
	// (spec.tags, the manager's --default-tags, and the Name it adds). It removes
	// a tag only when its key is listed here and the spec no longer asks for it:
	// tags that others set are never touched.
	// +listType=set
	// +optional
	AppliedTagKeys []string `json:"appliedTagKeys,omitempty"`
}

// AccountName returns the AWSAccount the spec names, "" when none.
func (s *EndpointAccountSpec) AccountName() string {
	if s.AccountRef == nil {
		return ""
	}
	return s.AccountRef.Name
}

// AccountFinalizer keeps an AWSAccount while endpoint objects use it, so none
// is left without the credentials to delete its endpoint.
const AccountFinalizer = "networking.vpce.dev/account-in-use"

// CommonSpec returns the spec fields both kinds share.
func (e *GatewayEndpoint) CommonSpec() *EndpointSpecCommon { return &e.Spec.EndpointSpecCommon }

// CommonSpec returns the spec fields both kinds share.
func (e *InterfaceEndpoint) CommonSpec() *EndpointSpecCommon { return &e.Spec.EndpointSpecCommon }

// AccountUser is an endpoint kind that may name an AWSAccount: every kind
// whose spec embeds EndpointSpecCommon.
// +kubebuilder:object:generate=false
type AccountUser interface {
	CommonSpec() *EndpointSpecCommon
}

// AccountSpec returns the spec's choice of AWS account.
func (e *GatewayEndpoint) AccountSpec() *EndpointAccountSpec {
	return &e.Spec.EndpointAccountSpec
}

// AccountSpec returns the spec's choice of AWS account.
func (e *InterfaceEndpoint) AccountSpec() *EndpointAccountSpec {
	return &e.Spec.EndpointAccountSpec
}

// AccountSpec returns the spec's choice of AWS account.
func (e *InstanceConnectEndpoint) AccountSpec() *EndpointAccountSpec {
	return &e.Spec.EndpointAccountSpec
}

// AccountHolder is any endpoint kind: each may name an AWSAccount.
// +kubebuilder:object:generate=false
type AccountHolder interface {
	AccountSpec() *EndpointAccountSpec
}
