package controllers_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// driftCase is one kind of change made to AWS behind the controller's back.
type driftCase struct {
	name string
	// object is what the user declared; it is Ready before the drift.
	object func(h *harness) client.Object
	// inject makes the change, with the test's own EC2 client.
	inject func(h *harness, obj client.Object)
	// note is what the DriftCorrected event says.
	note func(h *harness, obj client.Object) string
	// fields are the field labels of vpce_drift_repairs_total the repair counts.
	fields []string
	// repaired checks that AWS is as the spec wants again.
	repaired func(h *harness, obj client.Object) error
}

// driftCases are every kind of drift the engine repairs (internal/endpoint/drift.go).
func driftCases() []driftCase {
	private := v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}
	gw := func(mutate ...func(*v1alpha1.GatewayEndpoint)) func(h *harness) client.Object {
		return func(h *harness) client.Object {
			g := gateway("drift", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()})
			for _, m := range mutate {
				m(g)
			}
			return g
		}
	}
	ie := func(service string, mutate ...func(*v1alpha1.InterfaceEndpoint)) func(h *harness) client.Object {
		return func(h *harness) client.Object {
			i := iface("drift", h.fix.VPCID, service, private)
			for _, m := range mutate {
				m(i)
			}
			return i
		}
	}
	ice := func(mutate ...func(*v1alpha1.InstanceConnectEndpoint)) func(h *harness) client.Object {
		return func(h *harness) client.Object {
			e := eice("drift", h.fix.VPCID)
			for _, m := range mutate {
				m(e)
			}
			return e
		}
	}
	id := func(obj client.Object) string { return commonStatus(obj).EndpointID }
	group := func(obj client.Object) string {
		if e, ok := obj.(*v1alpha1.InstanceConnectEndpoint); ok {
			return e.Status.ManagedSecurityGroupID
		}
		return obj.(*v1alpha1.InterfaceEndpoint).Status.ManagedSecurityGroupID
	}
	modify := func(in ec2.ModifyVpcEndpointInput) func(h *harness, obj client.Object) {
		return func(h *harness, obj client.Object) {
			in.VpcEndpointId = aws.String(id(obj))
			if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &in); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	text := func(format string, args ...func(h *harness, obj client.Object) string) func(h *harness, obj client.Object) string {
		return func(h *harness, obj client.Object) string {
			vals := make([]any, len(args))
			for i, a := range args {
				vals[i] = a(h, obj)
			}
			return fmt.Sprintf(format, vals...)
		}
	}
	endpointID := func(_ *harness, obj client.Object) string { return id(obj) }
	groupID := func(_ *harness, obj client.Object) string { return group(obj) }
	routeTable := func(i int) func(h *harness, _ client.Object) string {
		return func(h *harness, _ client.Object) string { return h.privateRouteTables()[i] }
	}
	subnet := func(i int) func(h *harness, _ client.Object) string {
		return func(h *harness, _ client.Object) string { return h.privateSubnets()[i] }
	}
	vpcCIDR := func(h *harness, _ client.Object) string { return h.fix.VPCCIDR }
	ingress := func(port int32, cidr string) []types.IpPermission {
		return []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port), IpRanges: []types.IpRange{{CidrIp: aws.String(cidr)}}}}
	}
	endpointIs := func(check func(h *harness, ep types.VpcEndpoint) error) func(h *harness, obj client.Object) error {
		return func(h *harness, obj client.Object) error { return check(h, h.endpoint(id(obj))) }
	}
	rulesAre := func(h *harness, obj client.Object) error {
		if got, want := h.groupRules(group(obj)), []string{"tcp/443 from " + h.fix.VPCCIDR}; !slices.Equal(got, want) {
			return fmt.Errorf("rules of %s: %v, want %v", group(obj), got, want)
		}
		return nil
	}

	return []driftCase{
		{
			name:   "gateway-endpoint-deleted",
			object: gw(),
			inject: func(h *harness, obj client.Object) {
				if _, err := h.ec2.DeleteVpcEndpoints(h.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id(obj)}}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text("VPC endpoint %s was deleted outside the controller", endpointID),
			fields: []string{endpoint.DriftEndpoint},
		},
		{
			name:   "interface-endpoint-deleted",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				h.eventually(10*time.Second, "delete the endpoint", func() error {
					_, err := h.ec2.DeleteVpcEndpoints(h.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id(obj)}})
					return err
				})
			},
			note:   text("VPC endpoint %s was deleted outside the controller", endpointID),
			fields: []string{endpoint.DriftEndpoint},
		},
		{
			name:   "route-table-removed",
			object: gw(),
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{RemoveRouteTableIds: h.privateRouteTables()[:1]})(h, obj)
			},
			note:   text("route tables +%s", routeTable(0)),
			fields: []string{endpoint.DriftRouteTables},
			repaired: func(h *harness, obj client.Object) error {
				if got := h.routesTo(id(obj)); !slices.Equal(got, h.privateRouteTables()) {
					return fmt.Errorf("routes to the endpoint from %v, want %v", got, h.privateRouteTables())
				}
				return nil
			},
		},
		{
			name: "route-table-added",
			object: gw(func(g *v1alpha1.GatewayEndpoint) {
				g.Spec.RouteTables.IDs = g.Spec.RouteTables.IDs[:2]
			}),
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{AddRouteTableIds: h.privateRouteTables()[2:]})(h, obj)
			},
			note:   text("route tables -%s", routeTable(2)),
			fields: []string{endpoint.DriftRouteTables},
		},
		{
			name: "policy-changed",
			object: gw(func(g *v1alpha1.GatewayEndpoint) {
				g.Spec.Policy = &apiextensionsv1.JSON{Raw: []byte(readOnlyPolicy)}
			}),
			inject: modify(ec2.ModifyVpcEndpointInput{PolicyDocument: aws.String(policyDefault)}),
			note:   text("Repaired VPC endpoint %s: policy set", endpointID),
			fields: []string{endpoint.DriftPolicy},
		},
		{
			name:   "policy-set-where-the-spec-has-none",
			object: gw(),
			inject: modify(ec2.ModifyVpcEndpointInput{PolicyDocument: aws.String(readOnlyPolicy)}),
			note:   text("Repaired VPC endpoint %s: policy reset to AWS's default", endpointID),
			fields: []string{endpoint.DriftPolicy},
		},
		{
			name:   "ownership-tag-stripped",
			object: gw(),
			inject: func(h *harness, obj client.Object) {
				if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{id(obj)}, Tags: []types.Tag{{Key: aws.String("vpce.dev/owner")}}}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text("Repaired VPC endpoint %s: tags set vpce.dev/owner", endpointID),
			fields: []string{endpoint.DriftTags},
		},
		{
			name: "spec-tag-changed",
			object: ie("ssm", func(i *v1alpha1.InterfaceEndpoint) {
				i.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
			}),
			inject: func(h *harness, obj client.Object) { h.tag(id(obj), "team", "someone-else") },
			note:   text("Repaired VPC endpoint %s: tags set team", endpointID),
			fields: []string{endpoint.DriftTags},
			repaired: endpointIs(func(_ *harness, ep types.VpcEndpoint) error {
				if v := tagsOf(ep.Tags)["team"]; v != "platform" {
					return fmt.Errorf("tag team=%q", v)
				}
				return nil
			}),
		},
		{
			name:   "subnet-removed",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{RemoveSubnetIds: h.privateSubnets()[:1]})(h, obj)
			},
			note:   text("subnets +%s", subnet(0)),
			fields: []string{endpoint.DriftSubnets},
			repaired: endpointIs(func(h *harness, ep types.VpcEndpoint) error {
				if got := sortStrings(ep.SubnetIds); !slices.Equal(got, h.privateSubnets()) {
					return fmt.Errorf("subnets %v, want %v", got, h.privateSubnets())
				}
				return nil
			}),
		},
		{
			name: "subnet-added",
			object: func(h *harness) client.Object {
				return ie("ssm", func(i *v1alpha1.InterfaceEndpoint) {
					i.Spec.Subnets = v1alpha1.SubnetSelector{IDs: h.privateSubnets()[:2]}
				})(h)
			},
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{AddSubnetIds: h.privateSubnets()[2:]})(h, obj)
			},
			note:   text("subnets -%s", subnet(2)),
			fields: []string{endpoint.DriftSubnets},
		},
		{
			name:   "security-group-swapped",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{AddSecurityGroupIds: []string{h.fix.DefaultSecurityGroupID}, RemoveSecurityGroupIds: []string{group(obj)}})(h, obj)
			},
			note: func(h *harness, obj client.Object) string {
				return "security groups +" + group(obj) + " -" + h.fix.DefaultSecurityGroupID
			},
			fields: []string{endpoint.DriftSecurityGroups},
		},
		{
			name:   "private-dns-turned-off",
			object: ie("ssm"),
			inject: modify(ec2.ModifyVpcEndpointInput{PrivateDnsEnabled: aws.Bool(false)}),
			note:   text("Repaired VPC endpoint %s: private DNS on", endpointID),
			fields: []string{endpoint.DriftPrivateDNS},
			repaired: endpointIs(func(_ *harness, ep types.VpcEndpoint) error {
				if !aws.ToBool(ep.PrivateDnsEnabled) {
					return errors.New("private DNS still off")
				}
				return nil
			}),
		},
		{
			name: "dns-record-ip-type-changed",
			object: ie("ssm", func(i *v1alpha1.InterfaceEndpoint) {
				i.Spec.DNSRecordIPType = "ipv4"
			}),
			inject: modify(ec2.ModifyVpcEndpointInput{DnsOptions: &types.DnsOptionsSpecification{DnsRecordIpType: types.DnsRecordIpTypeServiceDefined}}),
			note:   text("Repaired VPC endpoint %s: DNS record IP type ipv4", endpointID),
			fields: []string{endpoint.DriftDNSOptions},
		},
		{
			name: "ip-address-type-changed",
			object: ie("ec2", func(i *v1alpha1.InterfaceEndpoint) {
				i.Spec.IPAddressType = "ipv4"
			}),
			inject: modify(ec2.ModifyVpcEndpointInput{IpAddressType: types.IpAddressTypeDualstack}),
			note:   text("Repaired VPC endpoint %s: IP address type ipv4", endpointID),
			fields: []string{endpoint.DriftIPAddressType},
		},
		{
			// The managed group's one rule revoked: the group is left with none.
			name:   "managed-group-only-rule-revoked",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				if _, err := h.ec2.RevokeSecurityGroupIngress(h.ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(group(obj)), IpPermissions: ingress(443, h.fix.VPCCIDR)}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:     text("Repaired security group %s rules: +tcp/443 from %s", groupID, vpcCIDR),
			fields:   []string{endpoint.DriftSecurityGroupRules},
			repaired: rulesAre,
		},
		{
			name:   "managed-group-rule-added",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				if _, err := h.ec2.AuthorizeSecurityGroupIngress(h.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group(obj)), IpPermissions: ingress(22, "0.0.0.0/0")}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:     text("Repaired security group %s rules: -tcp/22 from 0.0.0.0/0", groupID),
			fields:   []string{endpoint.DriftSecurityGroupRules},
			repaired: rulesAre,
		},
		{
			name:   "managed-group-ownership-tags-stripped",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				tags := []types.Tag{{Key: aws.String("vpce.dev/cluster")}, {Key: aws.String("vpce.dev/owner")}, {Key: aws.String("vpce.dev/owner-uid")}}
				if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{group(obj)}, Tags: tags}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text("Restored the ownership tags vpce.dev/cluster,vpce.dev/owner,vpce.dev/owner-uid of security group %s", groupID),
			fields: []string{endpoint.DriftSecurityGroupTags},
		},
		{
			// Swapped out of the endpoint, then deleted: a new group takes its place.
			name:   "managed-group-deleted",
			object: ie("ssm"),
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{AddSecurityGroupIds: []string{h.fix.DefaultSecurityGroupID}, RemoveSecurityGroupIds: []string{group(obj)}})(h, obj)
				if _, err := h.ec2.DeleteSecurityGroup(h.ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(group(obj))}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text("Security group %s was deleted outside the controller", groupID),
			fields: []string{endpoint.DriftSecurityGroup, endpoint.DriftSecurityGroups},
			repaired: func(h *harness, obj client.Object) error {
				h.get(obj)
				var groups []string
				for _, g := range h.endpoint(id(obj)).Groups {
					groups = append(groups, aws.ToString(g.GroupId))
				}
				if !slices.Equal(groups, []string{group(obj)}) {
					return fmt.Errorf("endpoint groups %v, want only the new managed group %s", groups, group(obj))
				}
				return rulesAre(h, obj)
			},
		},
		{
			name:   "instance-connect-endpoint-deleted",
			object: ice(),
			inject: func(h *harness, obj client.Object) {
				h.eventually(10*time.Second, "delete the endpoint", func() error {
					_, err := h.ec2.DeleteInstanceConnectEndpoint(h.ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id(obj))})
					return err
				})
			},
			note:   text("Instance Connect Endpoint %s was deleted outside the controller", endpointID),
			fields: []string{endpoint.DriftEndpoint},
			repaired: func(h *harness, obj client.Object) error {
				if n := len(h.liveICEs()); n != 1 {
					return fmt.Errorf("%d Instance Connect Endpoints, want 1", n)
				}
				return nil
			},
		},
		{
			name:   "instance-connect-preserve-client-ip-turned-on",
			object: ice(),
			inject: func(h *harness, obj client.Object) {
				h.eventually(10*time.Second, "modify the endpoint", func() error {
					_, err := h.ec2.ModifyInstanceConnectEndpoint(h.ctx, &ec2.ModifyInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id(obj)), PreserveClientIp: aws.Bool(true)})
					return err
				})
			},
			note:   text("Repaired Instance Connect Endpoint %s: preserve client IP off", endpointID),
			fields: []string{endpoint.DriftPreserveClientIP},
			repaired: func(h *harness, obj client.Object) error {
				if got := h.iceOf(id(obj)); aws.ToBool(got.PreserveClientIp) {
					return errors.New("preserveClientIP still on")
				}
				return nil
			},
		},
		{
			// The egress-only managed group of an Instance Connect Endpoint loses its
			// one rule (TCP 22 to the VPC).
			name:   "instance-connect-managed-group-rule-revoked",
			object: ice(),
			inject: func(h *harness, obj client.Object) {
				if _, err := h.ec2.RevokeSecurityGroupEgress(h.ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(group(obj)), IpPermissions: ingress(22, h.fix.VPCCIDR)}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text("Repaired security group %s rules: +tcp/22 to %s", groupID, vpcCIDR),
			fields: []string{endpoint.DriftSecurityGroupRules},
			repaired: func(h *harness, obj client.Object) error {
				if got, want := h.groupRulesBoth(group(obj)), []string{"out tcp/22 to " + h.fix.VPCCIDR}; !slices.Equal(got, want) {
					return fmt.Errorf("rules %v, want %v", got, want)
				}
				return nil
			},
		},
		{
			// Not in AWS: the ConfigMap of spec.connectionDetails edited by hand.
			name:   "connection-details-edited",
			object: gw(func(g *v1alpha1.GatewayEndpoint) { withDetails(g, "s3-endpoint") }),
			inject: func(h *harness, obj client.Object) {
				cm := h.waitConfigMap("s3-endpoint", func(*corev1.ConfigMap) error { return nil })
				cm.Data["VPCE_ENDPOINT_ID"] = "vpce-by-hand"
				if err := h.k.Update(h.ctx, cm); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text(`Restored ConfigMap "s3-endpoint"`),
			fields: []string{endpoint.DriftConnectionDetails},
			repaired: func(h *harness, obj client.Object) error {
				cm, err := h.configMap("s3-endpoint")
				if err != nil {
					return err
				}
				if got := cm.Data["VPCE_ENDPOINT_ID"]; got != id(obj) {
					return fmt.Errorf("VPCE_ENDPOINT_ID=%q, want %s", got, id(obj))
				}
				return nil
			},
		},
		{
			// Private DNS and the VPC attribute it needs turned off; the spec lets the
			// controller turn the attribute back on.
			name: "vpc-dns-hostnames-turned-off",
			object: ie("ssm", func(i *v1alpha1.InterfaceEndpoint) {
				i.Spec.PrivateDNS.EnsureVPCAttributes = true
			}),
			inject: func(h *harness, obj client.Object) {
				modify(ec2.ModifyVpcEndpointInput{PrivateDnsEnabled: aws.Bool(false)})(h, obj)
				if _, err := h.ec2.ModifyVpcAttribute(h.ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(h.fix.VPCID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}}); err != nil {
					h.t.Fatal(err)
				}
			},
			note:   text("Turned enableDnsHostnames of %s back on", func(h *harness, _ client.Object) string { return h.fix.VPCID }),
			fields: []string{endpoint.DriftVPCDNSAttributes, endpoint.DriftPrivateDNS},
		},
	}
}

// TestEveryDriftIsReported: for every kind of drift the controller repairs, one
// object in a namespace of its own is made Ready, the drift is made with the
// test's own EC2 client, and the repair is reported twice: a DriftCorrected event
// that says what was repaired, and vpce_drift_repairs_total samples of the
// object's kind, namespace and field. Nothing is reported before the drift.
func TestEveryDriftIsReported(t *testing.T) {
	cases := driftCases()
	covered := map[string]bool{}
	for _, c := range cases {
		for _, f := range c.fields {
			covered[f] = true
		}
	}
	for _, f := range endpoint.DriftFields {
		if !covered[f] {
			t.Errorf("no case makes drift of field %q", f)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			obj := c.object(h)
			kind := "GatewayEndpoint"
			switch obj.(type) {
			case *v1alpha1.InterfaceEndpoint:
				kind = "InterfaceEndpoint"
			case *v1alpha1.InstanceConnectEndpoint:
				kind = "InstanceConnectEndpoint"
			}
			h.create(obj)
			h.waitReady(obj)
			h.waitSettled(obj)
			h.noEvent(obj, v1alpha1.EventDriftCorrected)
			if got := scrape(t, "vpce_drift_repairs_total", h.inNamespace()); len(got) > 0 {
				t.Fatalf("drift counted before any was made: %v", got)
			}

			c.inject(h, obj)
			note := c.note(h, obj)
			h.eventually(60*time.Second, "a DriftCorrected event containing "+note, func() error {
				var seen []string
				for _, e := range h.events(obj) {
					if e.Reason == v1alpha1.EventDriftCorrected && strings.Contains(e.Note, note) {
						return nil
					}
					seen = append(seen, e.Reason+": "+e.Note)
				}
				return fmt.Errorf("events %q", seen)
			})
			for _, f := range c.fields {
				if n := scrape(t, "vpce_drift_repairs_total", h.inNamespace("kind", kind, "field", f))[""]; n < 1 {
					t.Errorf("vpce_drift_repairs_total{kind=%q,object_namespace=%q,field=%q} = %v after the repair, want at least 1 (all: %v)",
						kind, h.ns, f, n, scrape(t, "vpce_drift_repairs_total", h.inNamespace()))
				}
			}
			h.waitCondition(obj, v1alpha1.ConditionReady, "True", v1alpha1.ReasonAvailable, 60*time.Second)
			if c.repaired != nil {
				h.eventually(30*time.Second, "the repair in AWS", func() error { return c.repaired(h, obj) })
			}
		})
	}
}

// waitSettled waits until AWS lists what the controller created and shows its
// last changes to the object's endpoint and managed group: until then, AWS not
// showing them is waited out (for up to --consistency-bound), not taken for drift.
func (h *harness) waitSettled(obj client.Object) {
	h.t.Helper()
	h.eventually(60*time.Second, obj.GetName()+" settled", func() error {
		h.get(obj)
		st := commonStatus(obj)
		if st.CreateIntent != nil || st.LastChange != nil {
			return fmt.Errorf("status.createIntent %+v, status.lastChange %+v", st.CreateIntent, st.LastChange)
		}
		if ie, ok := obj.(*v1alpha1.InterfaceEndpoint); ok && (ie.Status.SecurityGroupCreateIntent != nil || ie.Status.SecurityGroupLastChange != nil) {
			return fmt.Errorf("status.securityGroupCreateIntent %+v, status.securityGroupLastChange %+v", ie.Status.SecurityGroupCreateIntent, ie.Status.SecurityGroupLastChange)
		}
		if e, ok := obj.(*v1alpha1.InstanceConnectEndpoint); ok && (e.Status.SecurityGroupCreateIntent != nil || e.Status.SecurityGroupLastChange != nil) {
			return fmt.Errorf("status.securityGroupCreateIntent %+v, status.securityGroupLastChange %+v", e.Status.SecurityGroupCreateIntent, e.Status.SecurityGroupLastChange)
		}
		return nil
	})
}

// TestDriftRepairedAfterAWSWasBusyIsReported: a change made outside the controller
// can leave the endpoint pending for a while (AWS re-provisions an interface
// endpoint after ModifyVpcEndpoint), so a drift check finds it not Ready first.
// The repair that follows is still drift, not a "modification". ec2sim's clock
// moves only when the test says, so the endpoint stays pending until then.
func TestDriftRepairedAfterAWSWasBusyIsReported(t *testing.T) {
	clock := ec2sim.NewManualClock(time.Now())
	h := newHarness(t, harnessOptions{simOpts: ec2sim.Options{Clock: clock, StateDelay: time.Minute}})
	ie := iface("busy", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(ie)
	h.waitCondition(ie, v1alpha1.ConditionReady, "False", v1alpha1.ReasonPending, 30*time.Second)
	clock.Advance(time.Minute)
	h.waitCondition(ie, v1alpha1.ConditionReady, "True", v1alpha1.ReasonAvailable, 30*time.Second)
	h.waitSettled(ie)
	subnets := h.privateSubnets()
	if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(ie.Status.EndpointID), RemoveSubnetIds: subnets[:1]}); err != nil {
		t.Fatal(err)
	}
	// The drift check meets the endpoint pending: not Ready for now.
	h.waitCondition(ie, v1alpha1.ConditionReady, "False", v1alpha1.ReasonPending, 30*time.Second)
	clock.Advance(time.Minute)
	h.waitEvent(ie, v1alpha1.EventDriftCorrected, "subnets +"+subnets[0])
	clock.Advance(time.Minute)
	h.waitCondition(ie, v1alpha1.ConditionReady, "True", v1alpha1.ReasonAvailable, 30*time.Second)
	for _, e := range h.events(ie) {
		if e.Reason == v1alpha1.EventModified {
			t.Errorf("the repair is reported as a modification: %s", e.Note)
		}
	}
	if n := scrape(t, "vpce_drift_repairs_total", h.inNamespace("kind", "InterfaceEndpoint", "field", endpoint.DriftSubnets))[""]; n != 1 {
		t.Errorf("vpce_drift_repairs_total{field=subnets} = %v, want 1", n)
	}
}
