package manager

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/accounts"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// refresher keeps every account's and region's snapshots current while this
// replica leads: it ticks each cache (ec2cache.Client.Tick), which lists the
// owned resources every drift interval and re-reads in between those AWS works
// on or the controller changed, and reports what changed.
func refresher(registry *accounts.Registry, spacing time.Duration) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		t := time.NewTicker(max(spacing/4, 50*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				for _, c := range registry.Caches() {
					go c.Tick(ctx) // one tick at a time per cache; a busy one is skipped
				}
			}
		}
	})
}

// reportListInterval publishes each account's and region's drift listing
// interval (vpce_drift_list_interval_seconds) and inventory listing age
// (vpce_inventory_list_interval_seconds), and logs when the read budget
// stretches them past --drift-interval and the inventory TTL, or lets them come
// back.
func reportListInterval(configured, inventory time.Duration, budget int) func(ec2cache.ListIntervalChange) {
	log := ctrl.Log.WithName("refresher")
	return func(c ec2cache.ListIntervalChange) {
		metrics.DriftListInterval.WithLabelValues(c.Account, c.Region).Set(c.Interval.Seconds())
		metrics.InventoryListInterval.WithLabelValues(c.Account, c.Region).Set(c.InventoryInterval.Seconds())
		if c.Previous == 0 && c.PreviousInventoryInterval == 0 && c.Interval == configured && c.InventoryInterval == inventory {
			return
		}
		log.Info("Listing intervals changed to keep within the read budget", "account", c.Account, "region", c.Region,
			"interval", c.Interval, "previous", c.Previous, "pagesPerListing", c.Pages,
			"inventoryInterval", c.InventoryInterval, "previousInventoryInterval", c.PreviousInventoryInterval, "inventoryPages", c.InventoryPages,
			"driftReadBudgetPerMinute", budget, "driftInterval", configured, "inventoryTTL", inventory)
	}
}

// lastApplied is the annotation kubectl apply keeps a copy of the object in.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// stripForCache drops from every cached object its managed fields, and from the
// controller's own kinds the last-applied annotation: the controller reads
// neither, writes them only through patches that leave them alone, and at
// thousands of objects they are most of the informers' memory.
func stripForCache(in any) (any, error) {
	obj, ok := in.(client.Object)
	if !ok {
		return in, nil
	}
	obj.SetManagedFields(nil)
	if isOwnKind(in) {
		if a := obj.GetAnnotations(); a[lastApplied] != "" {
			delete(a, lastApplied)
			obj.SetAnnotations(a)
		}
	}
	return obj, nil
}

func isOwnKind(in any) bool {
	switch in.(type) {
	case *v1alpha1.GatewayEndpoint, *v1alpha1.InterfaceEndpoint, *v1alpha1.InstanceConnectEndpoint, *v1alpha1.AWSAccount:
		return true
	}
	return false
}
