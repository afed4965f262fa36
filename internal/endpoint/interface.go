package endpoint

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// interfaceAdapter converges interface endpoints: a network interface in each
// chosen subnet, security groups, private DNS.
type interfaceAdapter struct{ vpcEndpointAPI }

// resolve resolves the service, spec.subnets, spec.securityGroups.ids and the
// private DNS settings.
func (interfaceAdapter) resolve(ctx context.Context, cl awsclient.EC2, region string, req Request, r *resolved, out *Outcome) error {
	s := req.Spec
	name := fullServiceName(region, s.Service)
	out.ServiceName = name
	var err error
	if r.svc, err = resolveService(ctx, cl, name, Interface); err != nil {
		return err
	}
	if r.desired.SubnetIDs, r.subnetAZ, err = resolveSubnets(ctx, cl, r.vpc.ID, s, r.svc); err != nil {
		return err
	}
	if err := checkSecurityGroups(ctx, cl, r.vpc.ID, s.SecurityGroupIDs); err != nil {
		return err
	}
	r.desired.SecurityGroupIDs = sortedSet(s.SecurityGroupIDs)
	if s.PrivateDNS && r.svc.PrivateDNSName == "" {
		return problemf(v1alpha1.ReasonInvalidPrivateDNS, "spec.privateDNS.enabled: service %s has no private DNS name; set spec.privateDNS.enabled: false", name)
	}
	pdns, inbound := s.PrivateDNS, s.PrivateDNS && s.OnlyInbound
	r.desired.PrivateDNS, r.desired.OnlyInbound = &pdns, &inbound
	r.desired.DNSRecordIPType, r.desired.IPAddressType = s.DNSRecordIPType, s.IPAddressType
	r.desired.ExplicitInbound = r.svc.OffersGateway
	r.desired.ManagePolicy = r.svc.PolicySupported
	if !r.svc.PolicySupported && s.Policy != nil {
		return problemf(v1alpha1.ReasonInvalidPolicy, "spec.policy: service %s does not support endpoint policies; remove spec.policy", name)
	}
	return nil
}

// checkBeforeWrite checks, before private DNS is turned on, that no other
// endpoint of the VPC has it for the service and that the VPC's DNS attributes
// allow it (turning them on when the spec says so).
func (interfaceAdapter) checkBeforeWrite(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, obs *Observed, out *Outcome) error {
	wantDNS := r.desired.PrivateDNS != nil && *r.desired.PrivateDNS
	if !wantDNS || obs != nil && obs.PrivateDNS {
		return nil
	}
	if err := checkPrivateDNSConflict(ctx, cl, req, r, obs); err != nil {
		return err
	}
	dnsCtx := ctx
	if obs != nil && obs.State == stateAvailable {
		// Private DNS turned off (or asked for anew): the VPC attributes may have
		// been turned off with it since they were cached. Rare: look now.
		dnsCtx = ec2cache.WithMaxAge(ctx, 0)
	}
	err := checkVPCDNS(dnsCtx, cl, req, r.vpc.ID, out)
	var p *Problem
	if errors.As(err, &p) && p.Reason == v1alpha1.ReasonVPCDNSAttributesOff {
		// Cached attributes may predate the user's fix: look once more.
		err = checkVPCDNS(ec2cache.WithMaxAge(ctx, 0), cl, req, r.vpc.ID, out)
	}
	return err
}

func (interfaceAdapter) mayHaveGroup() bool { return true }

// create makes the endpoint in its subnets with its groups and DNS settings.
func (interfaceAdapter) create(ctx context.Context, cl awsclient.EC2, r *resolved, token string) (Observed, error) {
	d := r.desired
	in := createEndpointInput(r, token)
	in.SubnetIds = d.SubnetIDs
	in.SecurityGroupIds = d.SecurityGroupIDs
	// Private DNS on a service that needs acceptance is enabled once accepted.
	dns := *d.PrivateDNS && !r.svc.AcceptanceRequired
	in.PrivateDnsEnabled = aws.Bool(dns)
	if d.IPAddressType != "" {
		in.IpAddressType = types.IpAddressType(d.IPAddressType)
	}
	in.DnsOptions = dnsOptions(d, r.svc, dns)
	res, err := cl.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return Observed{}, err
	}
	return observe(*res.VpcEndpoint), nil
}

func (interfaceAdapter) explainCreate(string, *Problem) {}

// dnsOptions is the DnsOptions of a create. For a service that offers gateway
// endpoints too (S3), AWS turns PrivateDnsOnlyForInboundResolverEndpoint on by
// default when private DNS is, and then refuses the endpoint in a VPC without a
// gateway endpoint for the service: the controller always sends the spec's choice.
func dnsOptions(d Desired, svc serviceInfo, privateDNS bool) *types.DnsOptionsSpecification {
	var o *types.DnsOptionsSpecification
	if d.DNSRecordIPType != "" {
		o = &types.DnsOptionsSpecification{DnsRecordIpType: types.DnsRecordIpType(d.DNSRecordIPType)}
	}
	if privateDNS && (svc.OffersGateway || *d.OnlyInbound) {
		if o == nil {
			o = &types.DnsOptionsSpecification{}
		}
		o.PrivateDnsOnlyForInboundResolverEndpoint = aws.Bool(*d.OnlyInbound)
	}
	return o
}

// applied is the endpoint after the plan: AWS re-provisions the interfaces of a
// modified interface endpoint (pending).
func (interfaceAdapter) applied(o Observed, p Plan) Observed {
	n := p.Applied(o)
	if p.HasModify() {
		n.State = statePending
	}
	return n
}

// report adds the DNS names, typed by the service's zones, and the network
// interfaces.
func (interfaceAdapter) report(ctx context.Context, cl awsclient.EC2, r *resolved, o Observed, out *Outcome) {
	zones := r.svc.Zones
	out.DNSEntries = typedDNSEntries(o.DNSEntries, zones)
	if o.State == statePending && len(out.Interfaces) == 0 {
		// A new endpoint AWS is still provisioning: its interfaces are read once it
		// is available, in the same pass as the read that shows it so (the cache
		// reads them with it), rather than with a read of their own at its create.
		return
	}
	if nis, err := describeInterfaces(ctx, cl, o.NetworkInterface, out.Interfaces); err == nil {
		out.Interfaces = nis
	}
}
