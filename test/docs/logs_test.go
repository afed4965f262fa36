package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// timeEncodings tells, for each value of --zap-time-encoding, whether a log entry's
// "ts" field is written that way.
var timeEncodings = map[string]func(ts any) bool{
	"epoch":  func(ts any) bool { f, ok := ts.(float64); return ok && f > 1e9 && f < 1e10 },
	"millis": func(ts any) bool { f, ok := ts.(float64); return ok && f > 1e12 && f < 1e13 },
	"nano":   func(ts any) bool { f, ok := ts.(float64); return ok && f > 1e18 && f < 1e19 },
	"iso8601": func(ts any) bool {
		s, ok := ts.(string)
		_, err := time.Parse("2006-01-02T15:04:05.000Z0700", s)
		return ok && err == nil
	},
	"rfc3339": func(ts any) bool {
		s, ok := ts.(string)
		_, err := time.Parse(time.RFC3339, s)
		return ok && err == nil && !strings.Contains(s, ".")
	},
	"rfc3339nano": func(ts any) bool {
		s, ok := ts.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		return ok && err == nil && strings.Contains(s, ".")
	},
}

// TestLogFormatIsTheDocumentedDefault builds the manager, runs it with a kubeconfig
// that does not exist (it logs why and exits), and checks the entry against the
// defaults docs/operations.md gives for --zap-encoder and --zap-time-encoding.
func TestLogFormatIsTheDocumentedDefault(t *testing.T) {
	defaults := map[string]string{}
	for _, row := range flagTable(t) {
		defaults[row.flag] = row.defaultValue
	}
	if defaults["zap-encoder"] != "json" {
		t.Fatalf("docs/operations.md gives --zap-encoder the default %q; this test reads JSON entries, extend it", defaults["zap-encoder"])
	}
	matches, ok := timeEncodings[defaults["zap-time-encoding"]]
	if !ok {
		t.Fatalf("docs/operations.md gives --zap-time-encoding the default %q, which is not one of its values", defaults["zap-time-encoding"])
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "manager")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.CommandContext(ctx, bin, "--kubeconfig", filepath.Join(t.TempDir(), "missing"), "--region", "us-east-1", "--cluster-name", "docs")
	run.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=docs", "AWS_SECRET_ACCESS_KEY=docs")
	out, err := run.CombinedOutput()
	if err == nil {
		t.Fatalf("the manager started without a kubeconfig:\n%s", out)
	}
	entries := 0
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		var entry map[string]any
		if json.Unmarshal(scanner.Bytes(), &entry) != nil {
			t.Errorf("a log line is not JSON (docs/operations.md: --zap-encoder defaults to json): %s", scanner.Text())
			continue
		}
		entries++
		if !matches(entry["ts"]) {
			t.Errorf("log entry time %v is not what docs/operations.md says --zap-time-encoding defaults to (%s): %s",
				entry["ts"], defaults["zap-time-encoding"], scanner.Text())
		}
	}
	if entries == 0 {
		t.Fatalf("the manager logged nothing:\n%s", out)
	}
}
