package controllers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDriftCheckCostDoesNotGrowWithObjects: at rest, every object is still checked
// each sync period, but from one shared snapshot per region, so EC2 calls do not
// grow with the number of objects.
func TestDriftCheckCostDoesNotGrowWithObjects(t *testing.T) {
	// Creates at ten times AWS's pace, to keep the test short.
	h := newHarness(t, harnessOptions{throttle: "vpc-endpoint-writes=3:40"})
	const n = 24
	var objs []client.Object
	rts := h.privateRouteTables()
	for i := 0; i < n; i++ {
		// Gateways: one s3 and one dynamodb endpoint per route table (two of one
		// service in one table would clash).
		svc := v1alpha1.GatewayService("s3")
		if i%2 == 1 {
			svc = "dynamodb"
		}
		if i < 6 {
			gw := gateway(fmt.Sprintf("gw-%d", i), h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[(i/2)%3 : (i/2)%3+1]})
			gw.Spec.Service = svc
			objs = append(objs, gw)
		} else {
			// Private DNS off: two endpoints of one service may not both claim its name.
			ie := iface(fmt.Sprintf("if-%d", i), h.fix.VPCID, []string{"ssm", "logs", "sts", "kms", "sqs", "sns", "monitoring", "lambda", "ecr.api"}[i%9], v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
			ie.Spec.PrivateDNS.Enabled = false
			objs = append(objs, ie)
		}
	}
	for _, o := range objs {
		h.create(o)
	}
	for _, o := range objs {
		h.waitCondition(o, v1alpha1.ConditionReady, "True", "", 60*time.Second)
	}
	h.sim.ResetCounters()
	window := 3 * syncPeriod
	time.Sleep(window)
	calls := 0
	for _, outcomes := range h.sim.Counters() {
		for _, c := range outcomes {
			calls += c
		}
	}
	// One snapshot refresh per second at most for endpoints and for groups, plus
	// the occasional inventory refresh; per-object describes would be 2+ per object
	// per sync period (> 150 here).
	limit := 2*int(window/time.Second) + 6
	if calls > limit {
		t.Fatalf("%d EC2 calls at rest for %d objects over %v (limit %d): %v", calls, n, window, limit, h.sim.Counters())
	}
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("mutating calls at rest: %v", m)
	}
}
