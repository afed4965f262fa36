package docs_test

import (
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

	"sigs.k8s.io/yaml"
)

// userDocs are the documents that describe the manager to its users. test/ec2sim's
// README describes the emulator, whose flags are its own.
var userDocs = []string{
	"README.md",
	"docs/operations.md",
	"docs/troubleshooting.md",
	"docs/gitops.md",
	"charts/vpce-controller/README.md",
	"config/iam/README.md",
}

// flagsOfOtherCommands are flags the user docs name that belong to another command:
// the file that defines each, or "" for a tool outside this repository.
var flagsOfOtherCommands = map[string]string{
	"set":          "", // helm install --set
	"api-versions": "", // helm template --api-versions
	"iam-policy":   "test/cmd/ec2sim/main.go",
}

// codeSpans returns the inline code spans of a markdown document (fenced blocks excluded).
func codeSpans(doc string) []string {
	var spans []string
	for _, block := range outsideFences(doc) {
		for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(block, -1) {
			spans = append(spans, m[1])
		}
	}
	return spans
}

// outsideFences returns the parts of a markdown document outside ``` fences.
func outsideFences(doc string) []string {
	parts := strings.Split(doc, "```")
	var outside []string
	for i, part := range parts {
		if i%2 == 0 {
			outside = append(outside, part)
		}
	}
	return outside
}

// insideFences returns the contents of a markdown document's ``` fences.
func insideFences(doc string) []string {
	parts := strings.Split(doc, "```")
	var inside []string
	for i, part := range parts {
		if i%2 == 1 {
			inside = append(inside, part)
		}
	}
	return inside
}

// flagName returns the name of the flag a code span starts with (--name, --name=x,
// --name x), or "".
func flagName(span string) string {
	m := regexp.MustCompile(`^--([a-z0-9][a-z0-9-]*)(?:[= ]|$)`).FindStringSubmatch(span)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestDocsNameOnlyFlagsTheManagerHas: every flag a user doc names in inline code, or
// on a line of its own in a code block, is a flag of the manager (or of the command
// flagsOfOtherCommands gives).
func TestDocsNameOnlyFlagsTheManagerHas(t *testing.T) {
	flags := map[string]bool{}
	for _, name := range managerFlags(t) {
		flags[name] = true
	}
	for name, source := range flagsOfOtherCommands {
		if source != "" && !strings.Contains(read(t, source), strconv.Quote(name)) {
			t.Errorf("--%s is said to be a flag of %s, which does not define it", name, source)
		}
	}
	checked := 0
	for _, rel := range userDocs {
		doc := read(t, rel)
		var names []string
		for _, span := range codeSpans(doc) {
			names = append(names, flagName(span))
		}
		for _, block := range insideFences(doc) {
			for _, line := range strings.Split(block, "\n") {
				names = append(names, flagName(line))
			}
		}
		for _, name := range names {
			if name == "" {
				continue
			}
			checked++
			if _, other := flagsOfOtherCommands[name]; !flags[name] && !other {
				t.Errorf("%s names --%s, which the manager does not have", rel, name)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("found only %d flag mentions in the docs; is the scan broken?", checked)
	}
}

// flagRow is a row of the manager flag table of docs/operations.md.
type flagRow struct {
	flag, defaultValue string
	// chartValues are the chart values the row says set the flag.
	chartValues []string
}

// flagTable parses the manager flag table of docs/operations.md.
func flagTable(t *testing.T) []flagRow {
	t.Helper()
	var rows []flagRow
	for _, line := range strings.Split(read(t, "docs/operations.md"), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) < 4 || !strings.HasPrefix(cells[0], "| `--") {
			continue
		}
		row := flagRow{
			flag:         strings.Trim(strings.TrimPrefix(cells[0], "| "), "`-"),
			defaultValue: strings.Trim(cells[1], "`"),
		}
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[2], -1) {
			row.chartValues = append(row.chartValues, m[1])
		}
		rows = append(rows, row)
	}
	if len(rows) < 10 {
		t.Fatalf("found only %d rows in the flag table of docs/operations.md", len(rows))
	}
	return rows
}

// chartValues parses charts/vpce-controller/values.yaml.
func chartValues(t *testing.T) map[string]any {
	t.Helper()
	var values map[string]any
	if err := yaml.Unmarshal([]byte(read(t, "charts/vpce-controller/values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	return values
}

// hasValue reports whether values has the dotted path.
func hasValue(values map[string]any, path string) bool {
	var current any = values
	for _, key := range strings.Split(path, ".") {
		m, ok := current.(map[string]any)
		if !ok {
			return false
		}
		if current, ok = m[key]; !ok {
			return false
		}
	}
	return true
}

// TestFlagTableNamesChartValuesThatSetTheFlag: each chart value of the flag table
// exists in values.yaml, and the chart's templates pass the flag (extraArgs passes
// any flag).
func TestFlagTableNamesChartValuesThatSetTheFlag(t *testing.T) {
	values := chartValues(t)
	templates, err := filepath.Glob(filepath.Join(root(t), "charts", "vpce-controller", "templates", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var rendered strings.Builder
	for _, path := range templates {
		contents, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rendered.Write(contents)
	}
	for _, row := range flagTable(t) {
		for _, value := range row.chartValues {
			if !hasValue(values, value) {
				t.Errorf("docs/operations.md says chart value %s sets --%s; values.yaml has no %s", value, row.flag, value)
				continue
			}
			if value != "extraArgs" && !strings.Contains(rendered.String(), "--"+row.flag) {
				t.Errorf("docs/operations.md says chart value %s sets --%s; no chart template passes --%s", value, row.flag, row.flag)
			}
		}
	}
}

// TestDocsSetOnlyChartValuesThatExist: every `--set key=value` of the user docs names
// a key of values.yaml (for a map value such as serviceAccount.annotations, the map).
func TestDocsSetOnlyChartValuesThatExist(t *testing.T) {
	values := chartValues(t)
	setFlag := regexp.MustCompile(`--set[ =]([A-Za-z0-9_.]+)`)
	checked := 0
	for _, rel := range userDocs {
		for _, m := range setFlag.FindAllStringSubmatch(read(t, rel), -1) {
			key := strings.TrimSuffix(m[1], ".") // a quoted map key follows a trailing dot
			checked++
			if !hasValue(values, key) {
				t.Errorf("%s sets chart value %s, which values.yaml does not have", rel, key)
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no --set in the docs; is the scan broken?")
	}
}

// conditionTypes returns the condition types of api/v1alpha1.
func conditionTypes(t *testing.T) []string {
	return stringConstants(t, "api/v1alpha1/common_types.go", "Condition")
}

// knownReasons returns every reason the controller can write: the constants of
// api/v1alpha1/conditions.go (condition and event reasons), the reasons the engine
// passes as literals, and the reasons of AWS error codes that ec2sim or
// internal/awserr know (AWS codes are passed through, dots removed).
func knownReasons(t *testing.T) map[string]string {
	t.Helper()
	known := map[string]string{}
	for _, r := range stringConstants(t, "api/v1alpha1/conditions.go", "") {
		known[r] = "api/v1alpha1/conditions.go"
	}
	for _, r := range engineLiteralReasons(t) {
		known[r] = "internal/endpoint"
	}
	for _, dir := range []string{"test/ec2sim", "internal/awserr"} {
		for _, code := range stringLiterals(t, dir) {
			if regexp.MustCompile(`^[A-Z][A-Za-z]+(\.[A-Z][A-Za-z]+)*$`).MatchString(code) {
				if _, ok := known[reasonOf(code)]; !ok {
					known[reasonOf(code)] = "AWS error code " + code + " (" + dir + ")"
				}
			}
		}
	}
	known["AWSError"] = "internal/awserr (an error without a code)"
	return known
}

// reasonOf is internal/awserr.Reason: an AWS error code with dots removed.
func reasonOf(code string) string { return strings.ReplaceAll(code, ".", "") }

// engineLiteralReasons returns the reasons internal/ passes to problemf as string literals.
func engineLiteralReasons(t *testing.T) []string {
	t.Helper()
	var reasons []string
	forEachGoFile(t, "internal", func(f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "problemf" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				reasons = append(reasons, s)
			}
			return true
		})
	})
	return reasons
}

// stringLiterals returns the string literals of the non-test Go files under dir.
func stringLiterals(t *testing.T, dir string) []string {
	t.Helper()
	var literals []string
	forEachGoFile(t, dir, func(f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					literals = append(literals, s)
				}
			}
			return true
		})
	})
	return literals
}

// forEachGoFile parses every non-test Go file under dir (relative to the repository).
func forEachGoFile(t *testing.T, dir string, visit func(*ast.File)) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(root(t), dir), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		visit(f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEngineReasonsAreDocumented: reasons the engine writes as literals have a row
// in docs/troubleshooting.md, like the constants of api/v1alpha1 do.
func TestEngineReasonsAreDocumented(t *testing.T) {
	doc := read(t, "docs/troubleshooting.md")
	reasons := engineLiteralReasons(t)
	for _, r := range reasons {
		if !strings.Contains(doc, "| `"+r+"` |") {
			t.Errorf("docs/troubleshooting.md has no table row for reason %q, which internal/ writes", r)
		}
	}
}

// TestDocsNameOnlyReasonsTheControllerWrites: every reason in a table of
// docs/troubleshooting.md, and every condition type the docs explain, exists.
func TestDocsNameOnlyReasonsTheControllerWrites(t *testing.T) {
	known := knownReasons(t)
	doc := read(t, "docs/troubleshooting.md")
	rows := 0
	for _, line := range strings.Split(doc, "\n") {
		m := regexp.MustCompile("^\\| `([A-Za-z]+)` \\|").FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rows++
		if _, ok := known[m[1]]; !ok {
			t.Errorf("docs/troubleshooting.md has a row for reason %q, which the controller never writes", m[1])
		}
	}
	if rows < 30 {
		t.Fatalf("found only %d reason rows in docs/troubleshooting.md", rows)
	}
	types := conditionTypes(t)
	for _, m := range regexp.MustCompile(`(?m)^- \*\*([A-Za-z]+)\*\*`).FindAllStringSubmatch(doc, -1) {
		if !slices.Contains(types, m[1]) {
			t.Errorf("docs/troubleshooting.md explains condition %q, which is not a condition type", m[1])
		}
	}
	gitops := read(t, "docs/gitops.md")
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\|").FindAllStringSubmatch(gitops, -1) {
		if !slices.Contains(types, m[1]) {
			t.Errorf("docs/gitops.md has a row for condition %q, which is not a condition type", m[1])
		}
	}
	for _, m := range regexp.MustCompile("`(?:Ready|Synced)=(?:True|False)` \\(([^)]*)\\)").FindAllStringSubmatch(gitops, -1) {
		for _, r := range regexp.MustCompile("`([A-Za-z]+)`").FindAllStringSubmatch(m[1], -1) {
			if _, ok := known[r[1]]; !ok {
				t.Errorf("docs/gitops.md names reason %q, which the controller never writes", r[1])
			}
		}
	}
}
