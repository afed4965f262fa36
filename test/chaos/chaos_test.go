package chaos

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestChaosReduced is `make chaos` in small: 12 objects, 5 kills, a fixed seed,
// and the consistency window at its worst case (every change seen exactly 3 s
// late). Replay a failure with
// `go run ./test/cmd/chaos -objects 12 -kills 5 -seed 7 -worst-case`.
//
// Seed 7's plan deletes an object inside AWS's eventual-consistency window right
// after its create, which once leaked the endpoint.
func TestChaosReduced(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var out strings.Builder
	report, err := Run(ctx, Config{
		Objects: 12, Kills: 5, Seed: 7, Dir: dir, Out: &out, Verbose: true, WorstCase: true, LostResponseRate: 0.2,
		Converge: time.Minute, Duration: 150 * time.Second,
	})
	t.Log("\n" + out.String())
	if err != nil || report.Failed() {
		data, _ := os.ReadFile(filepath.Join(dir, "manager.log"))
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		t.Logf("manager.log (last 60 lines):\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
	}
	if err != nil {
		t.Fatal(err)
	}
	if report.Failed() {
		t.Fatal("invariants violated; see the output above")
	}
	if !strings.HasPrefix(out.String(), "chaos seed: 7\n") {
		t.Errorf("output does not start with the seed: %.40q", out.String())
	}
	if report.Kills != 5 || report.Leaked != 0 || report.Creates != 12 {
		t.Errorf("kills %d, leaked %d, creates %d; want 5, 0, 12", report.Kills, report.Leaked, report.Creates)
	}
	if report.Duplicated+report.Stuck+report.FalseDrift != 0 {
		t.Errorf("duplicated %d, stuck %d, false drift %d; want 0", report.Duplicated, report.Stuck, report.FalseDrift)
	}
	if report.DriftInjected == 0 {
		t.Error("no drift was injected")
	}
	if report.InternalErrors == 0 || report.LostResponses == 0 {
		t.Errorf("%d InternalError and %d lost responses injected; want some of each", report.InternalErrors, report.LostResponses)
	}
}
