package controllers_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/controllers"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// reconcileCounter counts, per shard, the reconciles that acted on each object
// (namespace/name): those that passed the shard's selection and the claim.
type reconcileCounter struct {
	mu sync.Mutex
	by map[string]map[string]int
}

// shardObserver is one shard's view of the counter (a controllers.Observer).
type shardObserver struct {
	c     *reconcileCounter
	shard string
}

func (o shardObserver) Reconciled(_ string, obj client.Object, _ endpoint.Outcome) {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	if o.c.by[o.shard] == nil {
		o.c.by[o.shard] = map[string]int{}
	}
	o.c.by[o.shard][client.ObjectKeyFromObject(obj).String()]++
}

func (shardObserver) Forget(string, types.NamespacedName)            {}
func (shardObserver) DriftRepaired(string, client.Object, ...string) {}
func (shardObserver) SyncSkipped(string)                             {}

func (c *reconcileCounter) count(shard string, obj client.Object) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by[shard][client.ObjectKeyFromObject(obj).String()]
}

// shardHarness runs shards of one cluster ("test") over the harness's
// namespaces, each counting its reconciles and EC2 calls per object.
type shardHarness struct {
	*harness
	reconciles *reconcileCounter
	calls      map[string]*callCounter
	stop       map[string]func()
}

func newShardHarness(t *testing.T) *shardHarness {
	h := newHarness(t, harnessOptions{noStart: true, extraNamespaces: 1})
	return &shardHarness{harness: h, reconciles: &reconcileCounter{by: map[string]map[string]int{}}, calls: map[string]*callCounter{}, stop: map[string]func(){}}
}

// startShard runs a manager of cluster "test" as shard name, selecting
// namespaces with selector.
func (s *shardHarness) startShard(name, selector string) {
	s.t.Helper()
	calls := &callCounter{by: map[string]map[string]int{}}
	s.calls[name] = calls
	s.options = func(o *manager.Options) {
		o.Shard = manager.ShardOptions{Name: name, NamespaceSelector: selector}
		o.Observers = []controllers.Observer{shardObserver{s.reconciles, name}}
	}
	s.stop[name] = s.startManager("test", calls.option())
	s.options = nil
}

// labelNamespace sets the shard label of a namespace.
func (s *shardHarness) labelNamespace(ns, shard string) {
	s.t.Helper()
	s.eventually(10*time.Second, "label namespace "+ns, func() error {
		var n corev1.Namespace
		if err := s.k.Get(s.ctx, client.ObjectKey{Name: ns}, &n); err != nil {
			return err
		}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels["vpce.dev/shard"] = shard
		return s.k.Update(s.ctx, &n)
	})
}

// createIn creates obj in namespace ns.
func (s *shardHarness) createIn(ns string, obj client.Object) {
	s.t.Helper()
	obj.SetNamespace(ns)
	if err := s.k.Create(s.ctx, obj); err != nil {
		s.t.Fatalf("create %s: %v", obj.GetName(), err)
	}
}

// eventsOf returns the events of obj, in whichever namespace it lives.
func (s *shardHarness) eventsOf(obj client.Object, reason string) []eventsv1.Event {
	s.t.Helper()
	var list eventsv1.EventList
	if err := s.k.List(s.ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		s.t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Regarding.UID == obj.GetUID() && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// waitEventIn waits for an event of obj with the reason whose note contains text.
func (s *shardHarness) waitEventIn(obj client.Object, reason, text string) {
	s.t.Helper()
	s.eventually(20*time.Second, fmt.Sprintf("%s: event %s %q", obj.GetName(), reason, text), func() error {
		for _, e := range s.eventsOf(obj, reason) {
			if strings.Contains(e.Note, text) {
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
}

// actedOnBy returns the shards that reconciled obj past the claim or made an
// EC2 call for it.
func (s *shardHarness) actedOnBy(obj client.Object) []string {
	var out []string
	key := client.ObjectKeyFromObject(obj).String()
	for _, shard := range []string{"a", "b", "c"} {
		calls := 0
		if c := s.calls[shard]; c != nil {
			for _, n := range c.calls(key) {
				calls += n
			}
		}
		if s.reconciles.count(shard, obj) > 0 || calls > 0 {
			out = append(out, shard)
		}
	}
	return out
}

// TestTwoShardsSplitTheObjects: two managers of one cluster (one --cluster-name)
// split its objects by namespace label (--shard-namespace-selector). Each object
// is claimed (vpce.dev/claimed-by=test/<shard>) and reconciled by the shard of its
// namespace only: the other shard neither reconciles it nor makes an EC2 call for
// it, and every object converges, drift checks included. A namespace relabelled
// from one shard to the other moves its objects: the old shard releases them
// (ClaimReleased), the new one takes them over with the same endpoints. A third
// shard whose selector overlaps both by mistake acts on nothing another shard
// claimed and says why (ClaimedElsewhere); a new object both select is claimed
// and reconciled by exactly one of them.
func TestTwoShardsSplitTheObjects(t *testing.T) {
	s := newShardHarness(t)
	nsA, nsB := s.ns, s.extra[0]
	s.labelNamespace(nsA, "a")
	s.labelNamespace(nsB, "b")
	s.startShard("a", "vpce.dev/shard=a")
	s.startShard("b", "vpce.dev/shard=b")

	rts, subnets := s.privateRouteTables(), s.privateSubnets()
	shardOf := map[client.Object]string{}
	add := func(shard, ns string, o client.Object) {
		s.createIn(ns, o)
		shardOf[o] = shard
	}
	ddb := func(name, rt string) *v1alpha1.GatewayEndpoint {
		g := gateway(name, s.fix.VPCID, v1alpha1.RouteTableSelector{IDs: []string{rt}})
		g.Spec.Service = "dynamodb"
		return g
	}
	noDNS := func(name, svc, subnet string) *v1alpha1.InterfaceEndpoint {
		e := iface(name, s.fix.VPCID, svc, v1alpha1.SubnetSelector{IDs: []string{subnet}})
		e.Spec.PrivateDNS.Enabled = false
		return e
	}
	add("a", nsA, gateway("a-s3", s.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[:1]}))
	add("a", nsA, ddb("a-ddb", rts[1]))
	add("a", nsA, noDNS("a-ssm", "ssm", subnets[0]))
	add("b", nsB, gateway("b-s3", s.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[2:3]}))
	add("b", nsB, ddb("b-ddb", rts[2]))
	add("b", nsB, noDNS("b-logs", "logs", subnets[1]))
	add("b", nsB, eice("b-eice", s.fix.VPCID))

	// Each converges, claimed and reconciled (drift checks included) by its
	// namespace's shard only.
	for o, shard := range shardOf {
		s.waitReady(o)
		if got := o.GetAnnotations()[v1alpha1.ClaimAnnotation]; got != "test/"+shard {
			t.Errorf("%s/%s claimed by %q, want test/%s", o.GetNamespace(), o.GetName(), got, shard)
		}
	}
	for o, shard := range shardOf {
		s.eventually(10*syncPeriod, o.GetName()+": drift checks by its shard", func() error {
			if n := s.reconciles.count(shard, o); n < 3 {
				return fmt.Errorf("%d reconciles by shard %s", n, shard)
			}
			return nil
		})
	}
	for o, shard := range shardOf {
		if by := s.actedOnBy(o); len(by) != 1 || by[0] != shard {
			t.Errorf("%s/%s acted on by shards %v, want only %s", o.GetNamespace(), o.GetName(), by, shard)
		}
		if ev := s.eventsOf(o, v1alpha1.EventClaimedElsewhere); len(ev) > 0 {
			t.Errorf("%s/%s: %d ClaimedElsewhere events with disjoint shards: %q", o.GetNamespace(), o.GetName(), len(ev), ev[0].Note)
		}
	}
	if live := append(s.liveEndpointIDs(), s.liveICEIDs()...); len(live) != len(shardOf) {
		t.Fatalf("%d live endpoints for %d objects", len(live), len(shardOf))
	}

	// Namespace B moves to shard a: shard b releases its objects, shard a takes
	// them over with their endpoints, and shard b stops acting on them.
	endpointOf := map[client.Object]string{}
	for o := range shardOf {
		endpointOf[o] = commonStatus(o).EndpointID
	}
	s.labelNamespace(nsB, "a")
	var moved []client.Object
	for o, shard := range shardOf {
		if shard != "b" {
			continue
		}
		moved = append(moved, o)
		s.waitEventIn(o, v1alpha1.EventClaimReleased, "Shard b of cluster test")
		s.eventually(20*time.Second, o.GetName()+": claimed by shard a", func() error {
			s.get(o)
			if got := o.GetAnnotations()[v1alpha1.ClaimAnnotation]; got != "test/a" {
				return fmt.Errorf("claimed by %q", got)
			}
			return nil
		})
		shardOf[o] = "a"
	}
	before := map[client.Object]int{}
	for _, o := range moved {
		before[o] = s.reconciles.count("a", o)
	}
	stopped := map[client.Object]int{}
	for _, o := range moved {
		stopped[o] = s.reconciles.count("b", o)
	}
	for _, o := range moved {
		s.eventually(10*syncPeriod, o.GetName()+": drift checks by shard a", func() error {
			if n := s.reconciles.count("a", o) - before[o]; n < 2 {
				return fmt.Errorf("%d reconciles by shard a since the move", n)
			}
			return nil
		})
		s.waitReady(o)
		if got := commonStatus(o).EndpointID; got != endpointOf[o] {
			t.Errorf("%s: endpoint %s after the move, %s before", o.GetName(), got, endpointOf[o])
		}
		if n := s.reconciles.count("b", o) - stopped[o]; n != 0 {
			t.Errorf("%s: shard b reconciled it %d times after releasing it", o.GetName(), n)
		}
	}
	if live := append(s.liveEndpointIDs(), s.liveICEIDs()...); len(live) != len(shardOf) {
		t.Fatalf("after the move: %d live endpoints for %d objects", len(live), len(shardOf))
	}

	// A third shard selects every labelled namespace: an overlap by mistake. It
	// acts on none of the objects claimed already, and says why.
	s.startShard("c", "vpce.dev/shard")
	for o := range shardOf {
		s.waitEventIn(o, v1alpha1.EventClaimedElsewhere, "Claimed by shard a of cluster test")
		s.waitEventIn(o, v1alpha1.EventClaimedElsewhere, "this shard (c, selecting namespaces vpce.dev/shard) leaves it alone: the shards' selectors overlap")
	}
	// New objects both shards select are claimed and reconciled by exactly one;
	// an edit of one is applied once, by its claimer.
	contested := []client.Object{ddb("a2-ddb", rts[0]), noDNS("b2-sqs", "sqs", subnets[2])}
	s.createIn(nsA, contested[0])
	s.createIn(nsB, contested[1])
	for _, o := range contested {
		s.waitReady(o)
		claim := o.GetAnnotations()[v1alpha1.ClaimAnnotation]
		if claim != "test/a" && claim != "test/c" {
			t.Fatalf("%s claimed by %q", o.GetName(), claim)
		}
		shardOf[o] = strings.TrimPrefix(claim, "test/")
		other := map[string]string{"a": "c", "c": "a"}[shardOf[o]]
		s.waitEventIn(o, v1alpha1.EventClaimedElsewhere, fmt.Sprintf("this shard (%s,", other))
	}
	gw := contested[0].(*v1alpha1.GatewayEndpoint)
	s.update(gw, func() { gw.Spec.Tags = map[string]v1alpha1.TagValue{"team": "a"} })
	s.eventually(20*time.Second, "tag applied", func() error {
		s.get(gw)
		if got := tagsOf(s.endpoint(gw.Status.EndpointID).Tags)["team"]; got != "a" {
			return fmt.Errorf("team tag %q", got)
		}
		return nil
	})
	for _, o := range contested {
		s.eventually(10*syncPeriod, o.GetName()+": drift checks by its claimer", func() error {
			if n := s.reconciles.count(shardOf[o], o); n < 3 {
				return fmt.Errorf("%d reconciles by shard %s", n, shardOf[o])
			}
			return nil
		})
	}
	// Who acted on what, over the whole test: the moved objects by shard b, then
	// shard a; every other object by one shard.
	for o, shard := range shardOf {
		want := []string{shard}
		if slices.Contains(moved, o) {
			want = []string{"a", "b"}
		}
		if by := s.actedOnBy(o); !slices.Equal(by, want) {
			t.Errorf("%s/%s acted on by shards %v, want %v", o.GetNamespace(), o.GetName(), by, want)
		}
	}
	if live := append(s.liveEndpointIDs(), s.liveICEIDs()...); len(live) != len(shardOf) {
		t.Fatalf("with overlapping shards: %d live endpoints for %d objects", len(live), len(shardOf))
	}
	t.Logf("objects per shard: %v", countShards(shardOf))
}

func countShards(m map[client.Object]string) map[string]int {
	out := map[string]int{}
	for _, s := range m {
		out[s]++
	}
	return out
}

// TestShardsSplitByAccount: two shards of one cluster split its objects by the
// AWSAccount they use (--shard-accounts), in one namespace. Each object is
// claimed and reconciled by the shard of its account only, and its endpoint
// lives in that account.
func TestShardsSplitByAccount(t *testing.T) {
	const hub, first, second = "111111111111", "222222222222", "333333333333"
	h := newAccountHarness(t, accountHarnessOptions{harnessOptions: harnessOptions{noStart: true, simOpts: ec2sim.Options{Accounts: []string{hub, first, second}}}})
	account := func(suffix, id string) string {
		n := h.accountName(suffix)
		h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: n}, Spec: v1alpha1.AWSAccountSpec{
			RoleARN: h.spokeRole(id, "vpce-controller-spoke", ""), NamespaceSelector: metav1.LabelSelector{}}})
		return n
	}
	acctX, acctY := account("x", first), account("y", second)
	reconciles := &reconcileCounter{by: map[string]map[string]int{}}
	for shard, acct := range map[string]string{"x": acctX, "y": acctY} {
		h.options = func(o *manager.Options) {
			o.Shard = manager.ShardOptions{Name: shard, Accounts: acct}
			o.Observers = []controllers.Observer{shardObserver{reconciles, shard}}
		}
		h.startManager(h.cluster)
	}
	h.waitAccount(acctX, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
	h.waitAccount(acctY, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)

	shardOf := map[client.Object]string{}
	for shard, c := range map[string]struct{ acct, id string }{"x": {acctX, first}, "y": {acctY, second}} {
		fx := h.sim.Account(c.id).LoadFixture()
		for _, svc := range []v1alpha1.GatewayService{"s3", "dynamodb"} {
			g := gateway(fmt.Sprintf("%s-%s", shard, svc), fx.VPCID, v1alpha1.RouteTableSelector{IDs: []string{fx.PrivateSubnets[0].RouteTableID}})
			g.Spec.Service = svc
			g.Spec.AccountRef = &v1alpha1.AccountReference{Name: c.acct}
			h.create(g)
			shardOf[g] = shard
		}
	}
	for o, shard := range shardOf {
		h.waitReady(o)
		if got := o.GetAnnotations()[v1alpha1.ClaimAnnotation]; got != h.cluster+"/"+shard {
			t.Errorf("%s claimed by %q, want %s/%s", o.GetName(), got, h.cluster, shard)
		}
		want := map[string]string{"x": first, "y": second}[shard]
		if got := commonStatus(o).AccountID; got != want {
			t.Errorf("%s lives in account %s, want %s", o.GetName(), got, want)
		}
	}
	for o, shard := range shardOf {
		h.eventually(10*syncPeriod, o.GetName()+": drift checks by its shard", func() error {
			if n := reconciles.count(shard, o); n < 3 {
				return fmt.Errorf("%d reconciles by shard %s", n, shard)
			}
			return nil
		})
		other := map[string]string{"x": "y", "y": "x"}[shard]
		if n := reconciles.count(other, o); n != 0 {
			t.Errorf("%s: reconciled %d times by shard %s, which does not serve its account", o.GetName(), n, other)
		}
	}
}

// liveEndpointIDs are the IDs of the VPC endpoints not being deleted.
func (h *harness) liveEndpointIDs() []string {
	var ids []string
	for _, e := range h.liveEndpoints() {
		ids = append(ids, aws.ToString(e.VpcEndpointId))
	}
	return ids
}

// liveICEIDs are the IDs of the Instance Connect Endpoints not being deleted.
func (h *harness) liveICEIDs() []string {
	var ids []string
	for _, e := range h.liveICEs() {
		ids = append(ids, aws.ToString(e.InstanceConnectEndpointId))
	}
	return ids
}
