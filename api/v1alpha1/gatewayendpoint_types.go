package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GatewayService is the AWS service of a gateway endpoint.
// +kubebuilder:validation:Enum=s3;dynamodb
type GatewayService string

// RouteTableSelector picks the route tables that get the service's prefix-list
// route. The union of ids, the tables used by subnetIDs, and the tables
// matching tags is the desired set.
// +kubebuilder:validation:XValidation:rule="has(self.ids) || has(self.subnetIDs) || has(self.tags)",message="set at least one of routeTables.ids, routeTables.subnetIDs or routeTables.tags"
type RouteTableSelector struct {
	// IDs of route tables, for example rtb-0a1b2c3d4e5f67890.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=200
	// +kubebuilder:validation:items:Pattern=`^rtb-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	IDs []string `json:"ids,omitempty"`

	// SubnetIDs selects the route table each subnet uses: its explicit
	// association, or else the VPC's main route table.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=200
	// +kubebuilder:validation:items:Pattern=`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`
	// +listType=set
	// +optional
	SubnetIDs []string `json:"subnetIDs,omitempty"`

	// Tags selects every route table of the VPC that carries all of these tags.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=50
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// GatewayEndpointSpec is the desired state of a gateway VPC endpoint.
type GatewayEndpointSpec struct {
	EndpointSpecCommon `json:",inline"`

	// Service is the AWS service: s3 or dynamodb. Immutable.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.service is immutable: delete the object and create it again for another service (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)"
	Service GatewayService `json:"service"`

	// RouteTables that get a route to the service's prefix list.
	RouteTables RouteTableSelector `json:"routeTables"`

	// ConnectionDetails publishes the endpoint ID, prefix list and route tables in
	// a ConfigMap for applications. Omitted: no ConfigMap.
	// +optional
	ConnectionDetails *ConnectionDetails `json:"connectionDetails,omitempty"`
}

// GatewayEndpointStatus is the observed state of a gateway VPC endpoint.
type GatewayEndpointStatus struct {
	EndpointStatusCommon `json:",inline"`

	// RouteTableIDs are the route tables that have the endpoint's route, sorted.
	// +optional
	RouteTableIDs []string `json:"routeTableIDs,omitempty"`

	// PrefixListID is the managed prefix list of the service (pl-...), the
	// destination of the routes.
	// +optional
	PrefixListID string `json:"prefixListID,omitempty"`
}

// GatewayEndpoint declares an AWS gateway VPC endpoint for S3 or DynamoDB: AWS
// adds a route to the service's prefix list in each chosen route table, so
// private subnets reach the service without a NAT gateway.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gwe,categories=vpce
// +kubebuilder:validation:XValidation:rule="has(self.spec.region) == has(oldSelf.spec.region)",message="spec.region is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)",fieldPath=".spec.region"
// +kubebuilder:validation:XValidation:rule="has(self.spec.accountRef) == has(oldSelf.spec.accountRef)",message="spec.accountRef is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again (deleting it deletes its AWS endpoint unless spec.deletionPolicy is Retain)",fieldPath=".spec.accountRef"
// +kubebuilder:printcolumn:name="VPC",type=string,JSONPath=`.status.vpcID`
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.service`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpointID`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Route Tables",type=string,JSONPath=`.status.routeTableIDs`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GatewayEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec GatewayEndpointSpec `json:"spec"`
	// Status is the observed state. It defaults to observedGeneration 0, so a new
	// object reads as in progress (kstatus) until the controller first reports.
	// +kubebuilder:default={}
	// +optional
	Status GatewayEndpointStatus `json:"status,omitempty"`
}

// GatewayEndpointList is a list of GatewayEndpoints.
// +kubebuilder:object:root=true
type GatewayEndpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the GatewayEndpoints.
	Items []GatewayEndpoint `json:"items"`
}

func init() {
	SchemeBuilder.Register(&GatewayEndpoint{}, &GatewayEndpointList{})
}
