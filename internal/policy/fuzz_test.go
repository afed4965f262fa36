package policy

import "testing"

// FuzzNormalize checks the normaliser and comparator on arbitrary documents:
// Normalize is idempotent, Equal is reflexive and symmetric, and a document
// Compact accepts means the same as its compact form. Seeds: testdata/fuzz/FuzzNormalize.
func FuzzNormalize(f *testing.F) {
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, doc := range []string{a, b} {
			n, err := Normalize(doc)
			if err == nil {
				n2, err := Normalize(n)
				if err != nil || n2 != n {
					t.Fatalf("Normalize not idempotent:\n doc %q\n once %q\n twice %q (%v)", doc, n, n2, err)
				}
			}
			if !Equal(doc, doc) {
				t.Fatalf("Equal not reflexive for %q", doc)
			}
			if c, err := Compact([]byte(doc)); err == nil && !Equal(c, doc) {
				t.Fatalf("Compact changed the meaning:\n doc %q\n compact %q", doc, c)
			}
		}
		if Equal(a, b) != Equal(b, a) {
			t.Fatalf("Equal not symmetric for %q and %q", a, b)
		}
	})
}
