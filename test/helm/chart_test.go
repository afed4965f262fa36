// Package helm_test checks the Helm chart in charts/vpce-controller: it lints and
// renders the chart with the helm CLI that `make helm` builds into bin/helm, asserts
// on the rendered objects, keeps the chart's CRDs and ClusterRole identical to the
// generated ones in config/, and applies the rendered manifests to a real
// kube-apiserver (envtest), which must accept every object.
package helm_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

const (
	releaseName = "vpce"
	namespace   = "vpce-system"
	// fullname is the object-name prefix for releaseName.
	fullname = "vpce-vpce-controller"
)

// customValues is a values file that turns on everything optional and changes every
// manager setting, so the assertions can see each value reach the manifests.
const customValues = `
replicaCount: 1
region: eu-west-1
clusterName: prod-eu
awsApiThrottle: "DescribeVpcEndpoints=10:20,CreateVpcEndpoint=2:5"
syncPeriod: 10m
pendingPoll: 3s
maxConcurrentReconciles: 4
watchNamespace: [team-a, team-b]
extraArgs: ["--zap-devel"]
env:
  - name: HTTPS_PROXY
    value: http://proxy.internal:3128
image:
  repository: registry.example.com/vpce-controller
  tag: v9.9.9
  pullPolicy: Always
serviceAccount:
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/vpce-controller
resources:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 512Mi}
nodeSelector:
  kubernetes.io/os: linux
tolerations:
  - key: CriticalAddonsOnly
    operator: Exists
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: DoNotSchedule
podAnnotations:
  example.com/team: networking
priorityClassName: system-cluster-critical
serviceMonitor:
  enabled: true
  interval: 30s
  labels:
    release: kube-prometheus-stack
`

// readChartOnce reads every file of the chart in this process: helm reads them in a
// subprocess, which the go test cache does not see, so without this an edited
// template could be answered with a cached pass. (It must run inside a test:
// reads in TestMain before m.Run are not recorded.)
var readChartOnce sync.Once

func readChart(t *testing.T) {
	t.Helper()
	var err error
	readChartOnce.Do(func() {
		err = filepath.WalkDir(chartDir(t), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
	})
	if err != nil {
		t.Fatalf("read the chart: %v", err)
	}
}

// repoRoot returns the repository root.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// chartDir is the chart under test.
func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "charts", "vpce-controller")
}

// helmBin returns bin/helm, failing (never skipping) when it has not been built.
func helmBin(t *testing.T) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "bin", "helm")
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		t.Fatalf("no executable helm at %s: run `make helm` to build it from the Go module proxy", path)
	}
	return path
}

// helm runs the helm CLI with its state kept in a temporary directory.
func helm(t *testing.T, args ...string) []byte {
	t.Helper()
	readChart(t)
	cmd := exec.Command(helmBin(t), args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// writeValues writes a values file and returns its path.
func writeValues(t *testing.T, contents string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rendered is the output of helm template, by kind and name.
type rendered struct {
	objects []*unstructured.Unstructured
}

// render runs helm template on the chart with extra arguments.
func render(t *testing.T, release, ns string, args ...string) rendered {
	t.Helper()
	out := helm(t, append([]string{"template", release, chartDir(t), "--namespace", ns}, args...)...)
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	var r rendered
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return r
		}
		if err != nil {
			t.Fatalf("read rendered manifests: %v", err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			t.Fatalf("parse rendered manifest: %v\n%s", err, doc)
		}
		if len(obj.Object) == 0 {
			continue
		}
		r.objects = append(r.objects, obj)
	}
}

// ofKind returns the rendered objects of a kind.
func (r rendered) ofKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one decodes the single rendered object of a kind into into.
func (r rendered) one(t *testing.T, kind string, into any) {
	t.Helper()
	objs := r.ofKind(kind)
	if len(objs) != 1 {
		t.Fatalf("rendered %d objects of kind %s, want 1", len(objs), kind)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(objs[0].Object, into, true); err != nil {
		t.Fatalf("decode %s: %v", kind, err)
	}
}

func TestChartLints(t *testing.T) {
	helm(t, "lint", "--strict", chartDir(t))
	helm(t, "lint", "--strict", chartDir(t), "--values", writeValues(t, customValues))
}

func TestChartCRDsAreTheGeneratedOnes(t *testing.T) {
	root := repoRoot(t)
	generated, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(generated) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	inChart, err := filepath.Glob(filepath.Join(chartDir(t), "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := func(paths []string) []string {
		var names []string
		for _, p := range paths {
			names = append(names, filepath.Base(p))
		}
		slices.Sort(names)
		return names
	}
	if !slices.Equal(base(generated), base(inChart)) {
		t.Fatalf("chart CRDs %v differ from config/crd/bases %v: run `make manifests`", base(inChart), base(generated))
	}
	for _, path := range generated {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(chartDir(t), "crds", filepath.Base(path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("charts/vpce-controller/crds/%s differs from config/crd/bases: run `make manifests`", filepath.Base(path))
		}
	}
}

func TestChartClusterRoleHasTheGeneratedRules(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var generated rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(raw, &generated); err != nil {
		t.Fatalf("config/rbac/role.yaml: %v", err)
	}
	var chart rbacv1.ClusterRole
	render(t, releaseName, namespace).one(t, "ClusterRole", &chart)
	if !reflect.DeepEqual(chart.Rules, generated.Rules) {
		gotYAML, _ := yaml.Marshal(chart.Rules)
		wantYAML, _ := yaml.Marshal(generated.Rules)
		t.Fatalf("chart ClusterRole rules differ from config/rbac/role.yaml; copy them into charts/vpce-controller/templates/clusterrole.yaml\nchart:\n%s\ngenerated:\n%s", gotYAML, wantYAML)
	}
}

func TestDefaultValuesRenderAnHAManager(t *testing.T) {
	r := render(t, releaseName, namespace)

	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	if deploy.Namespace != namespace {
		t.Errorf("Deployment namespace = %q, want %q", deploy.Namespace, namespace)
	}
	if deploy.Spec.Replicas == nil || *deploy.Spec.Replicas != 2 {
		t.Errorf("replicas = %v, want 2", deploy.Spec.Replicas)
	}
	pod := deploy.Spec.Template.Spec
	c := manager(t, pod)
	assertArgs(t, c.Args,
		"--leader-elect", "--cluster-name=default", "--sync-period=5m", "--max-concurrent-reconciles=10",
		"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081")
	for _, unset := range []string{"--region", "--aws-api-throttle", "--watch-namespace", "--pending-poll", "--aws-endpoint-url"} {
		if hasFlag(c.Args, unset) {
			t.Errorf("default args %v set %s; it must be left to the manager's default", c.Args, unset)
		}
	}
	if c.Image != "ghcr.io/vpce-dev/vpce-controller:0.1.0" {
		t.Errorf("image = %q, want the repository at the chart's appVersion", c.Image)
	}
	assertLockedDown(t, pod, c)
	assertProbes(t, c)
	if pod.ServiceAccountName != fullname {
		t.Errorf("serviceAccountName = %q, want %q", pod.ServiceAccountName, fullname)
	}
	if len(pod.TopologySpreadConstraints) != 1 || pod.TopologySpreadConstraints[0].LabelSelector == nil ||
		!reflect.DeepEqual(pod.TopologySpreadConstraints[0].LabelSelector.MatchLabels, deploy.Spec.Selector.MatchLabels) {
		t.Errorf("topologySpreadConstraints = %+v, want one spreading the manager pods (selector %v)", pod.TopologySpreadConstraints, deploy.Spec.Selector.MatchLabels)
	}

	var pdb policyv1.PodDisruptionBudget
	r.one(t, "PodDisruptionBudget", &pdb)
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PDB minAvailable = %v, want 1", pdb.Spec.MinAvailable)
	}
	if !reflect.DeepEqual(pdb.Spec.Selector.MatchLabels, deploy.Spec.Selector.MatchLabels) {
		t.Errorf("PDB selects %v, the Deployment %v", pdb.Spec.Selector.MatchLabels, deploy.Spec.Selector.MatchLabels)
	}

	var sa corev1.ServiceAccount
	r.one(t, "ServiceAccount", &sa)
	if sa.Name != fullname || len(sa.Annotations) != 0 {
		t.Errorf("ServiceAccount %s annotations %v, want %s without annotations", sa.Name, sa.Annotations, fullname)
	}
	var binding rbacv1.ClusterRoleBinding
	r.one(t, "ClusterRoleBinding", &binding)
	if len(binding.Subjects) != 1 || binding.Subjects[0].Name != fullname || binding.Subjects[0].Namespace != namespace {
		t.Errorf("ClusterRoleBinding subjects = %+v, want the ServiceAccount", binding.Subjects)
	}
	var role rbacv1.Role
	r.one(t, "Role", &role)
	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Resources, []string{"leases"}) {
		t.Errorf("leader-election Role rules = %+v, want leases only", role.Rules)
	}
	var roleBinding rbacv1.RoleBinding
	r.one(t, "RoleBinding", &roleBinding)
	if roleBinding.RoleRef.Name != role.Name || len(roleBinding.Subjects) != 1 || roleBinding.Subjects[0].Name != fullname {
		t.Errorf("leader-election RoleBinding = %+v, want %s bound to %s", roleBinding, role.Name, fullname)
	}

	var svc corev1.Service
	r.one(t, "Service", &svc)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "metrics" || svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Errorf("metrics Service ports = %+v, want metrics 8080 -> metrics", svc.Spec.Ports)
	}
	if !reflect.DeepEqual(svc.Spec.Selector, deploy.Spec.Selector.MatchLabels) {
		t.Errorf("metrics Service selects %v, the Deployment %v", svc.Spec.Selector, deploy.Spec.Selector.MatchLabels)
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "metrics" && p.ContainerPort == 8080 }) {
		t.Errorf("container ports %+v have no metrics port 8080", c.Ports)
	}

	if n := len(r.ofKind("ServiceMonitor")); n != 0 {
		t.Errorf("rendered %d ServiceMonitors with serviceMonitor.enabled=false", n)
	}
	if n := len(r.ofKind("CustomResourceDefinition")); n != 0 {
		t.Errorf("helm template without --include-crds rendered %d CRDs", n)
	}
	if n := len(render(t, releaseName, namespace, "--include-crds").ofKind("CustomResourceDefinition")); n != 2 {
		t.Errorf("helm template --include-crds rendered %d CRDs, want 2", n)
	}
}

func TestCustomValuesReachTheManifests(t *testing.T) {
	r := render(t, releaseName, namespace, "--values", writeValues(t, customValues))

	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	if deploy.Spec.Replicas == nil || *deploy.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", deploy.Spec.Replicas)
	}
	pod := deploy.Spec.Template.Spec
	c := manager(t, pod)
	assertArgs(t, c.Args,
		"--leader-elect", "--region=eu-west-1", "--cluster-name=prod-eu",
		"--aws-api-throttle=DescribeVpcEndpoints=10:20,CreateVpcEndpoint=2:5",
		"--sync-period=10m", "--pending-poll=3s", "--max-concurrent-reconciles=4",
		"--watch-namespace=team-a,team-b", "--zap-devel")
	if c.Image != "registry.example.com/vpce-controller:v9.9.9" || c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("image = %q (%s), want registry.example.com/vpce-controller:v9.9.9 (Always)", c.Image, c.ImagePullPolicy)
	}
	if len(c.Env) != 1 || c.Env[0].Name != "HTTPS_PROXY" {
		t.Errorf("env = %+v, want HTTPS_PROXY", c.Env)
	}
	if c.Resources.Requests.Cpu().String() != "100m" || c.Resources.Limits.Memory().String() != "512Mi" {
		t.Errorf("resources = %+v, want the values'", c.Resources)
	}
	if pod.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Tolerations) != 1 || pod.Affinity == nil || pod.Affinity.NodeAffinity == nil {
		t.Errorf("scheduling: nodeSelector %v tolerations %v affinity %v, want the values'", pod.NodeSelector, pod.Tolerations, pod.Affinity)
	}
	if len(pod.TopologySpreadConstraints) != 1 || pod.TopologySpreadConstraints[0].TopologyKey != "topology.kubernetes.io/zone" || pod.TopologySpreadConstraints[0].LabelSelector == nil {
		t.Errorf("topologySpreadConstraints = %+v, want the zone spread with a selector added", pod.TopologySpreadConstraints)
	}
	if pod.PriorityClassName != "system-cluster-critical" {
		t.Errorf("priorityClassName = %q", pod.PriorityClassName)
	}
	if deploy.Spec.Template.Annotations["example.com/team"] != "networking" {
		t.Errorf("pod annotations = %v, want example.com/team", deploy.Spec.Template.Annotations)
	}
	assertLockedDown(t, pod, c)
	assertProbes(t, c)

	var sa corev1.ServiceAccount
	r.one(t, "ServiceAccount", &sa)
	if got := sa.Annotations["eks.amazonaws.com/role-arn"]; got != "arn:aws:iam::111122223333:role/vpce-controller" {
		t.Errorf("ServiceAccount IRSA annotation = %q", got)
	}
	if n := len(r.ofKind("PodDisruptionBudget")); n != 0 {
		t.Errorf("rendered %d PodDisruptionBudgets with one replica; a PDB would block node drains", n)
	}
	monitors := r.ofKind("ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("rendered %d ServiceMonitors with serviceMonitor.enabled=true, want 1", len(monitors))
	}
	sm := monitors[0]
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor %s labels %v", sm.GetAPIVersion(), sm.GetLabels())
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %v", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["port"] != "metrics" || ep["path"] != "/metrics" || ep["interval"] != "30s" {
		t.Errorf("ServiceMonitor endpoint = %v, want port metrics, path /metrics, interval 30s", ep)
	}
	var svc corev1.Service
	r.one(t, "Service", &svc)
	selector, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	for k, v := range selector {
		if svc.Labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s, which the metrics Service (labels %v) lacks", k, v, svc.Labels)
		}
	}
}

func TestMetricsOffRendersNoServiceAndTurnsTheEndpointOff(t *testing.T) {
	r := render(t, releaseName, namespace, "--set", "metrics.enabled=false", "--set", "serviceMonitor.enabled=true")
	if n := len(r.ofKind("Service")) + len(r.ofKind("ServiceMonitor")); n != 0 {
		t.Errorf("metrics.enabled=false rendered %d Services/ServiceMonitors", n)
	}
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	assertArgs(t, manager(t, deploy.Spec.Template.Spec).Args, "--metrics-bind-address=0")
}

// TestRenderedManifestsAreAccepted applies both renders (default values, and the
// custom values without the ServiceMonitor, whose CRD is not installed) to a real
// kube-apiserver with server-side apply, which validates strictly.
func TestRenderedManifestsAreAccepted(t *testing.T) {
	helmBin(t) // fail before starting the control plane
	env := testenv.StartForTest(t)
	ctx := context.Background()
	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	renders := []struct {
		release, namespace string
		args               []string
	}{
		{releaseName, namespace, []string{"--include-crds"}},
		{"custom", "vpce-custom", []string{"--values", writeValues(t, customValues)}},
	}
	for _, rr := range renders {
		ns := &corev1.Namespace{}
		ns.Name = rr.namespace
		if err := env.Client.Create(ctx, ns); err != nil {
			t.Fatalf("create namespace %s: %v", rr.namespace, err)
		}
		r := render(t, rr.release, rr.namespace, rr.args...)
		applied := map[string]int{}
		for _, obj := range r.objects {
			if obj.GetKind() == "ServiceMonitor" {
				continue
			}
			id := fmt.Sprintf("%s %s/%s", obj.GetKind(), obj.GetNamespace(), obj.GetName())
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("chart-test"), client.ForceOwnership); err != nil {
				t.Errorf("release %s: apply %s: %v", rr.release, id, err)
				continue
			}
			applied[obj.GetKind()]++
		}
		want := map[string]int{"ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1, "Service": 1, "Deployment": 1}
		if rr.release == releaseName {
			want["CustomResourceDefinition"] = 2
			want["PodDisruptionBudget"] = 1
		}
		if !reflect.DeepEqual(applied, want) {
			t.Errorf("release %s: applied %v, want %v", rr.release, applied, want)
		}
	}

	// The apiserver kept what the chart says (nothing pruned as unknown).
	var deploy appsv1.Deployment
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "vpce-custom", Name: "custom-vpce-controller"}, &deploy); err != nil {
		t.Fatal(err)
	}
	assertArgs(t, manager(t, deploy.Spec.Template.Spec).Args, "--aws-api-throttle=DescribeVpcEndpoints=10:20,CreateVpcEndpoint=2:5")
	assertLockedDown(t, deploy.Spec.Template.Spec, manager(t, deploy.Spec.Template.Spec))
}

// manager returns the manager container.
func manager(t *testing.T, pod corev1.PodSpec) corev1.Container {
	t.Helper()
	for _, c := range pod.Containers {
		if c.Name == "manager" {
			return c
		}
	}
	t.Fatalf("no manager container in %+v", pod.Containers)
	return corev1.Container{}
}

// assertArgs checks that every wanted argument is present.
func assertArgs(t *testing.T, args []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(args, w) {
			t.Errorf("manager args %v lack %q", args, w)
		}
	}
}

// hasFlag reports whether args set the flag (as --flag or --flag=value).
func hasFlag(args []string, flag string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") })
}

// assertLockedDown checks the pod and container security contexts.
func assertLockedDown(t *testing.T, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	ps := pod.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != 65532 ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", ps)
	}
	s := c.SecurityContext
	switch {
	case s == nil:
		t.Fatal("manager container has no securityContext")
	case s.RunAsNonRoot == nil || !*s.RunAsNonRoot:
		t.Error("container securityContext lacks runAsNonRoot: true")
	case s.RunAsUser == nil || *s.RunAsUser != 65532:
		t.Errorf("container runAsUser = %v, want 65532", s.RunAsUser)
	case s.ReadOnlyRootFilesystem == nil || !*s.ReadOnlyRootFilesystem:
		t.Error("container securityContext lacks readOnlyRootFilesystem: true")
	case s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation:
		t.Error("container securityContext lacks allowPrivilegeEscalation: false")
	case s.Privileged != nil && *s.Privileged:
		t.Error("container is privileged")
	case s.Capabilities == nil || !slices.Equal(s.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(s.Capabilities.Add) != 0:
		t.Errorf("container capabilities = %+v, want drop [ALL] and nothing added", s.Capabilities)
	case s.SeccompProfile == nil || s.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("container seccompProfile = %+v, want RuntimeDefault", s.SeccompProfile)
	}
}

// assertProbes checks the liveness and readiness probes hit the manager's health endpoints.
func assertProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	for name, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || p.HTTPGet.Port.String() != "health" {
			t.Errorf("probe of %s = %+v, want httpGet %s on port health", name, p, name)
		}
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "health" && p.ContainerPort == 8081 }) {
		t.Errorf("container ports %+v have no health port 8081", c.Ports)
	}
}
