package conformance

import (
	"errors"
	"strings"
	"testing"
)

func TestReplaceBlockAppendsHeadingWhenAbsent(t *testing.T) {
	doc := ReplaceBlock("# ec2sim\n\nIntro.", "\nTABLE\n")
	want := "# ec2sim\n\nIntro.\n\n" + DivergenceHeading + "\n\n" + MarkerStart + "\nTABLE\n" + MarkerEnd + "\n"
	if doc != want {
		t.Fatalf("got %q, want %q", doc, want)
	}
	block, ok := ExtractBlock(doc)
	if !ok || block != "\nTABLE\n" {
		t.Fatalf("ExtractBlock = %q, %v", block, ok)
	}
}

func TestReplaceBlockKeepsTheRestOfTheDocument(t *testing.T) {
	doc := "before\n" + MarkerStart + "old" + MarkerEnd + "\nafter\n"
	got := ReplaceBlock(doc, "new")
	if got != "before\n"+MarkerStart+"new"+MarkerEnd+"\nafter\n" {
		t.Fatalf("got %q", got)
	}
}

func TestRenderTableEscapesPipes(t *testing.T) {
	divs := Divergences([]Result{
		{Scenario: Scenario{Name: "a", Behaviour: "x|y", Source: "s"}, Err: errors.New("got a|b")},
		{Scenario: Scenario{Name: "b"}},
	})
	table := RenderTable(divs)
	if !strings.Contains(table, "| `a` | x\\|y (s) | got a\\|b |") || strings.Contains(table, "`b`") {
		t.Fatalf("unexpected table:\n%s", table)
	}
}
