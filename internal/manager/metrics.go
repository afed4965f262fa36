package manager

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"

	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/vpce-dev/vpce-controller/internal/metricsauth"
)

// MetricsOptions configure the Prometheus endpoint (the --metrics-* flags).
type MetricsOptions struct {
	// BindAddress of /metrics (--metrics-bind-address); "0" turns the endpoint off.
	BindAddress string
	// Secure serves /metrics over HTTPS and lets in only requests whose bearer token
	// the apiserver authenticates (TokenReview) and authorizes for GET on the
	// non-resource URL /metrics (SubjectAccessReview) (--metrics-secure).
	Secure bool
	// CertDir holds the serving certificate and key (--metrics-cert-path); empty
	// means a self-signed certificate generated at start.
	CertDir string
	// CertName and KeyName are the file names in CertDir (default tls.crt, tls.key).
	CertName, KeyName string
	// EnableHTTP2 allows HTTP/2 on the HTTPS endpoint (--enable-http2). Off by
	// default: HTTP/1.1 only avoids the HTTP/2 Rapid Reset and Stream Cancellation
	// attacks (CVE-2023-44487, CVE-2023-39325).
	EnableHTTP2 bool
}

// Validate checks the options before anything starts, naming the flag at fault.
func (m MetricsOptions) Validate() error {
	if m.CertDir == "" {
		return nil
	}
	if !m.Secure {
		return fmt.Errorf("--metrics-cert-path is set but --metrics-secure=false: a certificate is only used for HTTPS")
	}
	for _, name := range []string{m.certName(), m.keyName()} {
		path := filepath.Join(m.CertDir, name)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("--metrics-cert-path: cannot read %s: %w", path, err)
		}
	}
	return nil
}

func (m MetricsOptions) certName() string { return cmpOr(m.CertName, "tls.crt") }
func (m MetricsOptions) keyName() string  { return cmpOr(m.KeyName, "tls.key") }

// serverOptions are controller-runtime's metrics server options for m.
func (m MetricsOptions) serverOptions() metricsserver.Options {
	o := metricsserver.Options{BindAddress: m.BindAddress, SecureServing: m.Secure}
	if o.BindAddress == "" {
		o.BindAddress = "0"
	}
	if !m.Secure {
		return o
	}
	o.FilterProvider = metricsauth.FilterProvider(metricsauth.Options{})
	if m.CertDir != "" {
		o.CertDir, o.CertName, o.KeyName = m.CertDir, m.certName(), m.keyName()
	} else {
		// A directory that never holds a certificate, so controller-runtime always
		// generates a self-signed one instead of picking up a stray file.
		o.CertDir = filepath.Join(os.TempDir(), "vpce-controller-no-metrics-cert")
	}
	if !m.EnableHTTP2 {
		o.TLSOpts = append(o.TLSOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	return o
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
