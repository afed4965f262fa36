package conformance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// errorCode returns the EC2 error code carried by err, or "" when err is not
// an API error.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// errorMessage returns the message of the API error err carries, or "".
func errorMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return ""
}

// describeErr renders err in short words that do not change from run to run
// (no IDs, ports or request IDs), so the divergence table stays stable.
func describeErr(err error) string {
	if code := errorCode(err); code != "" {
		return "`" + code + "`"
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return fmt.Sprintf("HTTP %d without an error code", respErr.HTTPStatusCode())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "a non-API error"
}

// stepErr reports that a step the scenario depends on failed.
func stepErr(step string, err error) error {
	return fmt.Errorf("%s failed with %s", step, describeErr(err))
}

// wantCode checks that op failed with the EC2 error code want.
func wantCode(op string, err error, want string) error {
	if err == nil {
		return fmt.Errorf("%s succeeded, want `%s`", op, want)
	}
	if got := errorCode(err); got != want {
		return fmt.Errorf("%s failed with %s, want `%s`", op, describeErr(err), want)
	}
	return nil
}

// wantFailure checks that op failed with some EC2 API error.
func wantFailure(op string, err error) error {
	if err == nil {
		return fmt.Errorf("%s succeeded, want an error", op)
	}
	if errorCode(err) == "" {
		return fmt.Errorf("%s failed with %s, want an EC2 error code", op, describeErr(err))
	}
	return nil
}

// pollInterval is how often eventually re-checks its condition.
const pollInterval = 100 * time.Millisecond

// eventually calls cond until it returns nil, waiting pollInterval between
// two calls, for at most the target's WaitTimeout of waiting, and returns
// cond's last error when it never held. The waits move the target's clock
// when it offers one (ec2sim), so the outcome does not depend on how fast
// the machine runs; otherwise they sleep.
func (e *Env) eventually(ctx context.Context, cond func() error) error {
	for waited := time.Duration(0); ; waited += pollInterval {
		err := cond()
		if err == nil || waited >= e.WaitTimeout {
			return err
		}
		if werr := e.wait(ctx, pollInterval); werr != nil {
			return err
		}
	}
}

// resourceIDPattern matches EC2 resource IDs such as vpce-0abc….
var resourceIDPattern = regexp.MustCompile(`\b(vpce|eni|subnet|vpc|rtb|sg|pl|eice)-[0-9a-f]+\b`)

// redactIDs replaces resource IDs in s with `<prefix>-…` so observed text is
// stable from run to run.
func redactIDs(s string) string {
	return resourceIDPattern.ReplaceAllString(s, "$1-…")
}
