package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// TestEndpointFromEnvironmentAndCABundle: the standard AWS_ENDPOINT_URL_EC2 variable
// points the clients at another EC2 endpoint, and a set AWS_CA_BUNDLE (common on
// corporate machines) does not break the client (the SDK applies it to its own
// BuildableClient, which we keep).
func TestEndpointFromEnvironmentAndCABundle(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><vpcSet/></DescribeVpcsResponse>`))
	}))
	defer srv.Close()
	bundle := os.Getenv("AWS_CA_BUNDLE")
	if bundle == "" {
		for _, p := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"} {
			if _, err := os.Stat(p); err == nil {
				bundle = p
			}
		}
	}
	if bundle == "" {
		t.Fatal("no CA bundle on this machine to set AWS_CA_BUNDLE to")
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	o := Options{Region: "us-east-1"}
	cfg, err := LoadConfig(context.Background(), o)
	if err != nil {
		t.Fatalf("LoadConfig with AWS_CA_BUNDLE set: %v", err)
	}
	cl := NewClients(cfg, o).ForRegion("")
	if _, err := cl.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("AWS_ENDPOINT_URL_EC2 not honoured: %d requests reached it", hits.Load())
	}
	// --aws-endpoint-url wins over the variable.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer other.Close()
	o.EndpointURL = other.URL
	_, err = NewClients(cfg, o).ForRegion("eu-west-1").DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	if err == nil || !strings.Contains(err.Error(), "418") {
		t.Fatalf("--aws-endpoint-url not used: %v", err)
	}
}

// TestThrottlingErrorsAreRetriedWithoutSleeping: a call AWS throttles is retried
// at once, paced by the client-side bucket of its account and region (which the
// throttling error just slowed, and which queues the caller instead of holding a
// worker when its turn is far off), not by a sleep inside the reconcile worker:
// sleeping workers of one throttled account and region would leave none for the
// others. Other retryable errors keep the SDK's jittered backoff.
func TestThrottlingErrorsAreRetriedWithoutSleeping(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := LoadConfig(context.Background(), Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retryer()
	throttled := &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
	if !r.IsErrorRetryable(throttled) {
		t.Fatal("RequestLimitExceeded is not retried")
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if d, err := r.RetryDelay(attempt, throttled); err != nil || d != 0 {
			t.Errorf("attempt %d after RequestLimitExceeded: sleeps %v (%v), want 0", attempt, d, err)
		}
	}
	internal := &smithy.GenericAPIError{Code: "InternalError", Message: "An internal error has occurred"}
	slept := false
	for range 20 { // jittered: at least one of 20 delays is positive
		if d, err := r.RetryDelay(2, internal); err == nil && d > 0 {
			slept = true
		}
	}
	if !slept {
		t.Error("InternalError is retried without backoff")
	}
}
