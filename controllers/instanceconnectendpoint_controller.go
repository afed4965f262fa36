package controllers

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// +kubebuilder:rbac:groups=networking.vpce.dev,resources=instanceconnectendpoints,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=networking.vpce.dev,resources=instanceconnectendpoints/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=networking.vpce.dev,resources=instanceconnectendpoints/finalizers,verbs=update

// instanceConnectKind adapts InstanceConnectEndpoint to the shared loop.
type instanceConnectKind struct{}

func (instanceConnectKind) name() string             { return "InstanceConnectEndpoint" }
func (instanceConnectKind) newObject() client.Object { return &v1alpha1.InstanceConnectEndpoint{} }

func (instanceConnectKind) spec(obj client.Object) endpoint.Spec {
	o := obj.(*v1alpha1.InstanceConnectEndpoint)
	s := endpoint.Spec{
		Type:                endpoint.InstanceConnect,
		Region:              o.Spec.Region,
		VPCID:               o.Spec.VPC.ID,
		VPCTags:             o.Spec.VPC.Tags,
		Tags:                specTags(o.Spec.Tags),
		DeletionPolicy:      o.Spec.DeletionPolicy,
		AdoptID:             o.Spec.EndpointID,
		SubnetTags:          o.Spec.Subnet.Tags,
		SubnetPreferredZone: o.Spec.Subnet.PreferredZone,
		PreserveClientIP:    o.Spec.PreserveClientIP,
		AccountName:         o.Spec.AccountName(),
	}
	if id := o.Spec.Subnet.ID; id != "" {
		s.SubnetIDs = []string{id}
	}
	if s.DeletionPolicy == "" {
		s.DeletionPolicy = v1alpha1.DeletionPolicyDelete
	}
	// The managed group allows egress TCP 22 to the VPC's CIDRs unless the spec
	// names other ports or destinations.
	switch sg := o.Spec.SecurityGroups; {
	case sg == nil:
		s.Managed = &endpoint.ManagedGroupSpec{Egress: true, Ports: []int32{22}}
	default:
		s.SecurityGroupIDs = sg.IDs
		if m := sg.Managed; m != nil {
			s.Managed = &endpoint.ManagedGroupSpec{Egress: true, Ports: m.Ports}
			if len(m.Ports) == 0 {
				s.Managed.Ports = []int32{22}
			}
			for _, e := range m.Egress {
				s.Managed.CIDRs = append(s.Managed.CIDRs, e.CIDRs...)
				s.Managed.GroupIDs = append(s.Managed.GroupIDs, e.SecurityGroupIDs...)
			}
		}
	}
	return s
}

func (instanceConnectKind) prior(obj client.Object) endpoint.Prior {
	o := obj.(*v1alpha1.InstanceConnectEndpoint)
	return endpoint.Prior{
		EndpointID:             o.Status.EndpointID,
		ManagedSecurityGroupID: o.Status.ManagedSecurityGroupID,
		GroupIntent:            toIntent(o.Status.SecurityGroupCreateIntent),
		GroupChange:            toChange(o.Status.SecurityGroupLastChange),
	}
}

func (instanceConnectKind) setDurable(obj client.Object, d endpoint.Durable) {
	st := &obj.(*v1alpha1.InstanceConnectEndpoint).Status
	st.ManagedSecurityGroupID = d.ManagedGroupID
	st.SecurityGroupCreateIntent = fromIntent(d.GroupIntent)
	st.SecurityGroupLastChange = fromChange(d.GroupChange)
}

func (instanceConnectKind) common(obj client.Object) *v1alpha1.EndpointStatusCommon {
	return obj.(*v1alpha1.InstanceConnectEndpoint).CommonStatus()
}

func (instanceConnectKind) status(obj client.Object) any {
	return obj.(*v1alpha1.InstanceConnectEndpoint).Status
}

func (instanceConnectKind) setStatus(obj client.Object, out endpoint.Outcome) {
	st := &obj.(*v1alpha1.InstanceConnectEndpoint).Status
	st.SecurityGroupLastChange = fromChange(out.GroupChange)
	if !out.Observed {
		return
	}
	st.DNSName = out.DNSName
	st.FIPSDNSName = out.FIPSDNSName
	st.AvailabilityZone = out.AvailabilityZone
	st.NetworkInterfaceIDs = out.NetworkInterfaceIDs
	st.SecurityGroupIDs = out.SecurityGroupIDs
	st.PreserveClientIP = out.PreserveClientIP
	st.SubnetID = ""
	if len(out.SubnetIDs) > 0 {
		st.SubnetID = out.SubnetIDs[0]
	}
}

// SetupInstanceConnectEndpoint registers the InstanceConnectEndpoint controller with the manager.
func SetupInstanceConnectEndpoint(mgr ctrl.Manager, engine *endpoint.Engine, opts Options, metrics Observer) error {
	r := newReconciler(mgr, instanceConnectKind{}, engine, opts, metrics)
	if err := indexByAccount(mgr, &v1alpha1.InstanceConnectEndpoint{}, opts); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.InstanceConnectEndpoint{}, builder.WithPredicates(r.noteWritten(), changePredicate(), shardPredicate(mgr.GetClient(), opts)))
	b = watchAWS(b, opts.AWSChanges, instanceConnectKind{}.name())
	b = r.watchQuiet(b)
	return watchAccounts(b, r.Client, func() client.ObjectList { return &v1alpha1.InstanceConnectEndpointList{} }).
		Named("instanceconnectendpoint").
		WithOptions(r.opts.controllerOptions()).
		Complete(r)
}
