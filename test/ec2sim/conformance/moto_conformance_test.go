package conformance

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// updateDivergences rewrites the README table from what moto did.
var updateDivergences = flag.Bool("update-divergences", false,
	"rewrite the known-divergences table in test/ec2sim/README.md from what moto_server did")

// readmePath is the emulator's README, relative to this package.
var readmePath = filepath.Join("..", "README.md")

// shouldUpdate reports whether the run should rewrite the README table.
func shouldUpdate() bool {
	return *updateDivergences || os.Getenv("UPDATE_DIVERGENCES") == "1"
}

// TestConformanceMoto runs every scenario against a fresh moto_server and
// checks that the scenarios moto fails, and what it did in each, are
// exactly the committed divergence table; with -update-divergences it
// rewrites the table instead.
func TestConformanceMoto(t *testing.T) {
	target := startMoto(t)
	results := Run(context.Background(), target, Scenarios())
	for _, r := range results {
		if r.Err != nil {
			t.Logf("moto diverges in %s: %v", r.Scenario.Name, r.Err)
		} else {
			t.Logf("moto conforms in %s", r.Scenario.Name)
		}
	}
	block := RenderTable(Divergences(results))

	doc, err := os.ReadFile(readmePath)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read %s: %v", readmePath, err)
	}
	if shouldUpdate() {
		if err := os.WriteFile(readmePath, []byte(ReplaceBlock(string(doc), block)), 0o644); err != nil {
			t.Fatalf("write %s: %v", readmePath, err)
		}
		t.Logf("rewrote the divergence table in %s", readmePath)
		return
	}
	committed, ok := ExtractBlock(string(doc))
	if !ok {
		t.Fatalf("%s has no %s … %s block; run go test ./test/ec2sim/conformance/ -update-divergences", readmePath, MarkerStart, MarkerEnd)
	}
	if committed != block {
		t.Errorf("moto's observed divergences differ from the table in %s; rerun with -update-divergences and review the diff.\nobserved:\n%s\ncommitted:\n%s", readmePath, block, committed)
	}
}
