// Package metrics defines the controller's Prometheus metrics, registered on
// controller-runtime's registry (served on --metrics-bind-address): EC2 calls by
// action and outcome, their latency, throttling, client-side limiter waits, drift
// repairs, the drift listing interval per account and region, objects by AWS state, by Ready and by Stalled reason (per object
// namespace), and time to first Ready.
package metrics

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// LabelObjectNamespace is the label that carries an object's namespace, so alerts
// can be routed to the team that owns it. It is not called "namespace": Prometheus
// gives every scraped series the namespace of the scraped pod under that name, and
// renames a clashing label of the series itself to exported_namespace. Empty (and
// so absent once scraped) with --metrics-namespace-label=false.
const LabelObjectNamespace = "object_namespace"

var (
	// EC2Calls counts EC2 API attempts by action and outcome ("ok" or the AWS error code).
	EC2Calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vpce_ec2_api_calls_total",
		Help: "EC2 API calls (each attempt, retries included) by action and outcome: ok, or the AWS error code.",
	}, []string{"action", "outcome"})
	// EC2Latency observes EC2 call latency by action, limiter wait excluded.
	EC2Latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vpce_ec2_api_call_duration_seconds",
		Help:    "Latency of EC2 API calls by action, excluding time waiting on the client-side limiter.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"action"})
	// EC2Throttled counts throttling errors AWS returned, by action.
	EC2Throttled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vpce_ec2_api_throttled_total",
		Help: "Throttling errors (RequestLimitExceeded) received from EC2, by action.",
	}, []string{"action"})
	// ThrottleWait observes time spent waiting on the client-side limiter, by action.
	ThrottleWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vpce_ec2_client_throttle_wait_seconds",
		Help:    "Time EC2 calls waited on the client-side rate limiter, by action.",
		Buckets: []float64{0, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60},
	}, []string{"action"})
	// DriftRepairs counts repairs of changes made outside the controller.
	DriftRepairs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vpce_drift_repairs_total",
		Help: "Repairs of changes made outside the controller, by kind, object namespace and field (" + strings.Join(endpoint.DriftFields, ", ") + ").",
	}, []string{"kind", LabelObjectNamespace, "field"})
	// Endpoints gauges the objects by kind, namespace and AWS state.
	Endpoints = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vpce_endpoints",
		Help: "Endpoint objects by kind, object namespace and AWS state (none before the endpoint exists).",
	}, []string{"kind", LabelObjectNamespace, "state"})
	// Ready gauges the objects by kind, namespace and Ready condition.
	Ready = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vpce_endpoints_ready",
		Help: "Endpoint objects by kind, object namespace and Ready condition (ready: true or false).",
	}, []string{"kind", LabelObjectNamespace, "ready"})
	// Stalled gauges the objects whose Stalled condition is True, by kind, namespace and reason.
	Stalled = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vpce_endpoints_stalled",
		Help: "Endpoint objects whose Stalled condition is True (only a change to the spec or in AWS can help), by kind, object namespace and reason.",
	}, []string{"kind", LabelObjectNamespace, "reason"})
	// DriftListInterval gauges the interval at which each account's and region's
	// owned resources are listed to find drift (--drift-interval, stretched by
	// --drift-read-budget).
	DriftListInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vpce_drift_list_interval_seconds",
		Help: "Interval at which the owned endpoints and security groups of an AWS account (its ID, or self for the controller's own) and region are listed to find drift: --drift-interval, or longer when their pages, with those of the VPC, subnet and route-table listings, would exceed --drift-read-budget.",
	}, []string{"account", "region"})
	// InventoryListInterval gauges the age at which each account's and region's
	// VPC, subnet and route-table listings are refreshed when a read needs them
	// (the sync period, stretched by --drift-read-budget).
	InventoryListInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vpce_inventory_list_interval_seconds",
		Help: "Age at which the VPC, subnet and route-table listings of an AWS account (its ID, or self for the controller's own) and region are refreshed when a reconcile reads them: --sync-period (at least a minute), or longer when together with the drift listings their pages would exceed --drift-read-budget.",
	}, []string{"account", "region"})
	// SyncsSkipped counts the periodic syncs of converged objects answered
	// without a full reconcile, as nothing they depend on changed.
	SyncsSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vpce_syncs_skipped_total",
		Help: "Periodic syncs of converged objects answered without a full reconcile, by kind: nothing queued them but their own requeue, the object is unchanged, and the inventory of its VPC (subnets, route tables) is as at its last full reconcile, which is younger than --full-sync-period.",
	}, []string{"kind"})
	// TimeToReady observes the time from object creation to its first Ready.
	TimeToReady = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vpce_time_to_ready_seconds",
		Help:    "Time from an object's creation to its first Ready=True, by kind.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 12),
	}, []string{"kind"})
)

var registerOnce sync.Once

// Register adds the metrics to controller-runtime's registry (once per process).
func Register() {
	registerOnce.Do(func() {
		ctrlmetrics.Registry.MustRegister(EC2Calls, EC2Latency, EC2Throttled, ThrottleWait, DriftRepairs, DriftListInterval, InventoryListInterval, Endpoints, Ready, Stalled, SyncsSkipped, TimeToReady)
	})
}
