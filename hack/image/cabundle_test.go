package main

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

func TestCABundleHasEveryUnconstrainedMozillaRootAndNoConstrainedOne(t *testing.T) {
	got, n, err := caBundlePEM()
	if err != nil {
		t.Fatal(err)
	}
	inFile := map[string]bool{}
	for rest := got; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		inFile[string(block.Bytes)] = true
	}
	if len(inFile) != n {
		t.Errorf("caBundlePEM says %d roots, the PEM holds %d distinct ones", n, len(inFile))
	}
	constrained := 0
	for root := range bundle.Roots() {
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case root.Constraint == nil && !inFile[string(root.Certificate)]:
			t.Errorf("%s is missing from the bundle", cert.Subject)
		case root.Constraint != nil && inFile[string(root.Certificate)]:
			t.Errorf("%s is trusted by NSS only with a distrust-after date, which a PEM file cannot express; it must be left out", cert.Subject)
		case root.Constraint != nil:
			constrained++
		}
	}
	t.Logf("%d roots written, %d constrained roots left out", n, constrained)
}
