package awserr

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func apiErr(code string, status int) error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Class
	}{
		{"throttle", apiErr("RequestLimitExceeded", 503), Throttled},
		{"internal", apiErr("InternalError", 500), Retryable},
		{"unavailable", apiErr("Unavailable", 503), Retryable},
		{"unknown 5xx", apiErr("SomethingNew", 502), Retryable},
		{"dependency", apiErr("DependencyViolation", 400), Retryable},
		{"bad service", apiErr("InvalidServiceName", 400), Terminal},
		{"route exists", apiErr("RouteAlreadyExists", 400), Terminal},
		{"denied", apiErr("UnauthorizedOperation", 403), Terminal},
		{"not found", apiErr("InvalidVpcEndpointId.NotFound", 400), Terminal},
		{"deadline", context.DeadlineExceeded, Retryable},
		{"plain", errors.New("connection reset"), Retryable},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: Classify = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReasonAndNotFound(t *testing.T) {
	if got := Reason("InvalidVpcEndpointId.NotFound"); got != "InvalidVpcEndpointIdNotFound" {
		t.Errorf("Reason = %q", got)
	}
	if !IsNotFound(apiErr("InvalidRouteTableID.NotFound", 400)) || IsNotFound(apiErr("InvalidParameter", 400)) {
		t.Error("IsNotFound wrong")
	}
	if Code(apiErr("X", 400)) != "X" || Message(apiErr("X", 400)) != "m" {
		t.Error("Code/Message wrong")
	}
}
