package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// binaries maps each binary of bin/ to the package it is built from.
var binaries = []struct{ name, pkg string }{
	{"manager", "."},
	{"ec2sim", "./test/cmd/ec2sim"},
	{"localcp", "./test/cmd/localcp"},
}

// Build runs `go build` for bin/manager, bin/ec2sim and bin/localcp under root
// (the repository; "" means the one this package lives in) for each binary
// that is missing or older than a Go source file, go.mod or go.sum of the module.
func Build(ctx context.Context, root string) error {
	if root == "" {
		var err error
		if root, err = testenv.RepoRoot(); err != nil {
			return err
		}
	}
	newest, err := newestSource(root)
	if err != nil {
		return err
	}
	for _, b := range binaries {
		out := filepath.Join(root, "bin", b.name)
		if info, err := os.Stat(out); err == nil && info.ModTime().After(newest) {
			continue
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, b.pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("e2e: go build -o bin/%s %s: %w\n%s", b.name, b.pkg, err, msg)
		}
	}
	return nil
}

// newestSource returns the latest modification time of the module's Go files
// (tests excluded), go.mod and go.sum. Nested modules, bin/ and dot
// directories are skipped.
func newestSource(root string) (time.Time, error) {
	var newest time.Time
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path == root {
				return nil
			}
			if strings.HasPrefix(name, ".") || name == "bin" || name == "testdata" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) || name == "go.mod" || name == "go.sum" {
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.ModTime().After(newest) {
				newest = info.ModTime()
			}
		}
		return nil
	})
	return newest, err
}

// binPath returns the path of a binary in <repo>/bin.
func binPath(name string) (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "bin", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("e2e: %s is missing: call e2e.Build or run `make build`", path)
	}
	return path, nil
}
