// Command bench runs the scale benchmark (make bench): the manager as its own
// process against the local control plane and ec2sim with AWS's throttling on and
// time scaled, N GatewayEndpoints and N InterfaceEndpoints over 20 VPCs. It prints
// a table and writes bench/results.json. With -accounts (and -regions,
// -throttle-account) the objects spread over several AWS accounts and regions,
// and with -shards over several managers (fleet.go); those runs write
// bench/results-<mode>.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vpce-dev/vpce-controller/test/bench"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

func main() {
	cfg := bench.Config{}
	flag.IntVar(&cfg.N, "n", 100, "GatewayEndpoints, and as many InterfaceEndpoints")
	flag.IntVar(&cfg.VPCs, "vpcs", 20, "VPCs to spread the objects over")
	flag.Float64Var(&cfg.TimeScale, "time-scale", 10, "run ec2sim and the manager this many times faster than AWS")
	flag.DurationVar(&cfg.SyncPeriod, "sync-period", 5*time.Minute, "the manager's --sync-period, in AWS time")
	flag.DurationVar(&cfg.Idle, "idle", 10*time.Minute, "how long to watch at rest, in AWS time")
	flag.DurationVar(&cfg.StateDelay, "state-delay", time.Minute, "how long AWS provisions an interface endpoint, in AWS time")
	flag.DurationVar(&cfg.DriftInterval, "drift-interval", 30*time.Second, "the manager's --drift-interval, in AWS time")
	flag.BoolVar(&cfg.Restart, "restart", true, "restart the manager after the idle phase and measure re-verification")
	flag.IntVar(&cfg.Probes, "probes", 5, "single-object drifts injected to measure drift detection latency")
	flag.BoolVar(&cfg.ConvergeOnly, "converge-only", false, "stop after the restart: no drift probes, no drift in 10% of the objects, no deletion (for the 5,000+5,000 memory run)")
	flag.StringVar(&cfg.ProfilingAddr, "pprof-addr", "", "serve the manager's pprof handlers on this address (--profiling-bind-address), e.g. 127.0.0.1:6060")
	memLimit := flag.Int("memory-limit-mib", 0, "run the manager in a memory cgroup of this many MiB, as a pod's limit (it sets GOMEMLIMIT to 90% of it itself; where no cgroup can be made, only GOMEMLIMIT is set); 0: none")
	out := flag.String("out", "bench/results.json", "where to write the figures as JSON (fleet runs: bench/results-<mode>.json)")
	keepLogs := flag.Bool("keep-logs", false, "keep the run's logs (manager, control plane, and every EC2 call in ec2sim-calls.log) and say where")
	managerArgs := flag.String("manager-args", "", "extra flags for the manager(s), space-separated, after the benchmark's own (a later flag wins)")
	var fleet fleetFlags
	fleet.register()
	flag.Parse()
	cfg.MemoryLimit = int64(*memLimit) << 20
	log.SetFlags(log.Ltime)
	cfg.Logf = log.Printf

	root, err := testenv.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	cfg.Root = root
	if cfg.Dir, err = os.MkdirTemp("", "vpce-bench-"); err != nil {
		log.Fatal(err)
	}
	cfg.CallLog = *keepLogs
	cfg.ManagerArgs = strings.Fields(*managerArgs)
	if *keepLogs {
		log.Printf("keeping logs in %s", cfg.Dir)
	} else {
		defer os.RemoveAll(cfg.Dir)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var res result
	if fleet.enabled() {
		var path string
		res, path, err = fleet.run(ctx, cfg)
		if !flagSet("out") {
			*out = path
		}
	} else {
		res, err = bench.Run(ctx, cfg)
	}
	if err != nil {
		log.Printf("benchmark failed: %v (logs in %s)", err, cfg.Dir)
		cancel()
		os.Exit(1)
	}
	res.Print(os.Stdout)
	path := *out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nwrote %s\n", path)
}

// flagSet reports whether a flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
