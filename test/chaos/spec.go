package chaos

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// Namespace holds the chaos objects.
const Namespace = "chaos"

// interfaceServices are the interface services spread over the VPCs; each VPC
// gets distinct ones, so private DNS names never conflict.
var interfaceServices = []string{
	"ssm", "ssmmessages", "ec2messages", "ec2", "ecr.api", "ecr.dkr", "logs", "sts",
	"kms", "secretsmanager", "sqs", "sns", "monitoring", "elasticloadbalancing", "lambda", "execute-api",
}

// slotsPerVPC is how many objects share a VPC: an s3 and a dynamodb gateway
// endpoint, four interface endpoints of distinct services, and an Instance
// Connect Endpoint (AWS allows one per VPC, and iceVPCs per account and region:
// the VPCs after those get a fifth interface endpoint instead).
const slotsPerVPC = 7

// iceVPCs is how many VPCs get an Instance Connect Endpoint.
const iceVPCs = ec2sim.InstanceConnectEndpointsPerRegion

// kindSlot is the kind of object a slot holds.
type kindSlot int

const (
	gatewaySlot kindSlot = iota
	interfaceSlot
	instanceConnectSlot
)

// slot returns the kind and service of object i and the VPC it lives in.
func slot(i int) (kind kindSlot, service string, vpc int) {
	vpc, s := i/slotsPerVPC, i%slotsPerVPC
	switch {
	case s == 0:
		return gatewaySlot, "s3", vpc
	case s == 1:
		return gatewaySlot, "dynamodb", vpc
	case s == slotsPerVPC-1 && vpc < iceVPCs:
		return instanceConnectSlot, "", vpc
	}
	return interfaceSlot, interfaceServices[(5*vpc+s-2)%len(interfaceServices)], vpc
}

// newObject builds object i with a random spec.
func newObject(rng *rand.Rand, i int, nets []network) client.Object {
	kind, service, v := slot(i)
	net := nets[v]
	if kind == instanceConnectSlot {
		return newInstanceConnect(rng, i, net)
	}
	gw := kind == gatewaySlot
	common := v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: net.ID}, Tags: randomTags(rng, 0)}
	if rng.IntN(3) == 0 {
		common.Policy = randomPolicy(rng, service)
	}
	if gw {
		return &v1alpha1.GatewayEndpoint{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gw-%03d-%s", i, service), Namespace: Namespace},
			Spec: v1alpha1.GatewayEndpointSpec{
				EndpointSpecCommon: common,
				Service:            v1alpha1.GatewayService(service),
				RouteTables:        randomRouteTables(rng, net),
			},
		}
	}
	ie := &v1alpha1.InterfaceEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("if-%03d-%s", i, strings.ReplaceAll(service, ".", "-")), Namespace: Namespace},
		Spec: v1alpha1.InterfaceEndpointSpec{
			EndpointSpecCommon: common,
			Service:            service,
			Subnets:            randomSubnets(rng, net),
			PrivateDNS:         v1alpha1.PrivateDNS{Enabled: rng.IntN(2) == 0},
			SecurityGroups:     randomGroups(rng, net),
		},
	}
	return ie
}

// newInstanceConnect builds Instance Connect Endpoint object i with a random
// spec: its subnet by ID or by tags and a preferred zone, its groups, whether
// it preserves the client IP, and tags.
func newInstanceConnect(rng *rand.Rand, i int, net network) *v1alpha1.InstanceConnectEndpoint {
	subnet := v1alpha1.InstanceConnectSubnet{ID: net.Zones[rng.IntN(len(net.Zones))].SubnetID}
	if rng.IntN(2) == 0 {
		subnet = v1alpha1.InstanceConnectSubnet{Tags: map[string]string{"tier": "private"}, PreferredZone: net.Zones[rng.IntN(len(net.Zones))].AZ}
	}
	return &v1alpha1.InstanceConnectEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ice-%03d", i), Namespace: Namespace},
		Spec: v1alpha1.InstanceConnectEndpointSpec{
			VPC:              v1alpha1.VPCSelector{ID: net.ID},
			Subnet:           subnet,
			SecurityGroups:   randomEgressGroups(rng, net),
			PreserveClientIP: rng.IntN(2) == 0,
			Tags:             randomTags(rng, 0),
		},
	}
}

// randomEgressGroups returns an Instance Connect Endpoint's groups: omitted
// (a managed group for SSH), the VPC's default group only, a managed group for
// SSH and RDP, or the default group plus a managed group.
func randomEgressGroups(rng *rand.Rand, net network) *v1alpha1.InstanceConnectSecurityGroups {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return &v1alpha1.InstanceConnectSecurityGroups{IDs: []string{net.DefaultGroup}}
	case 2:
		return &v1alpha1.InstanceConnectSecurityGroups{Managed: &v1alpha1.ManagedEgressSecurityGroup{Ports: []int32{22, 3389}}}
	default:
		return &v1alpha1.InstanceConnectSecurityGroups{IDs: []string{net.DefaultGroup}, Managed: &v1alpha1.ManagedEgressSecurityGroup{}}
	}
}

// edit changes one random part of obj's spec: its route tables or subnets,
// tags, policy, (interface) managed security group or private DNS, or
// (Instance Connect) groups or preserveClientIP. It returns what it changed,
// for the log.
func edit(rng *rand.Rand, obj client.Object, net network, rev int) string {
	choice := rng.IntN(4)
	switch o := obj.(type) {
	case *v1alpha1.InstanceConnectEndpoint:
		switch choice {
		case 0, 1:
			o.Spec.SecurityGroups = randomEgressGroups(rng, net)
			return "security groups"
		case 2:
			o.Spec.Tags = randomTags(rng, rev)
			return "tags"
		default:
			o.Spec.PreserveClientIP = !o.Spec.PreserveClientIP
			return "preserveClientIP"
		}
	case *v1alpha1.GatewayEndpoint:
		switch choice {
		case 0, 1:
			o.Spec.RouteTables = randomRouteTables(rng, net)
			return "route tables"
		case 2:
			o.Spec.Tags = randomTags(rng, rev)
			return "tags"
		default:
			o.Spec.Policy = togglePolicy(rng, o.Spec.Policy, string(o.Spec.Service))
			return "policy"
		}
	case *v1alpha1.InterfaceEndpoint:
		switch choice {
		case 0:
			o.Spec.Subnets = randomSubnets(rng, net)
			return "subnets"
		case 1:
			o.Spec.Tags = randomTags(rng, rev)
			return "tags"
		case 2:
			o.Spec.SecurityGroups = randomGroups(rng, net)
			return "security groups"
		default:
			o.Spec.Policy = togglePolicy(rng, o.Spec.Policy, o.Spec.Service)
			return "policy"
		}
	}
	return "nothing"
}

// randomRouteTables selects route tables by IDs, by subnets or by tags.
func randomRouteTables(rng *rand.Rand, net network) v1alpha1.RouteTableSelector {
	switch rng.IntN(4) {
	case 0:
		return v1alpha1.RouteTableSelector{SubnetIDs: subset(rng, net.subnetIDs())}
	case 1:
		if rng.IntN(2) == 0 {
			return v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}}
		}
		return v1alpha1.RouteTableSelector{Tags: map[string]string{"zone": net.Zones[rng.IntN(len(net.Zones))].AZ}}
	default:
		return v1alpha1.RouteTableSelector{IDs: subset(rng, net.routeTables())}
	}
}

// randomSubnets selects subnets by IDs (mostly) or by tags.
func randomSubnets(rng *rand.Rand, net network) v1alpha1.SubnetSelector {
	if rng.IntN(4) == 0 {
		return v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}
	}
	return v1alpha1.SubnetSelector{IDs: subset(rng, net.subnetIDs())}
}

// randomGroups returns the security groups: omitted (a managed group for
// 443), the VPC's default group only (no managed group), a managed group for
// 443 and 8443, or the default group plus a managed group.
func randomGroups(rng *rand.Rand, net network) *v1alpha1.SecurityGroups {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return &v1alpha1.SecurityGroups{IDs: []string{net.DefaultGroup}}
	case 2:
		return &v1alpha1.SecurityGroups{Managed: &v1alpha1.ManagedSecurityGroup{Ports: []int32{443, 8443}}}
	default:
		return &v1alpha1.SecurityGroups{IDs: []string{net.DefaultGroup}, Managed: &v1alpha1.ManagedSecurityGroup{}}
	}
}

// randomTags returns user tags, sometimes none.
func randomTags(rng *rand.Rand, rev int) map[string]v1alpha1.TagValue {
	if rng.IntN(3) == 0 {
		return nil
	}
	tags := map[string]v1alpha1.TagValue{"team": v1alpha1.TagValue([]string{"payments", "platform", "search"}[rng.IntN(3)])}
	if rev > 0 {
		tags["revision"] = v1alpha1.TagValue(fmt.Sprint(rev))
	}
	return tags
}

// togglePolicy removes a policy, or sets one allowing a random action.
func togglePolicy(rng *rand.Rand, p *apiextensionsv1.JSON, service string) *apiextensionsv1.JSON {
	if p != nil && rng.IntN(2) == 0 {
		return nil
	}
	return randomPolicy(rng, service)
}

// noPolicy are the services of interfaceServices that take no endpoint
// policy (in AWS as in ec2sim).
var noPolicy = map[string]bool{"ssmmessages": true, "ec2messages": true}

// randomPolicy is an endpoint policy allowing one of a few actions to anyone,
// or nil for a service without policies.
func randomPolicy(rng *rand.Rand, service string) *apiextensionsv1.JSON {
	action := []string{"Get*", "List*", "Describe*", "*"}[rng.IntN(4)]
	if noPolicy[service] {
		return nil
	}
	prefix := service
	if i := strings.IndexByte(service, '.'); i > 0 {
		prefix = service[:i]
	}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"%s:%s","Resource":"*"}]}`, prefix, action)
	return &apiextensionsv1.JSON{Raw: []byte(doc)}
}

// subset returns a random non-empty subset of ids, sorted.
func subset(rng *rand.Rand, ids []string) []string {
	var out []string
	for len(out) == 0 {
		for _, id := range ids {
			if rng.IntN(2) == 0 {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}

// summary renders the parts of a spec the chaos run changes, for the log.
func summary(obj client.Object) string {
	var parts []string
	switch o := obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		rt := o.Spec.RouteTables
		parts = append(parts, fmt.Sprintf("routeTables{ids:%v subnetIDs:%v tags:%v}", rt.IDs, rt.SubnetIDs, rt.Tags))
	case *v1alpha1.InterfaceEndpoint:
		parts = append(parts, fmt.Sprintf("subnets{ids:%v tags:%v}", o.Spec.Subnets.IDs, o.Spec.Subnets.Tags))
		if m := managed(o.Spec); m != nil {
			parts = append(parts, fmt.Sprintf("managedGroup{ports:%v}", m.Ports))
		}
		parts = append(parts, fmt.Sprintf("privateDNS:%v", o.Spec.PrivateDNS.Enabled))
	}
	if o, ok := obj.(*v1alpha1.InstanceConnectEndpoint); ok {
		parts = append(parts, fmt.Sprintf("subnet{id:%s tags:%v zone:%s}", o.Spec.Subnet.ID, o.Spec.Subnet.Tags, o.Spec.Subnet.PreferredZone))
		if m := managedEgress(o.Spec); m != nil {
			parts = append(parts, fmt.Sprintf("managedGroup{ports:%v}", m.Ports))
		}
		parts = append(parts, fmt.Sprintf("preserveClientIP:%v tags:%v", o.Spec.PreserveClientIP, o.Spec.Tags))
		return strings.Join(parts, " ")
	}
	common := specOf(obj)
	parts = append(parts, fmt.Sprintf("tags:%v policy:%v", common.Tags, common.Policy != nil))
	return strings.Join(parts, " ")
}
