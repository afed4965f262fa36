package docs_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// metricMention matches the metric names docs mention: ours and those of the
// libraries the manager is built on.
var metricMention = regexp.MustCompile(`\b(?:vpce|controller_runtime|workqueue|leader_election|process|go|rest_client|certwatcher)_[a-z0-9_]+\b`)

// ourMetrics returns the vpce_ metrics internal/metrics defines.
func ourMetrics(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, literal := range stringLiterals(t, "internal/metrics") {
		if regexp.MustCompile(`^vpce_[a-z0-9_]+$`).MatchString(literal) {
			names = append(names, literal)
		}
	}
	if len(names) == 0 {
		t.Fatal("no vpce_ metrics found in internal/metrics")
	}
	return names
}

// exportedMetrics returns the metric families the manager exports: its own, and
// those that controller-runtime, client-go and the Go and process collectors add,
// gathered from the manager (internal/manager.New) started with leader election
// against a local apiserver while it reconciles one object (EC2 unreachable, so it
// retries). Vectors appear in a scrape only once used, so ours come from
// internal/metrics' source too.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	env := testenv.StartForTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := manager.New(ctx, env.Config, manager.Options{
		Region: "us-east-1", ClusterName: "docs", LeaderElect: true, LeaderElectionNamespace: "default",
		Metrics: manager.MetricsOptions{BindAddress: "0"}, HealthProbeBindAddress: "0",
		AWSEndpointURL: "http://127.0.0.1:1", // nothing listens: every EC2 call fails fast
		AWSLoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("docs", "docs", "")),
		},
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-stopped; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("manager: %v", err)
		}
	}()

	obj := &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: "docs", Namespace: "default"},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: "vpc-0a1b2c3d"}},
			Service:            "s3",
			RouteTables:        v1alpha1.RouteTableSelector{IDs: []string{"rtb-0a1b2c3d"}},
		},
	}
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}

	names := map[string]bool{}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		families, err := ctrlmetrics.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			names[f.GetName()] = true
		}
		// Leader, controllers started, the object reconciled at least once.
		if names["leader_election_master_status"] && names["controller_runtime_reconcile_time_seconds"] && names["workqueue_depth"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager did not become leader and reconcile within 2 minutes; gathered %v", slices.Sorted(func(yield func(string) bool) {
				for n := range names {
					if !yield(n) {
						return
					}
				}
			}))
		}
		select {
		case err := <-stopped:
			t.Fatalf("manager stopped: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	for _, name := range ourMetrics(t) {
		names[name] = true
	}
	return names
}

// TestDocsNameOnlyMetricsTheManagerExports: every metric name in the user docs (in
// tables, prose and example alerts) is one the manager exports; a histogram may be
// named by its _bucket, _count or _sum series.
func TestDocsNameOnlyMetricsTheManagerExports(t *testing.T) {
	exported := exportedMetrics(t)
	mentions := 0
	for _, rel := range userDocs {
		for _, name := range metricMention.FindAllString(read(t, rel), -1) {
			mentions++
			base := name
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if trimmed, ok := strings.CutSuffix(name, suffix); ok && exported[trimmed] {
					base = trimmed
				}
			}
			if !exported[base] {
				t.Errorf("%s names metric %s, which the manager does not export", rel, name)
			}
		}
	}
	if mentions < 10 {
		t.Fatalf("found only %d metric mentions in the docs; is the scan broken?", mentions)
	}
}
