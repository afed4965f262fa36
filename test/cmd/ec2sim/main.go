// Command ec2sim serves the in-memory EC2 emulator over HTTP.
//
//	go run ./test/cmd/ec2sim --addr 127.0.0.1:PORT --region us-east-1 [--fixture] [--time-scale 10] [--state-delay 2s] [--throttle]
//	    [--consistency-window 3s [--consistency-jitter]] [--eni-linger 2s] [--iam-policy config/iam/policy.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// config is what the command line asks for.
type config struct {
	addr      string
	fixture   bool
	iamPolicy string
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
	return c, fs.Parse(args)
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	sim := ec2sim.New(c.opts)
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
		out, _ := json.Marshal(sim.LoadFixture())
		fmt.Println(string(out))
	}
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, sim))
}
