// Package manager assembles the controller manager: the one aws.Config and the AWS
// accounts reached from it, the endpoint engine and the reconcilers. main.go and the integration tests share it, so the
// tests run exactly what ships.
package manager

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/controllers"
	"github.com/vpce-dev/vpce-controller/internal/accounts"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// Options are the manager's settings, one per command-line flag.
type Options struct {
	Region         string
	ClusterName    string
	AWSEndpointURL string
	SyncPeriod     time.Duration
	// FullSyncPeriod (--full-sync-period) is how long a converged object may go
	// without a full reconcile when nothing it depends on changed; zero means
	// controllers.DefaultFullSyncPeriod sync periods.
	FullSyncPeriod          time.Duration
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
	// MetricsWithoutNamespace leaves the object_namespace label of the object
	// metrics empty (--metrics-namespace-label=false).
	MetricsWithoutNamespace bool
	// AWSLoadOptions are extra options for the AWS config (tests pass static credentials).
	AWSLoadOptions []func(*config.LoadOptions) error
	// EC2APIOptions are extra EC2 client options (tests count calls).
	EC2APIOptions []func(*ec2.Options)
	// STSAPIOptions are extra STS client options (tests).
	STSAPIOptions []func(*sts.Options)
	// DefaultAccount (--default-account) is the AWSAccount of objects without
	// spec.accountRef; empty: the controller's own identity, without guard rails.
	DefaultAccount string
	// RequireAccountRef (--require-account-ref) refuses objects without spec.accountRef.
	RequireAccountRef bool
	// DefaultTags (--default-tags) are k=v pairs, comma-separated, put on every
	// endpoint and security group the controller creates.
	DefaultTags string
	// DriftInterval (--drift-interval) is how often the owned endpoints and
	// security groups of each account and region are listed and compared with the
	// previous listing; objects whose resources changed are reconciled at once.
	// Zero means DefaultDriftInterval, negative turns listing off (drift is then
	// found at the sync period).
	DriftInterval time.Duration
	// DriftReadBudget (--drift-read-budget) is how many EC2 calls a minute the
	// listings of one account and region may take (the drift listings at
	// DriftInterval, the VPC, subnet and route-table listings at the sync
	// period): where their pages would exceed it, that account and region is
	// listed less often. Zero means DefaultDriftReadBudget, negative: no budget.
	DriftReadBudget int
	// ProfilingBindAddress (--profiling-bind-address) serves Go's pprof handlers
	// (/debug/pprof/) without authentication; "" or "0" turns them off.
	ProfilingBindAddress string
	// Shard splits the cluster's objects between several managers (shard.go).
	Shard ShardOptions
	// Observers receive every reconcile's outcome besides the metrics (tests
	// count reconciles per object).
	Observers []controllers.Observer
}

// DefaultDriftInterval is how often, by default, the owned resources of each
// account and region are listed to find drift.
const DefaultDriftInterval = 30 * time.Second

// DefaultDriftReadBudget is how many EC2 calls a minute, by default, the drift
// listings of one account and region may take (a call a page, pages of 1,000
// endpoints or groups): at --drift-interval 30s, an account and region whose
// listings take 4 pages or fewer is listed every 30 s, one with 9 every minute,
// one with 18 every two minutes. The VPC, subnet and route-table listings the
// syncs share count too: where they are refreshed every sync period, their pages
// stretch both by the same factor. It leaves one call a minute of the 10 at rest
// for the reads by key (endpoint services, prefix lists, VPC attributes, groups
// the user names).
const DefaultDriftReadBudget = 9

// Manager is the controller manager, and the AWS accounts it reaches.
type Manager struct {
	ctrl.Manager
	// Accounts reaches the controller's own account and every AWSAccount's.
	Accounts *accounts.Registry
}

// identityTimeout bounds the STS call that tells who the controller is at startup.
const identityTimeout = 10 * time.Second

// Identity is the controller's own AWS identity (STS GetCallerIdentity), for the
// startup log; STS unreachable or refusing is an error, not fatal.
func (m *Manager) Identity(ctx context.Context) (accounts.Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	return m.Accounts.Self(ctx)
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
	if o.RequireAccountRef && o.DefaultAccount != "" {
		return fmt.Errorf("--require-account-ref and --default-account exclude each other: with the first, no object goes without spec.accountRef")
	}
	if _, err := ParseTags(o.DefaultTags); err != nil {
		return err
	}
	if err := o.Shard.Validate(); err != nil {
		return err
	}
	return o.Metrics.Validate()
}

// New builds a manager with its controllers registered.
func New(ctx context.Context, restCfg *rest.Config, o Options) (*Manager, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	defaultTags, err := ParseTags(o.DefaultTags)
	if err != nil {
		return nil, err
	}
	shard, err := o.Shard.shard()
	if err != nil {
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
		PprofBindAddress:              o.ProfilingBindAddress,
	}
	if mopts.LeaderElectionID == "" {
		mopts.LeaderElectionID = ShardLeaderElectionID(o.ClusterName, shard.Name)
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
	// The informers keep no managed fields and no last-applied annotation: the
	// controller reads neither, and at thousands of objects they are most of the cache.
	mopts.Cache.DefaultTransform = stripForCache
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
	ctrl.Log.WithName("setup").Info("Client-side EC2 throttle, per AWS account and region", "buckets", awsclient.NewThrottle(overrides).Describe())
	awsOpts := awsclient.Options{
		Region:      o.Region,
		EndpointURL: o.AWSEndpointURL,
		APIOptions: append([]func(*ec2.Options){func(eo *ec2.Options) {
			eo.APIOptions = append(eo.APIOptions, metrics.Middleware())
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
	drift := o.DriftInterval
	if drift == 0 {
		drift = DefaultDriftInterval
	}
	// Reads of one kind are shared: one per account, region and kind every few
	// polls at most, serving every reconcile that waits for fresh data.
	spacing := 5 * pendingPoll
	// The sync period's drift check reads snapshots a tenth of it old at most; when
	// the refresher lists more often than that, reads accept two of its intervals,
	// so they never list on their own.
	snapshotTTL := max(syncPeriod/10, time.Second)
	if drift < 0 {
		drift = 0
	} else if drift <= syncPeriod/5 {
		snapshotTTL = max(snapshotTTL, 2*drift)
	}
	readBudget := o.DriftReadBudget
	if readBudget == 0 {
		readBudget = DefaultDriftReadBudget
	}
	// VPCs, subnets and route tables are listed again when a sync needs them
	// older than this (or older, where the read budget stretches it).
	inventoryTTL := max(syncPeriod, time.Minute)
	changes := controllers.NewAWSChanges()
	registry := accounts.NewRegistry(cfg, accounts.Options{
		Cluster:        o.ClusterName,
		EC2:            awsOpts,
		Throttle:       overrides,
		OnThrottleWait: metrics.ObserveThrottleWait,
		Cache: ec2cache.Options{
			ClusterTagKey:  endpoint.TagCluster,
			Cluster:        o.ClusterName,
			OwnerTagKey:    endpoint.TagOwner,
			OwnerUIDTagKey: endpoint.TagOwnerUID,
			SnapshotTTL:    snapshotTTL,
			InventoryTTL:   inventoryTTL,
			ServiceTTL:     time.Hour,
			// Endpoints AWS is working on are re-read by the refresher every
			// spacing; reconciles accept them twice as old without waiting.
			PollTTL: 2 * spacing,
			Spacing: spacing,
			// Reads that only confirm the controller's writes, or follow AWS's
			// work, while AWS's write limits pace the creates: one every three
			// windows confirms all of them.
			ConfirmSpacing: 3 * spacing,
			ListInterval:   drift,
			ListBudget:     max(readBudget, 0),
			OnListInterval: reportListInterval(drift, inventoryTTL, readBudget),
			Notify:         changes.Notify,
		},
		STSEndpointURL: o.AWSEndpointURL,
		STSOptions:     o.STSAPIOptions,
	})
	engine := &endpoint.Engine{
		Clients:          registry.Default(),
		DefaultTags:      defaultTags,
		Cluster:          o.ClusterName,
		PendingPoll:      pendingPoll,
		ConsistencyBound: o.ConsistencyBound,
	}
	copts := controllers.Options{
		ClusterName:             o.ClusterName,
		SyncPeriod:              syncPeriod,
		FullSyncPeriod:          fullSyncPeriod(o.FullSyncPeriod, drift, syncPeriod),
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		SkipNameValidation:      o.SkipNameValidation,
		Backoff:                 o.Backoff,
		AccountOptions: controllers.AccountOptions{
			Accounts:          registry,
			DefaultAccount:    o.DefaultAccount,
			RequireAccountRef: o.RequireAccountRef,
		},
		AWSChanges: changes,
		Shard:      shard,
	}
	if copts.MaxConcurrentReconciles == 0 {
		copts.MaxConcurrentReconciles = 24
	}
	recorder := metrics.NewRecorder(metrics.RecorderOptions{NamespaceLabel: !o.MetricsWithoutNamespace})
	recorder.ExportKinds(controllers.Kinds()...)
	if err := mgr.Add(recorder); err != nil {
		return nil, err
	}
	var observer controllers.Observer = recorder
	if len(o.Observers) > 0 {
		observer = observers(append([]controllers.Observer{recorder}, o.Observers...))
	}
	if err := controllers.SetupGatewayEndpoint(mgr, engine, copts, observer); err != nil {
		return nil, err
	}
	if err := controllers.SetupInterfaceEndpoint(mgr, engine, copts, observer); err != nil {
		return nil, err
	}
	if err := controllers.SetupInstanceConnectEndpoint(mgr, engine, copts, observer); err != nil {
		return nil, err
	}
	if err := controllers.SetupAWSAccount(mgr, copts); err != nil {
		return nil, err
	}
	if err := mgr.Add(refresher(registry, spacing)); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return &Manager{Manager: mgr, Accounts: registry}, nil
}

// observers hands every outcome to each of its observers.
type observers []controllers.Observer

// Reconciled implements controllers.Observer.
func (os observers) Reconciled(kind string, obj client.Object, out endpoint.Outcome) {
	for _, o := range os {
		o.Reconciled(kind, obj, out)
	}
}

// Forget implements controllers.Observer.
func (os observers) Forget(kind string, key types.NamespacedName) {
	for _, o := range os {
		o.Forget(kind, key)
	}
}

// DriftRepaired implements controllers.Observer.
func (os observers) DriftRepaired(kind string, obj client.Object, fields ...string) {
	for _, o := range os {
		o.DriftRepaired(kind, obj, fields...)
	}
}

// SyncSkipped implements controllers.Observer.
func (os observers) SyncSkipped(kind string) {
	for _, o := range os {
		o.SyncSkipped(kind)
	}
}

// fullSyncPeriod is the controllers' FullSyncPeriod. A periodic sync may skip
// its reconcile because the drift listings find drift in what the controller
// owns; with them off (drift 0) or less frequent than the syncs, every periodic
// sync is a full one, as it is then what finds drift first.
func fullSyncPeriod(full, drift, syncPeriod time.Duration) time.Duration {
	if drift <= 0 || drift > syncPeriod {
		return -1
	}
	return full
}
