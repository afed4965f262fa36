package ec2sim

import (
	"fmt"
	"net/http"
)

// apiError is an EC2 error response: an AWS error code, its message and the
// HTTP status EC2 answers it with.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errf builds a client error (HTTP 400) with a formatted message.
func errf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: statusFor(code)}
}

// statusFor maps an AWS error code onto the HTTP status EC2 uses for it.
func statusFor(code string) int {
	switch code {
	case "InternalError", "InternalFailure":
		return http.StatusInternalServerError
	case "Unavailable", "ServiceUnavailable", "RequestLimitExceeded":
		return http.StatusServiceUnavailable
	case "DryRunOperation":
		return http.StatusPreconditionFailed
	case "UnauthorizedOperation":
		return http.StatusForbidden
	case "AuthFailure":
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// defaultMessage is the message AWS sends with the service-side codes that
// faults inject.
func defaultMessage(code string) string {
	switch code {
	case "InternalError", "InternalFailure":
		return "An internal error has occurred"
	case "Unavailable", "ServiceUnavailable":
		return "The service is unavailable. Please try again shortly."
	case "RequestLimitExceeded":
		return "Request limit exceeded."
	}
	return "Injected fault: " + code
}

func errInvalidParameter(format string, args ...any) *apiError {
	return errf("InvalidParameter", format, args...)
}

func errInvalidParameterValue(format string, args ...any) *apiError {
	return errf("InvalidParameterValue", format, args...)
}

func errMissingParameter(name string) *apiError {
	return errf("MissingParameter", "The request must contain the parameter %s", name)
}

func errDryRun() *apiError {
	return errf("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
}

func errDependency(format string, args ...any) *apiError {
	return errf("DependencyViolation", format, args...)
}

func errInvalidParameterCombination(format string, args ...any) *apiError {
	return errf("InvalidParameterCombination", format, args...)
}
