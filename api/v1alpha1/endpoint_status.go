package v1alpha1

// CommonStatus returns the status fields both kinds share.
func (e *GatewayEndpoint) CommonStatus() *EndpointStatusCommon { return &e.Status.EndpointStatusCommon }

// CommonStatus returns the status fields both kinds share.
func (e *InterfaceEndpoint) CommonStatus() *EndpointStatusCommon {
	return &e.Status.EndpointStatusCommon
}

// CommonStatus returns the status fields every kind shares.
func (e *InstanceConnectEndpoint) CommonStatus() *EndpointStatusCommon {
	return &e.Status.EndpointStatusCommon
}

// EndpointObject is any endpoint kind: anything with the shared status.
// +kubebuilder:object:generate=false
type EndpointObject interface {
	CommonStatus() *EndpointStatusCommon
}
