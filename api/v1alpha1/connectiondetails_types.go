package v1alpha1

// ConnectionDetails asks the controller to publish what applications need to reach
// the endpoint (its ID, DNS names, addresses and, for S3, ready-made endpoint URLs)
// in a ConfigMap of the object's namespace, with keys that are valid environment
// variable names so a Deployment can load them with envFrom. docs/operations.md
// lists every key.
type ConnectionDetails struct {
	// ConfigMapName is the ConfigMap the controller writes, in the object's
	// namespace. The controller creates it (owned by this object, labelled
	// networking.vpce.dev/connection-details-for), keeps it current, repairs
	// hand edits and deletes it with the object. It never writes to a
	// ConfigMap of that name that this object does not control: the
	// ConnectionDetailsReady condition says so instead. Changing the name
	// moves the data: the ConfigMap under the old name is deleted.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ConfigMapName string `json:"configMapName"`
}
