package controllers

import (
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/backoff"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// +kubebuilder:rbac:groups=networking.vpce.dev,resources=gatewayendpoints;interfaceendpoints,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=networking.vpce.dev,resources=gatewayendpoints/status;interfaceendpoints/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=networking.vpce.dev,resources=gatewayendpoints/finalizers;interfaceendpoints/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// gatewayKind adapts GatewayEndpoint to the shared loop.
type gatewayKind struct{}

func (gatewayKind) name() string             { return "GatewayEndpoint" }
func (gatewayKind) newObject() client.Object { return &v1alpha1.GatewayEndpoint{} }

func (gatewayKind) spec(obj client.Object) endpoint.Spec {
	o := obj.(*v1alpha1.GatewayEndpoint)
	s := commonSpec(&o.Spec.EndpointSpecCommon)
	s.Type = endpoint.Gateway
	s.Service = string(o.Spec.Service)
	s.RouteTableIDs = o.Spec.RouteTables.IDs
	s.RouteTableSubnetIDs = o.Spec.RouteTables.SubnetIDs
	s.RouteTableTags = o.Spec.RouteTables.Tags
	return s
}

func (gatewayKind) prior(obj client.Object) endpoint.Prior {
	o := obj.(*v1alpha1.GatewayEndpoint)
	return endpoint.Prior{EndpointID: o.Status.EndpointID}
}

func (gatewayKind) common(obj client.Object) *v1alpha1.EndpointStatusCommon {
	return obj.(*v1alpha1.GatewayEndpoint).CommonStatus()
}

func (gatewayKind) status(obj client.Object) any { return obj.(*v1alpha1.GatewayEndpoint).Status }

func (gatewayKind) setStatus(obj client.Object, out endpoint.Outcome) {
	o := obj.(*v1alpha1.GatewayEndpoint)
	if out.Observed {
		o.Status.RouteTableIDs = out.RouteTableIDs
	}
	if out.PrefixListID != "" {
		o.Status.PrefixListID = out.PrefixListID
	}
}

func (gatewayKind) setDurable(client.Object, endpoint.Durable) {}

// SetupGatewayEndpoint registers the GatewayEndpoint controller with the manager.
func SetupGatewayEndpoint(mgr ctrl.Manager, engine *endpoint.Engine, opts Options, metrics Observer) error {
	r := newReconciler(mgr, gatewayKind{}, engine, opts, metrics)
	if err := indexByAccount(mgr, &v1alpha1.GatewayEndpoint{}, opts); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.GatewayEndpoint{}, builder.WithPredicates(r.noteWritten(), changePredicate(), shardPredicate(mgr.GetClient(), opts))).
		Owns(&corev1.ConfigMap{}) // connection details: repaired when edited or deleted
	b = watchAWS(b, opts.AWSChanges, gatewayKind{}.name())
	b = r.watchQuiet(b)
	return watchAccounts(b, r.Client, func() client.ObjectList { return &v1alpha1.GatewayEndpointList{} }).
		Named("gatewayendpoint").
		WithOptions(r.opts.controllerOptions()).
		Complete(r)
}

func newReconciler(mgr ctrl.Manager, k kind, engine *endpoint.Engine, opts Options, metrics Observer) *endpointReconciler {
	policy := opts.Backoff
	if policy == (backoff.Policy{}) {
		policy = backoff.DefaultPolicy
	}
	recorder := mgr.GetEventRecorder("vpce-controller")
	opts.marks = &queuedMarks{}
	return &endpointReconciler{
		marks:     opts.marks,
		Client:    mgr.GetClient(),
		apiReader: mgr.GetAPIReader(),
		kind:      k,
		engine:    engine,
		recorder:  recorder,
		tracker:   backoff.NewTracker(policy),
		share:     newAccountShare(max(opts.MaxConcurrentReconciles, 1)),
		opts:      opts,
		metrics:   metrics,
		details:   &connectionDetailsWriter{cached: mgr.GetClient(), live: mgr.GetAPIReader(), scheme: mgr.GetScheme(), recorder: recorder, kind: k, metrics: metrics},
	}
}

// commonSpec translates the fields both kinds share.
func commonSpec(c *v1alpha1.EndpointSpecCommon) endpoint.Spec {
	s := endpoint.Spec{
		Region:         c.Region,
		VPCID:          c.VPC.ID,
		VPCTags:        c.VPC.Tags,
		DeletionPolicy: c.DeletionPolicy,
		AdoptID:        c.EndpointID,
		AccountName:    c.AccountName(),
	}
	if c.Policy != nil && len(c.Policy.Raw) > 0 {
		s.Policy = c.Policy.Raw
	}
	s.Tags = specTags(c.Tags)
	if s.DeletionPolicy == "" {
		s.DeletionPolicy = v1alpha1.DeletionPolicyDelete
	}
	return s
}

// specTags turns spec.tags into the engine's map (nil when there are none).
func specTags(tags map[string]v1alpha1.TagValue) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[k] = string(v)
	}
	return out
}
