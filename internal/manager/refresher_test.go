package manager

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// TestListIntervalIsExportedPerAccountAndRegion: the drift listing interval and
// inventory listing age in force, stretched by the read budget or not, are the
// gauges of their account and region, so an operator sees where drift takes
// longer than --drift-interval and the inventory is older than the sync period.
func TestListIntervalIsExportedPerAccountAndRegion(t *testing.T) {
	report := reportListInterval(30*time.Second, 5*time.Minute, 9)
	report(ec2cache.ListIntervalChange{Account: "111122223333", Region: "ap-south-2", Interval: 30 * time.Second, InventoryInterval: 5 * time.Minute})
	report(ec2cache.ListIntervalChange{Account: "444455556666", Region: "ap-south-2", Interval: 100 * time.Second, Previous: 30 * time.Second, Pages: 15,
		InventoryInterval: 1000 * time.Second, PreviousInventoryInterval: 5 * time.Minute, InventoryPages: 30})
	for _, c := range []struct {
		account             string
		want, wantInventory float64
	}{{"111122223333", 30, 300}, {"444455556666", 100, 1000}} {
		if got := testutil.ToFloat64(metrics.DriftListInterval.WithLabelValues(c.account, "ap-south-2")); got != c.want {
			t.Errorf("vpce_drift_list_interval_seconds{account=%q,region=ap-south-2} = %v, want %v", c.account, got, c.want)
		}
		if got := testutil.ToFloat64(metrics.InventoryListInterval.WithLabelValues(c.account, "ap-south-2")); got != c.wantInventory {
			t.Errorf("vpce_inventory_list_interval_seconds{account=%q,region=ap-south-2} = %v, want %v", c.account, got, c.wantInventory)
		}
	}
}
