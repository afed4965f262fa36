package bench

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// interfaceServices are spread over the VPCs; an endpoint whose service already
// has private DNS in its VPC goes without (AWS allows one such name per VPC).
var interfaceServices = []string{"ssm", "ssmmessages", "ec2messages", "ec2", "ecr.api", "ecr.dkr", "logs", "sts", "kms", "secretsmanager", "sqs", "sns", "monitoring", "elasticloadbalancing", "lambda", "execute-api"}

// gatewayObject is the i-th GatewayEndpoint: VPC i mod len(vpcs); within a VPC
// each route table takes one s3 and one dynamodb endpoint.
func gatewayObject(ns string, i int, vpcs []vpcWorld) (*v1alpha1.GatewayEndpoint, int, int) {
	v, slot := i%len(vpcs), i/len(vpcs)
	svc := v1alpha1.GatewayService("s3")
	if slot%2 == 1 {
		svc = "dynamodb"
	}
	table := slot / 2
	return &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gw-%04d", i), Namespace: ns},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcs[v].ID}},
			Service:            svc,
			RouteTables:        v1alpha1.RouteTableSelector{IDs: []string{vpcs[v].RouteTables[table]}},
		},
	}, v, table
}

// interfaceObject is the i-th InterfaceEndpoint, on the VPC's private subnets by tag.
func interfaceObject(ns string, i int, vpcs []vpcWorld) *v1alpha1.InterfaceEndpoint {
	v, slot := i%len(vpcs), i/len(vpcs)
	return &v1alpha1.InterfaceEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("if-%04d", i), Namespace: ns},
		Spec: v1alpha1.InterfaceEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcs[v].ID}},
			Service:            interfaceServices[slot%len(interfaceServices)],
			Subnets:            v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}},
			PrivateDNS:         v1alpha1.PrivateDNS{Enabled: slot < len(interfaceServices)},
		},
	}
}

// readyCount counts the Ready objects among all of both kinds in ns.
func readyCount(objs []client.Object) int {
	n := 0
	for _, o := range objs {
		e, ok := o.(v1alpha1.EndpointObject)
		if !ok {
			continue
		}
		for _, c := range e.CommonStatus().Conditions {
			if c.Type == v1alpha1.ConditionReady && c.Status == metav1.ConditionTrue && c.ObservedGeneration == o.GetGeneration() {
				n++
			}
		}
	}
	return n
}
