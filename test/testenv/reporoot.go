package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	repoRootOnce sync.Once
	repoRootDir  string
	repoRootErr  error
)

// RepoRoot returns the directory of the repository's go.mod, found by walking up
// from this source file (so it works whatever directory a test runs in).
func RepoRoot() (string, error) {
	repoRootOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			repoRootErr = errors.New("testenv: cannot locate its own source file")
			return
		}
		repoRootDir, repoRootErr = findGoModAbove(filepath.Dir(file))
	})
	return repoRootDir, repoRootErr
}

// findGoModAbove returns the nearest directory at or above dir that holds a go.mod.
func findGoModAbove(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above " + dir)
		}
		dir = parent
	}
}
