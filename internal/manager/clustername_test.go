package manager_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vpce-dev/vpce-controller/internal/manager"
)

func TestClusterNameIsRequiredAndChecked(t *testing.T) {
	for _, tc := range []struct {
		name, want string
	}{
		{"", "--cluster-name is required"},
		{"prod eu", "--cluster-name \"prod eu\" is invalid"},
		{"-prod", "is invalid"},
		{strings.Repeat("a", 101), "is invalid"},
	} {
		err := manager.ValidateClusterName(tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateClusterName(%q) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	for _, ok := range []string{"prod-eu", "Prod_EU.1", strings.Repeat("a", 100)} {
		if err := manager.ValidateClusterName(ok); err != nil {
			t.Errorf("ValidateClusterName(%q) = %v, want nil", ok, err)
		}
	}
	err := (manager.Options{Region: "us-east-1"}).Validate()
	if err == nil || !strings.Contains(err.Error(), "--cluster-name is required") {
		t.Errorf("Options without a cluster name: Validate() = %v, want the --cluster-name error", err)
	}
}

func TestLeaderElectionIDIsAValidLeaseNamePerCluster(t *testing.T) {
	if got := manager.LeaderElectionID("prod-eu"); got != "vpce-controller-prod-eu.vpce.dev" {
		t.Errorf("LeaderElectionID(prod-eu) = %q; a DNS-label name keeps the documented lease name", got)
	}
	seen := map[string]string{}
	for _, name := range []string{"prod-eu", "Prod-EU", "prod_eu", "prod.eu", strings.Repeat("A", 100), strings.Repeat("A", 99) + "B"} {
		id := manager.LeaderElectionID(name)
		if errs := validation.IsDNS1123Subdomain(id); len(errs) > 0 {
			t.Errorf("LeaderElectionID(%q) = %q, not a valid Lease name: %v", name, id, errs)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("clusters %q and %q share the lease %q", other, name, id)
		}
		seen[id] = name
	}
}
