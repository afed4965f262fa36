package main

import (
	"bytes"
	"encoding/pem"
	"fmt"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// caBundlePEM returns the Mozilla (NSS) roots that x509roots/fallback carries,
// as the PEM file /etc/ssl/certs/ca-certificates.crt, and how many it holds.
// Roots that NSS trusts only with a constraint (a distrust-after date) are left
// out: a PEM file cannot express the constraint, and trusting them without it
// would trust more than Mozilla does. AWS endpoints chain to Amazon Root CA 1-4
// and Starfield Services Root G2, which carry no constraint.
func caBundlePEM() ([]byte, int, error) {
	var buf bytes.Buffer
	n := 0
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, 0, err
		}
		n++
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("x509roots/fallback holds no unconstrained root")
	}
	return buf.Bytes(), n, nil
}
