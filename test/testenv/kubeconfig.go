package testenv

import (
	"fmt"
	"os"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// WriteKubeconfig writes a kubeconfig file (mode 0600) that reaches the apiserver
// as the admin user, for kubectl or a manager subprocess.
func (e *Env) WriteKubeconfig(path string) error {
	return writeFile(path, e.environment.KubeConfig)
}

// WriteUserKubeconfig provisions a user with the given name and groups (which
// RBAC then governs, unlike the admin) and writes a kubeconfig file for it.
func (e *Env) WriteUserKubeconfig(path, name string, groups ...string) error {
	user, err := e.environment.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return fmt.Errorf("testenv: add user %q: %w", name, err)
	}
	contents, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("testenv: kubeconfig of user %q: %w", name, err)
	}
	return writeFile(path, contents)
}

// writeFile writes a kubeconfig with owner-only permissions: it holds a client key.
func writeFile(path string, contents []byte) error {
	if err := os.WriteFile(path, contents, 0o600); err != nil {
		return fmt.Errorf("testenv: write kubeconfig: %w", err)
	}
	return nil
}
