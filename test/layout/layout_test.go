// Package layout_test keeps the tree honest about what ships: internal/ holds
// only what the manager imports, and nothing the manager imports reaches into
// the test harness under test/.
package layout_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

const module = "github.com/vpce-dev/vpce-controller"

// goList runs `go list` in the repository root and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.Fields(string(out))
}

// TestManagerDoesNotImportHarness fails when a package the manager binary
// depends on lives under test/: the emulator, e2e, bench and chaos code must
// never ship in the image.
func TestManagerDoesNotImportHarness(t *testing.T) {
	for _, dep := range goList(t, "-deps", module) {
		if strings.HasPrefix(dep, module+"/test/") || strings.HasPrefix(dep, module+"/hack/") {
			t.Errorf("the manager imports %s, which is test harness or tooling; move what it needs under internal/", dep)
		}
	}
}

// TestInternalIsWhatTheManagerImports fails when a package under internal/ is
// not part of the manager binary: harness code belongs under test/.
func TestInternalIsWhatTheManagerImports(t *testing.T) {
	deps := map[string]bool{}
	for _, dep := range goList(t, "-deps", module) {
		deps[dep] = true
	}
	for _, pkg := range goList(t, module+"/internal/...") {
		if !deps[pkg] {
			rel, _ := filepath.Rel(module, pkg)
			t.Errorf("%s is under internal/ but the manager does not import it; internal/ is for what ships (harness code goes under test/)", rel)
		}
	}
}
