package controllers_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	ktypes "k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// syncCounter counts, per object, full reconciles and skipped syncs (a controllers.Observer).
type syncCounter struct {
	mu      sync.Mutex
	full    map[string]int
	skipped atomic.Int64
}

func (c *syncCounter) Reconciled(_ string, obj client.Object, _ endpoint.Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.full[obj.GetName()]++
}

func (c *syncCounter) fullOf(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.full[name]
}

func (*syncCounter) Forget(string, ktypes.NamespacedName)           {}
func (*syncCounter) DriftRepaired(string, client.Object, ...string) {}
func (c *syncCounter) SyncSkipped(string)                           { c.skipped.Add(1) }

// A converged object's periodic syncs do not reconcile while nothing it depends
// on changes; drift in what it owns is still repaired (found by the drift
// listings); its syncs reconcile as soon as its VPC's route tables change (a new
// table the selector matches gets its route); and something that queues it (its
// connection details ConfigMap deleted) is acted on at once. A status written by
// someone else is written back at the next periodic sync.
func TestQuietSyncsReconcileOnlyWhatChanged(t *testing.T) {
	counter := &syncCounter{full: map[string]int{}}
	h := newHarness(t, harnessOptions{noStart: true})
	h.options = func(o *manager.Options) {
		o.Observers = append(o.Observers, counter)
		o.FullSyncPeriod = time.Hour  // only a change makes a full reconcile here
		o.DriftInterval = time.Second // quiet syncs need drift listings at least as often as syncs
		o.DriftReadBudget = -1        // no budget: it would stretch the inventory's age to minutes at this interval
	}
	h.startManager("")
	gw := gateway("quiet", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	gw.Spec.ConnectionDetails = &v1alpha1.ConnectionDetails{ConfigMapName: "quiet-details"}
	h.create(gw)
	h.waitReady(gw)
	h.waitRoutes(gw.Status.EndpointID, h.privateRouteTables())
	h.waitConfigMap("quiet-details", func(*corev1.ConfigMap) error { return nil })

	// Several sync periods at rest: the syncs are skipped, not reconciled.
	skippedBefore := counter.skipped.Load()
	h.eventually(10*syncPeriod, "periodic syncs skipped", func() error {
		if n := counter.skipped.Load() - skippedBefore; n < 3 {
			return fmt.Errorf("%d syncs skipped", n)
		}
		return nil
	})
	full := counter.fullOf(gw.Name)
	h.eventually(10*syncPeriod, "more periodic syncs skipped", func() error {
		if n := counter.skipped.Load() - skippedBefore; n < 6 {
			return fmt.Errorf("%d syncs skipped", n)
		}
		return nil
	})
	if n := counter.fullOf(gw.Name) - full; n != 0 {
		t.Fatalf("%d full reconciles while nothing changed", n)
	}

	// Drift in what the controller owns is found by the drift listings, which
	// queue the object: it is repaired although its syncs are quiet.
	if _, err := h.ec2.ModifyVpcEndpoint(h.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(gw.Status.EndpointID),
		RemoveRouteTableIds: h.privateRouteTables()[:1]}); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(gw, v1alpha1.EventDriftCorrected, "route tables")
	h.waitRoutes(gw.Status.EndpointID, h.privateRouteTables())

	// A new route table with the selector's tags: the next syncs see the VPC's
	// inventory changed (within the inventory's age, a minute here) and add it.
	rt, err := h.ec2.CreateRouteTable(h.ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(h.fix.VPCID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeRouteTable, Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("private")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := append(h.privateRouteTables(), aws.ToString(rt.RouteTable.RouteTableId))
	slices.Sort(want)
	h.eventually(90*time.Second, "the new route table routed", func() error {
		if got := h.routesTo(gw.Status.EndpointID); !slices.Equal(got, want) {
			return fmt.Errorf("routes in %v, want %v", got, want)
		}
		return nil
	})

	// Something that queues the object (its ConfigMap deleted) is acted on at once.
	cm := &corev1.ConfigMap{}
	cm.Namespace, cm.Name = h.ns, "quiet-details"
	if err := h.k.Delete(h.ctx, cm); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("quiet-details", func(*corev1.ConfigMap) error { return nil })

	// Its status written by someone else (no predicate queues that): the next
	// periodic sync reconciles it and writes the status back.
	h.get(gw)
	base := gw.DeepCopy()
	gw.Status.State = "edited-by-hand"
	if err := h.k.Status().Patch(h.ctx, gw, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
	h.eventually(10*syncPeriod, "the status written back", func() error {
		h.get(gw)
		if gw.Status.State == "edited-by-hand" {
			return fmt.Errorf("status.state is still %q", gw.Status.State)
		}
		return nil
	})
}
