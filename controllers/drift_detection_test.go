package controllers_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// TestRevertAfterRepairIsRepairedAgain: drift is found by the listing of owned
// endpoints (--drift-interval), not by the sync period (an hour here), and a
// repair is confirmed by a read soon after, so the user reverting it a moment
// later is drift again, repaired at once, not taken for AWS lagging behind the
// repair for up to --consistency-bound (the default 5 minutes here).
func TestRevertAfterRepairIsRepairedAgain(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.options = func(o *manager.Options) {
		o.SyncPeriod = time.Hour
		o.DriftInterval = time.Second
	}
	h.startManager("")
	rt := h.privateRouteTables()
	gw := gateway("revert", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rt[:2]})
	h.create(gw)
	h.waitReady(gw)
	id := gw.Status.EndpointID

	removeTable := func() {
		t.Helper()
		if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), RemoveRouteTableIds: rt[:1]}); err != nil {
			t.Fatal(err)
		}
	}
	// Deadlines are far below the sync period and the consistency bound, so only
	// the listing and the confirmation can meet them.
	repaired := func(what string) {
		t.Helper()
		h.eventually(45*time.Second, what, func() error {
			if got := h.routesTo(id); !reflect.DeepEqual(got, rt[:2]) {
				return fmt.Errorf("routes %v, want %v", got, rt[:2])
			}
			return nil
		})
	}
	removeTable()
	repaired("the drift repaired without waiting for the sync period")
	h.eventually(45*time.Second, "the repair confirmed by a read (status.lastChange cleared)", func() error {
		h.get(gw)
		if gw.Status.LastChange != nil {
			return fmt.Errorf("status.lastChange is still %+v", gw.Status.LastChange)
		}
		return nil
	})
	removeTable()
	repaired("the revert repaired again")
}

// TestInstanceConnectDriftFoundByTheListing: drift of an Instance Connect
// Endpoint (a tag taken off) and of its managed group (its egress rule revoked)
// is found by the refresher's listings (--drift-interval), not by the sync
// period (an hour here).
func TestInstanceConnectDriftFoundByTheListing(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.options = func(o *manager.Options) {
		o.SyncPeriod = time.Hour
		o.DriftInterval = time.Second
	}
	h.startManager("")
	ep := eice("listed", h.fix.VPCID)
	h.create(ep)
	h.waitReady(ep)
	id, sg := ep.Status.EndpointID, ep.Status.ManagedSecurityGroupID

	h.revokeSSHEgress(sg)
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "+tcp/22 to "+h.fix.VPCCIDR)
	h.waitReady(ep)

	if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("Name")}}}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(ep, v1alpha1.EventDriftCorrected, "tags set Name")
}
