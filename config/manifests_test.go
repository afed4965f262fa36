package config_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// document is one YAML document of a manifest file.
type document struct {
	// source names where it came from, for failure messages.
	source string
	// kind is the object's kind.
	kind string
	// raw is the document's YAML.
	raw []byte
}

// splitDocuments splits multi-document YAML, skipping empty documents.
func splitDocuments(t *testing.T, source string, contents []byte) []document {
	t.Helper()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(contents)))
	var documents []document
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return documents
		}
		if err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		var header struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(raw, &header); err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		if header.Kind != "" {
			documents = append(documents, document{source: source, kind: header.Kind, raw: raw})
		}
	}
}

// readManifestDir reads the documents of every *.yaml in dir except kustomization.yaml.
func readManifestDir(t *testing.T, dir string) []document {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var documents []document
	for _, path := range paths {
		if filepath.Base(path) == "kustomization.yaml" {
			continue
		}
		contents, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		documents = append(documents, splitDocuments(t, path, contents)...)
	}
	return documents
}

// decodeStrict decodes a document into out, failing on fields out does not know
// (a misspelt field in a manifest would otherwise be silently dropped).
func decodeStrict(t *testing.T, doc document, out any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc.raw, out); err != nil {
		t.Fatalf("%s: decode %s: %v", doc.source, doc.kind, err)
	}
}

// kustomizationResources returns the resources listed by dir/kustomization.yaml.
func kustomizationResources(t *testing.T, dir string) []string {
	t.Helper()
	contents, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kustomization struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(contents, &kustomization); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	return kustomization.Resources
}
