package layout_test

import (
	"strings"
	"testing"
)

// heavyModules are modules the manager binary must not link, and why. All three
// came in with controller-runtime's metrics filter
// (sigs.k8s.io/controller-runtime/pkg/metrics/filters), which took the stripped
// manager from 37.7 MB to 88.1 MB and its idle resident memory from 37 MiB to
// 57 MiB, against issue 15's budget of 64 MiB with 1,000 objects.
var heavyModules = map[string]string{
	"k8s.io/apiserver":         "the apiserver's library; internal/metricsauth checks metrics access with client-go alone",
	"github.com/google/cel-go": "CEL, which the apiserver evaluates for the CRDs, not the manager",
	"google.golang.org/grpc":   "gRPC; the manager speaks only HTTP",
}

// TestManagerLeavesOutHeavyModules fails when the manager binary links a module of
// heavyModules, showing the shortest import chain from the manager to it.
func TestManagerLeavesOutHeavyModules(t *testing.T) {
	moduleOf, imports := map[string]string{}, map[string][]string{}
	for _, line := range goList(t, "-deps", "-f", `{{.ImportPath}}|{{with .Module}}{{.Path}}{{end}}|{{join .Imports ","}}`, module) {
		fields := strings.SplitN(line, "|", 3)
		if len(fields) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		moduleOf[fields[0]] = fields[1]
		imports[fields[0]] = strings.Split(fields[2], ",")
	}
	// Breadth first from the manager, so each heavy module is reported once with
	// the shortest chain that reaches it.
	importedBy, reported := map[string]string{module: ""}, map[string]bool{}
	queue := []string{module}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		if why := heavyModules[moduleOf[pkg]]; why != "" {
			if reported[moduleOf[pkg]] {
				continue
			}
			reported[moduleOf[pkg]] = true
			chain := []string{pkg}
			for p := importedBy[pkg]; p != ""; p = importedBy[p] {
				chain = append([]string{p}, chain...)
			}
			t.Errorf("the manager links %s (%s) through\n\t%s", moduleOf[pkg], why, strings.Join(chain, "\n\t-> "))
			continue
		}
		for _, imp := range imports[pkg] {
			if _, seen := importedBy[imp]; !seen && moduleOf[imp] != "" {
				importedBy[imp] = pkg
				queue = append(queue, imp)
			}
		}
	}
}
