package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/e2e"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// FleetConfig is a run over several AWS accounts and regions (make bench
// BENCH_FLAGS="-accounts 4 -regions 2"), optionally with the objects split
// between several managers by namespace (-shards 2).
type FleetConfig struct {
	Root, Dir string
	// CallLog makes ec2sim log every EC2 call to ec2sim-calls.log in Dir.
	CallLog bool
	// ManagerArgs are extra flags for every manager, after the benchmark's own.
	ManagerArgs []string
	// N GatewayEndpoints and as many InterfaceEndpoints, spread evenly over
	// the account/region pairs.
	N                 int
	Accounts, Regions int
	// VPCsPerPair are the VPCs of each account and region.
	VPCsPerPair int
	TimeScale   float64
	StateDelay  time.Duration
	// Shards is the number of managers, each its own process, splitting the
	// namespaces (one per pair) by the label vpce.dev/shard; 1 is one manager.
	Shards int
	// ThrottleAccount answers half the EC2 calls of the last account (both its
	// regions) with RequestLimitExceeded, an ec2sim fault, for the whole run.
	ThrottleAccount bool
	// UnscaledKubeQPS keeps the manager's default Kubernetes client rate limit
	// (50 requests a second of wall time) whatever the time scale.
	UnscaledKubeQPS bool
	Logf            func(format string, args ...any)
}

// Mode names the run: "accounts", "accounts-throttled" or "sharded".
func (cfg FleetConfig) Mode() string {
	switch {
	case cfg.Shards > 1:
		return "sharded"
	case cfg.ThrottleAccount:
		return "accounts-throttled"
	}
	return "accounts"
}

// fleetDriftInterval is the managers' --drift-interval in AWS time: their
// default, scaled like everything else.
const fleetDriftInterval = 30 * time.Second

// fleetFaultRate is the share of the throttled account's calls that fail.
const fleetFaultRate = 0.5

// RunFleet runs a fleet benchmark and returns its figures.
func RunFleet(ctx context.Context, cfg FleetConfig) (*FleetResults, error) {
	logf, scale := cfg.Logf, cfg.TimeScale
	real := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }
	if cfg.Regions > len(fleetRegions) {
		return nil, fmt.Errorf("at most %d regions", len(fleetRegions))
	}
	if cfg.Accounts < 1 || cfg.Accounts > 8 {
		return nil, fmt.Errorf("-accounts: 1 to 8")
	}
	if cfg.Shards < 1 {
		cfg.Shards = 1
	}
	targets := fleetAccounts(cfg.Accounts)
	res := &FleetResults{Mode: cfg.Mode(), N: cfg.N, Accounts: cfg.Accounts, Regions: cfg.Regions, Shards: cfg.Shards, VPCsPerPair: cfg.VPCsPerPair,
		TimeScale: scale, ThrottledAccount: map[bool]string{true: targets[len(targets)-1]}[cfg.ThrottleAccount], Machine: machine()}
	load := watchLoad(ctx, 5*time.Second)
	defer func() { res.Load = load.Stop() }()

	if err := e2e.Build(ctx, cfg.Root); err != nil {
		return nil, err
	}
	cp, err := e2e.StartControlPlane(ctx, cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer cp.Stop()
	roles, err := spokeRoles(cfg.Root, targets)
	if err != nil {
		return nil, err
	}
	sim, err := e2e.StartEC2Sim(ctx, e2e.EC2SimOptions{Dir: cfg.Dir, Region: fleetRegions[0], StateDelay: cfg.StateDelay, TimeScale: scale, CallLog: cfg.CallLog,
		Accounts: append([]string{hubAccount}, targets...), Roles: roles})
	if err != nil {
		return nil, err
	}
	defer sim.Stop()

	// One namespace per account and region, each pair its VPCs.
	perPair := (cfg.N + cfg.Accounts*cfg.Regions - 1) / (cfg.Accounts * cfg.Regions)
	gwPerVPC := (perPair + cfg.VPCsPerPair - 1) / cfg.VPCsPerPair
	var pairs []*pair
	for ai, acct := range targets {
		for _, region := range fleetRegions[:cfg.Regions] {
			p := &pair{Account: acct, Region: region, Namespace: fmt.Sprintf("a%s-%s", acct[:4], region)}
			logf("building %d VPCs in account %s, %s", cfg.VPCsPerPair, acct, region)
			if p.VPCs, err = buildRegionWorld(ctx, sim.EC2ClientAs(acct, region), region, cfg.VPCsPerPair, (gwPerVPC+1)/2); err != nil {
				return nil, fmt.Errorf("building the world of %s %s: %w", acct, region, err)
			}
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.Namespace, Labels: map[string]string{
				"vpce.dev/shard": shardName(ai % cfg.Shards)}}}
			if err := cp.Client.Create(ctx, ns); err != nil {
				return nil, err
			}
			pairs = append(pairs, p)
		}
	}
	if err := sim.Throttle(true, scale); err != nil {
		return nil, err
	}

	throttle := fmt.Sprintf("describe=%g:100,mutating=%g:50,tags=%g:100,vpc-endpoint-writes=%g:%d", 20*scale, 5*scale, 10*scale, endpointWriteRate*scale, endpointWriteBurst)
	var managers []*e2e.Manager
	for s := range cfg.Shards {
		// The Kubernetes client's rate limit is scaled like AWS's buckets, so the run
		// models real time: unscaled, its 50 requests a second would be 5 a second of
		// AWS time at 10x, and throttle status writes as AWS never would.
		args := []string{"--aws-api-throttle=" + throttle, "--drift-interval=" + real(fleetDriftInterval).String(), scaledReadBudget(scale)}
		if !cfg.UnscaledKubeQPS {
			args = append(args, fmt.Sprintf("--kube-api-qps=%g", 50*scale), fmt.Sprintf("--kube-api-burst=%d", int(100*scale)))
		}
		if cfg.Shards > 1 {
			args = append(args, "--shard-name="+shardName(s), "--shard-namespace-selector=vpce.dev/shard="+shardName(s), "--zap-log-level=debug")
		}
		args = append(args, cfg.ManagerArgs...)
		m, err := e2e.StartManager(ctx, e2e.ManagerOptions{
			Kubeconfig: cp.Kubeconfig, EC2URL: sim.URL, ClusterName: "bench", Region: fleetRegions[0],
			PendingPoll: real(2 * time.Second), Args: args,
			Env:     []string{"AWS_ACCESS_KEY_ID=" + hubAccount},
			LogFile: filepath.Join(cfg.Dir, fmt.Sprintf("manager-%s.log", shardName(s))),
		})
		if err != nil {
			return nil, err
		}
		defer m.Stop()
		managers = append(managers, m)
	}

	// One AWSAccount per target account, through its spoke role.
	logf("creating %d AWSAccounts", len(targets))
	for _, acct := range targets {
		a := &v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: accountName(acct)}, Spec: v1alpha1.AWSAccountSpec{
			RoleARN: "arn:aws:iam::" + acct + ":role/" + spokeRole, NamespaceSelector: metav1.LabelSelector{}}}
		if err := cp.Client.Create(ctx, a); err != nil {
			return nil, err
		}
	}
	if err := waitAccountsReady(ctx, cp.Client, targets, 2*time.Minute); err != nil {
		return nil, err
	}
	if cfg.ThrottleAccount {
		logf("throttling account %s: %.0f%% of its EC2 calls answer RequestLimitExceeded", res.ThrottledAccount, 100*fleetFaultRate)
		if err := sim.In(res.ThrottledAccount, "").InjectFault(ec2sim.Fault{Action: "*", Code: "RequestLimitExceeded", Rate: fleetFaultRate}); err != nil {
			return nil, err
		}
	}
	if err := sim.ResetCounters(); err != nil {
		return nil, err
	}

	// Every object at once, interleaved over the pairs.
	objsOf := map[*pair][]client.Object{}
	var all []client.Object
	for i := range perPair {
		for _, p := range pairs {
			if len(all) >= 2*cfg.N {
				break
			}
			gw, _, _ := gatewayObject(p.Namespace, i, p.VPCs)
			ie := interfaceObject(p.Namespace, i, p.VPCs)
			for _, o := range []v1alpha1.AccountUser{gw, ie} {
				c := o.CommonSpec()
				c.AccountRef = &v1alpha1.AccountReference{Name: accountName(p.Account)}
				c.Region = p.Region
			}
			objsOf[p] = append(objsOf[p], gw, ie)
			all = append(all, gw, ie)
		}
	}
	logf("creating %d objects over %d account/region pairs (%d per pair) for %d manager(s)", len(all), len(pairs), 2*perPair, cfg.Shards)
	var largest float64
	for _, p := range pairs {
		largest = math.Max(largest, pairBound(len(objsOf[p]), cfg.StateDelay))
	}
	start := time.Now()
	for _, o := range all {
		if err := cp.Client.Create(ctx, o); err != nil {
			return nil, err
		}
	}
	slow := map[*pair]bool{}
	for _, p := range pairs {
		slow[p] = p.Account == res.ThrottledAccount
	}
	readyAt, counts, err := waitPairsReady(ctx, cp.Client, pairs, objsOf, slow, logf,
		real(time.Duration(3*largest)*time.Second+10*time.Minute), real(time.Duration(2*largest)*time.Second))
	if err != nil {
		return nil, err
	}
	res.TimeToReady = time.Since(start).Seconds() * scale
	for _, p := range pairs {
		bound := pairBound(len(objsOf[p]), cfg.StateDelay)
		pr := PairResult{Account: p.Account, Region: p.Region, Namespace: p.Namespace, Objects: len(objsOf[p]), Ready: counts[p],
			Bound: bound, Throttled: slow[p]}
		if at, ok := readyAt[p]; ok {
			pr.TimeToReady = at.Sub(start).Seconds() * scale
			pr.Ratio = pr.TimeToReady / bound
		}
		res.Pairs = append(res.Pairs, pr)
		res.SumOfBounds += bound
	}
	sortedPairs(res.Pairs)
	res.LargestPairBound = largest
	if len(readyAt) < len(pairs) {
		res.TimeToReady = 0 // not every pair got Ready: see the pairs
	}
	res.Ratio = res.TimeToReady / largest
	for _, p := range res.Pairs {
		if !p.Throttled {
			res.OthersRatio = math.Max(res.OthersRatio, p.Ratio)
		}
	}
	counters, err := sim.Counters()
	if err != nil {
		return nil, err
	}
	res.Calls, res.CallsTotal, res.Throttled = summarize(counters)
	res.CallsPerObject = float64(res.CallsTotal) / float64(len(all))

	// Claims: every object claimed by the shard of its namespace.
	if err := checkClaims(ctx, cp.Client, pairs, cfg.Shards, res); err != nil {
		return nil, err
	}
	for i, m := range managers {
		u, err := m.Usage()
		if err != nil {
			return nil, err
		}
		sr := ShardResult{Shard: shardName(i), PeakRSSMiB: float64(u.PeakRSSBytes) / (1 << 20), CPUSeconds: u.CPUSeconds}
		if sr.KubeRequests, err = kubeRequests(m.MetricsURL); err != nil {
			return nil, err
		}
		res.KubeRequestsPerObject += float64(sr.KubeRequests) / float64(len(all))
		if cfg.Shards > 1 {
			if sr.objects, err = reconciledSet(filepath.Join(cfg.Dir, fmt.Sprintf("manager-%s.log", shardName(i)))); err != nil {
				return nil, err
			}
			sr.ObjectsReconciled = len(sr.objects)
		}
		res.Managers = append(res.Managers, sr)
	}
	if cfg.Shards > 1 {
		res.ReconciledByMoreThanOne = overlap(res.Managers)
	}
	return res, nil
}

// shardName is the i-th shard's name.
func shardName(i int) string { return fmt.Sprintf("s%d", i) }

// accountName is the AWSAccount of a target account.
func accountName(acct string) string { return "tenant-" + acct }

// pairBound is the time AWS's endpoint-write bucket of one account and region
// needs to create n endpoints (4 at once, then 0.3 a second), plus provisioning.
func pairBound(n int, provisioning time.Duration) float64 {
	return math.Max(0, (float64(n)-endpointWriteBurst)/endpointWriteRate) + provisioning.Seconds()
}

// waitAccountsReady waits until every target account's AWSAccount is Ready.
func waitAccountsReady(ctx context.Context, c client.Client, targets []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ready := 0
		for _, acct := range targets {
			var a v1alpha1.AWSAccount
			if err := c.Get(ctx, client.ObjectKey{Name: accountName(acct)}, &a); err != nil {
				return err
			}
			for _, cond := range a.Status.Conditions {
				if cond.Type == v1alpha1.ConditionReady && cond.Status == metav1.ConditionTrue {
					ready++
				}
			}
		}
		if ready == len(targets) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d AWSAccounts Ready after %v", ready, len(targets), timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitPairsReady waits until every object is Ready, and returns when each
// pair's last object became Ready (as polled). Pairs in slow (the throttled
// account's) may stay unfinished: once the others are Ready, they get until
// slowDeadline, and their Ready counts are returned.
func waitPairsReady(ctx context.Context, c client.Client, pairs []*pair, objsOf map[*pair][]client.Object, slow map[*pair]bool, logf func(string, ...any), timeout, slowAfter time.Duration) (map[*pair]time.Time, map[*pair]int, error) {
	deadline := time.Now().Add(timeout)
	var slowDeadline time.Time
	readyAt, counts := map[*pair]time.Time{}, map[*pair]int{}
	for {
		pending := 0
		for _, p := range pairs {
			if _, ok := readyAt[p]; ok {
				continue
			}
			objs, err := list(ctx, c, p.Namespace)
			if err != nil {
				return nil, nil, err
			}
			counts[p] = readyCount(objs)
			if counts[p] == len(objsOf[p]) {
				readyAt[p] = time.Now()
				logf("  %s %s: all %d Ready (%d of %d pairs done)", p.Account, p.Region, counts[p], len(readyAt), len(pairs))
			} else if !slow[p] {
				pending++
			}
		}
		if len(readyAt) == len(pairs) {
			return readyAt, counts, nil
		}
		if pending == 0 && slowDeadline.IsZero() {
			slowDeadline = time.Now().Add(slowAfter)
		}
		if !slowDeadline.IsZero() && time.Now().After(slowDeadline) {
			for p := range slow {
				if _, ok := readyAt[p]; !ok {
					logf("  %s %s (throttled): %d of %d Ready when the others had been done for %v", p.Account, p.Region, counts[p], len(objsOf[p]), slowAfter)
				}
			}
			return readyAt, counts, nil
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("%d of %d pairs Ready after %v", len(readyAt), len(pairs), timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkClaims checks that every object is claimed by its namespace's shard
// (or, with one manager, by the cluster), and counts ClaimedElsewhere events.
func checkClaims(ctx context.Context, c client.Client, pairs []*pair, shards int, res *FleetResults) error {
	for _, p := range pairs {
		objs, err := list(ctx, c, p.Namespace)
		if err != nil {
			return err
		}
		var ns corev1.Namespace
		if err := c.Get(ctx, client.ObjectKey{Name: p.Namespace}, &ns); err != nil {
			return err
		}
		want := "bench"
		if shards > 1 {
			want = "bench/" + ns.Labels["vpce.dev/shard"]
		}
		for _, o := range objs {
			if o.GetAnnotations()[v1alpha1.ClaimAnnotation] != want {
				res.WrongClaims++
			}
		}
	}
	n, err := countEvents(ctx, c, v1alpha1.EventClaimedElsewhere)
	res.ClaimedElsewhereEvents = n
	return err
}
