package v1alpha1

// CommonStatus returns the status fields both kinds share.
func (e *GatewayEndpoint) CommonStatus() *EndpointStatusCommon { return &e.Status.EndpointStatusCommon }

// CommonStatus returns the status fields both kinds share.
func (e *InterfaceEndpoint) CommonStatus() *EndpointStatusCommon {
	return &e.Status.EndpointStatusCommon
}

// EndpointObject is either kind: anything with the shared status.
// +kubebuilder:object:generate=false
type EndpointObject interface {
	CommonStatus() *EndpointStatusCommon
}
