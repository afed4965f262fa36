package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/test/e2e"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// tracked is one object of the run and what the run did to it.
type tracked struct {
	obj     client.Object // the object as last written, UID set once created
	net     network
	created bool
	deleted bool // a delete was requested
	edits   int
	// drifted is set once drift was attempted on the object's endpoint (whether
	// or not AWS answered: a lost response may have applied it).
	drifted bool
}

// run is the state of one chaos run.
type run struct {
	cfg   Config
	rep   *Report
	start time.Time

	cp   *e2e.ControlPlane
	sim  *e2e.EC2Sim
	mgr  *e2e.Manager
	api  *ec2.Client
	nets []network
	objs []*tracked

	opsRng, killRng, driftRng *rand.Rand
}

// Run performs one chaos run as cfg describes, printing its progress, the
// invariants and a summary to cfg.Out ("chaos seed: N" first). The error is
// for a run that could not be carried out; invariant violations are in the
// Report (see Report.Failed). Logs stay in cfg.Dir.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Out, "chaos seed: %d\n", cfg.Seed)
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	r := &run{
		cfg:      cfg,
		rep:      &Report{Seed: cfg.Seed, Objects: cfg.Objects, Dir: cfg.Dir},
		start:    time.Now(),
		opsRng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 1)),
		killRng:  rand.New(rand.NewPCG(uint64(cfg.Seed), 2)),
		driftRng: rand.New(rand.NewPCG(uint64(cfg.Seed), 3)),
	}
	defer r.stop()
	err = r.run(ctx)
	r.rep.Duration = time.Since(r.start)
	if err == nil {
		r.rep.print(cfg.Out)
	} else {
		err = fmt.Errorf("%w (seed %d; logs in %s)", err, cfg.Seed, cfg.Dir)
	}
	return r.rep, err
}

// run carries out the phases in order.
func (r *run) run(ctx context.Context) error {
	if err := r.setup(ctx); err != nil {
		return err
	}
	kills := planKills(r.killRng, r.cfg.Kills, r.cfg.MinUptime, r.cfg.MaxUptime, r.cfg.MaxPause)
	w := max(window(kills), 10*time.Second)
	ops := planDrift(r.driftRng, planOps(r.opsRng, r.cfg.Objects, w), w, r.cfg.DriftShare)
	lag := "jittered"
	if r.cfg.WorstCase {
		lag = "worst-case"
	}
	r.logf("chaos: %d objects in %d VPCs, %d operations and %d kills over ~%s; faults: %.0f%% InternalError, %.0f%% lost responses of every write, throttling x%g, %s %s consistency window, %s latency",
		r.cfg.Objects, len(r.nets), len(ops), len(kills), w.Round(time.Second), 100*r.cfg.FaultRate, 100*r.cfg.LostResponseRate, r.cfg.TimeScale, r.cfg.Consistency, lag, r.cfg.Latency)
	if err := r.injectFaults(); err != nil {
		return err
	}
	chaosStart := time.Now()
	if err := r.chaos(ctx, ops, kills); err != nil {
		return err
	}
	r.rep.ChaosPhase = time.Since(chaosStart)
	if err := r.clearFaults(); err != nil {
		return err
	}
	r.logf("faults cleared; waiting up to %s for convergence", r.cfg.Converge)
	convergeStart := time.Now()
	stuck, err := r.converge(ctx)
	if err != nil {
		return err
	}
	r.rep.Converged = time.Since(convergeStart)
	r.rep.add("every live object Ready and every deleted object gone after faults clear", stuck)
	r.rep.Stuck += len(stuck)
	if err := r.checkLive(ctx); err != nil {
		return err
	}
	if err := r.deleteAll(ctx); err != nil {
		return err
	}
	stuck, err = r.converge(ctx)
	if err != nil {
		return err
	}
	r.rep.add(fmt.Sprintf("every deletion finishes within %s", r.cfg.Converge), stuck)
	r.rep.Stuck += len(stuck)
	if err := r.checkLeaks(ctx); err != nil {
		return err
	}
	if err := r.checkDriftEvents(ctx); err != nil {
		return err
	}
	r.checkManagerLog()
	return r.countFaults()
}

// setup starts the control plane, ec2sim and the manager, and builds the VPCs.
func (r *run) setup(ctx context.Context) error {
	if err := e2e.Build(ctx, ""); err != nil {
		return err
	}
	var err error
	if r.cp, err = e2e.StartControlPlane(ctx, r.cfg.Dir); err != nil {
		return err
	}
	r.sim, err = e2e.StartEC2Sim(ctx, e2e.EC2SimOptions{Dir: r.cfg.Dir, TimeScale: r.cfg.TimeScale, Seed: r.cfg.Seed})
	if err != nil {
		return err
	}
	r.api = r.sim.EC2Client()
	vpcs := (r.cfg.Objects + slotsPerVPC - 1) / slotsPerVPC
	if r.nets, err = buildNetworks(ctx, r.api, r.sim.Region, vpcs); err != nil {
		return err
	}
	for i := 0; i < r.cfg.Objects; i++ {
		kind, _, v := slot(i)
		r.objs = append(r.objs, &tracked{net: r.nets[v]})
		switch kind {
		case gatewaySlot:
			r.rep.Gateways++
		case interfaceSlot:
			r.rep.Interfaces++
		default:
			r.rep.InstanceConnects++
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if err := r.cp.Client.Create(ctx, ns); err != nil {
		return fmt.Errorf("chaos: namespace: %w", err)
	}
	r.mgr, err = e2e.StartManager(ctx, e2e.ManagerOptions{
		Kubeconfig: r.cp.Kubeconfig, EC2URL: r.sim.URL, Region: r.sim.Region,
		ClusterName: clusterName,
		PendingPoll: time.Duration(float64(2*time.Second) / r.cfg.TimeScale),
		Args:        []string{"--aws-api-throttle", throttleFlag(r.cfg.TimeScale), "--consistency-bound", r.cfg.ConsistencyBound.String()},
		LogFile:     filepath.Join(r.cfg.Dir, "manager.log"),
	})
	return err
}

// injectFaults zeroes ec2sim's counters and turns every fault on.
func (r *run) injectFaults() error {
	errs := []error{
		r.sim.ResetCounters(),
		r.sim.InjectFault(ec2sim.Fault{Action: "*", Code: "InternalError", Rate: r.cfg.FaultRate}),
		r.sim.InjectFault(ec2sim.Fault{Action: "*", Latency: r.cfg.Latency}),
		r.sim.Consistency(r.cfg.Consistency, !r.cfg.WorstCase),
		r.sim.Throttle(true, r.cfg.TimeScale),
	}
	for _, a := range mutatingActions {
		errs = append(errs, r.sim.InjectFault(ec2sim.Fault{Action: a, LostResponse: true, Rate: r.cfg.LostResponseRate}))
	}
	return errors.Join(errs...)
}

// clearFaults turns every fault off, throttling included.
func (r *run) clearFaults() error {
	return errors.Join(r.sim.ClearFaults(), r.sim.Consistency(0, false), r.sim.Throttle(false, 0))
}

// chaos runs the operations and the kills side by side and returns when both
// are done; the manager is running afterwards.
func (r *run) chaos(ctx context.Context, ops []op, kills []kill) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	errs := make(chan error, 2)
	go func() { errs <- r.operate(ctx, ops, start) }()
	go func() { errs <- r.crash(ctx, kills) }()
	var err error
	for range 2 {
		if e := <-errs; e != nil && err == nil {
			err = e
			cancel()
		}
	}
	return err
}

// crash kills the manager with SIGKILL after each planned uptime and restarts
// it after the planned pause.
func (r *run) crash(ctx context.Context, kills []kill) error {
	for i, k := range kills {
		if err := sleep(ctx, k.Uptime); err != nil {
			return err
		}
		pid := r.mgr.PID()
		if !r.mgr.Running() {
			r.rep.Unexpected = append(r.rep.Unexpected, fmt.Sprintf("the manager exited on its own before kill %d; see manager.log", i+1))
		}
		if err := r.mgr.Kill(); err != nil {
			return err
		}
		if err := sleep(ctx, k.Pause); err != nil {
			return err
		}
		if err := r.mgr.Restart(ctx); err != nil {
			return err
		}
		r.rep.Kills++
		r.logf("kill %d/%d: SIGKILL to pid %d after %s, restarted after %s as pid %d",
			i+1, len(kills), pid, k.Uptime.Round(time.Millisecond), k.Pause.Round(time.Millisecond), r.mgr.PID())
	}
	return nil
}

// stop ends the processes, the manager first.
func (r *run) stop() {
	if r.mgr != nil {
		_ = r.mgr.Stop()
	}
	if r.sim != nil {
		_ = r.sim.Stop()
	}
	if r.cp != nil {
		_ = r.cp.Stop()
	}
}

// logf prints a progress line stamped with the time since the start.
func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Out, "[%7.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
