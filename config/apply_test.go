package config_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// TestDefaultOverlayApplies runs `kubectl apply -k config/default` against a real
// kube-apiserver, as an operator installing without Helm would, after setting the
// cluster name in config/default (a copy of it) as the operator must.
func TestDefaultOverlayApplies(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	env := testenv.StartForTest(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "--force-conflicts", "-k", defaultWithClusterName(t, testClusterName)).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply -k config/default: %v\n%s", err, out)
	}
	out, err = exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", installNamespace, "get", "deployment,serviceaccount,role,rolebinding,service", "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, out)
	}
	for _, want := range []string{"deployment.apps/vpce-controller-manager", "serviceaccount/vpce-controller-manager", "service/vpce-controller-manager-metrics"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("after apply, %s is missing from:\n%s", want, out)
		}
	}
}
