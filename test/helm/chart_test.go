// Package helm_test checks the Helm chart in charts/vpce-controller: it lints and
// renders the chart with the helm CLI that `make helm` builds into bin/helm, asserts
// on the rendered objects, checks that values.schema.json refuses bad values at
// helm lint and helm install, evaluates the pod against the restricted Pod Security
// Standard with Kubernetes' own checks, keeps the chart's CRDs and ClusterRoles
// identical to config/, and installs the chart into a real kube-apiserver (envtest)
// with and without the Prometheus Operator's CRDs, which must accept every object.
package helm_test

import (
	"bufio"
	"bytes"
	"errors"
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
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

const (
	releaseName = "vpce"
	namespace   = "vpce-system"
	// fullname is the object-name prefix for releaseName.
	fullname = "vpce-vpce-controller"
)

// clusterName is what the tests set as the required clusterName.
const clusterName = "test-cluster"

// required are the arguments every render needs: clusterName has no default.
var required = []string{"--set", "clusterName=" + clusterName}

// customValues is a values file that turns on everything optional and changes every
// manager setting, so the assertions can see each value reach the manifests.
const customValues = `
replicaCount: 1
region: eu-west-1
clusterName: prod-eu
awsApiThrottle: "DescribeVpcEndpoints=10:20,CreateVpcEndpoint=2:5"
syncPeriod: 10m
driftInterval: 1m
driftReadBudget: 20
pendingPoll: 3s
maxConcurrentReconciles: 4
watchNamespace: [team-a, team-b]
defaultTags: {CostCenter: platform, Team: "network ops"}
defaultAccount: shared-services
extraArgs: ["--zap-devel"]
env:
  - name: HTTPS_PROXY
    value: http://proxy.internal:3128
envFrom:
  - configMapRef:
      name: proxy-settings
extraVolumes:
  - name: ca-bundle
    configMap:
      name: corporate-ca
extraVolumeMounts:
  - name: ca-bundle
    mountPath: /etc/ssl/corporate
    readOnly: true
updateStrategy:
  type: RollingUpdate
  rollingUpdate:
    maxUnavailable: 0
    maxSurge: 1
podLabels:
  example.com/cost-center: networking
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
metrics:
  certSecret: vpce-metrics-cert
  readerSubjects:
    - kind: ServiceAccount
      name: prometheus-k8s
      namespace: monitoring
serviceMonitor:
  enabled: true
  namespace: monitoring
  interval: 30s
  labels:
    release: kube-prometheus-stack
  tlsConfig:
    serverName: custom-vpce-controller-metrics.vpce-custom.svc
    ca:
      secret:
        name: vpce-metrics-ca
        key: ca.crt
prometheusRule:
  enabled: true
  namespace: monitoring
  labels:
    release: kube-prometheus-stack
  alertLabels:
    team: networking
grafanaDashboard:
  enabled: true
networkPolicy:
  enabled: true
  apiServerCIDRs: [10.100.0.0/16]
  metricsFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
`

// prometheusOperator is the --api-versions flag that makes helm template render as
// for a cluster with the Prometheus Operator's CRDs.
var prometheusOperator = []string{"--api-versions", "monitoring.coreos.com/v1"}

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

// helm runs the helm CLI with its state kept in a temporary directory, failing the
// test when it fails.
func helm(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := tryHelm(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tryHelm runs the helm CLI and returns its stdout, or on failure stdout and stderr.
func tryHelm(t *testing.T, args ...string) ([]byte, error) {
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
		return append(stdout.Bytes(), stderr.Bytes()...), err
	}
	return stdout.Bytes(), nil
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
	return parseManifests(t, helm(t, append([]string{"template", release, chartDir(t), "--namespace", ns}, args...)...))
}

// parseManifests splits rendered YAML into objects.
func parseManifests(t *testing.T, out []byte) rendered {
	t.Helper()
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

// named decodes the rendered object of a kind and name into into.
func (r rendered) named(t *testing.T, kind, name string, into any) {
	t.Helper()
	for _, o := range r.ofKind(kind) {
		if o.GetName() == name {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, into, true); err != nil {
				t.Fatalf("decode %s %s: %v", kind, name, err)
			}
			return
		}
	}
	t.Fatalf("no %s named %s among the rendered objects", kind, name)
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
	helm(t, append([]string{"lint", "--strict", chartDir(t)}, required...)...)
	helm(t, "lint", "--strict", chartDir(t), "--values", writeValues(t, customValues))
}

func TestChartRefusesToRenderWithoutAClusterName(t *testing.T) {
	for _, args := range [][]string{nil, {"--set", "clusterName="}} {
		out, err := tryHelm(t, append([]string{"template", releaseName, chartDir(t), "--namespace", namespace}, args...)...)
		if err == nil {
			t.Fatalf("helm template %v rendered without a cluster name", args)
		}
		if !strings.Contains(string(out), "clusterName is required") {
			t.Errorf("helm template %v failed without naming clusterName:\n%s", args, out)
		}
	}
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

// TestChartClusterRolesHaveTheRulesOfConfigRBAC keeps the chart's ClusterRoles equal
// to config/rbac's: the generated manager role and the hand-written metrics roles.
func TestChartClusterRolesHaveTheRulesOfConfigRBAC(t *testing.T) {
	r := render(t, releaseName, namespace, required...)
	for file, name := range map[string]string{
		"role.yaml":                fullname,
		"metrics_auth_role.yaml":   fullname + "-metrics-auth",
		"metrics_reader_role.yaml": fullname + "-metrics-reader",
	} {
		raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "rbac", file))
		if err != nil {
			t.Fatal(err)
		}
		var want rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict(raw, &want); err != nil {
			t.Fatalf("config/rbac/%s: %v", file, err)
		}
		var chart rbacv1.ClusterRole
		r.named(t, "ClusterRole", name, &chart)
		if !reflect.DeepEqual(chart.Rules, want.Rules) {
			gotYAML, _ := yaml.Marshal(chart.Rules)
			wantYAML, _ := yaml.Marshal(want.Rules)
			t.Errorf("chart ClusterRole %s differs from config/rbac/%s; copy the rules into the chart's templates\nchart:\n%s\nconfig/rbac:\n%s", name, file, gotYAML, wantYAML)
		}
	}
}

func TestDefaultValuesRenderAnHAManager(t *testing.T) {
	r := render(t, releaseName, namespace, required...)

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
		"--leader-elect", "--cluster-name="+clusterName, "--sync-period=5m", "--max-concurrent-reconciles=24",
		"--metrics-bind-address=:8443", "--health-probe-bind-address=:8081")
	for _, unset := range []string{"--region", "--aws-api-throttle", "--watch-namespace", "--drift-interval", "--drift-read-budget", "--pending-poll", "--aws-endpoint-url", "--metrics-secure", "--metrics-cert-path"} {
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
	if len(pod.Volumes) != 0 || len(c.VolumeMounts) != 0 {
		t.Errorf("default pod has volumes %v / mounts %v, want none", pod.Volumes, c.VolumeMounts)
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
	// The manager's role and the metrics auth role go to the manager; nothing binds
	// the metrics reader role until metrics.readerSubjects names someone.
	bindings := map[string]rbacv1.ClusterRoleBinding{}
	for _, name := range []string{fullname, fullname + "-metrics-auth"} {
		var binding rbacv1.ClusterRoleBinding
		r.named(t, "ClusterRoleBinding", name, &binding)
		bindings[name] = binding
		if binding.RoleRef.Name != name || len(binding.Subjects) != 1 || binding.Subjects[0].Name != fullname || binding.Subjects[0].Namespace != namespace {
			t.Errorf("ClusterRoleBinding %s = %+v, want ClusterRole %s bound to the ServiceAccount", name, binding, name)
		}
	}
	if n := len(r.ofKind("ClusterRoleBinding")); n != 2 {
		t.Errorf("rendered %d ClusterRoleBindings, want 2 (manager, metrics auth)", n)
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
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "metrics" || svc.Spec.Ports[0].Port != 8443 || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Errorf("metrics Service ports = %+v, want metrics 8443 -> metrics", svc.Spec.Ports)
	}
	if !reflect.DeepEqual(svc.Spec.Selector, deploy.Spec.Selector.MatchLabels) {
		t.Errorf("metrics Service selects %v, the Deployment %v", svc.Spec.Selector, deploy.Spec.Selector.MatchLabels)
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "metrics" && p.ContainerPort == 8443 }) {
		t.Errorf("container ports %+v have no metrics port 8443", c.Ports)
	}

	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "NetworkPolicy", "ConfigMap", "CustomResourceDefinition"} {
		if n := len(r.ofKind(kind)); n != 0 {
			t.Errorf("default values rendered %d %s objects, want none", n, kind)
		}
	}
	if n := len(render(t, releaseName, namespace, append(required, "--include-crds")...).ofKind("CustomResourceDefinition")); n != 4 {
		t.Errorf("helm template --include-crds rendered %d CRDs, want 4", n)
	}
}

func TestCustomValuesReachTheManifests(t *testing.T) {
	r := render(t, releaseName, namespace, append([]string{"--values", writeValues(t, customValues)}, prometheusOperator...)...)

	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	if deploy.Spec.Replicas == nil || *deploy.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", deploy.Spec.Replicas)
	}
	if deploy.Spec.Strategy.RollingUpdate == nil || deploy.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 || deploy.Spec.Strategy.RollingUpdate.MaxSurge.IntValue() != 1 {
		t.Errorf("strategy = %+v, want updateStrategy's maxUnavailable 0, maxSurge 1", deploy.Spec.Strategy)
	}
	pod := deploy.Spec.Template.Spec
	c := manager(t, pod)
	assertArgs(t, c.Args,
		"--leader-elect", "--region=eu-west-1", "--cluster-name=prod-eu",
		"--aws-api-throttle=DescribeVpcEndpoints=10:20,CreateVpcEndpoint=2:5",
		"--sync-period=10m", "--drift-interval=1m", "--drift-read-budget=20", "--pending-poll=3s", "--max-concurrent-reconciles=4",
		"--watch-namespace=team-a,team-b", "--zap-devel",
		"--default-tags=CostCenter=platform,Team=network ops", "--default-account=shared-services",
		"--metrics-cert-path=/etc/vpce-controller/metrics-cert")
	if c.Image != "registry.example.com/vpce-controller:v9.9.9" || c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("image = %q (%s), want registry.example.com/vpce-controller:v9.9.9 (Always)", c.Image, c.ImagePullPolicy)
	}
	if len(c.Env) != 1 || c.Env[0].Name != "HTTPS_PROXY" {
		t.Errorf("env = %+v, want HTTPS_PROXY", c.Env)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "proxy-settings" {
		t.Errorf("envFrom = %+v, want the proxy-settings ConfigMap", c.EnvFrom)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	if v := volumes["metrics-cert"]; v.Secret == nil || v.Secret.SecretName != "vpce-metrics-cert" {
		t.Errorf("volumes %+v lack the metrics certificate Secret vpce-metrics-cert", pod.Volumes)
	}
	if v := volumes["ca-bundle"]; v.ConfigMap == nil || v.ConfigMap.Name != "corporate-ca" {
		t.Errorf("volumes %+v lack extraVolumes' ca-bundle", pod.Volumes)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts["metrics-cert"] != "/etc/vpce-controller/metrics-cert" || mounts["ca-bundle"] != "/etc/ssl/corporate" {
		t.Errorf("volume mounts = %v, want the metrics certificate and extraVolumeMounts' ca-bundle", mounts)
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
	if deploy.Spec.Template.Annotations["example.com/team"] != "networking" || deploy.Spec.Template.Labels["example.com/cost-center"] != "networking" {
		t.Errorf("pod annotations %v / labels %v, want podAnnotations' and podLabels'", deploy.Spec.Template.Annotations, deploy.Spec.Template.Labels)
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
	var reader rbacv1.ClusterRoleBinding
	r.named(t, "ClusterRoleBinding", fullname+"-metrics-reader", &reader)
	if reader.RoleRef.Name != fullname+"-metrics-reader" || len(reader.Subjects) != 1 || reader.Subjects[0].Name != "prometheus-k8s" || reader.Subjects[0].Namespace != "monitoring" {
		t.Errorf("metrics reader binding = %+v, want metrics.readerSubjects bound to the reader role", reader)
	}

	monitors := r.ofKind("ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("rendered %d ServiceMonitors with serviceMonitor.enabled=true and the CRDs present, want 1", len(monitors))
	}
	sm := monitors[0]
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetLabels()["release"] != "kube-prometheus-stack" || sm.GetNamespace() != "monitoring" {
		t.Errorf("ServiceMonitor %s %s/%s labels %v, want serviceMonitor.namespace and labels", sm.GetAPIVersion(), sm.GetNamespace(), sm.GetName(), sm.GetLabels())
	}
	if ns, _, _ := unstructured.NestedStringSlice(sm.Object, "spec", "namespaceSelector", "matchNames"); !slices.Equal(ns, []string{namespace}) {
		t.Errorf("ServiceMonitor namespaceSelector = %v, want the release namespace %s", ns, namespace)
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %v", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["port"] != "metrics" || ep["path"] != "/metrics" || ep["interval"] != "30s" || ep["scheme"] != "https" ||
		ep["bearerTokenFile"] != "/var/run/secrets/kubernetes.io/serviceaccount/token" {
		t.Errorf("ServiceMonitor endpoint = %v, want https on port metrics, path /metrics, interval 30s, with Prometheus's token", ep)
	}
	if tls, _ := ep["tlsConfig"].(map[string]any); tls["serverName"] != "custom-vpce-controller-metrics.vpce-custom.svc" || tls["insecureSkipVerify"] != nil {
		t.Errorf("ServiceMonitor tlsConfig = %v, want serviceMonitor.tlsConfig as given, verifying the certificate", tls)
	}
	defaultMonitor := render(t, releaseName, namespace, append(append(required, prometheusOperator...), "--set", "serviceMonitor.enabled=true")...).ofKind("ServiceMonitor")[0]
	defaultEndpoints, _, _ := unstructured.NestedSlice(defaultMonitor.Object, "spec", "endpoints")
	if tls, _ := defaultEndpoints[0].(map[string]any)["tlsConfig"].(map[string]any); tls["insecureSkipVerify"] != true {
		t.Errorf("default ServiceMonitor tlsConfig = %v, want insecureSkipVerify for the self-signed certificate", tls)
	}
	var svc corev1.Service
	r.one(t, "Service", &svc)
	selector, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	for k, v := range selector {
		if svc.Labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s, which the metrics Service (labels %v) lacks", k, v, svc.Labels)
		}
	}
	rules := r.ofKind("PrometheusRule")
	if len(rules) != 1 || rules[0].GetNamespace() != "monitoring" || rules[0].GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("PrometheusRules = %v, want one in monitoring with the release label", rules)
	}
}

func TestImageDigestWinsOverTag(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	var deploy appsv1.Deployment
	render(t, releaseName, namespace, append(required, "--set", "image.tag=v1.2.3", "--set", "image.digest="+digest)...).one(t, "Deployment", &deploy)
	if got := manager(t, deploy.Spec.Template.Spec).Image; got != "ghcr.io/vpce-dev/vpce-controller@"+digest {
		t.Errorf("image = %q, want the repository by digest", got)
	}
}

func TestMetricsOffRendersNoServiceAndTurnsTheEndpointOff(t *testing.T) {
	r := render(t, releaseName, namespace, append(append(required, prometheusOperator...),
		"--set", "metrics.enabled=false", "--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true")...)
	for _, kind := range []string{"Service", "ServiceMonitor", "PrometheusRule"} {
		if n := len(r.ofKind(kind)); n != 0 {
			t.Errorf("metrics.enabled=false rendered %d %s objects", n, kind)
		}
	}
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	assertArgs(t, manager(t, deploy.Spec.Template.Spec).Args, "--metrics-bind-address=0")
}

func TestPlainMetricsOnlyWhenAskedFor(t *testing.T) {
	r := render(t, releaseName, namespace, append(append(required, prometheusOperator...),
		"--set", "metrics.secure=false", "--set", "serviceMonitor.enabled=true")...)
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	assertArgs(t, manager(t, deploy.Spec.Template.Spec).Args, "--metrics-secure=false")
	for _, role := range r.ofKind("ClusterRole") {
		if strings.Contains(role.GetName(), "metrics") {
			t.Errorf("metrics.secure=false still renders %s", role.GetName())
		}
	}
	endpoints, _, _ := unstructured.NestedSlice(r.ofKind("ServiceMonitor")[0].Object, "spec", "endpoints")
	if ep := endpoints[0].(map[string]any); ep["scheme"] != "http" || ep["bearerTokenFile"] != nil || ep["tlsConfig"] != nil {
		t.Errorf("ServiceMonitor endpoint for plain metrics = %v, want scheme http without token or TLS", ep)
	}
}

// TestNamespaceLabelOffOnlyWhenAskedFor: the object metrics carry the objects'
// namespace unless metrics.namespaceLabel is false.
func TestNamespaceLabelOffOnlyWhenAskedFor(t *testing.T) {
	var deploy appsv1.Deployment
	render(t, releaseName, namespace, required...).one(t, "Deployment", &deploy)
	for _, arg := range manager(t, deploy.Spec.Template.Spec).Args {
		if strings.HasPrefix(arg, "--metrics-namespace-label") {
			t.Errorf("default values pass %s; the manager labels by namespace by default", arg)
		}
	}
	render(t, releaseName, namespace, append(required, "--set", "metrics.namespaceLabel=false")...).one(t, "Deployment", &deploy)
	assertArgs(t, manager(t, deploy.Spec.Template.Spec).Args, "--metrics-namespace-label=false")
}

// TestMonitoringObjectsNeedTheirCRDs renders with serviceMonitor, prometheusRule
// and the dashboard enabled, without and with the Prometheus Operator's API.
func TestMonitoringObjectsNeedTheirCRDs(t *testing.T) {
	enable := append(required, "--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true")
	without := render(t, releaseName, namespace, enable...)
	if n := len(without.ofKind("ServiceMonitor")) + len(without.ofKind("PrometheusRule")); n != 0 {
		t.Errorf("rendered %d ServiceMonitors/PrometheusRules for a cluster without monitoring.coreos.com/v1", n)
	}
	with := render(t, releaseName, namespace, append(enable, prometheusOperator...)...)
	if len(with.ofKind("ServiceMonitor")) != 1 || len(with.ofKind("PrometheusRule")) != 1 {
		t.Errorf("with monitoring.coreos.com/v1 rendered %d ServiceMonitors and %d PrometheusRules, want 1 each",
			len(with.ofKind("ServiceMonitor")), len(with.ofKind("PrometheusRule")))
	}
}

func TestPrometheusRuleValues(t *testing.T) {
	alerts := func(args ...string) map[string]map[string]any {
		r := render(t, releaseName, namespace, append(append(append(required, prometheusOperator...), "--set", "prometheusRule.enabled=true"), args...)...)
		rules := r.ofKind("PrometheusRule")
		if len(rules) != 1 {
			t.Fatalf("rendered %d PrometheusRules, want 1", len(rules))
		}
		groups, _, _ := unstructured.NestedSlice(rules[0].Object, "spec", "groups")
		byName := map[string]map[string]any{}
		for _, g := range groups {
			for _, rule := range g.(map[string]any)["rules"].([]any) {
				rule := rule.(map[string]any)
				name, _ := rule["alert"].(string)
				if name == "" {
					name, _ = rule["record"].(string)
				}
				byName[name] = rule
			}
		}
		return byName
	}
	all := alerts()
	for _, want := range []string{"VPCEndpointControllerDown", "VPCEndpointControllerNoLeader", "VPCEndpointNotReady", "VPCEndpointStalled",
		"VPCEndpointEC2Unauthorized", "VPCEndpointEC2Errors", "VPCEndpointEC2Throttled", "VPCEndpointClientThrottleSaturated",
		"VPCEndpointReconcileErrors", "VPCEndpointDriftRepaired"} {
		rule, ok := all[want]
		if !ok {
			t.Errorf("the PrometheusRule has no alert %s", want)
			continue
		}
		labels, _ := rule["labels"].(map[string]any)
		annotations, _ := rule["annotations"].(map[string]any)
		if labels["severity"] == nil || annotations["summary"] == nil || annotations["description"] == nil {
			t.Errorf("alert %s lacks a severity, summary or description: %v", want, rule)
		}
		if expr, _ := rule["expr"].(string); !strings.Contains(expr, `job="`+fullname+`-metrics",namespace="`+namespace+`"`) {
			t.Errorf("alert %s does not select this install's series: %s", want, expr)
		}
	}
	if got := all["VPCEndpointNotReady"]["for"]; got != "15m" {
		t.Errorf("VPCEndpointNotReady for = %v, want prometheusRule.notReadyFor's 15m", got)
	}
	custom := alerts("--set", "prometheusRule.notReadyFor=1h", "--set", "prometheusRule.disabledAlerts={VPCEndpointDriftRepaired}",
		"--set", "prometheusRule.alertLabels.team=networking", "--set", "prometheusRule.seriesSelector=job=\"vpce\"",
		"--set", "leaderElection.enabled=false", "--set", "replicaCount=1",
		"--set", "prometheusRule.additionalRules[0].alert=Extra", "--set", "prometheusRule.additionalRules[0].expr=vector(1)")
	if _, ok := custom["VPCEndpointDriftRepaired"]; ok {
		t.Error("disabledAlerts did not leave VPCEndpointDriftRepaired out")
	}
	if _, ok := custom["VPCEndpointControllerNoLeader"]; ok {
		t.Error("VPCEndpointControllerNoLeader is rendered without leader election")
	}
	if _, ok := custom["Extra"]; !ok {
		t.Error("additionalRules were not appended")
	}
	if got := custom["VPCEndpointNotReady"]["for"]; got != "1h" {
		t.Errorf("VPCEndpointNotReady for = %v, want 1h", got)
	}
	if labels := custom["VPCEndpointStalled"]["labels"].(map[string]any); labels["team"] != "networking" || labels["severity"] != "warning" {
		t.Errorf("VPCEndpointStalled labels = %v, want alertLabels added to the severity", labels)
	}
	if expr := custom["VPCEndpointStalled"]["expr"].(string); !strings.Contains(expr, `vpce_endpoints_stalled{job="vpce"}`) {
		t.Errorf("seriesSelector did not replace the default matchers: %s", expr)
	}
}

func TestGrafanaDashboardConfigMap(t *testing.T) {
	r := render(t, releaseName, namespace, append(required, "--set", "grafanaDashboard.enabled=true", "--set", "grafanaDashboard.namespace=grafana")...)
	var cm corev1.ConfigMap
	r.one(t, "ConfigMap", &cm)
	want, err := os.ReadFile(filepath.Join(chartDir(t), "dashboards", "vpce-controller.json"))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Namespace != "grafana" || cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap %s/%s labels %v, want namespace grafana and the grafana_dashboard label", cm.Namespace, cm.Name, cm.Labels)
	}
	if got := cm.Data["vpce-controller.json"]; strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
		t.Errorf("dashboard ConfigMap holds %d bytes, want dashboards/vpce-controller.json (%d bytes)", len(got), len(want))
	}
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
