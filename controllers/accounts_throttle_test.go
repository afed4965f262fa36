package controllers_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// TestBusyAccountDoesNotSlowAnother: the client-side EC2 buckets are per AWS
// account and region. Account 222222222222 gets eight interface endpoints at once
// in us-east-1, so its endpoint-write bucket there (here 0.5 per second, burst 1)
// keeps it busy for about 14 seconds. Meanwhile two gateway endpoints converge
// in account 333333333333, and two in account 222222222222's eu-west-1, as fast as
// those of account 444444444444 with nothing else going on (measured first): the
// ratios stay near 1, where one shared bucket makes them wait behind the busy
// queue (a ratio of about 7.5 when the buckets are made one).
func TestBusyAccountDoesNotSlowAnother(t *testing.T) {
	const hub, busyAcct, quietAcct, aloneAcct = "111111111111", "222222222222", "333333333333", "444444444444"
	h := newAccountHarness(t, accountHarnessOptions{
		harnessOptions: harnessOptions{simOpts: ec2sim.Options{Accounts: []string{hub, busyAcct, quietAcct, aloneAcct}}},
		options:        func(o *manager.Options) { o.AWSAPIThrottle = "vpc-endpoint-writes=0.5:1" },
	})
	account := func(name, id string) string {
		n := h.accountName(name)
		role := h.spokeRole(id, "vpce-controller-spoke", "")
		h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: n}, Spec: v1alpha1.AWSAccountSpec{RoleARN: role, NamespaceSelector: metav1.LabelSelector{}}})
		a := h.waitAccount(n, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
		if a.Status.AccountID != id {
			t.Fatalf("AWSAccount %s resolves to account %s, want %s", n, a.Status.AccountID, id)
		}
		return n
	}
	busy, quiet, alone := account("busy", busyAcct), account("quiet", quietAcct), account("alone", aloneAcct)

	// twoGateways are an S3 and a DynamoDB gateway endpoint in an account's
	// fixture VPC of a region.
	twoGateways := func(prefix, acct, id, region string) []client.Object {
		fx := h.sim.Account(id).Region(region).LoadFixture()
		rt := []string{fx.PrivateSubnets[0].RouteTableID}
		s3 := gateway(prefix+"-s3", fx.VPCID, v1alpha1.RouteTableSelector{IDs: rt})
		ddb := gateway(prefix+"-ddb", fx.VPCID, v1alpha1.RouteTableSelector{IDs: rt})
		ddb.Spec.Service = "dynamodb"
		for _, o := range []*v1alpha1.GatewayEndpoint{s3, ddb} {
			o.Spec.AccountRef = &v1alpha1.AccountReference{Name: acct}
			o.Spec.Region = region
		}
		return []client.Object{s3, ddb}
	}
	// converge creates objects and returns how long until all are Ready.
	converge := func(objs []client.Object) time.Duration {
		start := time.Now()
		for _, o := range objs {
			h.create(o)
		}
		for _, o := range objs {
			h.waitCondition(o, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 2*time.Minute)
		}
		return time.Since(start)
	}

	baseline := converge(twoGateways("alone", alone, aloneAcct, "us-east-1"))

	busyFx := h.sim.Account(busyAcct).LoadFixture()
	var queue []client.Object
	for i, svc := range []string{"ssm", "ssmmessages", "ec2messages", "logs", "kms", "sts", "sqs", "monitoring"} {
		e := iface(fmt.Sprintf("busy-%d", i), busyFx.VPCID, svc, v1alpha1.SubnetSelector{IDs: []string{busyFx.PrivateSubnets[0].SubnetID}})
		e.Spec.PrivateDNS.Enabled = false
		e.Spec.AccountRef = &v1alpha1.AccountReference{Name: busy}
		queue = append(queue, e)
	}
	busyStart := time.Now()
	for _, o := range queue {
		h.create(o)
	}
	otherAccount := converge(twoGateways("other-account", quiet, quietAcct, "us-east-1"))
	otherRegion := converge(twoGateways("other-region", busy, busyAcct, "eu-west-1"))
	for _, o := range queue {
		h.waitCondition(o, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 2*time.Minute)
	}
	busyTook := time.Since(busyStart)

	t.Logf("two endpoints of an idle account: %v; beside the busy account: another account %v (ratio %.2f), the busy account's other region %v (ratio %.2f); the busy account's 8 endpoints: %v",
		baseline.Round(time.Millisecond), otherAccount.Round(time.Millisecond), ratio(otherAccount, baseline),
		otherRegion.Round(time.Millisecond), ratio(otherRegion, baseline), busyTook.Round(time.Millisecond))
	for what, d := range map[string]time.Duration{"another account": otherAccount, "another region of the busy account": otherRegion} {
		if r := ratio(d, baseline); r > 3.5 { // about 7.5 with one shared bucket; CPU load moves it little
			t.Errorf("%s took %.2f times as long beside the busy account as an idle account: they share a bucket", what, r)
		}
	}
	if busyTook < 2*max(otherAccount, otherRegion) {
		t.Errorf("the busy account took %v, not clearly more than the others: the test did not keep it busy", busyTook)
	}
	// Each endpoint lives in its account and region, as its status says.
	for id, region := range map[string]string{busyAcct: "eu-west-1", quietAcct: "us-east-1", aloneAcct: "us-east-1"} {
		out := h.liveEndpointsOf(id, region)
		if len(out) == 0 {
			t.Errorf("no endpoint in account %s, %s", id, region)
		}
	}
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
