package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/vpce-dev/vpce-controller/test/bench"
)

// fleetFlags are the flags of the runs over several accounts, regions and
// managers (bench.RunFleet).
type fleetFlags struct {
	cfg bench.FleetConfig
}

func (f *fleetFlags) register() {
	flag.IntVar(&f.cfg.Accounts, "accounts", 0, "spread the objects over this many AWS accounts (AWSAccounts with spoke roles in ec2sim); 0: the single-account run")
	flag.IntVar(&f.cfg.Regions, "regions", 1, "and over this many regions of each account (with -accounts)")
	flag.IntVar(&f.cfg.VPCsPerPair, "vpcs-per-pair", 2, "VPCs in each account and region (with -accounts)")
	flag.IntVar(&f.cfg.Shards, "shards", 1, "managers, each its own process, splitting the namespaces by label (--shard-namespace-selector); with -accounts, or 4 accounts x 2 regions without")
	flag.BoolVar(&f.cfg.UnscaledKubeQPS, "unscaled-kube-qps", false, "keep the manager's Kubernetes client rate limit at its default (50/s of wall time) instead of scaling it with -time-scale like AWS's buckets")
	flag.BoolVar(&f.cfg.ThrottleAccount, "throttle-account", false, "answer half the EC2 calls of the last account (both its regions) with RequestLimitExceeded")
}

// enabled reports whether a fleet run was asked for.
func (f *fleetFlags) enabled() bool { return f.cfg.Accounts > 0 || f.cfg.Shards > 1 }

// result is what main prints and writes.
type result interface{ Print(io.Writer) }

// run runs the fleet benchmark with the flags the single-account run shares.
func (f *fleetFlags) run(ctx context.Context, shared bench.Config) (result, string, error) {
	cfg := f.cfg
	if cfg.Accounts == 0 {
		cfg.Accounts, cfg.Regions = 4, 2
	}
	cfg.CallLog, cfg.ManagerArgs = shared.CallLog, shared.ManagerArgs
	cfg.Root, cfg.Dir, cfg.N, cfg.TimeScale, cfg.StateDelay, cfg.Logf = shared.Root, shared.Dir, shared.N, shared.TimeScale, shared.StateDelay, shared.Logf
	if cfg.StateDelay == 0 {
		cfg.StateDelay = time.Minute
	}
	res, err := bench.RunFleet(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return res, "bench/results-" + cfg.Mode() + ".json", nil
}
