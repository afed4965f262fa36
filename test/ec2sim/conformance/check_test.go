package conformance

import (
	"errors"
	"testing"

	"github.com/aws/smithy-go"
)

func TestWantCodeDescribesMismatchWithoutIDs(t *testing.T) {
	apiErr := &smithy.GenericAPIError{Code: "InvalidParameter", Message: "vpce-0123456789abcdef0 is bad"}
	if err := wantCode("op", apiErr, "InvalidParameter"); err != nil {
		t.Fatalf("matching code: %v", err)
	}
	got := wantCode("op", apiErr, "DryRunOperation")
	if got == nil || got.Error() != "op failed with `InvalidParameter`, want `DryRunOperation`" {
		t.Fatalf("mismatch = %v", got)
	}
	if got := wantCode("op", nil, "X"); got == nil || got.Error() != "op succeeded, want `X`" {
		t.Fatalf("success = %v", got)
	}
	if got := wantFailure("op", errors.New("dial tcp 127.0.0.1:1234")); got == nil || got.Error() != "op failed with a non-API error, want an EC2 error code" {
		t.Fatalf("non-API = %v", got)
	}
}

func TestRedactionKeepsTextStable(t *testing.T) {
	if got := redactIDs("VPC Endpoint Interface vpce-0123456789abcdef0"); got != "VPC Endpoint Interface vpce-…" {
		t.Fatalf("redactIDs = %q", got)
	}
	id := "vpce-0123456789abcdef0"
	if got := dnsShape(id+"-6d2108c0.com.amazonaws.us-east-1.ssm", id); got != "vpce-<id>-<suffix>.com.amazonaws.us-east-1.ssm" {
		t.Fatalf("dnsShape = %q", got)
	}
}

func TestIsFullAccessPolicy(t *testing.T) {
	def := `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	if !isFullAccessPolicy(def) || isFullAccessPolicy(customPolicy) || isFullAccessPolicy("nope") {
		t.Fatal("isFullAccessPolicy misjudges a policy")
	}
	if len(longPolicy()) <= 20480 {
		t.Fatal("longPolicy is not over 20,480 characters")
	}
}
