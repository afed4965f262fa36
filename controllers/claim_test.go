package controllers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// TestTwoInstallsInOneCluster: two managers with different --cluster-name watch
// the same namespace of one cluster. Each object is claimed by exactly one of
// them (vpce.dev/claimed-by), gets exactly one endpoint, and its ownership tag
// never flips: drift checks go on (repairs happen) with no tag write at all. The
// other install says why it skips. Handing an object over is overwriting the
// claim.
func TestTwoInstallsInOneCluster(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.startManager("alpha")
	h.startManager("beta")
	rts := h.privateRouteTables()
	var objs []client.Object
	for i := range 3 {
		gw := gateway(fmt.Sprintf("s3-%d", i), h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[i : i+1]})
		if i == 1 {
			gw.Spec.Service = "dynamodb"
		}
		objs = append(objs, gw)
	}
	objs = append(objs, iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: h.privateSubnets()[:1]}))
	objs = append(objs, eice("bastion", h.fix.VPCID))
	for _, o := range objs {
		h.create(o)
	}
	claimer := map[string]string{}
	for _, o := range objs {
		h.waitReady(o)
		c := o.GetAnnotations()[v1alpha1.ClaimAnnotation]
		if c != "alpha" && c != "beta" {
			t.Fatalf("%s claimed by %q", o.GetName(), c)
		}
		claimer[o.GetName()] = c
		other := map[string]string{"alpha": "beta", "beta": "alpha"}[c]
		h.waitEvent(o, v1alpha1.EventClaimedElsewhere, fmt.Sprintf("Claimed by the install with --cluster-name %s", c))
		for _, e := range h.events(o) {
			if e.Reason == v1alpha1.EventClaimedElsewhere && !strings.Contains(e.Note, "this install (--cluster-name "+other+")") {
				t.Errorf("%s: skip event %q does not come from %s", o.GetName(), e.Note, other)
			}
		}
	}
	oneEndpointEach := func() {
		t.Helper()
		var live []map[string]string // the tags of each live endpoint, of any kind
		for _, e := range h.liveEndpoints() {
			live = append(live, tagsOf(e.Tags))
		}
		for _, e := range h.liveICEs() {
			live = append(live, tagsOf(e.Tags))
		}
		if len(live) != len(objs) {
			t.Fatalf("%d live endpoints for %d objects", len(live), len(objs))
		}
		for _, o := range objs {
			n := 0
			for _, tags := range live {
				if tags["vpce.dev/owner-uid"] == string(o.GetUID()) {
					n++
					if tags["vpce.dev/cluster"] != claimer[o.GetName()] {
						t.Fatalf("%s: endpoint tagged for cluster %q, claimed by %q", o.GetName(), tags["vpce.dev/cluster"], claimer[o.GetName()])
					}
				}
			}
			if n != 1 {
				t.Fatalf("%s has %d endpoints", o.GetName(), n)
			}
		}
	}
	oneEndpointEach()

	// Drift checks run (three repairs of the routes) and no tag is written.
	tagWrites := func() int { c := h.simCalls(); return c["CreateTags"] + c["DeleteTags"] }
	before := tagWrites()
	gw := objs[0].(*v1alpha1.GatewayEndpoint)
	for round := range 3 {
		// A route removed, then one added, in turns: a drift back to the very state
		// before the controller's last repair would read as AWS not showing it yet.
		drift := &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(gw.Status.EndpointID), RemoveRouteTableIds: rts[:1]}
		if round%2 == 1 {
			drift = &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(gw.Status.EndpointID), AddRouteTableIds: []string{h.fix.PublicRouteTableID}}
		}
		if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, drift); err != nil {
			t.Fatal(err)
		}
		h.eventually(4*syncPeriod, fmt.Sprintf("round %d: route repaired", round), func() error {
			if got := h.routesTo(gw.Status.EndpointID); !slices.Equal(got, rts[:1]) {
				return fmt.Errorf("routes %v", got)
			}
			return nil
		})
	}
	if n := tagWrites() - before; n != 0 {
		t.Fatalf("%d tag writes while two installs ran: the ownership tag flaps", n)
	}
	oneEndpointEach()

	// Hand-over: the claim is overwritten with the other install's name.
	from, to := claimer[gw.Name], map[string]string{"alpha": "beta", "beta": "alpha"}[claimer[gw.Name]]
	h.update(gw, func() { gw.Annotations[v1alpha1.ClaimAnnotation] = to })
	claimer[gw.Name] = to
	h.eventually(20*time.Second, "endpoint re-tagged for "+to, func() error {
		if got := tagsOf(h.endpoint(gw.Status.EndpointID).Tags)["vpce.dev/cluster"]; got != to {
			return fmt.Errorf("cluster tag %q", got)
		}
		return nil
	})
	h.waitReady(gw)
	h.waitEvent(gw, v1alpha1.EventClaimedElsewhere, "this install (--cluster-name "+from+")")
	oneEndpointEach()
}
