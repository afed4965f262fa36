package testenv_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1alpha1 "github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

func TestRepoRootHoldsGoMod(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot %s has no go.mod: %v", root, err)
	}
}

func TestAssetsDirNamesTheMakeTargetWhenBinariesAreMissing(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", t.TempDir())
	_, err := testenv.AssetsDir()
	if err == nil || !strings.Contains(err.Error(), "make envtest-assets") {
		t.Fatalf("AssetsDir() error = %v, want one naming `make envtest-assets`", err)
	}
}

func TestEnvServesTheCRDsAndWritesKubeconfigs(t *testing.T) {
	env := testenv.StartForTest(t)
	ctx := context.Background()

	var gateways networkingv1alpha1.GatewayEndpointList
	if err := env.Client.List(ctx, &gateways, client.InNamespace("default")); err != nil {
		t.Fatalf("list GatewayEndpoints: %v", err)
	}
	var interfaces networkingv1alpha1.InterfaceEndpointList
	if err := env.Client.List(ctx, &interfaces, client.InNamespace("default")); err != nil {
		t.Fatalf("list InterfaceEndpoints: %v", err)
	}

	dir := t.TempDir()
	admin := filepath.Join(dir, "admin.kubeconfig")
	if err := env.WriteKubeconfig(admin); err != nil {
		t.Fatal(err)
	}
	assertKubeconfigReachesAPIServer(t, admin, true)

	nobody := filepath.Join(dir, "nobody.kubeconfig")
	if err := env.WriteUserKubeconfig(nobody, "nobody"); err != nil {
		t.Fatal(err)
	}
	assertKubeconfigReachesAPIServer(t, nobody, false)

	if path, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.Command(path, "--kubeconfig", admin, "get", "gatewayendpoints,interfaceendpoints", "-A").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl get with the written kubeconfig: %v\n%s", err, out)
		}
	}
}

// assertKubeconfigReachesAPIServer lists InterfaceEndpoints with the kubeconfig at
// path and checks the apiserver allows it (admin) or forbids it (unprivileged user).
func assertKubeconfigReachesAPIServer(t *testing.T, path string, wantAllowed bool) {
	t.Helper()
	config, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	scheme, err := testenv.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	err = c.List(context.Background(), &networkingv1alpha1.InterfaceEndpointList{})
	switch {
	case wantAllowed && err != nil:
		t.Fatalf("list with %s: %v", filepath.Base(path), err)
	case !wantAllowed && !apierrors.IsForbidden(err):
		t.Fatalf("list with %s: error = %v, want Forbidden", filepath.Base(path), err)
	}
}
