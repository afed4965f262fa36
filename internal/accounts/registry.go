// Package accounts turns an AWSAccount into what the engine needs to act in it:
// credentials (the controller's own, or a role it assumes with an external ID and
// session tags, cached and refreshed before they expire), and per region an EC2
// client with its own client-side throttle buckets and snapshot cache. Nothing is
// shared between accounts but the HTTP client and the metrics, so one busy account
// never slows another.
package accounts

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// Options configure a Registry.
type Options struct {
	// Cluster is the manager's --cluster-name, part of every role session's name.
	Cluster string
	// EC2 are the options of every EC2 client (endpoint override, metrics).
	// RegionAPIOptions is set by the registry.
	EC2 awsclient.Options
	// Throttle overrides AWS's default client-side buckets (--aws-api-throttle);
	// every account and region gets buckets of these sizes of its own.
	Throttle map[string]awsclient.Bucket
	// OnThrottleWait, when set, is told how long a call waited for a token.
	OnThrottleWait func(action string, waited time.Duration)
	// Cache configures the snapshot cache of each account and region.
	Cache ec2cache.Options
	// STSEndpointURL overrides the STS endpoint (the manager's --aws-endpoint-url:
	// emulators serve STS on the EC2 address). AWS_ENDPOINT_URL_STS works too.
	STSEndpointURL string
	// SessionDuration of assumed roles; zero means one hour.
	SessionDuration time.Duration
	// STSOptions are extra STS client options (tests).
	STSOptions []func(*sts.Options)
}

// Credentials say how to reach an account: the zero value is the controller's own
// identity.
type Credentials struct {
	RoleARN     string
	ExternalID  string
	SessionTags map[string]string
}

// key identifies the credentials: accounts reached the same way share clients.
func (c Credentials) key() string {
	if c.RoleARN == "" {
		return ""
	}
	keys := make([]string, 0, len(c.SessionTags))
	for k := range c.SessionTags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(c.RoleARN + "|" + c.ExternalID)
	for _, k := range keys {
		b.WriteString("|" + k + "=" + c.SessionTags[k])
	}
	return b.String()
}

// throttleAccount is the AWS account whose API budget calls with these
// credentials draw on: the role's account, or "self" for the controller's own.
func (c Credentials) throttleAccount() string {
	if id := AccountOfARN(c.RoleARN); id != "" {
		return id
	}
	return "self"
}

// Registry hands out the Account of each set of credentials, built once and kept.
type Registry struct {
	base aws.Config
	o    Options

	mu        sync.Mutex
	accounts  map[string]*Account
	throttles map[string]*awsclient.Throttle

	self identityCache
}

// NewRegistry returns a registry acting from the controller's own configuration.
func NewRegistry(base aws.Config, o Options) *Registry {
	return &Registry{base: base, o: o, accounts: map[string]*Account{}, throttles: map[string]*awsclient.Throttle{}}
}

// DefaultRegion is the manager's --region.
func (r *Registry) DefaultRegion() string { return r.base.Region }

// Default is the account of the controller's own identity.
func (r *Registry) Default() *Account { return r.For(Credentials{}) }

// For returns the account reached with c.
func (r *Registry) For(c Credentials) *Account {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.accounts[c.key()]; ok {
		return a
	}
	a := r.build(c)
	r.accounts[c.key()] = a
	return a
}

// Caches returns the snapshot cache of every account and region in use, for the
// refresher that keeps them current (ec2cache.Client.Tick).
func (r *Registry) Caches() []*ec2cache.Client {
	r.mu.Lock()
	accounts := make([]*Account, 0, len(r.accounts))
	for _, a := range r.accounts {
		accounts = append(accounts, a)
	}
	r.mu.Unlock()
	var out []*ec2cache.Client
	for _, a := range accounts {
		out = append(out, a.source.Clients()...)
	}
	return out
}

// Forget drops the account of c (its clients and snapshots) once no AWSAccount
// reaches it that way any more; the next For builds it afresh.
func (r *Registry) Forget(c Credentials) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.key() != "" {
		delete(r.accounts, c.key())
	}
}

func (r *Registry) build(c Credentials) *Account {
	cfg := r.base.Copy()
	if c.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(r.stsClient(r.base), c.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName(r.o.Cluster)
			o.Duration = r.sessionDuration()
			if c.ExternalID != "" {
				o.ExternalID = aws.String(c.ExternalID)
			}
			for _, k := range sortedKeys(c.SessionTags) {
				o.Tags = append(o.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(c.SessionTags[k])})
			}
		})
		// Cached, and refreshed 5 to 6 minutes before they expire, so no EC2 call
		// ever waits on AssumeRole at the moment its session runs out.
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = 5 * time.Minute
			o.ExpiryWindowJitterFrac = 0.2
		})
	}
	eo := r.o.EC2
	account := c.throttleAccount()
	eo.RegionAPIOptions = func(region string) []func(*ec2.Options) {
		t := r.throttle(account, region)
		return []func(*ec2.Options){func(o *ec2.Options) { o.APIOptions = append(o.APIOptions, t.Middleware()) }}
	}
	clients := awsclient.NewClients(cfg, eo)
	cache := r.o.Cache
	cache.Account = account
	return &Account{
		creds:    c,
		cfg:      cfg,
		base:     r.base,
		registry: r,
		source:   ec2cache.NewSource(clients, cache),
		sts:      r.stsClient(cfg),
	}
}

// throttle returns the client-side buckets of an AWS account and region.
func (r *Registry) throttle(account, region string) *awsclient.Throttle {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := account + "/" + region
	t, ok := r.throttles[key]
	if !ok {
		t = awsclient.NewThrottle(r.o.Throttle)
		t.OnWait = r.o.OnThrottleWait
		r.throttles[key] = t
	}
	return t
}

// Throttle returns the client-side buckets that calls to region with c draw on
// (tests, metrics).
func (r *Registry) Throttle(c Credentials, region string) *awsclient.Throttle {
	if region == "" {
		region = r.base.Region
	}
	return r.throttle(c.throttleAccount(), region)
}

func (r *Registry) sessionDuration() time.Duration {
	if r.o.SessionDuration > 0 {
		return r.o.SessionDuration
	}
	return time.Hour
}

func (r *Registry) stsClient(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, append([]func(*sts.Options){func(o *sts.Options) {
		if r.o.STSEndpointURL != "" {
			o.BaseEndpoint = aws.String(r.o.STSEndpointURL)
		}
	}}, r.o.STSOptions...)...)
}

// Account is one AWS account as the controller reaches it: its credentials, and
// per region an EC2 client with its own throttle buckets and snapshot cache.
type Account struct {
	// verified is set while the last check of these credentials succeeded.
	verified atomic.Bool
	creds    Credentials
	cfg      aws.Config
	base     aws.Config
	registry *Registry
	source   *ec2cache.Source
	sts      *sts.Client
}

// ForRegion returns the caching EC2 client of a region ("" is the default region).
func (a *Account) ForRegion(region string) awsclient.EC2 { return a.source.ForRegion(region) }

// DefaultRegion is the manager's --region.
func (a *Account) DefaultRegion() string { return a.source.DefaultRegion() }

// Verified reports whether the last check of the account's credentials (Identify)
// succeeded in this process.
func (a *Account) Verified() bool { return a.verified.Load() }

// Credentials returns how the account is reached.
func (a *Account) Credentials() Credentials { return a.creds }

// SessionName is the role session name of a cluster's installs: it shows in the
// target account's CloudTrail as the assumed-role session, and it is within STS's
// limits (64 characters of [\w+=,.@-]).
func SessionName(cluster string) string {
	name := "vpce-controller-" + invalidSessionChars.ReplaceAllString(cluster, "-")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

var invalidSessionChars = regexp.MustCompile(`[^\w+=,.@-]`)

var arnAccount = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:[a-z0-9-]+::([0-9]{12}):`)

// AccountOfARN returns the account ID in an IAM ARN, "" when there is none.
func AccountOfARN(arn string) string {
	m := arnAccount.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return m[2]
}

// PartitionOfARN returns the partition of an ARN ("aws", "aws-cn", "aws-us-gov").
func PartitionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

// Partition returns the partition a region belongs to.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// EndpointARN is the ARN of a VPC endpoint (vpce-...) or an EC2 Instance
// Connect Endpoint (eice-...).
func EndpointARN(region, accountID, endpointID string) string {
	if region == "" || accountID == "" || endpointID == "" {
		return ""
	}
	resource := "vpc-endpoint"
	if strings.HasPrefix(endpointID, "eice-") {
		resource = "instance-connect-endpoint"
	}
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", Partition(region), region, accountID, resource, endpointID)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// identityCache remembers the controller's own identity for a while.
type identityCache struct {
	mu  sync.Mutex
	id  Identity
	at  time.Time
	err error
}
