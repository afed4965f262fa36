package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

func TestStalledGaugeFollowsTheStalledCondition(t *testing.T) {
	r := metrics.NewRecorder()
	obj := &v1alpha1.GatewayEndpoint{ObjectMeta: metav1.ObjectMeta{Name: "s3", Namespace: "team-a", UID: types.UID("uid-stalled")}}
	stalled := func() float64 {
		return testutil.ToFloat64(metrics.Stalled.WithLabelValues("GatewayEndpoint", "VPCNotFound"))
	}
	before := stalled()

	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Problem: &endpoint.Problem{Reason: "VPCNotFound", Class: awserr.Terminal}})
	if got := stalled() - before; got != 1 {
		t.Fatalf("after a terminal problem the gauge moved by %v, want 1", got)
	}
	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Problem: &endpoint.Problem{Reason: "VPCNotFound", Class: awserr.Terminal}})
	if got := stalled() - before; got != 1 {
		t.Fatalf("a second reconcile of the same stalled object moved the gauge by %v, want 1 in all", got)
	}
	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Problem: &endpoint.Problem{Reason: "AWSUnavailable", Class: awserr.Retryable}})
	if got := stalled() - before; got != 0 {
		t.Fatalf("a retryable problem left the stalled gauge at +%v; only terminal problems stall", got)
	}
	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Problem: &endpoint.Problem{Reason: "VPCNotFound", Class: awserr.Terminal}})
	r.Reconciled("GatewayEndpoint", obj, endpoint.Outcome{Done: true})
	if got := stalled() - before; got != 0 {
		t.Fatalf("after deletion finished the stalled gauge is at +%v, want 0", got)
	}
}
