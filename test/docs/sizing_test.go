package docs_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// benchFigures reads the README's Performance table: the object count of its largest
// run (N=a+b) and that run's figures by row name.
func benchFigures(t *testing.T) (objects int, figures map[string]string) {
	t.Helper()
	readme := read(t, "README.md")
	header := regexp.MustCompile(`(?m)^\| figure \|(.*)\| target \|$`).FindStringSubmatch(readme)
	if header == nil {
		t.Fatal("README.md has no Performance table (| figure | N=... | target |)")
	}
	columns := strings.Split(header[1], "|")
	largest := -1
	for i, column := range columns {
		m := regexp.MustCompile(`N=(\d+)\+(\d+)`).FindStringSubmatch(column)
		if m == nil {
			t.Fatalf("README.md Performance column %q is not N=a+b", column)
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if a+b > objects {
			objects, largest = a+b, i
		}
	}
	figures = map[string]string{}
	for _, line := range strings.Split(readme, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) == len(columns)+2 {
			figures[cells[0]] = strings.Trim(cells[1+largest], "* ")
		}
	}
	return objects, figures
}

// thousands writes n with a comma every three digits, as the docs do (1,000).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestSizingAdviceIsTheBenchmarks: the sizing of docs/operations.md and the comment
// on the chart's resources quote the largest run of the README's Performance table,
// and neither falls back on a vague count that could contradict it.
func TestSizingAdviceIsTheBenchmarks(t *testing.T) {
	objects, figures := benchFigures(t)
	rss := figures["manager peak RSS"]
	atRest := figures["EC2 calls per minute at rest (all kinds)"]
	if objects == 0 || rss == "" || atRest == "" {
		t.Fatalf("README.md Performance table: %d objects, peak RSS %q, calls at rest %q; rows renamed?", objects, rss, atRest)
	}
	count := thousands(objects)

	operations := read(t, "docs/operations.md")
	start := strings.Index(operations, "## Sizing")
	end := strings.Index(operations[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("docs/operations.md has no Sizing section")
	}
	sizing := operations[start : start+1+end]
	flat := strings.Join(strings.Fields(sizing), " ")
	for _, want := range []string{count + " objects", rss, atRest + " with " + count} {
		if !strings.Contains(flat, want) {
			t.Errorf("the Sizing section of docs/operations.md does not quote the README's largest run: no %q", want)
		}
	}

	values := read(t, "charts/vpce-controller/values.yaml")
	comment := regexp.MustCompile(`(?m)((?:^#.*\n)+)resources:`).FindStringSubmatch(values)
	if comment == nil {
		t.Fatal("charts/vpce-controller/values.yaml has no comment on resources")
	}
	if !strings.Contains(comment[1], count+" endpoint objects") || !strings.Contains(comment[1], rss) {
		t.Errorf("the comment on resources in values.yaml does not say the limits hold %s endpoint objects (peak RSS %s):\n%s", count, rss, comment[1])
	}

	for rel, text := range map[string]string{"docs/operations.md (Sizing)": sizing, "values.yaml (resources)": comment[1]} {
		for _, vague := range []string{"a few hundred", "a few thousand", "hundreds of", "thousands of"} {
			if strings.Contains(strings.Join(strings.Fields(text), " "), vague) {
				t.Errorf("%s sizes by %q; quote the measured figures instead", rel, vague)
			}
		}
	}
}
