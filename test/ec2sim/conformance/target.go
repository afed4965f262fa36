package conformance

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// Region is the region every scenario runs in.
const Region = "us-east-1"

// Target is an EC2 Query API endpoint the scenarios run against.
type Target struct {
	// Name names the target in test output ("ec2sim", "moto").
	Name string
	// Endpoint is the base URL of the EC2 Query API, e.g. http://127.0.0.1:5000.
	Endpoint string
	// Reset, when set, returns the target to an empty state; the runner
	// calls it before each scenario.
	Reset func(ctx context.Context) error
	// WaitTimeout bounds how long a scenario waits for an asynchronous
	// change (a state reaching `available`, an ENI going away).
	WaitTimeout time.Duration
	// Controls, when set, are the target's emulator levers (ec2sim has them,
	// moto does not); scenarios use them to move time and to show behaviours
	// AWS documents but shows only at random, such as eventual consistency.
	Controls Controls
	// IAM, when set, creates IAM roles on the target (ec2sim's Go API,
	// moto's IAM API), for the STS scenarios.
	IAM IAM
}

// IAM creates IAM roles on a target.
type IAM interface {
	// PutRole creates a role in an account with a trust policy and, when
	// policy is not empty, an identity-based policy.
	PutRole(ctx context.Context, account, name, trustPolicy, policy string) error
}

// Controls are an emulator's levers over what AWS decides on its own.
type Controls interface {
	// Advance moves the target's clock forward by d.
	Advance(d time.Duration)
	// SetConsistency makes every created, changed or deleted resource unseen
	// for window (all of it: the worst case); 0 turns it off.
	SetConsistency(window time.Duration)
	// LoseNextResponse makes the next call of action take effect and then
	// answer a 5xx error, as if the response had been lost.
	LoseNextResponse(action string)
	// FailEndpoint makes AWS's side fail an endpoint with a LastError.
	FailEndpoint(id, code, message string) error
	// SetIAMPolicy makes the target evaluate an identity-based policy for
	// every call from now on; nil turns evaluation off.
	SetIAMPolicy(doc []byte) error
}

// NewClient returns an EC2 client for the target with static test
// credentials and no retries, so every error surfaces as the target sent it.
func (t Target) NewClient() *ec2.Client {
	return t.ClientAs(credentials.NewStaticCredentialsProvider("test", "test", ""), Region)
}

// ClientAs returns an EC2 client for the target with the given credentials
// and region, and no retries.
func (t Target) ClientAs(creds aws.CredentialsProvider, region string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:           region,
		BaseEndpoint:     aws.String(t.Endpoint),
		Credentials:      creds,
		RetryMaxAttempts: 1,
		HTTPClient:       awsclient.GuardRequestBodies(&http.Client{Timeout: 30 * time.Second}),
	})
}

// STSClientAs returns an STS client for the target (its BaseEndpoint is the
// target's address) with the given credentials, and no retries.
func (t Target) STSClientAs(creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(t.Endpoint),
		Credentials:      creds,
		RetryMaxAttempts: 1,
		HTTPClient:       awsclient.GuardRequestBodies(&http.Client{Timeout: 30 * time.Second}),
	})
}

// ResetURL returns a Reset function that POSTs to url (moto's
// /moto-api/reset) and expects a 2xx answer.
func ResetURL(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("reset %s: HTTP %d", url, resp.StatusCode)
		}
		return nil
	}
}
