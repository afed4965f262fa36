package endpoint

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// checkPrivateDNSConflict refuses, before any write, private DNS for a service
// another endpoint of the VPC already has private DNS for: AWS allows one per
// service and VPC, and says so only with a generic InvalidParameter, after the
// managed security group was made. The conflicting endpoint is named, and its
// object when this cluster owns it.
func checkPrivateDNSConflict(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, obs *Observed) error {
	if r.svc.PrivateDNSName == "" {
		return nil
	}
	p := ec2.NewDescribeVpcEndpointsPaginator(cl, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{r.vpc.ID}},
		{Name: aws.String("service-name"), Values: []string{r.svc.Name}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fromAWS(err, "looking for other endpoints of "+r.svc.Name+" with private DNS in "+r.vpc.ID)
		}
		for _, ep := range page.VpcEndpoints {
			o := observe(ep)
			switch {
			case obs != nil && o.ID == obs.ID, o.ID == req.Prior.EndpointID, o.Tags[TagOwnerUID] == req.Owner.UID:
				continue // this object's own
			case o.Type != Interface || !o.PrivateDNS || gone(o.State):
				continue
			}
			owner := ""
			switch c, ref := o.Tags[TagCluster], o.Tags[TagOwner]; {
			case c == req.Owner.Cluster && ref != "":
				owner = " (InterfaceEndpoint " + ref + ")"
			case c != "" && ref != "":
				owner = " (owned by " + ref + " in cluster " + c + ")"
			}
			return problemf(v1alpha1.ReasonPrivateDNSConflict,
				"spec.privateDNS.enabled: endpoint %s%s already has private DNS for %s (%s) in %s, and AWS allows one per service and VPC; set spec.privateDNS.enabled: false to use this endpoint's own DNS names (status.dnsEntries), or turn private DNS off on %s",
				o.ID, owner, r.svc.Name, r.svc.PrivateDNSName, r.vpc.ID, o.ID)
		}
	}
	return nil
}

// checkVPCDNS makes sure private DNS can work: both VPC DNS attributes on, or turned
// on when spec.privateDNS.ensureVPCAttributes is set.
func checkVPCDNS(ctx context.Context, cl awsclient.EC2, req Request, vpcID string, out *Outcome) error {
	ensure := req.Spec.EnsureVPCDNS
	attrs := []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames}
	var off []types.VpcAttributeName
	for _, a := range attrs {
		res, err := cl.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: a})
		if err != nil {
			return fromAWS(err, "describing "+string(a)+" of "+vpcID)
		}
		v := res.EnableDnsSupport
		if a == types.VpcAttributeNameEnableDnsHostnames {
			v = res.EnableDnsHostnames
		}
		if v == nil || !aws.ToBool(v.Value) {
			off = append(off, a)
		}
	}
	if len(off) == 0 {
		return nil
	}
	if !ensure {
		names := make([]string, len(off))
		flags := ""
		for i, a := range off {
			names[i] = string(a)
			if a == types.VpcAttributeNameEnableDnsSupport {
				flags += " --enable-dns-support"
			} else {
				flags += " --enable-dns-hostnames"
			}
		}
		return problemf(v1alpha1.ReasonVPCDNSAttributesOff, "spec.privateDNS: private DNS needs the VPC attributes enableDnsSupport and enableDnsHostnames, but %v is off in %s; turn it on (aws ec2 modify-vpc-attribute --vpc-id %s%s) or set spec.privateDNS.ensureVPCAttributes: true", names, vpcID, vpcID, flags)
	}
	for _, a := range off {
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID)}
		if a == types.VpcAttributeNameEnableDnsSupport {
			in.EnableDnsSupport = &types.AttributeBooleanValue{Value: aws.Bool(true)}
		} else {
			in.EnableDnsHostnames = &types.AttributeBooleanValue{Value: aws.Bool(true)}
		}
		if _, err := cl.ModifyVpcAttribute(ctx, in); err != nil {
			return fromAWS(err, "turning on "+string(a)+" of "+vpcID)
		}
		out.changedOrRepaired(req, []string{DriftVPCDNSAttributes}, "ModifyVpcAttribute", "Turned on %s of %s for private DNS", "Turned %s of %s back on for private DNS", a, vpcID)
	}
	return nil
}
