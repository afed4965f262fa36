// Command localcp runs a local Kubernetes control plane for the demo, the
// benchmark and the chaos suite: kube-apiserver and etcd from bin/k8s (built by
// `make envtest-assets`), started through envtest with the vpce-controller CRDs
// from config/crd/bases installed.
//
//	localcp --kubeconfig .demo/kubeconfig [--state-dir .demo/localcp]
//
// It writes an admin kubeconfig to --kubeconfig, prints
// "localcp ready: KUBECONFIG=PATH" once the CRDs are served, and runs until
// SIGINT or SIGTERM, then stops kube-apiserver and etcd and removes their data.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

func main() {
	// An own flag set: controller-runtime registers a global --kubeconfig flag.
	fs := flag.NewFlagSet("localcp", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "write the admin kubeconfig to this path (required)")
	stateDir := fs.String("state-dir", "", "directory for etcd data and apiserver certificates (default: a temporary directory); removed on exit")
	_ = fs.Parse(os.Args[1:])
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "localcp: --kubeconfig is required")
		os.Exit(2)
	}
	if err := run(*kubeconfig, *stateDir); err != nil {
		fmt.Fprintln(os.Stderr, "localcp:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, stateDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	path, err := filepath.Abs(kubeconfig)
	if err != nil {
		return err
	}
	if stateDir != "" {
		// envtest makes its etcd data and certificate directories with
		// os.MkdirTemp, so TMPDIR puts them under the state directory.
		if err := os.MkdirAll(stateDir, 0o700); err != nil {
			return err
		}
		if err := os.Setenv("TMPDIR", stateDir); err != nil {
			return err
		}
	}
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "localcp: stop control plane:", err)
		}
		_ = os.Remove(path)
		fmt.Println("localcp stopped")
	}()
	if err := env.WriteKubeconfig(path); err != nil {
		return err
	}
	fmt.Printf("localcp ready: KUBECONFIG=%s\n", path)
	<-ctx.Done()
	return nil
}
