// Package manager assembles the controller manager: the one aws.Config, the endpoint
// engine and both reconcilers. main.go and the integration tests share it, so the
// tests run exactly what ships.
package manager

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/controllers"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// Options are the manager's settings, one per command-line flag.
type Options struct {
	Region                  string
	ClusterName             string
	AWSEndpointURL          string
	SyncPeriod              time.Duration
	MaxConcurrentReconciles int
	LeaderElect             bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	// Metrics configures the /metrics endpoint: address, HTTPS and its authentication.
	Metrics                MetricsOptions
	HealthProbeBindAddress string
	WatchNamespace         string
	// SkipNameValidation lets several managers run in one process (tests).
	SkipNameValidation bool
	// Backoff paces retries; zero means backoff.DefaultPolicy.
	Backoff backoff.Policy
	// AWSAPIThrottle overrides the client-side EC2 buckets (--aws-api-throttle).
	AWSAPIThrottle string
	// PendingPoll is how soon to look again while AWS works on an endpoint.
	PendingPoll time.Duration
	// ConsistencyBound is how long AWS may take to list what the controller created
	// (--consistency-bound); zero means endpoint.DefaultConsistencyBound.
	ConsistencyBound time.Duration
	// AWSLoadOptions are extra options for the AWS config (tests pass static credentials).
	AWSLoadOptions []func(*config.LoadOptions) error
	// EC2APIOptions are extra EC2 client options (tests count calls).
	EC2APIOptions []func(*ec2.Options)
}

// Scheme returns the scheme with the API types and client-go's built-in types.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// Validate checks the options that have no safe default, naming the flag at fault.
func (o Options) Validate() error {
	if o.Region == "" {
		return fmt.Errorf("--region is required (or AWS_REGION)")
	}
	if err := ValidateClusterName(o.ClusterName); err != nil {
		return err
	}
	return o.Metrics.Validate()
}

// New builds a manager with both controllers registered.
func New(ctx context.Context, restCfg *rest.Config, o Options) (ctrl.Manager, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	mopts := ctrl.Options{
		Scheme:                  Scheme(),
		Metrics:                 o.Metrics.serverOptions(),
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Release the lease on a clean shutdown so a standby takes over at once.
		LeaderElectionReleaseOnCancel: true,
	}
	if mopts.LeaderElectionID == "" {
		mopts.LeaderElectionID = LeaderElectionID(o.ClusterName)
	}
	if o.WatchNamespace != "" {
		namespaces := map[string]cache.Config{}
		for _, ns := range strings.Split(o.WatchNamespace, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				namespaces[ns] = cache.Config{}
			}
		}
		mopts.Cache = cache.Options{DefaultNamespaces: namespaces}
	}
	// ConfigMaps: only the controller's own connection details are cached.
	mopts.Cache.ByObject = map[client.Object]cache.ByObject{&corev1.ConfigMap{}: controllers.ConnectionDetailsCache()}
	mgr, err := ctrl.NewManager(restCfg, mopts)
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	overrides, err := awsclient.ParseThrottle(o.AWSAPIThrottle)
	if err != nil {
		return nil, err
	}
	metrics.Register()
	throttle := awsclient.NewThrottle(overrides)
	throttle.OnWait = metrics.ObserveThrottleWait
	ctrl.Log.WithName("setup").Info("Client-side EC2 throttle", "buckets", throttle.Describe())
	awsOpts := awsclient.Options{
		Region:      o.Region,
		EndpointURL: o.AWSEndpointURL,
		APIOptions: append([]func(*ec2.Options){func(eo *ec2.Options) {
			eo.APIOptions = append(eo.APIOptions, throttle.Middleware(), metrics.Middleware())
		}}, o.EC2APIOptions...),
		LoadOptions: o.AWSLoadOptions,
	}
	cfg, err := awsclient.LoadConfig(ctx, awsOpts)
	if err != nil {
		return nil, err
	}
	syncPeriod, pendingPoll := o.SyncPeriod, o.PendingPoll
	if syncPeriod == 0 {
		syncPeriod = 5 * time.Minute
	}
	if pendingPoll == 0 {
		pendingPoll = 2 * time.Second
	}
	engine := &endpoint.Engine{
		Clients: ec2cache.NewSource(awsclient.NewClients(cfg, awsOpts), ec2cache.Options{
			ClusterTagKey: endpoint.TagCluster,
			Cluster:       o.ClusterName,
			// Snapshots a tenth of the sync period old at most, so drift is seen
			// within the sync period; the rest changes rarely.
			SnapshotTTL:  max(syncPeriod/10, time.Second),
			InventoryTTL: max(syncPeriod, time.Minute),
			ServiceTTL:   time.Hour,
			PollTTL:      pendingPoll / 2,
		}),
		Cluster:          o.ClusterName,
		PendingPoll:      pendingPoll,
		ConsistencyBound: o.ConsistencyBound,
	}
	copts := controllers.Options{
		ClusterName:             o.ClusterName,
		SyncPeriod:              syncPeriod,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		SkipNameValidation:      o.SkipNameValidation,
		Backoff:                 o.Backoff,
	}
	if copts.MaxConcurrentReconciles == 0 {
		copts.MaxConcurrentReconciles = 10
	}
	recorder := metrics.NewRecorder()
	if err := controllers.SetupGatewayEndpoint(mgr, engine, copts, recorder); err != nil {
		return nil, err
	}
	if err := controllers.SetupInterfaceEndpoint(mgr, engine, copts, recorder); err != nil {
		return nil, err
	}
	if err := controllers.SetupInstanceConnectEndpoint(mgr, engine, copts, recorder); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}
