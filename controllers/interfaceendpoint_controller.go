package controllers

import (
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// interfaceKind adapts InterfaceEndpoint to the shared loop.
type interfaceKind struct{}

func (interfaceKind) name() string             { return "InterfaceEndpoint" }
func (interfaceKind) newObject() client.Object { return &v1alpha1.InterfaceEndpoint{} }

func (interfaceKind) spec(obj client.Object) endpoint.Spec {
	o := obj.(*v1alpha1.InterfaceEndpoint)
	s := commonSpec(&o.Spec.EndpointSpecCommon)
	s.Type = endpoint.Interface
	s.Service = o.Spec.Service
	s.SubnetIDs = o.Spec.Subnets.IDs
	s.SubnetTags = o.Spec.Subnets.Tags
	switch sg := o.Spec.SecurityGroups; {
	case sg == nil:
		s.Managed = &endpoint.ManagedGroupSpec{}
	default:
		s.SecurityGroupIDs = sg.IDs
		if m := sg.Managed; m != nil {
			s.Managed = &endpoint.ManagedGroupSpec{Ports: m.Ports}
			for _, in := range m.Ingress {
				s.Managed.CIDRs = append(s.Managed.CIDRs, in.CIDRs...)
				s.Managed.GroupIDs = append(s.Managed.GroupIDs, in.SecurityGroupIDs...)
			}
		}
	}
	s.PrivateDNS = o.Spec.PrivateDNS.Enabled
	s.OnlyInbound = o.Spec.PrivateDNS.OnlyForInboundResolverEndpoint
	s.EnsureVPCDNS = o.Spec.PrivateDNS.EnsureVPCAttributes
	s.DNSRecordIPType = string(o.Spec.DNSRecordIPType)
	s.IPAddressType = string(o.Spec.IPAddressType)
	return s
}

func (interfaceKind) prior(obj client.Object) endpoint.Prior {
	o := obj.(*v1alpha1.InterfaceEndpoint)
	return endpoint.Prior{
		EndpointID:             o.Status.EndpointID,
		ManagedSecurityGroupID: o.Status.ManagedSecurityGroupID,
		GroupIntent:            toIntent(o.Status.SecurityGroupCreateIntent),
		GroupChange:            toChange(o.Status.SecurityGroupLastChange),
		NetworkInterfaces:      o.Status.NetworkInterfaces,
	}
}

func (interfaceKind) setDurable(obj client.Object, d endpoint.Durable) {
	st := &obj.(*v1alpha1.InterfaceEndpoint).Status
	st.ManagedSecurityGroupID = d.ManagedGroupID
	st.SecurityGroupCreateIntent = fromIntent(d.GroupIntent)
	st.SecurityGroupLastChange = fromChange(d.GroupChange)
}

func (interfaceKind) common(obj client.Object) *v1alpha1.EndpointStatusCommon {
	return obj.(*v1alpha1.InterfaceEndpoint).CommonStatus()
}

func (interfaceKind) status(obj client.Object) any { return obj.(*v1alpha1.InterfaceEndpoint).Status }

func (interfaceKind) setStatus(obj client.Object, out endpoint.Outcome) {
	st := &obj.(*v1alpha1.InterfaceEndpoint).Status
	st.SecurityGroupLastChange = fromChange(out.GroupChange)
	if !out.Observed {
		return
	}
	st.NetworkInterfaces = out.Interfaces
	st.SubnetIDs = out.SubnetIDs
	st.SecurityGroupIDs = out.SecurityGroupIDs
	st.PrivateDNSEnabled = out.PrivateDNS
	st.DNSEntries = out.DNSEntries
}

// SetupInterfaceEndpoint registers the InterfaceEndpoint controller with the manager.
func SetupInterfaceEndpoint(mgr ctrl.Manager, engine *endpoint.Engine, opts Options, metrics Observer) error {
	r := newReconciler(mgr, interfaceKind{}, engine, opts, metrics)
	if err := indexByAccount(mgr, &v1alpha1.InterfaceEndpoint{}, opts); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.InterfaceEndpoint{}, builder.WithPredicates(r.noteWritten(), changePredicate(), shardPredicate(mgr.GetClient(), opts))).
		Owns(&corev1.ConfigMap{}) // connection details: repaired when edited or deleted
	b = watchAWS(b, opts.AWSChanges, interfaceKind{}.name())
	b = r.watchQuiet(b)
	return watchAccounts(b, r.Client, func() client.ObjectList { return &v1alpha1.InterfaceEndpointList{} }).
		Named("interfaceendpoint").
		WithOptions(r.opts.controllerOptions()).
		Complete(r)
}
