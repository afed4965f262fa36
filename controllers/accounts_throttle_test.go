package controllers_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// TestBusyAccountDoesNotSlowAnother: the client-side EC2 buckets are per AWS
// account (and region). Account A gets eight interface endpoints at once, so its
// endpoint-write bucket (here 0.5 per second, burst 1) keeps it busy for about
// 14 seconds; account B's two gateway endpoints, created meanwhile, converge as
// fast as those of an account with nothing else going on (C, measured first):
// the ratio of B's time to C's stays near 1, where one shared bucket would make B
// wait behind A's queue (about 8 times C's time).
func TestBusyAccountDoesNotSlowAnother(t *testing.T) {
	h := newAccountHarness(t, accountHarnessOptions{options: func(o *manager.Options) {
		o.AWSAPIThrottle = "vpc-endpoint-writes=0.5:1"
	}})
	account := func(name, id string) string {
		n := h.accountName(name)
		role := "arn:aws:iam::" + id + ":role/vpce-controller-spoke"
		h.sts.allow(role, "")
		h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: n}, Spec: v1alpha1.AWSAccountSpec{RoleARN: role, NamespaceSelector: metav1.LabelSelector{}}})
		h.waitAccount(n, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 20*time.Second)
		return n
	}
	a, b, c := account("busy", "222222222222"), account("quiet", "333333333333"), account("alone", "444444444444")
	rts := h.privateRouteTables()
	// twoGateways are the objects of a quiet account: an S3 and a DynamoDB gateway
	// endpoint on route table i (each service takes one endpoint per table).
	twoGateways := func(prefix, acct string, i int) []client.Object {
		s3 := gateway(prefix+"-s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[i : i+1]})
		ddb := gateway(prefix+"-ddb", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[i : i+1]})
		ddb.Spec.Service = "dynamodb"
		for _, o := range []*v1alpha1.GatewayEndpoint{s3, ddb} {
			o.Spec.AccountRef = &v1alpha1.AccountReference{Name: acct}
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

	alone := converge(twoGateways("alone", c, 0))

	var busy []client.Object
	for i, svc := range []string{"ssm", "ssmmessages", "ec2messages", "logs", "kms", "sts", "sqs", "monitoring"} {
		e := iface(fmt.Sprintf("busy-%d", i), h.fix.VPCID, svc, v1alpha1.SubnetSelector{IDs: h.privateSubnets()[:1]})
		e.Spec.PrivateDNS.Enabled = false
		e.Spec.AccountRef = &v1alpha1.AccountReference{Name: a}
		busy = append(busy, e)
	}
	busyStart := time.Now()
	for _, o := range busy {
		h.create(o)
	}
	beside := converge(twoGateways("beside", b, 1))
	for _, o := range busy {
		h.waitCondition(o, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 2*time.Minute)
	}
	busyTook := time.Since(busyStart)

	ratio := float64(beside) / float64(alone)
	t.Logf("quiet account alone: %v; quiet account beside a busy one: %v (ratio %.2f); the busy account's 8 endpoints: %v", alone.Round(time.Millisecond), beside.Round(time.Millisecond), ratio, busyTook.Round(time.Millisecond))
	if ratio > 2 {
		t.Errorf("account B took %.2f times as long beside a busy account as account C alone: they share a bucket", ratio)
	}
	if busyTook < 2*beside {
		t.Errorf("the busy account took %v, not clearly more than the quiet one's %v: the test did not keep it busy", busyTook, beside)
	}
}
