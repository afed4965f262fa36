package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// env is the one kube-apiserver of this test binary; every test gets its own
// namespace, ec2sim and manager (watching only that namespace).
var env *testenv.Env

func TestMain(m *testing.M) {
	// VPCE_TEST_LOG=1 shows the managers' logs.
	if os.Getenv("VPCE_TEST_LOG") != "" {
		logf.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr)))
	} else {
		logf.SetLogger(logr.Discard())
	}
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// syncPeriod is the drift-check interval of the test managers.
const syncPeriod = 3 * time.Second

var nsCounter atomic.Int64

// harness is one test's world: a namespace, an ec2sim with the fixture VPC, a
// manager running against both, and an EC2 client to look at AWS directly.
type harness struct {
	t      *testing.T
	ctx    context.Context
	ns     string
	sim    *ec2sim.Server
	url    string
	ec2    *ec2.Client
	fix    ec2sim.Fixture
	k      client.Client
	cancel context.CancelFunc
	// extra namespaces watched by the manager.
	extra    []string
	backoff  backoff.Policy
	throttle string
	// consistencyBound is the managers' --consistency-bound (zero: the default).
	consistencyBound time.Duration
	// managers running; cleanup waits for them after deleting the test's objects.
	managers sync.WaitGroup
	// options, when set, changes the managers' options (accounts_helpers_test.go).
	options func(*manager.Options)
	// accessKey is the managers' and the test's AWS access key: "test" (a user of
	// ec2sim's one account), or the first of simOpts.Accounts (its root user).
	accessKey string
}

type harnessOptions struct {
	cluster string
	// extraNamespaces the manager watches besides the test's own.
	extraNamespaces int
	simOpts         ec2sim.Options
	noStart         bool
	// backoff overrides the manager's retry pacing.
	backoff backoff.Policy
	// throttle overrides the manager's client-side EC2 buckets (--aws-api-throttle).
	throttle string
	// consistencyBound overrides the manager's --consistency-bound.
	consistencyBound time.Duration
	// moto runs the test against a moto_server instead of ec2sim (skipped when
	// moto_server is not installed); the fixture is then built through the EC2 API.
	moto bool
}

func newHarness(t *testing.T, hopts ...harnessOptions) *harness {
	t.Helper()
	t.Parallel() // every test has its own namespace, ec2sim and manager
	var ho harnessOptions
	if len(hopts) > 0 {
		ho = hopts[0]
	}
	if ho.simOpts.StateDelay == 0 {
		ho.simOpts.StateDelay = 300 * time.Millisecond
	}
	if ho.simOpts.DeletedLinger == 0 {
		ho.simOpts.DeletedLinger = 300 * time.Millisecond
	}
	ho.simOpts.Region = "us-east-1"
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, ctx: ctx, k: env.Client, cancel: cancel, accessKey: "test"}
	if len(ho.simOpts.Accounts) > 0 {
		h.accessKey = ho.simOpts.Accounts[0]
	}
	if ho.moto {
		h.url = startMoto(t)
	} else {
		h.sim = ec2sim.New(ho.simOpts)
		srv := httptest.NewServer(h.sim)
		t.Cleanup(srv.Close)
		h.url = srv.URL
	}
	h.ns = fmt.Sprintf("t%d-%s", nsCounter.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(h.ns) > 60 {
		h.ns = h.ns[:60]
	}
	h.ns = strings.TrimRight(h.ns, "-")
	for i := 0; i <= ho.extraNamespaces; i++ {
		name := h.ns
		if i > 0 {
			name = fmt.Sprintf("%s-%d", h.ns[:min(len(h.ns), 55)], i)
			h.extra = append(h.extra, name)
		}
		if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	h.ec2 = ec2.New(ec2.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(h.url),
		Credentials:  credentials.NewStaticCredentialsProvider(h.accessKey, "test", ""),
		// The test's own look at AWS retries through injected faults.
		RetryMaxAttempts: 10,
		RetryMode:        aws.RetryModeStandard,
	})
	if h.sim != nil {
		h.fix = h.sim.LoadFixture()
	} else {
		h.fix = buildFixture(t, h.ec2)
	}
	t.Cleanup(h.cleanup)
	h.backoff, h.throttle, h.consistencyBound = ho.backoff, ho.throttle, ho.consistencyBound
	if !ho.noStart {
		h.startManager(ho.cluster)
	}
	return h
}

// startManager runs the real manager (the code main.go runs) in this process.
func (h *harness) startManager(cluster string, apiOpts ...func(*ec2.Options)) context.CancelFunc {
	h.t.Helper()
	if cluster == "" {
		cluster = "test"
	}
	ctx, cancel := context.WithCancel(h.ctx)
	mopts := manager.Options{
		Region:                 "us-east-1",
		ClusterName:            cluster,
		AWSEndpointURL:         h.url,
		SyncPeriod:             syncPeriod,
		PendingPoll:            200 * time.Millisecond,
		Metrics:                manager.MetricsOptions{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WatchNamespace:         strings.Join(append([]string{h.ns}, h.extra...), ","),
		SkipNameValidation:     true,
		EC2APIOptions:          apiOpts,
		Backoff:                h.backoff,
		AWSAPIThrottle:         h.throttle,
		ConsistencyBound:       h.consistencyBound,
		AWSLoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(h.accessKey, "test", "")),
		},
	}
	if h.options != nil {
		h.options(&mopts)
	}
	mgr, err := manager.New(ctx, env.Config, mopts)
	if err != nil {
		h.t.Fatal(err)
	}
	done := make(chan struct{})
	h.managers.Add(1)
	go func() {
		defer h.managers.Done()
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			h.t.Errorf("manager: %v", err)
		}
	}()
	return func() { cancel(); <-done }
}

// cleanup deletes what the test left and waits until the manager removed it, so
// no test leaks AWS objects into the next one's assertions.
func (h *harness) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	each := func(f func(client.Object)) int {
		n := 0
		for _, ns := range append([]string{h.ns}, h.extra...) {
			for _, list := range []client.ObjectList{&v1alpha1.GatewayEndpointList{}, &v1alpha1.InterfaceEndpointList{}, &v1alpha1.InstanceConnectEndpointList{}} {
				_ = h.k.List(ctx, list, client.InNamespace(ns))
				items, _ := meta.ExtractList(list)
				for _, it := range items {
					f(it.(client.Object))
					n++
				}
			}
		}
		return n
	}
	each(func(o client.Object) { _ = h.k.Delete(ctx, o) })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && each(func(client.Object) {}) > 0 {
		time.Sleep(200 * time.Millisecond)
	}
	// Whatever is left (a test that stopped its manager) loses its finalizer.
	each(func(o client.Object) {
		o.SetFinalizers(nil)
		_ = h.k.Update(ctx, o)
	})
	h.cancel()
	h.managers.Wait()
}

func (h *harness) tag(id, k, v string) {
	h.t.Helper()
	if _, err := h.ec2.CreateTags(h.ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}); err != nil {
		h.t.Fatal(err)
	}
}

// eventually retries f until it returns nil or the timeout passes.
func (h *harness) eventually(timeout time.Duration, what string, f func() error) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = f(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: still failing after %v: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *harness) create(obj client.Object) {
	h.t.Helper()
	obj.SetNamespace(h.ns)
	if err := h.k.Create(h.ctx, obj); err != nil {
		h.t.Fatalf("create %s: %v", obj.GetName(), err)
	}
}

func (h *harness) get(obj client.Object) {
	h.t.Helper()
	if err := h.k.Get(h.ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		h.t.Fatalf("get %s: %v", obj.GetName(), err)
	}
}

// update applies mutate to the latest version of obj, retrying on conflicts.
func (h *harness) update(obj client.Object, mutate func()) {
	h.t.Helper()
	h.eventually(10*time.Second, "update "+obj.GetName(), func() error {
		if err := h.k.Get(h.ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate()
		return h.k.Update(h.ctx, obj)
	})
}

func commonStatus(obj client.Object) *v1alpha1.EndpointStatusCommon {
	return obj.(v1alpha1.EndpointObject).CommonStatus()
}

// waitCondition waits until the condition has the status (and reason, when given)
// at the object's current generation.
func (h *harness) waitCondition(obj client.Object, typ string, status metav1.ConditionStatus, reason string, timeout time.Duration) *metav1.Condition {
	h.t.Helper()
	var got *metav1.Condition
	h.eventually(timeout, fmt.Sprintf("%s %s=%s %s", obj.GetName(), typ, status, reason), func() error {
		if err := h.k.Get(h.ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		c := meta.FindStatusCondition(commonStatus(obj).Conditions, typ)
		if c == nil {
			return fmt.Errorf("no %s condition yet", typ)
		}
		got = c
		if c.Status != status || (reason != "" && c.Reason != reason) || c.ObservedGeneration != obj.GetGeneration() {
			return fmt.Errorf("%s=%s reason=%s gen=%d/%d: %s", typ, c.Status, c.Reason, c.ObservedGeneration, obj.GetGeneration(), c.Message)
		}
		return nil
	})
	return got
}

func (h *harness) waitReady(obj client.Object) {
	h.t.Helper()
	h.waitCondition(obj, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 20*time.Second)
	h.waitCondition(obj, v1alpha1.ConditionSynced, metav1.ConditionTrue, v1alpha1.ReasonReconciled, 20*time.Second)
}

// events returns the events recorded for obj, oldest first.
func (h *harness) events(obj client.Object) []eventsv1.Event {
	h.t.Helper()
	var list eventsv1.EventList
	if err := h.k.List(h.ctx, &list, client.InNamespace(h.ns)); err != nil {
		h.t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Regarding.UID == obj.GetUID() {
			out = append(out, e)
		}
	}
	return out
}

// waitEvent waits for an event with the reason whose note contains text.
func (h *harness) waitEvent(obj client.Object, reason, text string) eventsv1.Event {
	h.t.Helper()
	var found eventsv1.Event
	h.eventually(15*time.Second, "event "+reason+" "+text, func() error {
		for _, e := range h.events(obj) {
			if e.Reason == reason && strings.Contains(e.Note, text) {
				found = e
				return nil
			}
		}
		var seen []string
		for _, e := range h.events(obj) {
			seen = append(seen, e.Reason+": "+e.Note)
		}
		return fmt.Errorf("no %s event containing %q among %q", reason, text, seen)
	})
	return found
}

// deleteAndWait deletes obj and waits until it is gone from the apiserver.
func (h *harness) deleteAndWait(obj client.Object) {
	h.t.Helper()
	if err := h.k.Delete(h.ctx, obj); err != nil {
		h.t.Fatal(err)
	}
	h.eventually(30*time.Second, "deletion of "+obj.GetName(), func() error {
		err := h.k.Get(h.ctx, client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (finalizers %v, state %q)", obj.GetFinalizers(), commonStatus(obj).State)
	})
}

// mutatingCalls sums ec2sim's counters of mutating actions.
func (h *harness) mutatingCalls() map[string]int {
	out := map[string]int{}
	for action, outcomes := range h.sim.Counters() {
		if !ec2sim.IsMutating(action) {
			continue
		}
		for _, n := range outcomes {
			out[action] += n
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// endpoint describes an endpoint in ec2sim.
func (h *harness) endpoint(id string) types.VpcEndpoint {
	h.t.Helper()
	out, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil || len(out.VpcEndpoints) != 1 {
		h.t.Fatalf("describe %s: %v", id, err)
	}
	return out.VpcEndpoints[0]
}

// liveEndpoints lists the endpoints of the fixture VPC that are not deleted.
func (h *harness) liveEndpoints() []types.VpcEndpoint {
	h.t.Helper()
	out, err := h.ec2.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		h.t.Fatal(err)
	}
	var live []types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		if s := strings.ToLower(string(e.State)); s != "deleted" && s != "deleting" {
			live = append(live, e)
		}
	}
	return live
}

// routesTo returns the route tables that route the prefix list to the endpoint.
// waitRoutes waits until the route tables AWS shows routing to the endpoint are
// want: AWS shows new and removed routes late, so one read proves nothing.
func (h *harness) waitRoutes(endpointID string, want []string) {
	h.t.Helper()
	want = slices.Sorted(slices.Values(want))
	h.eventually(15*time.Second, "routes to "+endpointID, func() error {
		if got := h.routesTo(endpointID); !slices.Equal(got, want) {
			return fmt.Errorf("AWS routes to the endpoint in %v, want %v", got, want)
		}
		return nil
	})
}

func (h *harness) routesTo(endpointID string) []string {
	h.t.Helper()
	out, err := h.ec2.DescribeRouteTables(h.ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{h.fix.VPCID}}}})
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for _, rt := range out.RouteTables {
		for _, r := range rt.Routes {
			if aws.ToString(r.GatewayId) == endpointID && r.DestinationPrefixListId != nil {
				ids = append(ids, aws.ToString(rt.RouteTableId))
			}
		}
	}
	return sortStrings(ids)
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func (h *harness) privateRouteTables() []string {
	var ids []string
	for _, s := range h.fix.PrivateSubnets {
		ids = append(ids, s.RouteTableID)
	}
	return sortStrings(ids)
}

func (h *harness) privateSubnets() []string {
	var ids []string
	for _, s := range h.fix.PrivateSubnets {
		ids = append(ids, s.SubnetID)
	}
	return sortStrings(ids)
}

// publishedPolicy joins the statements of the named files of config/iam into one
// policy document.
func publishedPolicy(t *testing.T, files ...string) []byte {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var all []json.RawMessage
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(root, "config", "iam", f))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Statement []json.RawMessage }
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		all = append(all, doc.Statement...)
	}
	out, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": all})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
