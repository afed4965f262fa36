package monitoring_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// promql is Prometheus's own PromQL parser with its default functions.
var promql = parser.NewParser(parser.Options{})

// targetLabels are the labels Prometheus adds to every scraped series (the
// ServiceMonitor's job, the target's namespace, pod, ...).
var targetLabels = []string{"job", "namespace", "pod", "instance", "service", "container", "endpoint"}

// synthetic are series Prometheus makes itself, never in a scrape.
var synthetic = map[string][]string{"up": targetLabels}

// TestAlertsUseExportedMetrics renders the chart's PrometheusRule, validates it
// with Prometheus's rule loader (expressions, durations, annotation templates), and
// checks that every metric and label each expression uses is in the scrape.
func TestAlertsUseExportedMetrics(t *testing.T) {
	groups := chartRules(t)
	if len(groups.Groups) != 1 || len(groups.Groups[0].Rules) < 9 {
		t.Fatalf("want one group of at least 9 alerts, got %+v", groups)
	}
	for _, r := range groups.Groups[0].Rules {
		expr, err := promql.ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("alert %s: %v", r.Alert, err)
			continue
		}
		checkUses(t, "alert "+r.Alert, expr)
	}
}

// chartRules renders the chart's PrometheusRule (with extra --set arguments) and
// validates it with Prometheus's rule loader (expressions, durations, annotation
// templates).
func chartRules(t *testing.T, set ...string) *rulefmt.RuleGroups {
	t.Helper()
	root := repoRoot(t)
	// helm reads the chart in a subprocess, which go test's cache does not see:
	// read it here too, so an edited template is never answered with a cached pass.
	if err := filepath.WalkDir(filepath.Join(root, "charts", "vpce-controller"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, err = os.ReadFile(path)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	args := []string{"template", "vpce", filepath.Join(root, "charts", "vpce-controller"),
		"--namespace", managerNamespace, "--set", "clusterName=monitoring-test", "--set", "prometheusRule.enabled=true",
		"--api-versions", "monitoring.coreos.com/v1", "--show-only", "templates/prometheusrule.yaml"}
	for _, kv := range set {
		args = append(args, "--set", kv)
	}
	out, err := exec.Command(filepath.Join(root, "bin", "helm"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("helm template (run `make helm`): %v\n%s", err, out)
	}
	var rule struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := yaml.Unmarshal(out, &rule); err != nil {
		t.Fatal(err)
	}
	groupsYAML, err := yaml.JSONToYAML(rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := rulefmt.Parse(groupsYAML, false, model.UTF8Validation, promql, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("Prometheus refuses the rules: %v", err)
	}
	if groups == nil {
		t.Fatal("no rule groups")
	}
	return groups
}

// TestDashboardUsesExportedMetrics parses every query of the Grafana dashboard (with
// Grafana's variables replaced by what they expand to) and checks that every metric
// and label it uses is in the scrape.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "charts", "vpce-controller", "dashboards", "vpce-controller.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dashboard struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&dashboard); err != nil {
		t.Fatalf("dashboards/vpce-controller.json: %v", err)
	}
	queries := 0
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			queries++
			expr, err := promql.ParseExpr(grafanaExpand(target.Expr))
			if err != nil {
				t.Errorf("panel %q: %q: %v", p.Title, target.Expr, err)
				continue
			}
			checkUses(t, "panel "+p.Title, expr)
		}
	}
	if queries < 15 {
		t.Errorf("the dashboard has %d queries; expected panels on every metric", queries)
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*([a-z_]+)\)$`)
	for _, v := range dashboard.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)
		query, _ := q["query"].(string)
		m := labelValues.FindStringSubmatch(query)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(series, label)", v.Name, query)
			continue
		}
		expr, err := promql.ParseExpr(grafanaExpand(m[1]))
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		checkUses(t, "variable "+v.Name, expr)
		if !selectedLabels(expr)[m[2]] {
			t.Errorf("variable %s takes values of label %q, which the series it names do not have", v.Name, m[2])
		}
	}
	// Every vpce_ metric the manager exports has a panel.
	used := map[string]bool{}
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			for _, name := range regexp.MustCompile(`vpce_[a-z0-9_]+`).FindAllString(target.Expr, -1) {
				used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")] = true
			}
		}
	}
	missing := map[string]bool{}
	for name := range scraped {
		if base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count"); strings.HasPrefix(name, "vpce_") && !used[base] {
			missing[base] = true
		}
	}
	if len(missing) > 0 {
		t.Errorf("the dashboard has no panel on %s", names(missing))
	}
}

// grafanaExpand replaces the dashboard's variables with what Grafana puts there.
func grafanaExpand(expr string) string {
	return strings.NewReplacer("$__rate_interval", "5m", "$namespace", ".*", "$job", ".*", "$object_namespace", ".*").Replace(expr)
}

// selectedLabels returns the labels of the series expr selects.
func selectedLabels(expr parser.Expr) map[string]bool {
	available := map[string]bool{}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			l, _ := seriesLabels(vs.Name)
			for k := range l {
				available[k] = true
			}
		}
		return nil
	})
	return available
}

// checkUses checks that every series expr selects is in the scrape with every label
// it matches on, and that every grouping or matching label of an aggregation or
// binary operation is a label of the series beneath it.
func checkUses(t *testing.T, what string, expr parser.Expr) {
	t.Helper()
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			labels, ok := seriesLabels(n.Name)
			if !ok {
				t.Errorf("%s: %s is not among the metrics the manager exports", what, n.Name)
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != "__name__" && !labels[m.Name] {
					t.Errorf("%s: %s has no label %q (it has %s)", what, n.Name, m.Name, names(labels))
				}
			}
		case *parser.AggregateExpr:
			if !n.Without {
				checkLabels(t, what, n.Grouping, n.Expr)
			}
		case *parser.BinaryExpr:
			if n.VectorMatching != nil && n.VectorMatching.On {
				checkLabels(t, what, n.VectorMatching.MatchingLabels, n.LHS)
				checkLabels(t, what, n.VectorMatching.MatchingLabels, n.RHS)
			}
		}
		return nil
	})
}

// checkLabels checks that each label is carried by some series selected in expr.
func checkLabels(t *testing.T, what string, labels []string, expr parser.Expr) {
	t.Helper()
	available := selectedLabels(expr)
	for _, l := range labels {
		if !available[l] {
			t.Errorf("%s: groups or matches on %q, which the series beneath (%s) do not have", what, l, names(available))
		}
	}
}

// seriesLabels returns the labels a series has once Prometheus scraped it.
func seriesLabels(name string) (map[string]bool, bool) {
	labels := map[string]bool{}
	if own, ok := synthetic[name]; ok {
		for _, l := range own {
			labels[l] = true
		}
		return labels, true
	}
	own, ok := scraped[name]
	if !ok {
		return nil, false
	}
	for l := range own {
		labels[l] = true
	}
	for _, l := range targetLabels {
		labels[l] = true
	}
	return labels, true
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
