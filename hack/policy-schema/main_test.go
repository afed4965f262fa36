package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// crd is a CRD as controller-gen writes it, with a free-form spec.policy.
const crd = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.example.com
spec:
  group: example.com
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        properties:
          spec:
            properties:
              policy:
                description: The policy.
                type: object
                x-kubernetes-preserve-unknown-fields: true
            type: object
        type: object
    served: true
    storage: true
`

const schema = `
properties:
  Version:
    type: string
x-kubernetes-validations:
- rule: has(self.Version)
  message: Version is missing
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, contents := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(contents), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMergesTheSchemaIntoSpecPolicyOnce(t *testing.T) {
	dir := writeFiles(t, map[string]string{"crd.yaml": crd, "schema.yaml": schema})
	crdPath, schemaPath := filepath.Join(dir, "crd.yaml"), filepath.Join(dir, "schema.yaml")
	if err := run(schemaPath, []string{crdPath}); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(crdPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(first, &doc); err != nil {
		t.Fatal(err)
	}
	versions := lookup(doc, "spec", "versions").([]any)
	policy := lookup(versions[0].(map[string]any), "schema", "openAPIV3Schema", "properties", "spec", "properties", "policy").(map[string]any)
	if policy["description"] != "The policy." || policy["type"] != "object" {
		t.Errorf("the Go field's description and type were lost: %v", policy)
	}
	if lookup(policy, "properties", "Version", "type") != "string" || len(policy["x-kubernetes-validations"].([]any)) != 1 {
		t.Errorf("schema not merged: %v", policy)
	}
	if !strings.HasPrefix(string(first), "---\napiVersion:") {
		t.Errorf("not written the way controller-gen writes CRDs:\n%s", first)
	}

	if err := run(schemaPath, []string{crdPath}); err != nil {
		t.Fatalf("second run: %v", err)
	}
	second, err := os.ReadFile(crdPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(second) != string(first) {
		t.Errorf("a second run changed the CRD:\n%s\nthen\n%s", first, second)
	}
}

func TestLeavesAnUnchangedCRDByteForByte(t *testing.T) {
	// Round trip only: an empty merge must not reformat controller-gen's output.
	merged, err := mergeIntoCRD([]byte(crd), map[string]any{"type": "object"})
	if err != nil {
		t.Fatal(err)
	}
	if string(merged) != crd {
		t.Errorf("reformatted:\n%s", merged)
	}
}

func TestRefusesACRDWithoutSpecPolicy(t *testing.T) {
	noPolicy := strings.Replace(crd, "policy:", "other:", 1)
	dir := writeFiles(t, map[string]string{"crd.yaml": noPolicy, "schema.yaml": schema})
	err := run(filepath.Join(dir, "schema.yaml"), []string{filepath.Join(dir, "crd.yaml")})
	if err == nil || !strings.Contains(err.Error(), "no spec.policy") {
		t.Fatalf("error = %v, want one saying spec.policy is missing", err)
	}
}

func TestRefusesAConflictWithTheGoMarkers(t *testing.T) {
	dir := writeFiles(t, map[string]string{"crd.yaml": crd, "schema.yaml": "type: string\n"})
	err := run(filepath.Join(dir, "schema.yaml"), []string{filepath.Join(dir, "crd.yaml")})
	if err == nil || !strings.Contains(err.Error(), `"type" differently`) {
		t.Fatalf("error = %v, want a conflict on type", err)
	}
}
