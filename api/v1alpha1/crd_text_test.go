package v1alpha1_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// explainWidth is the width kubectl explain wraps descriptions at (`wrap 76` in
// k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl). It keeps the line breaks
// of a description too, so a longer line is broken again, mid-sentence.
const explainWidth = 76

// upstreamFields are described by Kubernetes' own types, not by ours.
var upstreamFields = []string{".apiVersion", ".kind", ".metadata", ".status.conditions[]",
	// metav1.LabelSelector of AWSAccount.spec.namespaceSelector.
	".spec.namespaceSelector.matchLabels", ".spec.namespaceSelector.matchExpressions"}

// schemaNode is one schema of a CRD with the path kubectl explain shows it at.
type schemaNode struct {
	path   string
	schema *apiextensionsv1.JSONSchemaProps
}

// crdSchemas returns every schema node of every version of the CRDs in config/crd/bases.
func crdSchemas(t *testing.T) []schemaNode {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	var nodes []schemaNode
	var walk func(path string, s *apiextensionsv1.JSONSchemaProps)
	walk = func(path string, s *apiextensionsv1.JSONSchemaProps) {
		nodes = append(nodes, schemaNode{path, s})
		for name := range s.Properties {
			property := s.Properties[name]
			walk(path+"."+name, &property)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(path+"[]", s.Items.Schema)
		}
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
			walk(path+".<key>", s.AdditionalProperties.Schema)
		}
	}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, v := range crd.Spec.Versions {
			walk(strings.ToLower(crd.Spec.Names.Kind), v.Schema.OpenAPIV3Schema)
		}
	}
	return nodes
}

// TestExplainShowsDescriptionsUnbroken: every line of our descriptions fits kubectl
// explain's width, so `kubectl explain` never breaks a sentence across two short lines.
// Fix a failure by rewrapping the doc comment of the Go type or field (or the
// description in api/v1alpha1/policy_schema.yaml) at 76 characters.
func TestExplainShowsDescriptionsUnbroken(t *testing.T) {
	for _, node := range crdSchemas(t) {
		if isUpstream(node.path) {
			continue
		}
		for _, line := range strings.Split(node.schema.Description, "\n") {
			if len([]rune(line)) > explainWidth {
				t.Errorf("%s: description line of %d characters, kubectl explain wraps at %d:\n  %s",
					node.path, len([]rune(line)), explainWidth, line)
			}
		}
		if d := strings.TrimSpace(node.schema.Description); d != "" && !strings.HasSuffix(d, ".") {
			t.Errorf("%s: description does not end a sentence: %q", node.path, d)
		}
	}
}

// TestImmutableFieldErrorsSayHowToChangeThem: every rule that compares with oldSelf
// refuses a change; its message must give the fix the apiserver accepts.
func TestImmutableFieldErrorsSayHowToChangeThem(t *testing.T) {
	rules := 0
	for _, node := range crdSchemas(t) {
		for _, rule := range node.schema.XValidations {
			if !strings.Contains(rule.Rule, "oldSelf") {
				continue
			}
			rules++
			if !strings.Contains(rule.Message, "delete the object and create it again") {
				t.Errorf("%s: the message of rule %q does not say to delete the object and create it again: %q", node.path, rule.Rule, rule.Message)
			}
		}
	}
	if rules == 0 {
		t.Fatal("found no rule using oldSelf in the CRDs")
	}
}

func isUpstream(path string) bool {
	for _, prefix := range upstreamFields {
		if _, rest, ok := strings.Cut(path, prefix); ok && (rest == "" || strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "[")) {
			return true
		}
	}
	return false
}
