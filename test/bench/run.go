package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/e2e"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// Config is one benchmark run.
type Config struct {
	Root       string        // repository root
	Dir        string        // scratch directory (logs, control-plane state)
	N          int           // GatewayEndpoints, and as many InterfaceEndpoints
	VPCs       int           // VPCs the objects spread over
	TimeScale  float64       // ec2sim and the manager run this many times faster than AWS
	SyncPeriod time.Duration // the manager's --sync-period, in AWS time
	Idle       time.Duration // how long to watch at rest, in AWS time
	StateDelay time.Duration // how long AWS provisions an interface endpoint, in AWS time
	Logf       func(format string, args ...any)
}

// AWS's shared bucket for CreateVpcEndpoint, ModifyVpcEndpoint and DeleteVpcEndpoints.
const (
	endpointWriteRate  = 0.3
	endpointWriteBurst = 4
)

// Run runs the benchmark and returns its figures.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	logf := cfg.Logf
	scale := cfg.TimeScale
	real := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }
	res := &Results{N: cfg.N, VPCs: cfg.VPCs, TimeScale: scale, SyncPeriod: cfg.SyncPeriod.String()}

	if err := e2e.Build(ctx, cfg.Root); err != nil {
		return nil, err
	}
	cp, err := e2e.StartControlPlane(ctx, cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer cp.Stop()
	sim, err := e2e.StartEC2Sim(ctx, e2e.EC2SimOptions{Dir: cfg.Dir, Region: "us-east-1", StateDelay: cfg.StateDelay, TimeScale: scale})
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
	mgr, err := e2e.StartManager(ctx, e2e.ManagerOptions{
		Kubeconfig: cp.Kubeconfig, EC2URL: sim.URL, ClusterName: "bench",
		SyncPeriod: real(cfg.SyncPeriod), PendingPoll: real(2 * time.Second),
		Args:    []string{"--aws-api-throttle=" + throttle},
		LogFile: filepath.Join(cfg.Dir, "manager.log"),
	})
	if err != nil {
		return nil, err
	}
	defer mgr.Stop()
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

	// 5. Drift in 10% of the objects.
	logf("injecting drift into %d objects", len(objs)/10)
	if err := sim.Throttle(false, scale); err != nil { // the console's calls are not the controller's budget
		return nil, err
	}
	drifted, err := injectDrift(ctx, cp.Client, cl, ns, objs, vpcs, gwTable)
	if err != nil {
		return nil, err
	}
	if err := sim.Throttle(true, scale); err != nil {
		return nil, err
	}
	driftStart := time.Now()
	if err := waitRepaired(ctx, cl, drifted, real(cfg.SyncPeriod+2*time.Minute)); err != nil {
		return nil, err
	}
	res.DriftObjects = len(drifted)
	res.DriftRepairSeconds = time.Since(driftStart).Seconds() * scale
	res.DriftTarget = (cfg.SyncPeriod + 15*time.Second).Seconds()

	// 6. Delete everything.
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

	// 7. The manager's footprint.
	u, err := mgr.Usage()
	if err != nil {
		return nil, err
	}
	res.PeakRSSMiB = float64(u.PeakRSSBytes) / (1 << 20)
	res.CPUSeconds = u.CPUSeconds
	return res, nil
}

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
		time.Sleep(250 * time.Millisecond)
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
		eps, err := cl.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: owned})
		if err != nil {
			return err
		}
		live := 0
		for _, e := range eps.VpcEndpoints {
			if s := strings.ToLower(string(e.State)); s != "deleted" {
				live++
			}
		}
		sgs, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: owned})
		if err != nil {
			return err
		}
		if len(objs) == 0 && live == 0 && len(sgs.SecurityGroups) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not clean after %v: %d objects, %d endpoints, %d groups", timeout, len(objs), live, len(sgs.SecurityGroups))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
