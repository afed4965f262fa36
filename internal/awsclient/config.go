// Package awsclient wires the one aws.Config the manager uses: credentials from the
// default chain, the EC2 endpoint override, retries suited to a controller, and the
// middleware (client-side throttling, call metrics) every EC2 call goes through.
package awsclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Options configure the AWS clients.
type Options struct {
	// Region is the default region (the manager's --region).
	Region string
	// EndpointURL overrides the EC2 endpoint (the manager's --aws-endpoint-url).
	// AWS_ENDPOINT_URL_EC2 is honoured by the SDK when this is empty.
	EndpointURL string
	// MaxAttempts per call, including the first; the reconcile loop retries beyond that.
	MaxAttempts int
	// APIOptions are extra middleware (metrics) added to every EC2 client.
	APIOptions []func(*ec2.Options)
	// RegionAPIOptions, when set, gives the options added to the client of one
	// region only: the client-side throttle of that account and region.
	RegionAPIOptions func(region string) []func(*ec2.Options)
	// LoadOptions are extra options for config.LoadDefaultConfig (tests pass static credentials).
	LoadOptions []func(*config.LoadOptions) error
}

// LoadConfig builds the aws.Config from the default credential chain (environment,
// shared config, IRSA web identity, EKS Pod Identity). It keeps the SDK's own
// BuildableClient HTTP client, so AWS_CA_BUNDLE works, behind GuardRequestBodies.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	attempts := o.MaxAttempts
	if attempts == 0 {
		attempts = 3
	}
	load := append([]func(*config.LoadOptions) error{
		config.WithRegion(o.Region),
		config.WithRetryer(func() aws.Retryer {
			// No client-side retry quota: under a fault storm the quota turns
			// retryable errors into hard failures; the reconcile loop backs off instead.
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = attempts
				so.RateLimiter = ratelimit.None
				so.Backoff = bucketPacedBackoff{retry.NewExponentialJitterBackoff(so.MaxBackoff)}
			})
		}),
	}, o.LoadOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		// Unset without a CA bundle: what each service client would build itself.
		httpClient = awshttp.NewBuildableClient()
	}
	cfg.HTTPClient = GuardRequestBodies(httpClient)
	return cfg, nil
}

// bucketPacedBackoff retries throttling errors at once: the retry goes through
// the client-side bucket of the call's account and region again, which the
// error has just slowed and which queues the caller (QueuedError) rather than
// hold its reconcile worker when the turn is far off. A sleep here would hold
// the worker, and the workers of one throttled account and region would leave
// none for the others. Other errors keep the SDK's jittered backoff.
type bucketPacedBackoff struct{ retry.BackoffDelayer }

// BackoffDelay implements retry.BackoffDelayer.
func (b bucketPacedBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	if awserr.Classify(err) == awserr.Throttled {
		return 0, nil
	}
	return b.BackoffDelayer.BackoffDelay(attempt, err)
}

// Clients hands out one EC2 client per region, all built from the same aws.Config
// so they share credentials and metrics; each region gets the options
// RegionAPIOptions gives it (its own throttle buckets, as AWS's are per account
// and region).
type Clients struct {
	cfg  aws.Config
	opts Options
	mu   sync.Mutex
	byRe map[string]EC2
}

// NewClients returns a per-region EC2 client factory.
func NewClients(cfg aws.Config, o Options) *Clients {
	return &Clients{cfg: cfg, opts: o, byRe: map[string]EC2{}}
}

// DefaultRegion is the region used when an object names none.
func (c *Clients) DefaultRegion() string { return c.cfg.Region }

// ForRegion returns the EC2 client of a region.
func (c *Clients) ForRegion(region string) EC2 {
	if region == "" {
		region = c.cfg.Region
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byRe[region]; ok {
		return cl
	}
	cl := ec2.NewFromConfig(c.cfg, func(eo *ec2.Options) {
		eo.Region = region
		if c.opts.EndpointURL != "" {
			eo.BaseEndpoint = aws.String(c.opts.EndpointURL)
		}
		for _, f := range c.opts.APIOptions {
			f(eo)
		}
		if c.opts.RegionAPIOptions != nil {
			for _, f := range c.opts.RegionAPIOptions(region) {
				f(eo)
			}
		}
	})
	c.byRe[region] = cl
	return cl
}
