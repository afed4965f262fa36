package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// EC2SimOptions configure an ec2sim process; zero values take ec2sim's defaults.
type EC2SimOptions struct {
	// Dir receives the log, ec2sim.log.
	Dir string
	// Region emulated (default us-east-1).
	Region string
	// Fixture loads the demo world: a VPC with private subnets in 3 AZs.
	Fixture bool
	// StateDelay is how long endpoints stay pending or deleting (default 2s).
	StateDelay time.Duration
	// TimeScale divides state delays and multiplies throttle refill rates (default 1).
	TimeScale float64
	// Throttle turns on AWS's API token buckets.
	Throttle bool
	// Seed of IDs and fault rates (0: from the clock).
	Seed int64
	// Accounts are the emulated accounts (--accounts), the first the default;
	// requests act in the account of their access key (the account ID, or
	// AssumeRole's temporary keys). Empty: one account, any key.
	Accounts []string
	// Roles are IAM roles to create at start (--roles, written to Dir).
	Roles []ec2sim.Role
	// CallLog writes one line per EC2 call to ec2sim-calls.log in Dir (--call-log).
	CallLog bool
}

// EC2Sim is a running ec2sim process.
type EC2Sim struct {
	// URL is the EC2 endpoint, for --aws-endpoint-url and awscli's --endpoint-url.
	URL string
	// Region is the emulated region.
	Region string

	proc *process
	http *http.Client
	// scope is the admin query (?account=…&region=…) of a view from In.
	scope string
}

// StartEC2Sim runs bin/ec2sim on a free loopback port and returns once it serves.
// ctx bounds only the start; call Stop to end it.
func StartEC2Sim(ctx context.Context, opts EC2SimOptions) (*EC2Sim, error) {
	path, err := binPath("ec2sim")
	if err != nil {
		return nil, err
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	args := []string{"--addr", "127.0.0.1:0", "--region", opts.Region}
	if opts.Fixture {
		args = append(args, "--fixture")
	}
	if opts.CallLog {
		args = append(args, "--call-log", filepath.Join(opts.Dir, "ec2sim-calls.log"))
	}
	if opts.StateDelay > 0 {
		args = append(args, "--state-delay", opts.StateDelay.String())
	}
	if opts.TimeScale > 0 {
		args = append(args, "--time-scale", strconv.FormatFloat(opts.TimeScale, 'g', -1, 64))
	}
	if opts.Throttle {
		args = append(args, "--throttle")
	}
	if opts.Seed != 0 {
		args = append(args, "--seed", strconv.FormatInt(opts.Seed, 10))
	}
	if len(opts.Accounts) > 0 {
		args = append(args, "--accounts", strings.Join(opts.Accounts, ","))
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	if len(opts.Roles) > 0 {
		data, err := json.Marshal(opts.Roles)
		if err != nil {
			return nil, err
		}
		roles := filepath.Join(opts.Dir, "ec2sim-roles.json")
		if err := os.WriteFile(roles, data, 0o644); err != nil {
			return nil, err
		}
		args = append(args, "--roles", roles)
	}
	s := &EC2Sim{Region: opts.Region, http: &http.Client{Timeout: 30 * time.Second}, proc: &process{
		name: "ec2sim", path: path, args: args,
		logPath:     filepath.Join(opts.Dir, "ec2sim.log"),
		deathSignal: syscall.SIGKILL,
	}}
	if err := s.proc.start(); err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	const marker = "ec2sim listening on "
	line, err := s.proc.waitLog(waitCtx, marker)
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	s.URL = strings.TrimSpace(line[strings.Index(line, marker)+len(marker):])
	return s, nil
}

// Stop kills ec2sim; its state is lost.
func (s *EC2Sim) Stop() error {
	return s.proc.stop(syscall.SIGKILL, 5*time.Second)
}

// EC2Client returns an aws-sdk-go-v2 EC2 client of the emulator, unsigned:
// it acts in the default account and region.
func (s *EC2Sim) EC2Client() *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  aws.AnonymousCredentials{},
	})
}

// EC2ClientAs returns an EC2 client that acts in an account (its ID as access
// key) and region ("" for the emulator's region).
func (s *EC2Sim) EC2ClientAs(account, region string) *ec2.Client {
	if region == "" {
		region = s.Region
	}
	return ec2.New(ec2.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(account, "ec2sim", ""),
	})
}

// In returns a view of the emulator whose admin calls (Fixture, Counters,
// Throttle, InjectFault, Consistency, …) act on one account and region, as
// ec2sim's Server.Account and Server.Region do; "" keeps the default.
func (s *EC2Sim) In(account, region string) *EC2Sim {
	v := *s
	q := url.Values{}
	if account != "" {
		q.Set("account", account)
	}
	if region != "" {
		q.Set("region", region)
	}
	v.scope = q.Encode()
	return &v
}

// PutRole creates or replaces an IAM role (POST /_sim/roles).
func (s *EC2Sim) PutRole(r ec2sim.Role) error {
	return s.admin(http.MethodPost, "roles", r, nil)
}

// STSCounters returns the STS calls (AssumeRole, GetCallerIdentity) served
// since the last reset: action → outcome → calls.
func (s *EC2Sim) STSCounters() (map[string]map[string]int, error) {
	var c map[string]map[string]int
	return c, s.admin(http.MethodGet, "counters?service=sts", nil, &c)
}

// DrainBuckets turns throttling on and empties the token buckets (of the
// view's account and region, or of every account): calls answer
// RequestLimitExceeded until the buckets refill at AWS's rates.
func (s *EC2Sim) DrainBuckets() error {
	return s.admin(http.MethodPost, "throttle", map[string]any{"enabled": true, "drain": true}, nil)
}

// Fixture loads the demo world if needed and returns its IDs.
func (s *EC2Sim) Fixture() (ec2sim.Fixture, error) {
	var f ec2sim.Fixture
	return f, s.admin(http.MethodGet, "fixture", nil, &f)
}

// Counters returns the EC2 calls served since the last reset: action → outcome
// ("ok", "throttled" or an error code) → calls.
func (s *EC2Sim) Counters() (map[string]map[string]int, error) {
	var c map[string]map[string]int
	return c, s.admin(http.MethodGet, "counters", nil, &c)
}

// ResetCounters zeroes the call counters.
func (s *EC2Sim) ResetCounters() error {
	return s.admin(http.MethodDelete, "counters", nil, nil)
}

// Throttle turns AWS's API token buckets on or off (refilled full); a
// positive timeScale also sets the time scale.
func (s *EC2Sim) Throttle(on bool, timeScale float64) error {
	body := map[string]any{"enabled": on}
	if timeScale > 0 {
		body["timeScale"] = timeScale
	}
	return s.admin(http.MethodPost, "throttle", body, nil)
}

// InjectFault adds a fault: an error code (or a lost response: the call made,
// then answered with the code) for a rate of calls or the next Count calls,
// and/or latency. Faults accumulate until ClearFaults.
func (s *EC2Sim) InjectFault(f ec2sim.Fault) error {
	body := map[string]any{"action": f.Action, "code": f.Code, "rate": f.Rate, "count": f.Count, "lostResponse": f.LostResponse}
	if f.Action == "" {
		body["action"] = "*"
	}
	if f.Latency > 0 {
		body["latency"] = f.Latency.String()
	}
	return s.admin(http.MethodPost, "faults", body, nil)
}

// ClearFaults removes every injected fault.
func (s *EC2Sim) ClearFaults() error {
	return s.admin(http.MethodDelete, "faults", nil, nil)
}

// Consistency sets the eventual-consistency window (see ec2sim's README): for up
// to d after a change, reads do not show it (a new resource is absent, a changed
// one shows its previous state). With jitter each resource lags a random share of
// d; without, every change is seen exactly d late, the worst case. 0 turns it off.
func (s *EC2Sim) Consistency(d time.Duration, jitter bool) error {
	return s.admin(http.MethodPost, "consistency", map[string]any{"window": d.String(), "jitter": jitter}, nil)
}

// SetStateDelay sets how long endpoints stay pending or deleting.
func (s *EC2Sim) SetStateDelay(d time.Duration) error {
	return s.admin(http.MethodPost, "state-delay", map[string]string{"delay": d.String()}, nil)
}

// admin calls the JSON admin API under /_sim/.
func (s *EC2Sim) admin(method, route string, body, out any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(data)
	}
	target := s.URL + "/_sim/" + route
	if s.scope != "" {
		sep := "?"
		if strings.Contains(route, "?") {
			sep = "&"
		}
		target += sep + s.scope
	}
	req, err := http.NewRequest(method, target, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("e2e: ec2sim %s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("e2e: ec2sim %s %s: %s: %s", method, route, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
