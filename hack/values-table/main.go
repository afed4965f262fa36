// Command values-table writes the values table of the chart's README from the
// helm-docs style comments of its values.yaml (`# -- description` above each key),
// between the README's values-table markers:
//
//	go run ./hack/values-table             # rewrite charts/vpce-controller/README.md
//	go run ./hack/values-table -check      # fail when the table is stale
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	chart := flag.String("chart", "charts/vpce-controller", "Chart directory holding values.yaml and README.md.")
	check := flag.Bool("check", false, "Only check that the README's table is current.")
	flag.Parse()
	if err := run(*chart, *check); err != nil {
		fmt.Fprintln(os.Stderr, "values-table:", err)
		os.Exit(1)
	}
}

// run regenerates (or checks) the table of chart/README.md.
func run(chart string, check bool) error {
	readme := filepath.Join(chart, "README.md")
	current, want, err := generate(chart)
	if err != nil {
		return err
	}
	if current == want {
		return nil
	}
	if check {
		return fmt.Errorf("%s's values table is stale: run `go run ./hack/values-table`", readme)
	}
	return os.WriteFile(readme, []byte(want), 0o644)
}

// generate returns the chart README as it is and as it should be.
func generate(chart string) (current, want string, err error) {
	values, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		return "", "", err
	}
	readme, err := os.ReadFile(filepath.Join(chart, "README.md"))
	if err != nil {
		return "", "", err
	}
	table, err := Table(values)
	if err != nil {
		return "", "", fmt.Errorf("values.yaml: %w", err)
	}
	want, err = Splice(string(readme), table)
	return string(readme), want, err
}
