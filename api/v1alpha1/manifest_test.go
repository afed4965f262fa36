package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	networkingv1alpha1 "github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// Kinds under test.
const (
	gatewayKind   = "GatewayEndpoint"
	interfaceKind = "InterfaceEndpoint"
	iceKind       = "InstanceConnectEndpoint"
)

// baseSpecs are small valid specs of each kind that test cases patch.
var baseSpecs = map[string]string{
	gatewayKind: `
service: s3
region: us-east-1
vpc:
  id: vpc-0a1b2c3d4e5f67890
routeTables:
  ids: [rtb-0a1b2c3d4e5f67890]
`,
	iceKind: `
region: us-east-1
vpc:
  id: vpc-0a1b2c3d4e5f67890
subnet:
  id: subnet-0a1b2c3d4e5f67890
`,
	interfaceKind: `
service: ssm
region: us-east-1
vpc:
  id: vpc-0a1b2c3d4e5f67890
subnets:
  ids: [subnet-0a1b2c3d4e5f67890]
`,
}

// patchedObject builds an object of kind whose spec is the base spec with each
// patch applied in turn as a JSON merge patch (RFC 7386: null removes a field).
func patchedObject(t *testing.T, kind, namespace, name string, patches ...string) *unstructured.Unstructured {
	t.Helper()
	spec := mustParseYAMLMap(t, baseSpecs[kind])
	for _, patch := range patches {
		spec = mergePatch(spec, mustParseYAMLMap(t, patch)).(map[string]any)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	obj.SetAPIVersion(networkingv1alpha1.GroupVersion.String())
	obj.SetKind(kind)
	obj.SetNamespace(namespace)
	obj.SetName(name)
	return obj
}

// mergePatch applies patch to target as a JSON merge patch and returns the result.
func mergePatch(target, patch any) any {
	patchMap, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	targetMap, ok := target.(map[string]any)
	if !ok {
		targetMap = map[string]any{}
	}
	for key, value := range patchMap {
		if value == nil {
			delete(targetMap, key)
			continue
		}
		targetMap[key] = mergePatch(targetMap[key], value)
	}
	return targetMap
}

// mustParseYAMLMap parses a YAML mapping (empty text gives an empty map).
func mustParseYAMLMap(t *testing.T, text string) map[string]any {
	t.Helper()
	parsed := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &parsed); err != nil {
		t.Fatalf("parse YAML %q: %v", text, err)
	}
	return parsed
}

// ensureNamespace creates namespace unless it exists.
func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", name, err)
	}
}

// manyTags renders count distinct tags as a YAML flow mapping.
func manyTags(count int) string {
	pairs := make([]string, count)
	for i := range pairs {
		pairs[i] = fmt.Sprintf("key%02d: value", i)
	}
	return "{" + strings.Join(pairs, ", ") + "}"
}
