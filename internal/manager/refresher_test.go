package manager

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// TestListIntervalIsExportedPerAccountAndRegion: the drift listing interval in
// force, stretched by the read budget or not, is the gauge of its account and
// region, so an operator sees where drift takes longer than --drift-interval.
func TestListIntervalIsExportedPerAccountAndRegion(t *testing.T) {
	report := reportListInterval(30*time.Second, 9)
	report(ec2cache.ListIntervalChange{Account: "111122223333", Region: "ap-south-2", Interval: 30 * time.Second})
	report(ec2cache.ListIntervalChange{Account: "444455556666", Region: "ap-south-2", Interval: 100 * time.Second, Previous: 30 * time.Second, Pages: 15})
	for _, c := range []struct {
		account string
		want    float64
	}{{"111122223333", 30}, {"444455556666", 100}} {
		if got := testutil.ToFloat64(metrics.DriftListInterval.WithLabelValues(c.account, "ap-south-2")); got != c.want {
			t.Errorf("vpce_drift_list_interval_seconds{account=%q,region=ap-south-2} = %v, want %v", c.account, got, c.want)
		}
	}
}
