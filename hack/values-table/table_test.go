package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// TestChartReadmeTableIsCurrent fails when values.yaml changed without
// `go run ./hack/values-table`.
func TestChartReadmeTableIsCurrent(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	current, want, err := generate(filepath.Join(root, "charts", "vpce-controller"))
	if err != nil {
		t.Fatal(err)
	}
	if current != want {
		t.Fatal("charts/vpce-controller/README.md's values table is stale: run `go run ./hack/values-table`")
	}
}

func TestTableFollowsHelmDocsComments(t *testing.T) {
	const values = `# Header comment, not a description.

# -- Replicas of the manager.
# Continued here.
replicaCount: 2
image:
  # -- Image repository.
  repository: example/vpce
  # -- (string) Tag; empty means appVersion.
  tag: ""
# -- Resources.
# @default -- small
resources:
  limits: {cpu: 1}
# -- A pipe | in text.
extraArgs: ["--a=b"]
`
	table, err := Table([]byte(values))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| `replicaCount` | int | `2` | Replicas of the manager. Continued here. |",
		"| `image.repository` | string | `\"example/vpce\"` | Image repository. |",
		"| `image.tag` | string | `\"\"` | Tag; empty means appVersion. |",
		"| `resources` | object | small | Resources. |",
		"| `extraArgs` | list | `[\"--a=b\"]` | A pipe \\| in text. |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "Header") {
		t.Errorf("the file's header comment leaked into the table:\n%s", table)
	}
}

func TestUndocumentedValuesAreRefused(t *testing.T) {
	_, err := Table([]byte("# -- Documented.\na: 1\nb: 2\nc:\n  d: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "b (line 3)") || !strings.Contains(err.Error(), "c.d") {
		t.Fatalf("Table = %v, want errors naming b and c.d", err)
	}
}

func TestSpliceNeedsTheMarkers(t *testing.T) {
	if _, err := Splice("no markers", "table"); err == nil {
		t.Fatal("Splice without markers succeeded")
	}
	got, err := Splice("a\n"+beginMarker+"\nold\n"+endMarker+"\nb", "new\n")
	if err != nil || got != "a\n"+beginMarker+"\nnew\n"+endMarker+"\nb" {
		t.Fatalf("Splice = %q, %v", got, err)
	}
}
