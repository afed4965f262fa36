// Command manager runs vpce-controller: it keeps AWS VPC endpoints converged to the
// GatewayEndpoint and InterfaceEndpoint objects of a Kubernetes cluster.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/logging"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/internal/version"
)

func main() {
	var o manager.Options
	flag.StringVar(&o.Region, "region", os.Getenv("AWS_REGION"), "AWS region of endpoints whose spec.region is empty (default $AWS_REGION).")
	flag.StringVar(&o.ClusterName, "cluster-name", "", "Name of this cluster (required, no default), written into ownership tags so clusters sharing an account never touch each other's endpoints.")
	flag.StringVar(&o.AWSEndpointURL, "aws-endpoint-url", "", "EC2 endpoint override (for emulators); AWS_ENDPOINT_URL_EC2 works too.")
	flag.DurationVar(&o.SyncPeriod, "sync-period", 5*time.Minute, "Interval at which converged objects are synced: a full reconcile when the object changed, was queued by an event, or its VPC's subnets or route tables changed (see --full-sync-period), a comparison otherwise.")
	flag.DurationVar(&o.FullSyncPeriod, "full-sync-period", 0, "How long a converged object may go without a full reconcile when nothing it depends on changed. A periodic sync (--sync-period) reconciles in full only an object that changed, was queued by an event (drift found by the drift listings, its connection details, its AWSAccount), or whose VPC's subnets or route tables changed; the others cost a comparison. 0 means 10h (controller-runtime's default resync).")
	flag.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", 24, "Reconcile workers per kind. Most of a worker's time is waiting (for EC2's rate limits, shared reads); several accounts and regions need more of them than one.")
	flag.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader, so only one replica reconciles.")
	flag.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election lease (default: the pod's namespace).")
	flag.StringVar(&o.Metrics.BindAddress, "metrics-bind-address", ":8443", "Address of the Prometheus metrics endpoint; 0 disables it.")
	flag.BoolVar(&o.Metrics.Secure, "metrics-secure", true, "Serve metrics over HTTPS to authenticated and authorized clients only (a bearer token allowed to GET /metrics); false serves plain HTTP to anyone.")
	flag.StringVar(&o.Metrics.CertDir, "metrics-cert-path", "", "Directory of the metrics serving certificate and key; empty: a self-signed certificate.")
	flag.StringVar(&o.Metrics.CertName, "metrics-cert-name", "tls.crt", "File name of the metrics serving certificate in --metrics-cert-path.")
	flag.StringVar(&o.Metrics.KeyName, "metrics-cert-key", "tls.key", "File name of the metrics serving key in --metrics-cert-path.")
	flag.BoolVar(&o.Metrics.EnableHTTP2, "enable-http2", false, "Allow HTTP/2 on the HTTPS metrics endpoint (off: HTTP/2 Rapid Reset and Stream Cancellation, CVE-2023-44487 and CVE-2023-39325).")
	var namespaceLabel bool
	flag.BoolVar(&namespaceLabel, "metrics-namespace-label", true, "Label the object metrics (vpce_endpoints, vpce_endpoints_ready, vpce_endpoints_stalled, vpce_drift_repairs_total) with the object's namespace (object_namespace), for alerts routed per team; false: one series per kind and state, reason or field.")
	flag.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz probes.")
	flag.StringVar(&o.WatchNamespace, "watch-namespace", "", "Watch only these namespaces, comma-separated (default: all).")
	flag.StringVar(&o.AWSAPIThrottle, "aws-api-throttle", "", "Client-side EC2 rate limits, comma-separated Action=rate:burst (an action, or a bucket: describe, mutating, tags, vpc-endpoint-writes). Empty: AWS's published defaults (describe 20:100, mutating 5:50, tags 10:100, vpc-endpoint-writes 0.3:4).")
	flag.DurationVar(&o.PendingPoll, "pending-poll", 2*time.Second, "First interval of polls while AWS works on an endpoint; it grows while AWS stays busy.")
	flag.StringVar(&o.DefaultAccount, "default-account", "", "AWSAccount used by objects without spec.accountRef; its guard rails apply to them. Empty: the controller's own identity, without guard rails.")
	flag.BoolVar(&o.RequireAccountRef, "require-account-ref", false, "Refuse objects without spec.accountRef (Synced=False, reason AccountRefRequired), before any AWS call.")
	flag.StringVar(&o.DefaultTags, "default-tags", "", "Tags put on every endpoint and security group the controller creates, comma-separated key=value; never over a value someone else set.")
	flag.DurationVar(&o.ConsistencyBound, "consistency-bound", endpoint.DefaultConsistencyBound, "How long AWS may take to list an endpoint or security group the controller created: until then \"not found\" means \"not visible yet\", and deleting an object keeps looking for what it created.")
	flag.DurationVar(&o.DriftInterval, "drift-interval", manager.DefaultDriftInterval, "How often the endpoints and security groups the controller owns are listed in each account and region (one EC2 call per 1,000 resources) and compared with the last listing; objects whose resources changed are repaired at once. 0 turns it off: drift is then found at --sync-period.")
	flag.IntVar(&o.DriftReadBudget, "drift-read-budget", manager.DefaultDriftReadBudget, "EC2 calls a minute the listings of one AWS account and region may take: the drift listings at --drift-interval and the VPC, subnet and route-table listings at --sync-period count alike; where their pages would take more, both are made less often by the same factor (logged, and in vpce_drift_list_interval_seconds and vpce_inventory_list_interval_seconds). A new or edited spec still gets fresh listings. 0 turns the budget off.")
	flag.StringVar(&o.ProfilingBindAddress, "profiling-bind-address", "0", "Address to serve Go's pprof handlers (/debug/pprof/) on, without authentication: bind it to localhost and reach it with kubectl port-forward. 0 turns them off.")
	var memoryLimitRatio float64
	flag.Float64Var(&memoryLimitRatio, "memory-limit-ratio", manager.DefaultMemoryLimitRatio, "Set the Go runtime's soft memory limit (GOMEMLIMIT) to this share of the container's memory limit (cgroup memory.max), at most the limit less the size of the manager's binary and at least 60% of the limit; 0 turns it off. An explicit GOMEMLIMIT environment variable wins.")
	flag.StringVar(&o.Shard.Name, "shard-name", "", "Name of this shard when several managers of one --cluster-name split the objects: it claims objects as <cluster-name>/<shard-name> and elects its own leader. Needs --shard-namespace-selector and/or --shard-accounts.")
	flag.StringVar(&o.Shard.NamespaceSelector, "shard-namespace-selector", "", "Serve only objects whose namespace matches this label selector (for example vpce.dev/shard=a); needs --shard-name.")
	flag.StringVar(&o.Shard.Accounts, "shard-accounts", "", "Serve only objects that use these AWSAccounts (spec.accountRef, else --default-account), comma-separated; needs --shard-name.")
	var qps float64
	var burst int
	flag.Float64Var(&qps, "kube-api-qps", 50, "Requests per second to the Kubernetes API (status patches, events).")
	flag.IntVar(&burst, "kube-api-burst", 100, "Burst of requests to the Kubernetes API.")
	var showVersion bool
	flag.BoolVar(&showVersion, "version", false, "Print the version, commit, Go version and platform, and exit.")
	zopts := zap.Options{}
	zopts.BindFlags(flag.CommandLine)
	flag.Parse()
	o.MetricsWithoutNamespace = !namespaceLabel
	build := version.Get()
	if showVersion {
		fmt.Print(build)
		return
	}
	// Values are encoded only for lines written (most reconciles write none).
	ctrl.SetLogger(logging.Lazy(zap.New(zap.UseFlagOptions(&zopts))))
	log := ctrl.Log.WithName("setup")
	// Flags are checked before anything starts, with one line that names the flag.
	if err := o.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}

	if o.DriftInterval == 0 {
		o.DriftInterval = -1 // off
	}
	if o.DriftReadBudget == 0 {
		o.DriftReadBudget = -1 // no budget
	}
	selfCgroup, _ := os.ReadFile("/proc/self/cgroup") // none: only the mount's root is read
	selfMaps, _ := os.ReadFile("/proc/self/maps")
	exe, _ := os.Executable()
	binaryBytes := manager.BinaryMappedBytes(selfMaps, exe)
	memLimit, err := manager.SetMemoryLimit("/sys/fs/cgroup", selfCgroup, memoryLimitRatio, binaryBytes, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}

	ctx := ctrl.SetupSignalHandler()
	restCfg := ctrl.GetConfigOrDie()
	restCfg.QPS, restCfg.Burst = float32(qps), burst
	mgr, err := manager.New(ctx, restCfg, o)
	if err != nil {
		log.Error(err, "Unable to set up the manager")
		os.Exit(1)
	}
	// One line says what runs where: the build, the AWS identity in use, then the
	// settings. An identity STS cannot tell is logged, not fatal: the controller
	// retries on its own, and each AWSAccount reports its own check.
	id, err := mgr.Identity(ctx)
	if err != nil {
		log.Error(err, "Unable to tell the AWS identity in use; continuing")
	}
	log.Info("Starting manager", "version", build.Version, "commit", build.Commit,
		"awsAccount", id.Account, "awsARN", id.ARN,
		"region", o.Region, "clusterName", o.ClusterName, "syncPeriod", o.SyncPeriod,
		"defaultAccount", o.DefaultAccount, "requireAccountRef", o.RequireAccountRef,
		"shardName", o.Shard.Name, "shardNamespaceSelector", o.Shard.NamespaceSelector, "shardAccounts", o.Shard.Accounts,
		"metricsBindAddress", o.Metrics.BindAddress, "metricsSecure", o.Metrics.Secure,
		"driftInterval", o.DriftInterval, "driftReadBudget", o.DriftReadBudget, "memoryLimitBytes", memLimit.Bytes, "memoryLimitSource", memLimit.Source, "binaryMappedBytes", binaryBytes)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
}
