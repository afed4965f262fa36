package config_test

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// installNamespace is where config/default installs the manager.
const installNamespace = "vpce-system"

// testClusterName is the cluster name the tests set in config/default.
const testClusterName = "kustomize-test"

// renderedKinds counts the objects of each kind config/default must render.
var renderedKinds = map[string]int{
	"CustomResourceDefinition": 4,
	"Namespace":                1,
	"ServiceAccount":           1,
	// manager-role, metrics-auth-role, metrics-reader
	"ClusterRole": 3,
	// manager-role and metrics-auth-role to the manager; metrics-reader is for scrapers
	"ClusterRoleBinding": 2,
	"Role":               1,
	"RoleBinding":        1,
	"Deployment":         1,
	"Service":            1,
}

// kustomize renders dir with `kubectl kustomize`, skipping the test without kubectl.
func kustomize(t *testing.T, dir string) []document {
	t.Helper()
	out, err := runKustomize(t, dir)
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, out)
	}
	return splitDocuments(t, "kubectl kustomize "+dir, out)
}

// runKustomize runs `kubectl kustomize dir`; on failure it returns stderr.
func runKustomize(t *testing.T, dir string) ([]byte, error) {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.Stderr, err
	}
	return out, err
}

// defaultWithClusterName copies config/ into a temporary directory, sets the
// cluster-name literal of config/default as a user would, and returns the copy's
// default directory.
func defaultWithClusterName(t *testing.T, clusterName string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "default", "kustomization.yaml")
	contents, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const example = "      # - cluster-name=prod-eu\n"
	if !strings.Contains(string(contents), example) {
		t.Fatalf("config/default/kustomization.yaml lacks the commented example %q that tells users where the cluster name goes", example)
	}
	contents = []byte(strings.Replace(string(contents), example, "      - cluster-name="+clusterName+"\n", 1))
	if err := os.WriteFile(path, contents, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "default")
}

func TestDefaultOverlayRequiresAClusterName(t *testing.T) {
	out, err := runKustomize(t, "default")
	if err == nil {
		t.Fatal("config/default renders without a cluster name; it must fail until the user sets one")
	}
	if !strings.Contains(string(out), "data.cluster-name") {
		t.Errorf("config/default without a cluster name fails with %q, which does not name cluster-name", out)
	}
	var deployment appsv1.Deployment
	for _, doc := range kustomize(t, defaultWithClusterName(t, testClusterName)) {
		if doc.kind == "ConfigMap" {
			t.Errorf("config/default renders its local-config settings ConfigMap")
		}
		if doc.kind == "Deployment" {
			decodeStrict(t, doc, &deployment)
		}
	}
	args := deployment.Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, "--cluster-name="+testClusterName) || slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "<required>") }) {
		t.Errorf("manager args %v: want --cluster-name=%s from config/default's setting", args, testClusterName)
	}
}

func TestDefaultOverlayRendersOnlyTheExpectedObjects(t *testing.T) {
	counts := map[string]int{}
	for _, doc := range kustomize(t, defaultWithClusterName(t, testClusterName)) {
		counts[doc.kind]++
	}
	if !maps.Equal(counts, renderedKinds) {
		t.Fatalf("config/default renders %v, want %v", counts, renderedKinds)
	}
}

func TestDefaultOverlayWiresTheManager(t *testing.T) {
	var (
		deployment      appsv1.Deployment
		serviceAccounts []string
		roles           []string
		bindings        []rbacv1.RoleRef
		subjects        []rbacv1.Subject
	)
	for _, doc := range kustomize(t, defaultWithClusterName(t, testClusterName)) {
		switch doc.kind {
		case "Deployment":
			decodeStrict(t, doc, &deployment)
		case "ServiceAccount":
			var account corev1.ServiceAccount
			decodeStrict(t, doc, &account)
			serviceAccounts = append(serviceAccounts, account.Namespace+"/"+account.Name)
		case "ClusterRole":
			var role rbacv1.ClusterRole
			decodeStrict(t, doc, &role)
			roles = append(roles, doc.kind+"/"+role.Name)
		case "Role":
			var role rbacv1.Role
			decodeStrict(t, doc, &role)
			roles = append(roles, doc.kind+"/"+role.Name)
		case "ClusterRoleBinding":
			var binding rbacv1.ClusterRoleBinding
			decodeStrict(t, doc, &binding)
			bindings = append(bindings, binding.RoleRef)
			subjects = append(subjects, binding.Subjects...)
		case "RoleBinding":
			var binding rbacv1.RoleBinding
			decodeStrict(t, doc, &binding)
			bindings = append(bindings, binding.RoleRef)
			subjects = append(subjects, binding.Subjects...)
		case "CustomResourceDefinition":
			var crd apiextensionsv1.CustomResourceDefinition
			decodeStrict(t, doc, &crd)
			if crd.Spec.Group != "networking.vpce.dev" {
				t.Errorf("CRD %s is in group %q", crd.Name, crd.Spec.Group)
			}
		}
	}

	if deployment.Name != "vpce-controller-manager" || deployment.Namespace != installNamespace {
		t.Errorf("Deployment is %s/%s, want %s/vpce-controller-manager", deployment.Namespace, deployment.Name, installNamespace)
	}
	if deployment.Spec.Replicas == nil || *deployment.Spec.Replicas != 2 {
		t.Errorf("Deployment replicas = %v, want 2", deployment.Spec.Replicas)
	}
	account := deployment.Namespace + "/" + deployment.Spec.Template.Spec.ServiceAccountName
	if !slices.Contains(serviceAccounts, account) {
		t.Errorf("Deployment runs as %s, which is not among the rendered service accounts %v", account, serviceAccounts)
	}
	for _, ref := range bindings {
		if !slices.Contains(roles, ref.Kind+"/"+ref.Name) {
			t.Errorf("binding refers to %s/%s, which is not rendered (%v)", ref.Kind, ref.Name, roles)
		}
	}
	for _, doc := range kustomize(t, defaultWithClusterName(t, testClusterName)) {
		if doc.kind != "Service" {
			continue
		}
		var svc corev1.Service
		decodeStrict(t, doc, &svc)
		if !maps.Equal(svc.Spec.Selector, deployment.Spec.Template.Labels) && !selects(svc.Spec.Selector, deployment.Spec.Template.Labels) {
			t.Errorf("metrics Service selects %v, which the manager pods (labels %v) do not match", svc.Spec.Selector, deployment.Spec.Template.Labels)
		}
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8443 || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
			t.Errorf("metrics Service ports = %+v, want 8443 -> metrics", svc.Spec.Ports)
		}
	}
	for _, subject := range subjects {
		if subject.Kind != "ServiceAccount" || subject.Namespace+"/"+subject.Name != account {
			t.Errorf("binding subject %s %s/%s is not the manager's service account %s", subject.Kind, subject.Namespace, subject.Name, account)
		}
	}
}

// selects reports whether every selector label is among labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

func TestManagerContainerIsLockedDown(t *testing.T) {
	var deployment appsv1.Deployment
	for _, doc := range kustomize(t, defaultWithClusterName(t, testClusterName)) {
		if doc.kind == "Deployment" {
			decodeStrict(t, doc, &deployment)
		}
	}
	pod := deployment.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("manager pod has %d containers, want 1", len(pod.Containers))
	}
	manager := pod.Containers[0]
	for _, arg := range []string{"--leader-elect", "--region=us-east-1", "--cluster-name=" + testClusterName, "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081"} {
		if !slices.Contains(manager.Args, arg) {
			t.Errorf("manager args %v lack %s", manager.Args, arg)
		}
	}
	if slices.ContainsFunc(manager.Args, func(a string) bool { return strings.HasPrefix(a, "--metrics-secure") }) {
		t.Errorf("manager args %v change --metrics-secure; metrics must stay HTTPS with authentication", manager.Args)
	}
	for probe, path := range map[*corev1.Probe]string{manager.LivenessProbe: "/healthz", manager.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("manager lacks an HTTP probe of %s on port 8081", path)
		}
	}
	security := manager.SecurityContext
	switch {
	case security == nil:
		t.Fatal("manager has no securityContext")
	case security.RunAsNonRoot == nil || !*security.RunAsNonRoot:
		t.Error("manager may run as root")
	case security.ReadOnlyRootFilesystem == nil || !*security.ReadOnlyRootFilesystem:
		t.Error("manager's root filesystem is writable")
	case security.AllowPrivilegeEscalation == nil || *security.AllowPrivilegeEscalation:
		t.Error("manager allows privilege escalation")
	case security.Capabilities == nil || !slices.Equal(security.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(security.Capabilities.Add) > 0:
		t.Error("manager keeps Linux capabilities")
	case security.SeccompProfile == nil || security.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("manager's seccomp profile is not RuntimeDefault")
	}
	requests, limits := manager.Resources.Requests, manager.Resources.Limits
	if requests.Cpu().String() != "50m" || requests.Memory().String() != "64Mi" || limits.Cpu().String() != "500m" || limits.Memory().String() != "256Mi" {
		t.Errorf("manager resources = requests %v limits %v, want 50m/64Mi and 500m/256Mi", requests, limits)
	}
}

func TestKustomizationsListEveryManifest(t *testing.T) {
	for dir, pattern := range map[string]string{
		"crd":     "bases/*.yaml",
		"rbac":    "*.yaml",
		"manager": "*.yaml",
		"default": "*.yaml",
		"samples": "*.yaml",
	} {
		files, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, file := range files {
			if filepath.Base(file) != "kustomization.yaml" {
				rel, _ := filepath.Rel(dir, file)
				want = append(want, rel)
			}
		}
		var got []string
		for _, r := range kustomizationResources(t, dir) {
			if !strings.HasPrefix(r, "../") { // other kustomizations, listed by their own test
				got = append(got, r)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s/kustomization.yaml lists %v, want every manifest there: %v", dir, got, want)
		}
	}
}

func TestSamplesRender(t *testing.T) {
	if _, err := os.Stat("samples"); err != nil {
		t.Fatal(err)
	}
	for _, doc := range kustomize(t, "samples") {
		if doc.kind != "GatewayEndpoint" && doc.kind != "InterfaceEndpoint" && doc.kind != "InstanceConnectEndpoint" && doc.kind != "AWSAccount" {
			t.Errorf("config/samples renders a %s", doc.kind)
		}
	}
}
