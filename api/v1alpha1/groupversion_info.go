// Package v1alpha1 contains the API types of the networking.vpce.dev group:
// GatewayEndpoint and InterfaceEndpoint, each declaring one AWS VPC endpoint, and
// the cluster-scoped AWSAccount, which says how to reach an AWS account and who may
// use it.
// +kubebuilder:object:generate=true
// +groupName=networking.vpce.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "networking.vpce.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this API with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this API to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
