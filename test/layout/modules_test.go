package layout_test

import (
	"strings"
	"testing"
)

// TestManagerModuleLeavesOutPrometheusServer fails when Prometheus's server module
// (its PromQL parser, rule format, ...) enters the repository's module graph: the
// tests that need it live in the test/monitoring module, so the versions it would
// pull in never change what the manager is built with.
func TestManagerModuleLeavesOutPrometheusServer(t *testing.T) {
	for _, mod := range goList(t, "-m", "all") {
		if strings.HasPrefix(mod, "github.com/prometheus/prometheus") {
			t.Errorf("the repository's module graph holds %s; keep tests that need it in test/monitoring", mod)
		}
	}
}
