package bench

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/e2e"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// Config is one benchmark run.
type Config struct {
	Root    string // repository root
	Dir     string // scratch directory (logs, control-plane state)
	CallLog bool   // ec2sim logs every EC2 call to ec2sim-calls.log in Dir
	// ManagerArgs are extra flags for the manager, after the benchmark's own
	// (a later flag wins), to compare settings such as --max-concurrent-reconciles.
	ManagerArgs []string
	N           int           // GatewayEndpoints, and as many InterfaceEndpoints
	VPCs        int           // VPCs the objects spread over
	TimeScale   float64       // ec2sim and the manager run this many times faster than AWS
	SyncPeriod  time.Duration // the manager's --sync-period, in AWS time
	Idle        time.Duration // how long to watch at rest, in AWS time
	StateDelay  time.Duration // how long AWS provisions an interface endpoint, in AWS time
	// DriftInterval is the manager's --drift-interval, in AWS time (0: its default).
	DriftInterval time.Duration
	// Restart restarts the manager after the idle phase and measures what
	// re-verifying the converged objects costs.
	Restart bool
	// Probes is how many single-object drifts are injected, one at a time at a
	// random moment, to measure drift detection latency.
	Probes int
	// MemoryLimit, when set, is the container memory limit the manager is run
	// under, as a pod's: the manager runs in a memory cgroup of this limit made
	// for it (and sets GOMEMLIMIT from it itself) when the machine allows it;
	// otherwise only GOMEMLIMIT is set, to 90% of it, and nothing confines it.
	MemoryLimit int64
	// ConvergeOnly stops after the restart: no drift probes, no drift in 10% of
	// the objects, no deletion (the memory run at 5,000+5,000, where each of
	// those takes long at AWS's write rate).
	ConvergeOnly bool
	// ProfilingAddr, when set, is the manager's --profiling-bind-address (pprof).
	ProfilingAddr string
	Logf          func(format string, args ...any)
}

// AWS's shared bucket for CreateVpcEndpoint, ModifyVpcEndpoint and DeleteVpcEndpoints.
const (
	endpointWriteRate  = 0.3
	endpointWriteBurst = 4
)

// Run runs the benchmark and returns its figures.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	res, err := run(ctx, cancel, cfg)
	if err != nil && context.Cause(ctx) != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (then: %v)", context.Cause(ctx), err)
	}
	return res, err
}

// run is Run; abort ends the run early with a cause (the manager killed by
// its memory limit).
func run(ctx context.Context, abort context.CancelCauseFunc, cfg Config) (*Results, error) {
	logf := cfg.Logf
	scale := cfg.TimeScale
	real := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }
	res := &Results{N: cfg.N, VPCs: cfg.VPCs, TimeScale: scale, SyncPeriod: cfg.SyncPeriod.String(), DriftInterval: cfg.DriftInterval.String(), Machine: machine()}
	load := watchLoad(ctx, 5*time.Second)
	defer func() { res.Load = load.Stop() }()
	if cfg.DriftInterval == 0 {
		cfg.DriftInterval = 30 * time.Second
		res.DriftInterval = "30s"
	}

	if err := e2e.Build(ctx, cfg.Root); err != nil {
		return nil, err
	}
	cp, err := e2e.StartControlPlane(ctx, cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer cp.Stop()
	sim, err := e2e.StartEC2Sim(ctx, e2e.EC2SimOptions{Dir: cfg.Dir, Region: "us-east-1", StateDelay: cfg.StateDelay, TimeScale: scale, CallLog: cfg.CallLog})
	if err != nil {
		return nil, err
	}
	defer sim.Stop()
	cl := sim.EC2Client()
	gwPerVPC := (cfg.N + cfg.VPCs - 1) / cfg.VPCs
	logf("building %d VPCs", cfg.VPCs)
	vpcs, err := buildWorld(ctx, cl, cfg.VPCs, (gwPerVPC+1)/2)
	if err != nil {
		return nil, fmt.Errorf("building the world: %w", err)
	}
	if err := sim.Throttle(true, scale); err != nil {
		return nil, err
	}
	throttle := fmt.Sprintf("describe=%g:100,mutating=%g:50,tags=%g:100,vpc-endpoint-writes=%g:%d", 20*scale, 5*scale, 10*scale, endpointWriteRate*scale, endpointWriteBurst)
	mopts := e2e.ManagerOptions{
		Kubeconfig: cp.Kubeconfig, EC2URL: sim.URL, ClusterName: "bench",
		SyncPeriod: real(cfg.SyncPeriod), PendingPoll: real(2 * time.Second),
		// The Kubernetes client's rate limit is scaled like AWS's buckets (as in
		// the fleet runs), so the run models real time.
		Args: []string{"--aws-api-throttle=" + throttle, "--drift-interval=" + real(cfg.DriftInterval).String(), scaledReadBudget(scale),
			fmt.Sprintf("--kube-api-qps=%g", 50*scale), fmt.Sprintf("--kube-api-burst=%d", int(100*scale))},
		LogFile: filepath.Join(cfg.Dir, "manager.log"),
	}
	if cfg.ProfilingAddr != "" {
		mopts.Args = append(mopts.Args, "--profiling-bind-address="+cfg.ProfilingAddr)
	}
	mopts.Args = append(mopts.Args, cfg.ManagerArgs...)
	var cg *memCgroup
	if cfg.MemoryLimit > 0 {
		res.MemoryLimitMiB = float64(cfg.MemoryLimit) / (1 << 20)
		self, _ := os.ReadFile("/proc/self/cgroup")
		cg, err = newMemCgroup("/sys/fs/cgroup", self, fmt.Sprintf("vpce-bench-%d", os.Getpid()), cfg.MemoryLimit)
		if err != nil {
			cg = nil
			res.Cgroup = "none, the limit is GOMEMLIMIT only: " + err.Error()
			logf("no memory cgroup for the manager (%v): GOMEMLIMIT only, nothing confines it", err)
			mopts.Env = append(mopts.Env, fmt.Sprintf("GOMEMLIMIT=%d", cfg.MemoryLimit*9/10))
		} else {
			res.Cgroup = cg.String()
			logf("the manager runs in %s, limit %d MiB", cg, cfg.MemoryLimit>>20)
			if err := dropPageCache(filepath.Join(cfg.Root, "bin", "manager")); err != nil {
				logf("the manager binary's pages stay charged elsewhere: %v", err)
			}
			mopts.Cgroup = cg.dir
			// Runs after the manager is stopped (deferred below): even on failure.
			defer func() {
				if err := cg.remove(); err != nil {
					logf("%v", err)
				}
			}()
			defer func() {
				if u, err := cg.usage(); err == nil {
					res.CgroupPeakMiB, res.CgroupOOMKills = float64(u.PeakBytes)/(1<<20), u.OOMKills
				}
			}()
		}
	}
	mgr, err := e2e.StartManager(ctx, mopts)
	if err != nil {
		return nil, err
	}
	defer mgr.Stop()
	// The peaks of anonymous memory and of the working set are sampled: neither
	// /proc nor cgroup v1 keeps a high-water mark of them.
	peaks := sampleMemory(ctx, mgr, cg, abort)
	defer func() { res.PeakAnonMiB, res.CgroupPeakWorkingSetMiB = peaks() }()
	// usage accumulates the manager's CPU, major faults and peak memory across restarts.
	var cpuBefore, peak float64
	var faultsBefore int64
	usage := func() (cpu, peakMiB float64, err error) {
		u, err := mgr.Usage()
		if err != nil {
			return 0, 0, err
		}
		peak = math.Max(peak, float64(u.PeakRSSBytes)/(1<<20))
		res.MajorFaults = faultsBefore + u.MajorFaults
		return cpuBefore + u.CPUSeconds, peak, nil
	}
	const ns = "bench"
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, err
	}
	if err := sim.ResetCounters(); err != nil {
		return nil, err
	}

	// 1-3. Create everything; time to all Ready against the token-bucket bound.
	logf("creating %d GatewayEndpoints and %d InterfaceEndpoints", cfg.N, cfg.N)
	var objs []client.Object
	gwTable := map[string][2]int{}
	for i := 0; i < cfg.N; i++ {
		gw, v, table := gatewayObject(ns, i, vpcs)
		gwTable[gw.Name] = [2]int{v, table}
		objs = append(objs, gw, interfaceObject(ns, i, vpcs))
	}
	start := time.Now()
	for _, o := range objs {
		if err := cp.Client.Create(ctx, o); err != nil {
			return nil, err
		}
	}
	writes := float64(len(objs)) // one CreateVpcEndpoint each, no modify needed
	bound := time.Duration((writes-endpointWriteBurst)/endpointWriteRate) * time.Second
	if err := waitAll(ctx, cp.Client, ns, len(objs), logf, real(2*bound+10*time.Minute)); err != nil {
		return nil, err
	}
	res.TimeToReady = time.Since(start).Seconds() * scale
	res.LowerBound = math.Max(0, (writes-endpointWriteBurst)/endpointWriteRate)
	res.LowerBoundWithProvisioning = res.LowerBound + cfg.StateDelay.Seconds()
	res.Ratio = res.TimeToReady / res.LowerBoundWithProvisioning
	counters, err := sim.Counters()
	if err != nil {
		return nil, err
	}
	res.Calls, res.CallsTotal, res.Throttled = summarize(counters)
	res.CallsPerObject = float64(res.CallsTotal) / float64(len(objs))
	res.ThrottledPercent = 100 * float64(res.Throttled) / math.Max(1, float64(res.CallsTotal))
	for a, n := range res.Calls {
		if ec2sim.IsMutating(a) {
			res.WritesPerObject += float64(n) / float64(len(objs))
		} else {
			res.ReadsPerObject += float64(n) / float64(len(objs))
		}
	}
	if res.ConvergeCPUSeconds, _, err = usage(); err != nil {
		return nil, err
	}
	res.ConvergeCPUPerObject = res.ConvergeCPUSeconds / float64(len(objs))
	if res.ConvergeReconciles, err = reconciles(ctx, mgr.MetricsURL); err != nil {
		return nil, err
	}
	if res.ConvergeSyncsSkipped, err = metricSum(ctx, mgr.MetricsURL, "vpce_syncs_skipped_total{", func(string) bool { return true }); err != nil {
		return nil, err
	}

	// 4. At rest.
	logf("idling for %v (AWS time)", cfg.Idle)
	if err := sim.ResetCounters(); err != nil {
		return nil, err
	}
	time.Sleep(real(cfg.Idle))
	if counters, err = sim.Counters(); err != nil {
		return nil, err
	}
	idleCalls, idleTotal, _ := summarize(counters)
	res.IdleCalls = idleCalls
	res.IdleCallsPerMinute = float64(idleTotal) / cfg.Idle.Minutes()
	for a, n := range idleCalls {
		if ec2sim.IsMutating(a) {
			res.IdleMutatingCalls += n
		}
	}

	// 5. Restart: what re-verifying every converged object costs.
	if cfg.Restart {
		logf("restarting the manager")
		cpu, _, err := usage()
		if err != nil {
			return nil, err
		}
		if err := mgr.Stop(); err != nil {
			return nil, err
		}
		cpuBefore, faultsBefore = cpu, res.MajorFaults
		if err := sim.ResetCounters(); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := mgr.Restart(ctx); err != nil {
			return nil, err
		}
		// Starting the process (until /readyz answers) is wall time, not AWS
		// time: it is not scaled.
		ready := time.Now()
		res.RestartStartupSeconds = ready.Sub(start).Seconds()
		if err := waitReconciled(ctx, mgr.MetricsURL, len(objs), atLeast(real(10*time.Minute), 5*time.Minute)); err != nil {
			// A figure, not a failure: say how far it got.
			logf("restart: %v", err)
			res.RestartIncomplete = err.Error()
		}
		res.RestartSeconds = time.Since(ready).Seconds() * scale
		if counters, err = sim.Counters(); err != nil {
			return nil, err
		}
		res.RestartCalls, res.RestartCallsTotal, _ = summarize(counters)
	}

	if cfg.ConvergeOnly {
		if res.CPUSeconds, res.PeakRSSMiB, err = usage(); err != nil {
			return nil, err
		}
		res.CPUPerObject = res.CPUSeconds / float64(len(objs))
		return res, nil
	}

	// 6. Drift detection latency: one object at a time, at a random moment.
	if cfg.Probes > 0 {
		logf("measuring drift detection latency with %d single-object drifts", cfg.Probes)
		lat, err := probeDrift(ctx, cp.Client, sim, cl, ns, cfg.Probes, cfg.DriftInterval, scale)
		if err != nil {
			return nil, err
		}
		res.DetectionSeconds = lat
		for _, l := range lat {
			res.DetectionMaxSeconds = math.Max(res.DetectionMaxSeconds, l)
			res.DetectionMeanSeconds += l / float64(len(lat))
		}
	}

	// 7. Drift in 10% of the objects at once.
	logf("injecting drift into %d objects", len(objs)/10)
	if err := sim.Throttle(false, scale); err != nil { // the console's calls are not the controller's budget
		return nil, err
	}
	if err := sim.ResetCounters(); err != nil {
		return nil, err
	}
	driftStart := time.Now()
	drifted, err := injectDrift(ctx, cp.Client, cl, ns, objs, vpcs, gwTable)
	if err != nil {
		return nil, err
	}
	if err := sim.Throttle(true, scale); err != nil {
		return nil, err
	}
	first, err := waitFirstWrite(ctx, sim, "ModifyVpcEndpoint", len(drifted), atLeast(real(cfg.SyncPeriod+2*time.Minute), 2*time.Minute))
	if err != nil {
		return nil, err
	}
	res.DriftFirstRepairSeconds = first.Sub(driftStart).Seconds() * scale
	if err := waitRepaired(ctx, cl, drifted, atLeast(real(cfg.SyncPeriod+2*time.Minute+time.Duration(float64(len(drifted))/endpointWriteRate)*time.Second), 5*time.Minute)); err != nil {
		return nil, err
	}
	res.DriftObjects = len(drifted)
	res.DriftRepairSeconds = time.Since(driftStart).Seconds() * scale
	res.DriftRepairBound = math.Max(0, float64(len(drifted)-endpointWriteBurst)/endpointWriteRate)
	res.DriftTarget = 60

	// 8. Delete everything.
	logf("deleting everything")
	start = time.Now()
	for _, o := range objs {
		if err := cp.Client.Delete(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := waitClean(ctx, cp.Client, cl, ns, real(2*bound+10*time.Minute)); err != nil {
		return nil, err
	}
	res.TimeToClean = time.Since(start).Seconds() * scale
	// AWS takes the provisioning delay again to delete an interface endpoint.
	res.DeleteLowerBound = math.Max(0, (writes-endpointWriteBurst)/endpointWriteRate) + cfg.StateDelay.Seconds()

	// 9. The manager's footprint.
	if res.CPUSeconds, res.PeakRSSMiB, err = usage(); err != nil {
		return nil, err
	}
	res.CPUPerObject = res.CPUSeconds / float64(len(objs))
	return res, nil
}

// pollEvery is how often the benchmark lists n objects while it waits: every
// 250 ms up to 1,000 objects, less often beyond, so that its own listings do
// not load the API server more than the manager does.
func pollEvery(n int) time.Duration {
	return time.Duration(max(1, n/1000)) * 250 * time.Millisecond
}

// atLeast is d, or floor when d is shorter: the benchmark's safety timeouts
// are in wall time, so that a high time scale on a busy machine does not fail
// a run the figures would only show slow.
func atLeast(d, floor time.Duration) time.Duration { return max(d, floor) }

// summarize totals sim counters per action, overall, and throttling errors.
func summarize(c map[string]map[string]int) (map[string]int, int, int) {
	per, total, throttled := map[string]int{}, 0, 0
	for a, outcomes := range c {
		for o, n := range outcomes {
			per[a] += n
			total += n
			if o == "RequestLimitExceeded" || o == "throttled" {
				throttled += n
			}
		}
	}
	return per, total, throttled
}

func waitAll(ctx context.Context, c client.Client, ns string, want int, logf func(string, ...any), timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := -1
	for {
		objs, err := list(ctx, c, ns)
		if err != nil {
			return err
		}
		n := readyCount(objs)
		if n != last && (n-last >= want/10 || n == want) {
			logf("  %d/%d Ready", n, want)
			last = n
		}
		if n == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d Ready after %v", n, want, timeout)
		}
		time.Sleep(pollEvery(want))
	}
}

func list(ctx context.Context, c client.Client, ns string) ([]client.Object, error) {
	var gws v1alpha1.GatewayEndpointList
	var ifs v1alpha1.InterfaceEndpointList
	if err := c.List(ctx, &gws, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	if err := c.List(ctx, &ifs, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []client.Object
	for i := range gws.Items {
		out = append(out, &gws.Items[i])
	}
	for i := range ifs.Items {
		out = append(out, &ifs.Items[i])
	}
	return out, nil
}

// drift is one injected change and how to tell it is repaired.
type drift struct {
	endpointID string
	repaired   func(types.VpcEndpoint) bool
}

// injectDrift removes the route table of every tenth gateway endpoint and swaps
// the managed group of every tenth interface endpoint for the VPC's default group.
func injectDrift(ctx context.Context, c client.Client, cl *ec2.Client, ns string, objs []client.Object, vpcs []vpcWorld, gwTable map[string][2]int) ([]drift, error) {
	current, err := list(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	sort.Slice(current, func(i, j int) bool { return current[i].GetName() < current[j].GetName() })
	var out []drift
	for i, o := range current {
		if i%10 != 0 {
			continue
		}
		switch t := o.(type) {
		case *v1alpha1.GatewayEndpoint:
			vt := gwTable[t.Name]
			table := vpcs[vt[0]].RouteTables[vt[1]]
			if _, err := cl.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(t.Status.EndpointID), RemoveRouteTableIds: []string{table}}); err != nil {
				return nil, err
			}
			out = append(out, drift{t.Status.EndpointID, func(e types.VpcEndpoint) bool { return contains(e.RouteTableIds, table) }})
		case *v1alpha1.InterfaceEndpoint:
			managed := t.Status.ManagedSecurityGroupID
			def := ""
			for _, v := range vpcs {
				if v.ID == t.Status.VPCID {
					def = v.DefaultGroup
				}
			}
			if _, err := cl.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(t.Status.EndpointID), AddSecurityGroupIds: []string{def}, RemoveSecurityGroupIds: []string{managed}}); err != nil {
				return nil, err
			}
			out = append(out, drift{t.Status.EndpointID, func(e types.VpcEndpoint) bool {
				var ids []string
				for _, g := range e.Groups {
					ids = append(ids, aws.ToString(g.GroupId))
				}
				return contains(ids, managed) && !contains(ids, def)
			}})
		}
	}
	return out, nil
}

func waitRepaired(ctx context.Context, cl *ec2.Client, drifted []drift, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pending := drifted
	for len(pending) > 0 {
		var still []drift
		for _, d := range pending {
			out, err := cl.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{d.endpointID}})
			if err != nil || len(out.VpcEndpoints) != 1 || !d.repaired(out.VpcEndpoints[0]) {
				still = append(still, d)
			}
		}
		pending = still
		if len(pending) > 0 {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d drifted endpoints not repaired after %v", len(pending), timeout)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return nil
}

// waitClean waits until no object is left and AWS has no endpoint or managed group of the bench cluster.
func waitClean(ctx context.Context, c client.Client, cl *ec2.Client, ns string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	owned := []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"bench"}}}
	for {
		objs, err := list(ctx, c, ns)
		if err != nil {
			return err
		}
		// AWS is looked at once the objects are gone. The benchmark's own reads
		// of AWS are retried at the next poll: a failed one (throttled past the
		// SDK's retries, a dropped connection) says nothing about the controller.
		live, groups := -1, -1
		if len(objs) == 0 {
			var err error
			if live, groups, err = ownedLeft(ctx, cl, owned); err != nil && time.Now().After(deadline) {
				return err
			}
		}
		if len(objs) == 0 && live == 0 && groups == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not clean after %v: %d objects, %d endpoints, %d groups (-1: not read)", timeout, len(objs), live, groups)
		}
		time.Sleep(pollEvery(max(len(objs), 1)))
	}
}

// ownedLeft counts, over every page, the endpoints not yet deleted and the
// security groups that carry the filter's tags.
func ownedLeft(ctx context.Context, cl *ec2.Client, owned []types.Filter) (endpoints, groups int, err error) {
	eps := ec2.NewDescribeVpcEndpointsPaginator(cl, &ec2.DescribeVpcEndpointsInput{Filters: owned})
	for eps.HasMorePages() {
		page, err := eps.NextPage(ctx)
		if err != nil {
			return -1, -1, err
		}
		for _, e := range page.VpcEndpoints {
			if s := strings.ToLower(string(e.State)); s != "deleted" {
				endpoints++
			}
		}
	}
	sgs := ec2.NewDescribeSecurityGroupsPaginator(cl, &ec2.DescribeSecurityGroupsInput{Filters: owned})
	for sgs.HasMorePages() {
		page, err := sgs.NextPage(ctx)
		if err != nil {
			return -1, -1, err
		}
		groups += len(page.SecurityGroups)
	}
	return endpoints, groups, nil
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// waitReconciled waits until the manager at metricsURL has finished at least want
// reconciles of GatewayEndpoints and InterfaceEndpoints together.
func waitReconciled(ctx context.Context, metricsURL string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := reconciles(ctx, metricsURL)
		if err == nil && n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d objects reconciled after %v (%v)", n, want, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reconciles sums controller_runtime_reconcile_total of the two endpoint controllers.
func reconciles(ctx context.Context, metricsURL string) (int, error) {
	return metricSum(ctx, metricsURL, "controller_runtime_reconcile_total{", func(line string) bool {
		return strings.Contains(line, `controller="gatewayendpoint"`) || strings.Contains(line, `controller="interfaceendpoint"`)
	})
}

// metricSum sums the series of the manager at metricsURL whose lines start with
// prefix (a metric's name and "{") and that keep accepts.
func metricSum(ctx context.Context, metricsURL, prefix string, keep func(line string) bool) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, err
	}
	// Uncompressed: while the bench polls, compressing the whole page for it
	// was most of the manager's CPU, taken from the reconciles being timed.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) || !keep(line) {
			continue
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		n += int(v)
	}
	return n, sc.Err()
}

// writes counts an action's calls in the sim's counters.
func writes(sim *e2e.EC2Sim, action string) (int, error) {
	c, err := sim.Counters()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range c[action] {
		n += v
	}
	return n, nil
}

// waitFirstWrite returns when the sim first counts more than baseline calls of action.
func waitFirstWrite(ctx context.Context, sim *e2e.EC2Sim, action string, baseline int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := writes(sim, action)
		if err != nil {
			return time.Time{}, err
		}
		if n > baseline {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("no %s after %v", action, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probeDrift removes the route table of one converged GatewayEndpoint at a time,
// at a random moment within a drift interval, and returns, for each, the time
// (AWS seconds) from the change to the controller's first repair call.
func probeDrift(ctx context.Context, c client.Client, sim *e2e.EC2Sim, cl *ec2.Client, ns string, probes int, interval time.Duration, scale float64) ([]float64, error) {
	var gws v1alpha1.GatewayEndpointList
	if err := c.List(ctx, &gws, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	if len(gws.Items) == 0 {
		return nil, fmt.Errorf("no GatewayEndpoint to probe")
	}
	var out []float64
	for i := 0; i < probes; i++ {
		gw := gws.Items[(i*7919)%len(gws.Items)]
		time.Sleep(time.Duration(rand.Float64() * float64(interval) / scale))
		if err := sim.ResetCounters(); err != nil {
			return nil, err
		}
		table := gw.Status.RouteTableIDs[0]
		start := time.Now()
		if _, err := cl.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(gw.Status.EndpointID), RemoveRouteTableIds: []string{table}}); err != nil {
			return nil, err
		}
		first, err := waitFirstWrite(ctx, sim, "ModifyVpcEndpoint", 1, atLeast(time.Duration(float64(10*time.Minute)/scale), 2*time.Minute))
		if err != nil {
			return nil, err
		}
		out = append(out, first.Sub(start).Seconds()*scale)
		d := drift{gw.Status.EndpointID, func(e types.VpcEndpoint) bool { return contains(e.RouteTableIds, table) }}
		if err := waitRepaired(ctx, cl, []drift{d}, atLeast(time.Duration(float64(10*time.Minute)/scale), 2*time.Minute)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// machine describes the machine the run is on: CPUs, their model, memory.
func machine() string {
	model := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				mem = fmt.Sprintf(", %.0f GiB", kb/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%d cores, %s%s", runtime.NumCPU(), model, mem)
}

// scaledReadBudget is the manager's --drift-read-budget, its default in AWS
// time: a minute of AWS time is a scale-th of a minute of the manager's.
func scaledReadBudget(scale float64) string {
	return fmt.Sprintf("--drift-read-budget=%d", int(math.Round(manager.DefaultDriftReadBudget*scale)))
}

// sampleMemory reads the manager's anonymous memory, and the working set of
// its cgroup cg (nil: none), every 100 ms until ctx ends, and returns a
// function giving the highest readings so far, in MiB. An OOM kill in cg
// aborts the run.
func sampleMemory(ctx context.Context, mgr *e2e.Manager, cg *memCgroup, abort context.CancelCauseFunc) func() (anon, workingSet float64) {
	var mu sync.Mutex
	var anonPeak, wsPeak int64
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			u, uerr := mgr.Usage()
			var c cgroupUsage
			var cerr error = fmt.Errorf("no cgroup")
			if cg != nil {
				c, cerr = cg.usage()
			}
			mu.Lock()
			if uerr == nil {
				anonPeak = max(anonPeak, u.AnonBytes)
			}
			if cerr == nil {
				wsPeak = max(wsPeak, c.WorkingSetBytes)
			}
			mu.Unlock()
			if cerr == nil && c.OOMKills > 0 {
				abort(fmt.Errorf("the manager was OOM-killed under its memory limit (%s: %d OOM kills, peak %.1f MiB)", cg, c.OOMKills, float64(c.PeakBytes)/(1<<20)))
				return
			}
		}
	}()
	return func() (float64, float64) {
		mu.Lock()
		defer mu.Unlock()
		return float64(anonPeak) / (1 << 20), float64(wsPeak) / (1 << 20)
	}
}
