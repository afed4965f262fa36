package testenv

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Env is a running kube-apiserver and etcd with the vpce-controller CRDs installed.
type Env struct {
	// Config reaches the apiserver as an admin (group system:masters).
	Config *rest.Config
	// Client is a controller-runtime client using Config and Scheme.
	Client client.Client
	// Scheme has client-go's types and the networking.vpce.dev/v1alpha1 types.
	Scheme *runtime.Scheme

	environment *envtest.Environment
}

// Start starts the control plane, installs the CRDs from <repo>/config/crd/bases
// and waits until they are served. Call Stop when done.
func Start() (*Env, error) {
	if _, err := AssetsDir(); err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	scheme, err := NewScheme()
	if err != nil {
		return nil, fmt.Errorf("testenv: build scheme: %w", err)
	}
	environment := &envtest.Environment{
		Scheme:                scheme,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	config, err := environment.Start()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("testenv: start control plane: %w", err), environment.Stop())
	}
	k8sClient, err := client.New(config, client.Options{Scheme: scheme})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("testenv: build client: %w", err), environment.Stop())
	}
	return &Env{Config: config, Client: k8sClient, Scheme: scheme, environment: environment}, nil
}

// Stop stops the apiserver and etcd and removes their temporary directories.
func (e *Env) Stop() error {
	return e.environment.Stop()
}

// StartForTest starts an Env for one test and stops it when the test ends.
// It fails the test (never skips it) when the control plane cannot start.
func StartForTest(t testing.TB) *Env {
	t.Helper()
	env, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("testenv: stop control plane: %v", err)
		}
	})
	return env
}
