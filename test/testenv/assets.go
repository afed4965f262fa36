package testenv

import (
	"fmt"
	"os"
	"path/filepath"
)

// assetsEnvVar is the variable envtest reads to find kube-apiserver and etcd.
const assetsEnvVar = "KUBEBUILDER_ASSETS"

// controlPlaneBinaries are the executables envtest needs in the assets directory.
var controlPlaneBinaries = []string{"kube-apiserver", "etcd"}

// AssetsDir returns the directory holding kube-apiserver and etcd: KUBEBUILDER_ASSETS
// when set, else <repo>/bin/k8s, which it then exports so envtest finds it too.
// It fails, naming `make envtest-assets`, when a binary is missing.
func AssetsDir() (string, error) {
	dir := os.Getenv(assetsEnvVar)
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin", "k8s")
		if err := os.Setenv(assetsEnvVar, dir); err != nil {
			return "", fmt.Errorf("testenv: set %s: %w", assetsEnvVar, err)
		}
	}
	for _, name := range controlPlaneBinaries {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("testenv: no executable %s in %s (%s): run `make envtest-assets` to build the control plane from source", name, dir, assetsEnvVar)
		}
	}
	return dir, nil
}
