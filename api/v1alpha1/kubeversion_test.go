package v1alpha1_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// schemaFeatures are the x-kubernetes-validations fields the CRDs may use, with
// the Kubernetes minor that serves them by default.
var schemaFeatures = map[string]int{
	"rule":              25, // CRDValidationRules beta, on by default
	"message":           25,
	"messageExpression": 27,
	"fieldPath":         28,
	"reason":            28,
	"optionalOldSelf":   30, // CRDValidationRatcheting beta
}

// celRule is one CEL expression of a CRD, and where it is.
type celRule struct {
	crd, path, expr string
}

// TestMinimumKubernetesVersion computes the oldest Kubernetes whose apiserver
// accepts the CRDs, and checks that the note in README.md and the chart's
// kubeVersion both state it. An apiserver of minor N compiles the rules of a CRD
// being written in its new-expressions environment at compatibility version N-1,
// so a rule needs the minor after the first compatibility version that compiles it.
func TestMinimumKubernetesVersion(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	rules, features := crdValidations(t, filepath.Join(root, "config", "crd", "bases"))
	if len(rules) == 0 {
		t.Fatal("found no CEL rules in config/crd/bases")
	}

	minimum, why := 0, ""
	for feature := range features {
		minor, known := schemaFeatures[feature]
		if !known {
			t.Errorf("the CRDs use x-kubernetes-validations field %q, which this test does not know: add the Kubernetes minor that serves it to schemaFeatures and README.md", feature)
		}
		if minor > minimum {
			minimum, why = minor, "x-kubernetes-validations field "+feature
		}
	}
	const newest = 37 // the apiserver module's own minor: go.mod's k8s.io/apiserver v0.37
	var needsLibrary []celRule
	for _, r := range rules {
		compat := firstCompiling(t, r.expr, newest)
		if compat == 0 {
			t.Errorf("%s %s: %q does not compile even at compatibility version 1.%d", r.crd, r.path, r.expr, newest)
			continue
		}
		if compat > 23 { // more than the CEL of the first validation rules
			needsLibrary = append(needsLibrary, r)
		}
		if compat+1 > minimum {
			minimum, why = compat+1, fmt.Sprintf("%s %s: %s", r.crd, r.path, r.expr)
		}
	}
	t.Logf("minimum Kubernetes 1.%d, set by %s", minimum, why)

	readme, err := os.ReadFile(filepath.Join(root, "api", "v1alpha1", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	noted := regexp.MustCompile(`Minimum Kubernetes version: \*\*1\.(\d+)\*\*`).FindSubmatch(readme)
	if noted == nil {
		t.Fatal(`api/v1alpha1/README.md does not state "Minimum Kubernetes version: **1.N**"`)
	}
	if got, _ := strconv.Atoi(string(noted[1])); got != minimum {
		t.Errorf("api/v1alpha1/README.md states 1.%d; the CRDs need 1.%d (%s): update the note and its reasoning", got, minimum, why)
	}
	for _, r := range needsLibrary {
		for _, fn := range functionNames(r.expr) {
			if !strings.Contains(string(readme), "`"+fn+"`") {
				t.Errorf("%s %s calls %s, which needs a newer CEL environment than the first validation rules; api/v1alpha1/README.md must name it (`%s`) in its reasoning", r.crd, r.path, fn, fn)
			}
		}
	}

	chart, err := os.ReadFile(filepath.Join(root, "charts", "vpce-controller", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		KubeVersion string `json:"kubeVersion"`
	}
	if err := yaml.Unmarshal(chart, &meta); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(">=1.%d.0-0", minimum); meta.KubeVersion != want {
		t.Errorf("charts/vpce-controller/Chart.yaml kubeVersion = %q, want %q: the CRDs need Kubernetes 1.%d (%s)", meta.KubeVersion, want, minimum, why)
	}
}

// firstCompiling returns the first compatibility version 1.x (from 1.23, when CRD
// validation rules appeared, up to newest) whose new-expressions environment
// compiles expr, or 0.
func firstCompiling(t *testing.T, expr string, newest int) int {
	t.Helper()
	for minor := 23; minor <= newest; minor++ {
		envSet, err := environment.MustBaseEnvSet(version.MajorMinor(1, uint(minor))).Extend(environment.VersionedOptions{
			IntroducedVersion: version.MajorMinor(1, 0),
			EnvOptions:        []cel.EnvOption{cel.Variable("self", cel.DynType), cel.Variable("oldSelf", cel.DynType)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, issues := envSet.NewExpressionsEnv().Compile(expr); issues == nil || issues.Err() == nil {
			return minor
		}
	}
	return 0
}

// functionNames returns the names called in expr (name followed by a parenthesis).
func functionNames(expr string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*\(`).FindAllStringSubmatch(expr, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// crdValidations returns the CEL rules (and message expressions) of the CRDs in
// dir, and the x-kubernetes-validations fields they use.
func crdValidations(t *testing.T, dir string) ([]celRule, map[string]bool) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules []celRule
	features := map[string]bool{}
	var walk func(crd, path string, node any)
	walk = func(crd, path string, node any) {
		switch n := node.(type) {
		case map[string]any:
			for k, v := range n {
				if k == "x-kubernetes-validations" {
					for _, item := range v.([]any) {
						validation := item.(map[string]any)
						for field, value := range validation {
							features[field] = true
							if field == "rule" || field == "messageExpression" {
								rules = append(rules, celRule{crd, path, value.(string)})
							}
						}
					}
					continue
				}
				walk(crd, path+"."+k, v)
			}
		case []any:
			for i, v := range n {
				walk(crd, fmt.Sprintf("%s[%d]", path, i), v)
			}
		}
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var crd map[string]any
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		walk(filepath.Base(p), "", crd)
	}
	return rules, features
}
