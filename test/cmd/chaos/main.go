// Command chaos runs vpce-controller's chaos suite (`make chaos`): the manager
// as its own process against a local control plane and ec2sim with faults
// injected, while endpoint objects are created, edited and deleted and the
// manager is killed with SIGKILL and restarted. It prints "chaos seed: N"
// first, then the invariants and a summary, and exits 1 when an invariant is
// violated (2 when the run itself failed). Replay a run with -seed N.
//
//	go run ./test/cmd/chaos [-objects 60] [-kills 30] [-seed N] [-time-scale 10] [-duration 20m] [-consistency 3s] [-worst-case]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vpce-dev/vpce-controller/test/chaos"
)

func main() {
	d := chaos.Defaults
	cfg := chaos.Config{}
	flag.IntVar(&cfg.Objects, "objects", d.Objects, "endpoint objects to create (mixed kinds)")
	flag.IntVar(&cfg.Kills, "kills", d.Kills, "times the manager is killed with SIGKILL and restarted")
	flag.Int64Var(&cfg.Seed, "seed", 0, "seed of every random choice (default: from the clock); printed first")
	flag.Float64Var(&cfg.TimeScale, "time-scale", d.TimeScale, "ec2sim time scale: state delays divided, throttle refill multiplied")
	flag.DurationVar(&cfg.Duration, "duration", d.Duration, "bound on the whole run")
	flag.DurationVar(&cfg.Converge, "converge", d.Converge, "bound on convergence once faults are cleared, and on the final deletions")
	flag.DurationVar(&cfg.MinUptime, "min-uptime", d.MinUptime, "shortest run of the manager between kills")
	flag.DurationVar(&cfg.MaxUptime, "max-uptime", d.MaxUptime, "longest run of the manager between kills")
	flag.DurationVar(&cfg.MaxPause, "max-pause", d.MaxPause, "longest pause between a kill and the restart")
	flag.Float64Var(&cfg.FaultRate, "fault-rate", d.FaultRate, "share of EC2 calls failing InternalError")
	flag.Float64Var(&cfg.LostResponseRate, "lost-response-rate", d.LostResponseRate, "share of each write's calls made and then answered InternalError")
	flag.DurationVar(&cfg.Consistency, "consistency", d.Consistency, "ec2sim's eventual-consistency window (real time)")
	flag.BoolVar(&cfg.WorstCase, "worst-case", false, "every change seen exactly -consistency late (jitter off)")
	flag.DurationVar(&cfg.ConsistencyBound, "consistency-bound", d.ConsistencyBound, "the manager's --consistency-bound")
	flag.Float64Var(&cfg.DriftShare, "drift-share", d.DriftShare, "share of objects whose endpoint gets a tag added behind the controller's back")
	flag.StringVar(&cfg.Dir, "dir", "", "directory for the logs of localcp, ec2sim and the manager (default: a new temporary directory, kept)")
	flag.BoolVar(&cfg.Verbose, "v", false, "print every create, edit and delete")
	flag.Parse()

	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "vpce-chaos-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			os.Exit(2)
		}
		cfg.Dir = dir
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, err := chaos.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if report.Failed() {
		os.Exit(1)
	}
}
