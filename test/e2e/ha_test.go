package e2e

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// leaseDuration is controller-runtime's default lease duration, which the
// manager keeps; a standby may take over once the leader has not renewed for
// that long, and it retries every 2 s (the default retry period).
const leaseDuration = 15 * time.Second

// TestLeaderHandover runs two replicas with --leader-elect, kills the leader
// with SIGKILL, and checks that the standby takes over within the lease
// duration (plus two retry periods and slack), that objects created before and
// during the handover become Ready, and that no endpoint is created twice.
func TestLeaderHandover(t *testing.T) {
	h := newHAEnv(t, 2*time.Minute)
	cp := h.controlPlane("cp")
	args := []string{"--leader-elect", "--leader-election-namespace", "default"}
	replicas := []*Manager{h.manager("replica-0", cp, "ha", args...), h.manager("replica-1", cp, "ha", args...)}
	if err := h.sim.ResetCounters(); err != nil {
		t.Fatal(err)
	}

	// One leader, the other standing by.
	var leader, standby *Manager
	deadline := time.Now().Add(30 * time.Second)
	for leader == nil {
		switch a, b := isLeader(replicas[0]), isLeader(replicas[1]); {
		case a && b:
			t.Fatal("both replicas report leadership")
		case a:
			leader, standby = replicas[0], replicas[1]
		case b:
			leader, standby = replicas[1], replicas[0]
		case time.Now().After(deadline):
			t.Fatal("no replica became leader within 30s")
		default:
			time.Sleep(200 * time.Millisecond)
		}
	}
	lease := &coordinationv1.Lease{}
	leaseKey := types.NamespacedName{Namespace: "default", Name: "vpce-controller-ha.vpce.dev"}
	if err := cp.Client.Get(h.ctx, leaseKey, lease); err != nil {
		t.Fatalf("lease %s: %v", leaseKey, err)
	}
	holder := *lease.Spec.HolderIdentity
	t.Logf("leader: pid %d, lease holder %s", leader.PID(), holder)

	rts := h.fx.PrivateSubnets
	before := []client.Object{
		gatewayOn("default", "s3", "s3", h.fx.VPCID, rts[0].RouteTableID),
		privateInterface("default", "ssm", "ssm", h.fx.VPCID),
	}
	h.create(cp, before...)
	h.waitReady(cp, 30*time.Second, before...)

	// Crash the leader; its lease stays until it expires.
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	during := []client.Object{
		gatewayOn("default", "dynamodb", "dynamodb", h.fx.VPCID, rts[1].RouteTableID, rts[2].RouteTableID),
		privateInterface("default", "sts", "sts", h.fx.VPCID),
	}
	h.create(cp, during...)

	// The standby notices the last renewal up to one jittered retry period
	// (2.4 s) late, and tries again only every retry period after expiry; 15 s more for
	// an apiserver slowed by a busy machine.
	bound := leaseDuration + 2*2400*time.Millisecond + 15*time.Second
	for !isLeader(standby) {
		if time.Since(killed) > bound {
			t.Fatalf("the standby did not take over within %s of the leader's death", bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
	handover := time.Since(killed)
	t.Logf("handover after %s", handover.Round(100*time.Millisecond))
	if err := cp.Client.Get(h.ctx, leaseKey, lease); err != nil {
		t.Fatal(err)
	}
	if got := *lease.Spec.HolderIdentity; got == holder {
		t.Errorf("lease holder still %s after the handover", got)
	}
	h.waitReady(cp, 30*time.Second, during...)
	h.waitReady(cp, 10*time.Second, before...)

	// The restarted replica stands by: the lease stays with the new leader.
	if err := leader.Restart(h.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if isLeader(leader) || !isLeader(standby) {
		t.Errorf("after the old leader's restart: old leader %v, new leader %v", isLeader(leader), isLeader(standby))
	}

	all := append(before, during...)
	byOwner := h.endpointsByOwner()
	for _, o := range all {
		eps := byOwner[string(o.GetUID())]
		if len(eps) != 1 {
			t.Errorf("%s has %d endpoints, want 1", describeObj(o), len(eps))
			continue
		}
		if id := *eps[0].VpcEndpointId; id != endpointIDOf(o) {
			t.Errorf("%s: status.endpointID %s, its endpoint %s", describeObj(o), endpointIDOf(o), id)
		}
	}
	if n := h.counter("CreateVpcEndpoint", "ok"); n != len(all) {
		t.Errorf("%d CreateVpcEndpoint calls for %d objects", n, len(all))
	}
}
