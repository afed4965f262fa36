package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// controlPlaneStartTimeout bounds the start of kube-apiserver and etcd.
const controlPlaneStartTimeout = 90 * time.Second

// ControlPlane is a running bin/localcp: kube-apiserver and etcd with the
// vpce-controller CRDs installed.
type ControlPlane struct {
	// Kubeconfig is the path of an admin kubeconfig, for kubectl and the manager.
	Kubeconfig string
	// Config reaches the apiserver as an admin.
	Config *rest.Config
	// Client is a controller-runtime client with client-go's and our types.
	Client client.Client

	proc *process
}

// StartControlPlane runs bin/localcp with its kubeconfig, state and log
// (localcp.log) in dir, and returns once the CRDs are served. ctx bounds only
// the start; call Stop to end it.
func StartControlPlane(ctx context.Context, dir string) (*ControlPlane, error) {
	path, err := binPath("localcp")
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cp := &ControlPlane{Kubeconfig: kubeconfig, proc: &process{
		name:        "localcp",
		path:        path,
		args:        []string{"--kubeconfig", kubeconfig, "--state-dir", filepath.Join(dir, "localcp-state")},
		logPath:     filepath.Join(dir, "localcp.log"),
		deathSignal: syscall.SIGTERM, // lets localcp stop kube-apiserver and etcd
	}}
	if err := cp.proc.start(); err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, controlPlaneStartTimeout)
	defer cancel()
	if _, err := cp.proc.waitLog(waitCtx, "localcp ready:"); err != nil {
		_ = cp.Stop()
		return nil, err
	}
	if cp.Config, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
		_ = cp.Stop()
		return nil, fmt.Errorf("e2e: read %s: %w", kubeconfig, err)
	}
	// Benchmarks and the chaos suite create objects in bulk: don't let client-go's
	// default 20 requests/s set the pace.
	cp.Config.QPS, cp.Config.Burst = 500, 1000
	scheme, err := testenv.NewScheme()
	if err == nil {
		cp.Client, err = client.New(cp.Config, client.Options{Scheme: scheme})
	}
	if err != nil {
		_ = cp.Stop()
		return nil, fmt.Errorf("e2e: client: %w", err)
	}
	return cp, nil
}

// Stop ends localcp with SIGTERM, which stops kube-apiserver and etcd and
// removes their data; after 20 s it kills the process group.
func (cp *ControlPlane) Stop() error {
	return cp.proc.stop(syscall.SIGTERM, 20*time.Second)
}
