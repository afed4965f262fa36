// Command ec2sim serves the in-memory EC2 emulator over HTTP.
//
//	go run ./test/cmd/ec2sim --addr 127.0.0.1:PORT --region us-east-1 [--fixture] [--time-scale 10] [--state-delay 2s] [--throttle]
//	    [--consistency-window 3s [--consistency-jitter]] [--iam-policy config/iam/policy.json]
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

func main() {
	addr := flag.String("addr", "127.0.0.1:4566", "listen address (port 0 picks a free port)")
	region := flag.String("region", "us-east-1", "AWS region to emulate")
	fixture := flag.Bool("fixture", false, "load the demo world and print its IDs as JSON")
	timeScale := flag.Float64("time-scale", 1, "divide state delays and multiply throttle refill rates by this factor")
	stateDelay := flag.Duration("state-delay", 2*time.Second, "time endpoints stay pending or deleting")
	eniLinger := flag.Duration("eni-linger", 2*time.Second, "time the network interfaces of a deleted interface endpoint remain after it is deleted (divided by --time-scale)")
	throttle := flag.Bool("throttle", false, "enable AWS's API token buckets")
	seed := flag.Int64("seed", 0, "seed of IDs and fault rates (0: from the clock)")
	iamPolicy := flag.String("iam-policy", "", "IAM policy JSON file evaluated for every call (UnauthorizedOperation when it does not allow it)")
	window := flag.Duration("consistency-window", 0, "eventual consistency: how long a created, changed or deleted resource stays unseen by reads (and writes by ID, for a new one); 0 is off")
	jitter := flag.Bool("consistency-jitter", false, "each resource lags a random (seeded) share of --consistency-window instead of all of it")
	flag.Parse()

	sim := ec2sim.New(ec2sim.Options{
		Region:            *region,
		StateDelay:        *stateDelay,
		ENILinger:         *eniLinger,
		TimeScale:         *timeScale,
		Throttle:          *throttle,
		Seed:              *seed,
		ConsistencyWindow: *window,
		ConsistencyJitter: *jitter,
	})
	if *iamPolicy != "" {
		doc, err := os.ReadFile(*iamPolicy)
		if err == nil {
			err = sim.SetIAMPolicy(doc)
		}
		if err != nil {
			log.Fatalf("--iam-policy: %v", err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ec2sim listening on http://%s\n", ln.Addr())
	if *fixture {
		out, _ := json.Marshal(sim.LoadFixture())
		fmt.Println(string(out))
	}
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, sim))
}
