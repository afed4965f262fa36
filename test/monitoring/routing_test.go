package monitoring_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	promqlengine "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// managerNamespace and managerJob are the target labels the chart's
// ServiceMonitor gives the manager's series (release "vpce" in vpce-system),
// which the alerts' default series selector matches.
const (
	managerNamespace = "vpce-system"
	managerJob       = "vpce-vpce-controller-metrics"
)

// objectMetrics are the metrics that count objects, labelled with their namespace.
var objectMetrics = []string{"vpce_endpoints", "vpce_endpoints_ready", "vpce_endpoints_stalled", "vpce_drift_repairs_total"}

// TestNoLabelClashesWithATargetLabel: Prometheus gives every scraped series the
// target's labels (job, namespace, pod, ...) and renames a series' own label of
// the same name to exported_<name>, which expressions written against the scrape
// would then miss. The objects' namespace is object_namespace for that reason.
func TestNoLabelClashesWithATargetLabel(t *testing.T) {
	for name, family := range scrapedFamilies {
		if !strings.HasPrefix(name, "vpce_") {
			continue
		}
		for _, m := range family.GetMetric() {
			for _, l := range m.GetLabel() {
				if slices.Contains(targetLabels, l.GetName()) {
					t.Errorf("%s has a label %q, which Prometheus renames exported_%s", name, l.GetName(), l.GetName())
				}
			}
		}
	}
	for _, name := range objectMetrics {
		if !scraped[name]["object_namespace"] {
			t.Errorf("%s lacks the object_namespace label (labels %s)", name, names(scraped[name]))
		}
	}
}

// TestObjectAlertsCarryTheObjectsNamespace evaluates the chart's alerts with
// Prometheus's own engine on the scrape of the running manager (as the
// ServiceMonitor labels it): the alerts on objects fire for the world's not Ready
// and Stalled object and its drift repair, and carry namespace set to the objects'
// namespace, for Alertmanager to route them to its team. Without the namespace
// label (metrics.namespaceLabel=false), they fire all the same and keep the
// manager's namespace.
func TestObjectAlertsCarryTheObjectsNamespace(t *testing.T) {
	groups := chartRules(t)
	wantFiring := []string{"VPCEndpointNotReady", "VPCEndpointStalled", "VPCEndpointDriftRepaired"}
	for _, withLabel := range []bool{true, false} {
		t.Run(fmt.Sprintf("namespaceLabel=%v", withLabel), func(t *testing.T) {
			queryable, at := loadScrape(t, withLabel)
			engine := promqlengine.NewEngine(promqlengine.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, Parser: promql})
			wantNamespace := namespace
			if !withLabel {
				wantNamespace = managerNamespace
			}
			fired := map[string]bool{}
			for _, r := range groups.Groups[0].Rules {
				usesObjects := false
				expr, err := promql.ParseExpr(r.Expr)
				if err != nil {
					t.Fatal(err)
				}
				parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
					if vs, ok := node.(*parser.VectorSelector); ok && slices.Contains(objectMetrics, vs.Name) {
						usesObjects = true
					}
					return nil
				})
				if !usesObjects {
					continue
				}
				q, err := engine.NewInstantQuery(context.Background(), queryable, nil, r.Expr, at)
				if err != nil {
					t.Fatalf("alert %s: %v", r.Alert, err)
				}
				res := q.Exec(context.Background())
				if res.Err != nil {
					t.Fatalf("alert %s: %v", r.Alert, res.Err)
				}
				vector, err := res.Vector()
				if err != nil {
					t.Fatalf("alert %s: %v", r.Alert, err)
				}
				for _, sample := range vector {
					fired[r.Alert] = true
					if got := sample.Metric.Get("namespace"); got != wantNamespace {
						t.Errorf("alert %s fires with namespace %q, want %q (%s)", r.Alert, got, wantNamespace, sample.Metric)
					}
				}
				q.Close()
			}
			for _, name := range wantFiring {
				if !fired[name] {
					t.Errorf("alert %s does not fire on the scrape of a manager with a not Ready, Stalled and drifted object", name)
				}
			}
		})
	}
}

// loadScrape turns the scrape's vpce_ gauges and counters into an hour of samples
// labelled as the ServiceMonitor labels them (counters rise halfway through), and
// returns them with the time to evaluate at. Without withLabel the series lose
// their object_namespace label, as with --metrics-namespace-label=false.
func loadScrape(t *testing.T, withLabel bool) (memory, time.Time) {
	t.Helper()
	const minutes = 60
	var series memory
	for name, family := range scrapedFamilies {
		if !strings.HasPrefix(name, "vpce_") || (family.GetType() != dto.MetricType_GAUGE && family.GetType() != dto.MetricType_COUNTER) {
			continue
		}
		for _, m := range family.GetMetric() {
			b := labels.NewBuilder(labels.EmptyLabels())
			b.Set(labels.MetricName, name)
			b.Set("job", managerJob)
			b.Set("namespace", managerNamespace)
			for _, l := range m.GetLabel() {
				if l.GetName() == "object_namespace" && !withLabel {
					continue
				}
				b.Set(l.GetName(), l.GetValue())
			}
			var samples []chunks.Sample
			for i := 0; i <= minutes; i++ {
				v := m.GetGauge().GetValue()
				if family.GetType() == dto.MetricType_COUNTER {
					v = 0
					if i > minutes/2 {
						v = m.GetCounter().GetValue()
					}
				}
				samples = append(samples, point{t: int64(i) * time.Minute.Milliseconds(), v: v})
			}
			series = append(series, storage.NewListSeries(b.Labels(), samples))
		}
	}
	return series, time.UnixMilli(minutes * time.Minute.Milliseconds())
}

// memory is a few series in memory, queryable by Prometheus's engine.
type memory []storage.Series

// Querier implements storage.Queryable.
func (m memory) Querier(_, _ int64) (storage.Querier, error) { return m, nil }

// Select returns the series every matcher matches.
func (m memory) Select(_ context.Context, _ bool, _ *storage.SelectHints, matchers ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
series:
	for _, s := range m {
		for _, matcher := range matchers {
			if !matcher.Matches(s.Labels().Get(matcher.Name)) {
				continue series
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return &seriesSet{series: out, i: -1}
}

// LabelValues is not used by the alerts.
func (m memory) LabelValues(context.Context, string, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

// LabelNames is not used by the alerts.
func (m memory) LabelNames(context.Context, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

// Close implements storage.Querier.
func (m memory) Close() error { return nil }

type seriesSet struct {
	series []storage.Series
	i      int
}

func (s *seriesSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *seriesSet) At() storage.Series                { return s.series[s.i] }
func (s *seriesSet) Err() error                        { return nil }
func (s *seriesSet) Warnings() annotations.Annotations { return nil }

// point is one float sample.
type point struct {
	t int64
	v float64
}

func (p point) T() int64                      { return p.t }
func (p point) ST() int64                     { return 0 }
func (p point) F() float64                    { return p.v }
func (p point) H() *histogram.Histogram       { return nil }
func (p point) FH() *histogram.FloatHistogram { return nil }
func (p point) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (p point) Copy() chunks.Sample           { return p }
