// Package awserr classifies AWS errors once, so every caller agrees on what is
// retried fast, what is throttling, and what needs the user to act.
package awserr

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Class is how an error is handled.
type Class int

const (
	// Retryable errors (5xx, timeouts, transient network faults) are retried with capped, jittered backoff.
	Retryable Class = iota
	// Throttled errors mean AWS's rate limit was hit; retried with backoff.
	Throttled
	// Terminal errors need the user (or the world) to change; retried slowly, never in a hot loop.
	Terminal
)

// String names the class.
func (c Class) String() string {
	switch c {
	case Throttled:
		return "throttled"
	case Terminal:
		return "terminal"
	default:
		return "retryable"
	}
}

var throttleCodes = map[string]bool{
	"RequestLimitExceeded": true, "Throttling": true, "ThrottlingException": true,
	"RequestThrottled": true, "RequestThrottledException": true, "TooManyRequestsException": true,
	"PriorRequestNotComplete": true, "SlowDown": true, "EC2ThrottledException": true,
}

var retryableCodes = map[string]bool{
	"InternalError": true, "InternalFailure": true, "ServiceUnavailable": true, "Unavailable": true,
	"RequestTimeout": true, "RequestTimeoutException": true, "RequestExpired": false,
	"OperationInProgress": true, "IncorrectState": true, "DependencyViolation": true,
	"InsufficientFreeAddressesInSubnet": false,
}

// Code returns the AWS error code of err, or "" when err carries none.
func Code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// Message returns the AWS error message of err, or err's text.
func Message(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return err.Error()
}

// IsNotFound reports whether err is one of EC2's "<Thing>.NotFound" errors.
func IsNotFound(err error) bool {
	return strings.HasSuffix(Code(err), ".NotFound")
}

// Classify returns how err should be handled.
func Classify(err error) Class {
	code := Code(err)
	if throttleCodes[code] {
		return Throttled
	}
	if retryableCodes[code] {
		return Retryable
	}
	if code != "" {
		var respErr *smithyhttp.ResponseError
		if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
			return Retryable
		}
		return Terminal
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Retryable
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return Retryable
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() < 500 && respErr.HTTPStatusCode() != 429 {
		return Terminal
	}
	// Transport failures and anything unknown are treated as transient.
	return Retryable
}

// Reason turns an AWS error code into a metav1.Condition reason: dots removed
// (InvalidVpcEndpointId.NotFound becomes InvalidVpcEndpointIdNotFound).
func Reason(code string) string {
	r := strings.NewReplacer(".", "", "-", "", " ", "").Replace(code)
	if r == "" {
		return "AWSError"
	}
	return r
}
