package helm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// productionValues are what a platform team would install with: IRSA, two replicas
// spread across zones, the Prometheus Operator objects, the dashboard and the
// NetworkPolicy.
const productionValues = `
clusterName: prod-eu-1
region: eu-west-1
serviceAccount:
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/vpce-controller
syncPeriod: 10m
priorityClassName: system-cluster-critical
resources:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 256Mi}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
metrics:
  readerSubjects:
    - kind: ServiceAccount
      name: kube-prometheus-stack-prometheus
      namespace: monitoring
serviceMonitor:
  enabled: true
  namespace: monitoring
  labels: {release: kube-prometheus-stack}
  interval: 60s
prometheusRule:
  enabled: true
  namespace: monitoring
  labels: {release: kube-prometheus-stack}
grafanaDashboard:
  enabled: true
  namespace: monitoring
networkPolicy:
  enabled: true
  metricsFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
`

// badValues are values the schema must refuse, with what the error must say.
var badValues = []struct {
	name, values, want string
}{
	{"replicaCount is not a number", "clusterName: c\nreplicaCount: two\n", "/replicaCount"},
	{"syncPeriod has no unit", "clusterName: c\nsyncPeriod: \"5\"\n", "/syncPeriod"},
	{"syncPeriod is a bare number", "clusterName: c\nsyncPeriod: 5\n", "/syncPeriod"},
	{"unknown key", "clusterName: c\nreplicas: 3\n", "'replicas' not allowed"},
	{"unknown nested key", "clusterName: c\nmetrics:\n  secured: true\n", "'secured' not allowed"},
	{"leader election off with two replicas", "clusterName: c\nreplicaCount: 2\nleaderElection:\n  enabled: false\n", "/leaderElection/enabled"},
	{"default tag with a reserved key", "clusterName: c\ndefaultTags:\n  vpce.dev/owner: x\n", "invalid propertyName 'vpce.dev/owner'"},
	{"default tag with a comma", "clusterName: c\ndefaultTags:\n  team: a,b\n", "/defaultTags/team"},
	{"required account ref with a default account", "clusterName: c\nrequireAccountRef: true\ndefaultAccount: shared\n", "/defaultAccount"},
}

func TestSchemaRefusesBadValuesAtLint(t *testing.T) {
	for _, tc := range badValues {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tryHelm(t, "lint", "--strict", chartDir(t), "--values", writeValues(t, tc.values))
			if err == nil {
				t.Fatalf("helm lint accepted %q:\n%s", tc.values, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("helm lint refused %q without naming %s:\n%s", tc.values, tc.want, out)
			}
		})
	}
	// The same values fixed pass, so the refusals are the schema's, not the test's.
	helm(t, "lint", "--strict", chartDir(t), "--values", writeValues(t, "clusterName: c\nreplicaCount: 1\nsyncPeriod: 5m\nleaderElection:\n  enabled: false\n"))
}

// TestInstallAgainstAnAPIServer installs into a real kube-apiserver: bad values are
// refused by helm install before anything is created; typical production values
// render (helm install --dry-run=server, which asks the apiserver which APIs it
// serves, and helm template) and pass a server-side dry-run apply, first without the
// Prometheus Operator's CRDs (no ServiceMonitor or PrometheusRule), then with minimal
// copies of them (both rendered); and helm install succeeds.
func TestInstallAgainstAnAPIServer(t *testing.T) {
	helmBin(t) // fail before starting the control plane
	env := testenv.StartForTest(t)
	ctx := context.Background()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{namespace, "monitoring"} {
		obj := &corev1.Namespace{}
		obj.Name = ns
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}

	for i, tc := range append(badValues, struct{ name, values, want string }{"no clusterName", "region: eu-west-1\n", "clusterName is required"}) {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			release := fmt.Sprintf("bad-%d", i)
			out, err := tryHelm(t, "install", release, chartDir(t), "--namespace", namespace, "--kubeconfig", kubeconfig, "--values", writeValues(t, tc.values))
			if err == nil {
				t.Fatalf("helm install succeeded with %q", tc.values)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("helm install failed without naming %s:\n%s", tc.want, out)
			}
			var deploy appsv1.Deployment
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: release + "-vpce-controller"}, &deploy); !apierrors.IsNotFound(err) {
				t.Errorf("the refused install left a Deployment (get: %v)", err)
			}
		})
	}

	values := writeValues(t, productionValues)
	t.Run("without the Prometheus Operator", func(t *testing.T) {
		r, notes := installDryRun(t, kubeconfig, values)
		for _, kind := range []string{"ServiceMonitor", "PrometheusRule"} {
			if n := len(r.ofKind(kind)); n != 0 {
				t.Errorf("rendered %d %s objects for an apiserver without their CRD", n, kind)
			}
		}
		if !strings.Contains(notes, "does not serve monitoring.coreos.com/v1") {
			t.Errorf("the install notes do not say why the ServiceMonitor and PrometheusRule were left out:\n%s", notes)
		}
		want := map[string]int{
			"ServiceAccount": 1, "ClusterRole": 3, "ClusterRoleBinding": 3, "Role": 1, "RoleBinding": 1,
			"Service": 1, "Deployment": 1, "PodDisruptionBudget": 1, "NetworkPolicy": 1, "ConfigMap": 1,
		}
		applyDryRun(t, c, r, want)
		// helm template (as Argo CD and Flux render) gives the same without --api-versions.
		applyDryRun(t, c, render(t, releaseName, namespace, "--values", values), want)
	})

	installMonitoringCRDs(t, c)
	t.Run("with the Prometheus Operator", func(t *testing.T) {
		r, notes := installDryRun(t, kubeconfig, values)
		if strings.Contains(notes, "does not serve monitoring.coreos.com/v1") {
			t.Errorf("the install notes say the Prometheus Operator is missing although its CRDs are installed:\n%s", notes)
		}
		want := map[string]int{
			"ServiceAccount": 1, "ClusterRole": 3, "ClusterRoleBinding": 3, "Role": 1, "RoleBinding": 1,
			"Service": 1, "Deployment": 1, "PodDisruptionBudget": 1, "NetworkPolicy": 1, "ConfigMap": 1,
			"ServiceMonitor": 1, "PrometheusRule": 1,
		}
		applyDryRun(t, c, r, want)
		// helm template with the cluster's API versions, as Argo CD passes them.
		applyDryRun(t, c, render(t, releaseName, namespace, append([]string{"--values", values}, prometheusOperator...)...), want)
	})

	t.Run("helm install", func(t *testing.T) {
		helm(t, "install", releaseName, chartDir(t), "--namespace", namespace, "--kubeconfig", kubeconfig, "--values", values)
		var deploy appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: fullname}, &deploy); err != nil {
			t.Fatalf("after helm install: %v", err)
		}
		// The apiserver kept what the chart says (nothing pruned as unknown).
		pod := deploy.Spec.Template.Spec
		assertArgs(t, manager(t, pod).Args, "--cluster-name=prod-eu-1", "--region=eu-west-1", "--sync-period=10m")
		assertLockedDown(t, pod, manager(t, pod))
		for _, kind := range []string{"ServiceMonitor", "PrometheusRule"} {
			list := &unstructured.UnstructuredList{}
			list.SetAPIVersion("monitoring.coreos.com/v1")
			list.SetKind(kind + "List")
			if err := c.List(ctx, list, client.InNamespace("monitoring")); err != nil || len(list.Items) != 1 {
				t.Errorf("after helm install: %d %s objects in monitoring (%v), want 1", len(list.Items), kind, err)
			}
		}
	})
}

// installDryRun runs helm install --dry-run=server, which renders with the
// capabilities the apiserver reports, and returns the rendered objects and notes.
func installDryRun(t *testing.T, kubeconfig, values string) (rendered, string) {
	t.Helper()
	out := helm(t, "install", releaseName, chartDir(t), "--namespace", namespace, "--kubeconfig", kubeconfig,
		"--values", values, "--dry-run=server", "--output", "json")
	var release struct {
		Manifest string `json:"manifest"`
		Info     struct {
			Notes string `json:"notes"`
		} `json:"info"`
	}
	if err := json.Unmarshal(out, &release); err != nil {
		t.Fatalf("helm install --dry-run=server -o json: %v\n%s", err, out)
	}
	return parseManifests(t, []byte(release.Manifest)), release.Info.Notes
}

// applyDryRun applies every object with a server-side dry run, which validates each
// strictly against the apiserver's schemas (CRDs included), and checks the kinds.
func applyDryRun(t *testing.T, c client.Client, r rendered, want map[string]int) {
	t.Helper()
	applied := map[string]int{}
	for _, obj := range r.objects {
		id := fmt.Sprintf("%s %s/%s", obj.GetKind(), obj.GetNamespace(), obj.GetName())
		err := c.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(obj),
			client.FieldOwner("chart-test"), client.ForceOwnership, client.DryRunAll)
		if err != nil {
			t.Errorf("server-side dry-run apply of %s: %v", id, err)
			continue
		}
		applied[obj.GetKind()]++
	}
	if !reflect.DeepEqual(applied, want) {
		t.Errorf("applied %v, want %v", applied, want)
	}
}

// monitoringCRDs are minimal copies of the Prometheus Operator's ServiceMonitor and
// PrometheusRule CRDs: the fields the chart sets, typed, and the rest preserved.
const monitoringCRDs = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            spec:
              type: object
              required: [selector]
              properties:
                selector: {type: object, x-kubernetes-preserve-unknown-fields: true}
                namespaceSelector:
                  type: object
                  properties:
                    matchNames: {type: array, items: {type: string}}
                endpoints:
                  type: array
                  items:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                    properties:
                      port: {type: string}
                      path: {type: string}
                      scheme: {type: string, enum: [http, https, HTTP, HTTPS]}
                      interval: {type: string, pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$'}
                      bearerTokenFile: {type: string}
                      tlsConfig: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheusrules.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: PrometheusRule, listKind: PrometheusRuleList, plural: prometheusrules, singular: prometheusrule}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            spec:
              type: object
              properties:
                groups:
                  type: array
                  items:
                    type: object
                    required: [name]
                    properties:
                      name: {type: string, minLength: 1}
                      rules:
                        type: array
                        items:
                          type: object
                          required: [expr]
                          properties:
                            alert: {type: string}
                            record: {type: string}
                            expr: {x-kubernetes-int-or-string: true}
                            for: {type: string, pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$'}
                            labels: {type: object, additionalProperties: {type: string}}
                            annotations: {type: object, additionalProperties: {type: string}}
`

// installMonitoringCRDs creates the minimal monitoring CRDs and waits until served.
func installMonitoringCRDs(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	for _, doc := range strings.Split(monitoringCRDs, "\n---\n") {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict([]byte(doc), &crd); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, &crd); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var got apiextensionsv1.CustomResourceDefinition
			if err := c.Get(ctx, client.ObjectKey{Name: crd.Name}, &got); err == nil && slices.ContainsFunc(got.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
				return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
			}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not established", crd.Name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
