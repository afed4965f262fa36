// Command policy-schema merges the schema of the IAM policy document
// (api/v1alpha1/policy_schema.yaml: its properties and CEL rules) into spec.policy of
// CustomResourceDefinitions that controller-gen wrote, in place:
//
//	go run ./hack/policy-schema -schema api/v1alpha1/policy_schema.yaml config/crd/bases/*.yaml
//
// controller-gen cannot generate that schema from the Go field, which stays
// *apiextensionsv1.JSON (see the schema file for why). `make manifests` and
// hack/gen-api-docs.sh run it right after controller-gen. Running it twice changes
// nothing; a CRD without spec.policy, or whose spec.policy already holds a different
// value for a key the schema sets, is an error.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"

	"sigs.k8s.io/yaml"
)

func main() {
	schemaPath := flag.String("schema", "api/v1alpha1/policy_schema.yaml", "YAML file with the schema keys to merge into spec.policy")
	flag.Parse()
	if err := run(*schemaPath, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "policy-schema:", err)
		os.Exit(1)
	}
}

// run merges the schema at schemaPath into each CRD file of crdPaths.
func run(schemaPath string, crdPaths []string) error {
	if len(crdPaths) == 0 {
		return errors.New("no CRD files given")
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var schema map[string]any
	if err := yaml.Unmarshal(raw, &schema); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if len(schema) == 0 {
		return fmt.Errorf("%s holds no schema", schemaPath)
	}
	for _, path := range crdPaths {
		contents, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		merged, err := mergeIntoCRD(contents, schema)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if !bytes.Equal(merged, contents) {
			if err := os.WriteFile(path, merged, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeIntoCRD returns the CRD document crd with schema's keys set on spec.policy of
// every version, written the way controller-gen writes CRDs.
func mergeIntoCRD(crd []byte, schema map[string]any) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(crd, &doc); err != nil {
		return nil, err
	}
	if doc["kind"] != "CustomResourceDefinition" {
		return nil, fmt.Errorf("kind %v, want CustomResourceDefinition", doc["kind"])
	}
	versions, _ := lookup(doc, "spec", "versions").([]any)
	if len(versions) == 0 {
		return nil, errors.New("no spec.versions")
	}
	for _, v := range versions {
		version, _ := v.(map[string]any)
		policy, ok := lookup(version, "schema", "openAPIV3Schema", "properties", "spec", "properties", "policy").(map[string]any)
		if !ok {
			return nil, fmt.Errorf("version %v has no spec.policy in its schema", version["name"])
		}
		for _, key := range slices.Sorted(maps.Keys(schema)) {
			if have, ok := policy[key]; ok && !reflect.DeepEqual(have, schema[key]) {
				return nil, fmt.Errorf("version %v: spec.policy already sets %q differently; remove it from the Go markers or from the schema file", version["name"], key)
			}
			policy[key] = schema[key]
		}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return append([]byte("---\n"), out...), nil
}

// lookup follows keys through nested maps; nil when a key is missing.
func lookup(m map[string]any, keys ...string) any {
	var current any = m
	for _, key := range keys {
		asMap, ok := current.(map[string]any)
		if !ok {
			return nil
		}
		current = asMap[key]
	}
	return current
}
