// Command ec2sim serves the in-memory EC2 emulator over HTTP.
//
//	go run ./test/cmd/ec2sim --addr 127.0.0.1:PORT --region us-east-1 [--fixture] [--time-scale 10] [--state-delay 2s] [--throttle]
//	    [--consistency-window 3s [--consistency-jitter]] [--eni-linger 2s] [--iam-policy config/iam/policy.json]
//	    [--accounts 111111111111,222222222222] [--roles roles.json]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// config is what the command line asks for.
type config struct {
	addr      string
	fixture   bool
	iamPolicy string
	roles     string
	callLog   string
	opts      ec2sim.Options
}

// parseFlags reads the command line (without the program name).
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("ec2sim", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:4566", "listen address (port 0 picks a free port)")
	fs.StringVar(&c.opts.Region, "region", "us-east-1", "AWS region to emulate")
	fs.BoolVar(&c.fixture, "fixture", false, "load the demo world and print its IDs as JSON")
	fs.Float64Var(&c.opts.TimeScale, "time-scale", 1, "divide state delays and multiply throttle refill rates by this factor")
	fs.DurationVar(&c.opts.StateDelay, "state-delay", 2*time.Second, "time endpoints stay pending or deleting")
	fs.DurationVar(&c.opts.ENILinger, "eni-linger", 2*time.Second, "time the network interfaces of a deleted interface endpoint remain after it is deleted (divided by --time-scale)")
	fs.BoolVar(&c.opts.Throttle, "throttle", false, "enable AWS's API token buckets")
	fs.Int64Var(&c.opts.Seed, "seed", 0, "seed of IDs, fault rates and consistency jitter (0: from the clock)")
	fs.StringVar(&c.iamPolicy, "iam-policy", "", "IAM policy JSON file evaluated for every call (UnauthorizedOperation when it does not allow it)")
	fs.DurationVar(&c.opts.ConsistencyWindow, "consistency-window", 0, "eventual consistency: how long a created, changed or deleted resource stays unseen by reads (and writes by ID, for a new one); 0 is off")
	fs.BoolVar(&c.opts.ConsistencyJitter, "consistency-jitter", false, "each resource lags a random (seeded) share of --consistency-window instead of all of it")
	fs.Func("accounts", "comma-separated 12-digit account IDs, the first the default; requests act in the account of their access key (the account ID, or AssumeRole's temporary keys) and other keys answer AuthFailure (default: one account, 123456789012, any key)", func(v string) error {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				c.opts.Accounts = append(c.opts.Accounts, id)
			}
		}
		return nil
	})
	fs.StringVar(&c.roles, "roles", "", "JSON file of IAM roles to create (a list of {account, name, trustPolicy, policy, maxSessionDuration})")
	fs.StringVar(&c.callLog, "call-log", "", "append one line per EC2 call (time, account, region, action, outcome) to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, checkAccounts(c.opts.Accounts)
}

// checkAccounts refuses an --accounts list ec2sim.New would panic on.
func checkAccounts(ids []string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
			return fmt.Errorf("--accounts: %q is not a 12-digit account ID", id)
		}
		if seen[id] {
			return fmt.Errorf("--accounts: %s is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// readRoles reads a --roles file: a JSON list of roles, or one role.
func readRoles(path string) ([]ec2sim.Role, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var roles []ec2sim.Role
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var one ec2sim.Role
		err = json.Unmarshal(data, &one)
		roles = []ec2sim.Role{one}
	} else {
		err = json.Unmarshal(data, &roles)
	}
	return roles, err
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if c.callLog != "" {
		f, err := os.OpenFile(c.callLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatalf("--call-log: %v", err)
		}
		defer f.Close()
		c.opts.CallLog = f
	}
	sim := ec2sim.New(c.opts)
	if c.roles != "" {
		roles, err := readRoles(c.roles)
		for _, r := range roles {
			if err == nil {
				err = sim.PutRole(r)
			}
		}
		if err != nil {
			log.Fatalf("--roles: %v", err)
		}
	}
	if c.iamPolicy != "" {
		doc, err := os.ReadFile(c.iamPolicy)
		if err == nil {
			err = sim.SetIAMPolicy(doc)
		}
		if err != nil {
			log.Fatalf("--iam-policy: %v", err)
		}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ec2sim listening on http://%s\n", ln.Addr())
	if c.fixture {
		// One line per account, the default account's first.
		for _, id := range sim.Accounts() {
			out, _ := json.Marshal(sim.Account(id).LoadFixture())
			fmt.Println(string(out))
		}
	}
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, sim))
}
