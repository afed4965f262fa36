package manager_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

const metricsNamespace = "vpce-metrics-test"

// TestSecureMetricsNeedAnAuthorizedToken runs the manager as config/rbac grants it
// (impersonating its service account) with the default --metrics-secure, and scrapes
// /metrics as Prometheus would: without a token, with a token of an identity that
// may not read metrics, and with one bound to config/rbac's metrics-reader role.
func TestSecureMetricsNeedAnAuthorizedToken(t *testing.T) {
	env := testenv.StartForTest(t)
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(env.Config)
	mustCreate(t, cs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: metricsNamespace}})
	for _, sa := range []string{"controller-manager", "prometheus", "stranger"} {
		if _, err := cs.CoreV1().ServiceAccounts(metricsNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The manager's roles and bindings, and the reader role bound to prometheus only.
	for _, file := range []string{"role.yaml", "metrics_auth_role.yaml", "metrics_reader_role.yaml"} {
		role := readClusterRole(t, file)
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		subject := "controller-manager"
		if file == "metrics_reader_role.yaml" {
			subject = "prometheus"
		}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role.Name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: subject, Namespace: metricsNamespace}},
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	asManager := rest.CopyConfig(env.Config)
	asManager.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + metricsNamespace + ":controller-manager"}
	addr := startManager(t, asManager, manager.MetricsOptions{BindAddress: freeAddr(t), Secure: true})
	url := "https://" + addr + "/metrics"
	insecure := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // the default certificate is self-signed
		ForceAttemptHTTP2: true,
	}}
	waitServing(t, insecure, url)

	if code, _ := scrape(t, insecure, url, ""); code != http.StatusUnauthorized {
		t.Errorf("a scrape without a token got %d, want 401 Unauthorized", code)
	}
	// The TokenReview works and says the token does not authenticate: 401, not a
	// server error (500 is for reviews that cannot be made).
	if code, _ := scrape(t, insecure, url, "not-a-token"); code != http.StatusUnauthorized {
		t.Errorf("a scrape with an invalid token got %d, want 401 Unauthorized", code)
	}
	if code, _ := scrape(t, insecure, url, token(t, cs, "stranger")); code != http.StatusForbidden {
		t.Errorf("a scrape by a service account without metrics-reader got %d, want 403 Forbidden", code)
	}
	code, resp := scrapeMetrics(t, insecure, url, token(t, cs, "prometheus"))
	if code != http.StatusOK || !strings.Contains(resp.body, "controller_runtime_reconcile_total") {
		t.Fatalf("a scrape by the metrics-reader got %d, want 200 with the metrics:\n%.500s", code, resp.body)
	}
	if resp.proto != "HTTP/1.1" {
		t.Errorf("the metrics endpoint negotiated %s; HTTP/2 must stay off unless --enable-http2", resp.proto)
	}
	plain, err := http.Get("http://" + addr + "/metrics")
	if err == nil {
		body, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP to the secure endpoint got 200:\n%.200s", body)
		}
	}
}

// TestMetricsServeTheGivenCertificate passes --metrics-cert-path and checks that a
// client trusting only the issuing CA reaches /metrics.
func TestMetricsServeTheGivenCertificate(t *testing.T) {
	env := testenv.StartForTest(t)
	dir := t.TempDir()
	pool := writeCertificate(t, dir, "metrics.crt", "metrics.key")
	addr := startManager(t, env.Config, manager.MetricsOptions{BindAddress: freeAddr(t), Secure: true, CertDir: dir, CertName: "metrics.crt", KeyName: "metrics.key"})
	verifying := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "vpce-controller-metrics.vpce-system.svc"}}}
	waitServing(t, verifying, "https://"+addr+"/metrics")
	if code, _ := scrape(t, verifying, "https://"+addr+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("a scrape without a token over the given certificate got %d, want 401", code)
	}
}

// TestPlainMetricsWhenAskedFor is --metrics-secure=false: plain HTTP, no token needed.
func TestPlainMetricsWhenAskedFor(t *testing.T) {
	env := testenv.StartForTest(t)
	addr := startManager(t, env.Config, manager.MetricsOptions{BindAddress: freeAddr(t)})
	client := &http.Client{Timeout: 30 * time.Second}
	waitServing(t, client, "http://"+addr+"/metrics")
	if code, resp := scrapeMetrics(t, client, "http://"+addr+"/metrics", ""); code != http.StatusOK || !strings.Contains(resp.body, "controller_runtime_reconcile_total") {
		t.Errorf("plain scrape got %d, want 200 with the metrics", code)
	}
}

func TestMetricsCertPathMustHoldTheFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		opts manager.MetricsOptions
		want string
	}{
		{"missing files", manager.MetricsOptions{Secure: true, CertDir: dir}, "--metrics-cert-path"},
		{"plain HTTP with a certificate", manager.MetricsOptions{CertDir: dir}, "--metrics-secure=false"},
	} {
		err := tc.opts.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
	writeCertificate(t, dir, "tls.crt", "tls.key")
	if err := (manager.MetricsOptions{Secure: true, CertDir: dir}).Validate(); err != nil {
		t.Errorf("a cert dir with tls.crt and tls.key: %v", err)
	}
}

// startManager starts a manager with no objects to reconcile and the given metrics
// options, and returns the metrics address.
func startManager(t *testing.T, cfg *rest.Config, metrics manager.MetricsOptions) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := manager.New(ctx, cfg, manager.Options{
		Region:                 "us-east-1",
		ClusterName:            "metrics-test",
		AWSEndpointURL:         "http://127.0.0.1:1", // never called: there are no objects
		Metrics:                metrics,
		HealthProbeBindAddress: "0",
		SkipNameValidation:     true,
		AWSLoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		},
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	return metrics.BindAddress
}

// response is what a scrape returned.
type response struct{ body, proto string }

// scrape GETs url with an optional bearer token.
func scrape(t *testing.T, c *http.Client, url, token string) (int, response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, response{string(body), resp.Proto}
}

// waitServing waits until url answers at all (the server started).
// scrapeMetrics scrapes until the controllers' metrics are there (they appear once
// the controllers have started, after the metrics server answers) or a minute passed.
func scrapeMetrics(t *testing.T, c *http.Client, url, bearer string) (int, response) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, resp := scrape(t, c, url, bearer)
		if code != http.StatusOK || strings.Contains(resp.body, "controller_runtime_reconcile_total") || time.Now().After(deadline) {
			return code, resp
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitServing(t *testing.T, c *http.Client, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// token issues a service account token with the TokenRequest API.
func token(t *testing.T, cs kubernetes.Interface, sa string) string {
	t.Helper()
	tr, err := cs.CoreV1().ServiceAccounts(metricsNamespace).CreateToken(t.Context(), sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s: %v", sa, err)
	}
	return tr.Status.Token
}

// readClusterRole reads a ClusterRole of config/rbac.
func readClusterRole(t *testing.T, file string) *rbacv1.ClusterRole {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "rbac", file))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(raw, &role); err != nil {
		t.Fatalf("config/rbac/%s: %v", file, err)
	}
	return &role
}

func mustCreate(t *testing.T, cs kubernetes.Interface, ns *corev1.Namespace) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writeCertificate writes a serving certificate for the metrics Service's DNS name,
// signed by a fresh CA, and returns a pool holding that CA.
func writeCertificate(t *testing.T, dir, certName, keyName string) *x509.CertPool {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "metrics"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"vpce-controller-metrics.vpce-system.svc"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, keyName), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}
