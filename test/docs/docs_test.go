// Package docs_test keeps the hand-written docs true, both ways. What exists is
// documented: every condition and event reason (constants and the engine's literal
// reasons) in docs/troubleshooting.md, every manager flag and metric in
// docs/operations.md, every chart value in the chart README. What the docs name
// exists: flags, chart values (the flag table's and every --set), metrics (checked
// against a running manager), condition types and reasons. And the docs say what
// the manager does: the log format, the sizing figures of the README, and the two
// Argo CD health checks of docs/gitops.md agree (test/gitops runs them).
package docs_test

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stringConstants returns the values of the string constants declared in a Go file
// whose names start with prefix.
func stringConstants(t *testing.T, rel, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root(t), rel), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, v := range vs.Values {
				if !strings.HasPrefix(vs.Names[i].Name, prefix) {
					continue
				}
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					values = append(values, s)
				}
			}
		}
	}
	return values
}

func TestTroubleshootingCoversEveryReason(t *testing.T) {
	doc := read(t, "docs/troubleshooting.md")
	reasons := stringConstants(t, "api/v1alpha1/conditions.go", "")
	if len(reasons) < 20 {
		t.Fatalf("found only %d reasons in api/v1alpha1/conditions.go", len(reasons))
	}
	// AWS error codes the controller passes through as reasons.
	reasons = append(reasons, "UnauthorizedOperation", "InvalidServiceName", "RouteAlreadyExists", "InvalidParameter", "IdempotentParameterMismatch")
	for _, r := range reasons {
		if !strings.Contains(doc, "| `"+r+"` |") {
			t.Errorf("docs/troubleshooting.md has no table row for reason %q", r)
		}
	}
	// And the condition types.
	for _, c := range stringConstants(t, "api/v1alpha1/common_types.go", "Condition") {
		if !strings.Contains(doc, "**"+c+"**") {
			t.Errorf("docs/troubleshooting.md does not explain condition %q", c)
		}
	}
}

// managerFlags returns the flags main.go registers, and the zap flags it binds.
func managerFlags(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root(t), "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "flag" {
			return true
		}
		if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			name, _ := strconv.Unquote(lit.Value)
			names = append(names, name)
		}
		return true
	})
	if len(names) < 10 {
		t.Fatalf("found only %d flags in main.go", len(names))
	}
	fs := flag.NewFlagSet("zap", flag.ContinueOnError)
	(&zap.Options{}).BindFlags(fs)
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return append(names, "kubeconfig")
}

func TestOperationsGuideCoversEveryFlag(t *testing.T) {
	doc := read(t, "docs/operations.md")
	for _, name := range managerFlags(t) {
		if !strings.Contains(doc, "| `--"+name+"` |") {
			t.Errorf("docs/operations.md has no row for flag --%s", name)
		}
	}
}

func TestOperationsGuideNamesEveryMetric(t *testing.T) {
	doc := read(t, "docs/operations.md")
	for _, name := range ourMetrics(t) {
		if !strings.Contains(doc, "| `"+name+"` |") {
			t.Errorf("docs/operations.md has no row for metric %s", name)
		}
	}
}

// TestOperationsGuideListsEveryDriftField: the row of vpce_drift_repairs_total
// lists exactly the values its field label takes (endpoint.DriftFields).
func TestOperationsGuideListsEveryDriftField(t *testing.T) {
	var row string
	for _, line := range strings.Split(read(t, "docs/operations.md"), "\n") {
		if strings.HasPrefix(line, "| `vpce_drift_repairs_total` |") {
			row = line
		}
	}
	_, list, ok := strings.Cut(row, "`field` is one of ")
	if !ok {
		t.Fatalf("docs/operations.md: the row of vpce_drift_repairs_total does not say \"`field` is one of\": %q", row)
	}
	list, _, _ = strings.Cut(list, ". ")
	list = regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(list, "") // explanations, which name other things
	var documented []string
	for _, m := range regexp.MustCompile("`([a-z0-9-]+)`").FindAllStringSubmatch(list, -1) {
		documented = append(documented, m[1])
	}
	if !slices.Equal(documented, endpoint.DriftFields) {
		t.Errorf("docs/operations.md lists drift fields %v; the field label takes %v (endpoint.DriftFields, in that order)", documented, endpoint.DriftFields)
	}
}

func TestChartReadmeCoversEveryValue(t *testing.T) {
	readme := read(t, "charts/vpce-controller/README.md")
	var values map[string]any
	if err := yaml.Unmarshal([]byte(read(t, "charts/vpce-controller/values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	// A key is documented by its own row, or, for a map, by rows for all its children.
	var check func(prefix string, m map[string]any)
	check = func(prefix string, m map[string]any) {
		for k, v := range m {
			path := prefix + k
			if strings.Contains(readme, "| `"+path+"` |") {
				continue
			}
			if child, ok := v.(map[string]any); ok && len(child) > 0 {
				check(path+".", child)
				continue
			}
			t.Errorf("charts/vpce-controller/README.md has no row for value %s", path)
		}
	}
	check("", values)
}

func TestArgoCDHealthChecksAgree(t *testing.T) {
	doc := read(t, "docs/gitops.md")
	scripts := map[string]string{}
	var current string
	for _, line := range strings.Split(doc, "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), "resource.customizations.health.networking.vpce.dev_"); ok {
			current = strings.TrimSuffix(k, ": |")
			continue
		}
		if current != "" {
			if !strings.HasPrefix(line, "    ") {
				current = ""
				continue
			}
			scripts[current] += line + "\n"
		}
	}
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range scripts {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(kinds, []string{"GatewayEndpoint", "InstanceConnectEndpoint", "InterfaceEndpoint"}) {
		t.Fatalf("docs/gitops.md has Argo CD health checks for %v, want GatewayEndpoint, InstanceConnectEndpoint and InterfaceEndpoint", kinds)
	}
	if scripts["GatewayEndpoint"] != scripts["InterfaceEndpoint"] || scripts["GatewayEndpoint"] != scripts["InstanceConnectEndpoint"] {
		t.Error("the Argo CD health checks of the three kinds in docs/gitops.md differ")
	}
	for _, want := range []string{`"Healthy"`, `"Degraded"`, `"Progressing"`, `"Stalled"`, `"Ready"`, "observedGeneration"} {
		if !strings.Contains(scripts["GatewayEndpoint"], want) {
			t.Errorf("the Argo CD health check does not mention %s", want)
		}
	}
}
