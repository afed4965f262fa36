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
func (e *Engine) checkPrivateDNSConflict(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, obs *Observed) error {
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
