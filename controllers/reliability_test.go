package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// dieAfter returns EC2 client options that stop the manager the moment a call of
// action succeeds and hide the response, as if the process died between the AWS
// write and the status write.
func dieAfter(action string, stop *atomic.Pointer[context.CancelFunc]) func(*ec2.Options) {
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("die-after", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil && awsmiddleware.GetOperationName(ctx) == action {
					if f := stop.Load(); f != nil {
						(*f)()
					}
					return out, md, errors.New("manager killed")
				}
				return out, md, err
			}), middleware.After)
		})
	}
}

func TestCrashBetweenCreateAndStatusWrite(t *testing.T) {
	for _, kind := range []string{"gateway", "interface"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, harnessOptions{noStart: true})
			var obj client.Object
			if kind == "gateway" {
				obj = gateway("crash", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
			} else {
				obj = iface("crash", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
			}
			var stop atomic.Pointer[context.CancelFunc]
			stopFirst := h.startManager("test", dieAfter("CreateVpcEndpoint", &stop))
			cancel := context.CancelFunc(func() { go stopFirst() })
			stop.Store(&cancel)
			h.create(obj)
			h.eventually(15*time.Second, "the first manager creates the endpoint and dies", func() error {
				if n := h.sim.Counters()["CreateVpcEndpoint"]["ok"]; n != 1 {
					return fmt.Errorf("%d creates", n)
				}
				return nil
			})
			time.Sleep(500 * time.Millisecond)
			h.get(obj)
			if id := commonStatus(obj).EndpointID; id != "" {
				t.Fatalf("status already has %s: the crash came too late", id)
			}
			h.startManager("test")
			h.waitReady(obj)
			if n := len(h.liveEndpoints()); n != 1 {
				t.Fatalf("%d endpoints after the crash, want exactly 1", n)
			}
			if n := h.sim.Counters()["CreateVpcEndpoint"]["ok"]; n != 1 {
				t.Fatalf("%d CreateVpcEndpoint calls: the second manager did not find the first endpoint", n)
			}
			if kind == "interface" {
				groups, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, g := range groups.SecurityGroups {
					if tagsOf(g.Tags)["vpce.dev/owner-uid"] == string(obj.GetUID()) {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%d managed groups, want 1", n)
				}
			}
		})
	}
}

func TestEventualConsistencyAfterCreate(t *testing.T) {
	h := newHarness(t)
	h.sim.SetConsistencyWindow(2 * time.Second)
	gw := gateway("consistency", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	ie := iface("consistency", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.create(ie)
	h.waitReady(gw)
	h.waitReady(ie)
	if n := len(h.liveEndpoints()); n != 2 {
		t.Fatalf("%d endpoints, want 2: a not-yet-visible endpoint was taken for deleted", n)
	}
	for _, o := range []client.Object{gw, ie} {
		for _, e := range h.events(o) {
			if e.Reason == v1alpha1.EventDriftCorrected || e.Reason == v1alpha1.EventSyncFailed {
				t.Fatalf("%s: %s %s", o.GetName(), e.Reason, e.Note)
			}
		}
	}
}

func TestThrottlingAndServerErrorStorms(t *testing.T) {
	h := newHarness(t, harnessOptions{simOpts: ec2sim.Options{Throttle: true, TimeScale: 10, Seed: 7}})
	h.sim.InjectFault(ec2sim.Fault{Action: "*", Code: "InternalError", Rate: 0.2})
	h.sim.InjectFault(ec2sim.Fault{Action: "*", Code: "Unavailable", Rate: 0.1})
	var objs []client.Object
	rts := h.privateRouteTables()
	for i := 0; i < 3; i++ {
		objs = append(objs, gateway(fmt.Sprintf("gw-%d", i), h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: rts[i : i+1]}))
	}
	for _, svc := range []string{"ssm", "ssmmessages", "ec2messages"} {
		objs = append(objs, iface(strings.ReplaceAll(svc, ".", "-"), h.fix.VPCID, svc, v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}))
	}
	for _, o := range objs {
		h.create(o)
	}
	for _, o := range objs {
		h.waitCondition(o, v1alpha1.ConditionReady, "True", v1alpha1.ReasonAvailable, 60*time.Second)
	}
	if n := len(h.liveEndpoints()); n != len(objs) {
		t.Fatalf("%d endpoints for %d objects", n, len(objs))
	}
	injected := 0.0
	for _, a := range []string{"DescribeVpcEndpoints", "DescribeVpcs", "DescribeRouteTables", "DescribeSubnets", "DescribeSecurityGroups", "DescribeVpcEndpointServices", "DescribePrefixLists", "CreateVpcEndpoint", "CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "DescribeVpcAttribute", "DescribeNetworkInterfaces"} {
		injected += testutil.ToFloat64(metrics.EC2Calls.WithLabelValues(a, "InternalError"))
	}
	if injected < 1 {
		t.Fatal("injected InternalErrors are not counted in vpce_ec2_api_calls_total")
	}
	// Once converged, the storm goes on but makes no object hot-loop: calls stay
	// at the pace of drift checks and backoff.
	h.sim.ResetCounters()
	time.Sleep(2 * syncPeriod)
	calls := 0
	for _, outcomes := range h.sim.Counters() {
		for _, n := range outcomes {
			calls += n
		}
	}
	perObjectPerSecond := float64(calls) / float64(len(objs)) / (2 * syncPeriod).Seconds()
	if perObjectPerSecond > 3 {
		t.Fatalf("%.1f calls per object per second during the storm: a hot loop (%v)", perObjectPerSecond, h.sim.Counters())
	}
	h.sim.ClearFaults()
	for _, o := range objs {
		h.waitReady(o)
	}
}

// TestDeleteRightAfterCreateDoesNotLeak: an object deleted while EC2 does not yet
// list its new endpoint (eventual consistency) keeps its finalizer until the
// endpoint is really gone.
func TestDeleteRightAfterCreateDoesNotLeak(t *testing.T) {
	h := newHarness(t)
	h.sim.SetConsistencyWindow(2 * time.Second)
	gw := gateway("quick", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
	h.create(gw)
	h.eventually(10*time.Second, "endpoint recorded", func() error {
		h.get(gw)
		if gw.Status.EndpointID == "" {
			return fmt.Errorf("no endpoint yet")
		}
		return nil
	})
	h.deleteAndWait(gw)
	if n := len(h.liveEndpoints()); n != 0 {
		t.Fatalf("%d endpoints left after the object was deleted", n)
	}
}
