package endpoint

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// gatewayAdapter converges gateway endpoints: routes to the service's prefix
// list in the chosen route tables.
type gatewayAdapter struct{ vpcEndpointAPI }

// resolve resolves the service's prefix list and spec.routeTables.
func (gatewayAdapter) resolve(ctx context.Context, cl awsclient.EC2, region string, req Request, r *resolved, out *Outcome) error {
	s := req.Spec
	name := fullServiceName(region, s.Service)
	out.ServiceName = name
	r.svc = serviceInfo{Name: name, PolicySupported: true}
	pl, err := resolvePrefixList(ctx, cl, name)
	if err != nil {
		return err
	}
	out.PrefixListID = pl
	if r.desired.RouteTableIDs, err = resolveRouteTables(ctx, cl, r.vpc.ID, s); err != nil {
		return err
	}
	r.desired.ManagePolicy = true
	return nil
}

func (gatewayAdapter) checkBeforeWrite(context.Context, awsclient.EC2, Request, *resolved, *Observed, *Outcome) error {
	return nil
}

func (gatewayAdapter) mayHaveGroup() bool { return false }

// create makes the endpoint with its route tables and policy.
func (gatewayAdapter) create(ctx context.Context, cl awsclient.EC2, r *resolved, token string) (Observed, error) {
	in := createEndpointInput(r, token)
	in.RouteTableIds = r.desired.RouteTableIDs
	res, err := cl.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return Observed{}, err
	}
	return observe(*res.VpcEndpoint), nil
}

func (gatewayAdapter) explainCreate(code string, p *Problem) {
	if code == "RouteAlreadyExists" {
		p.Message += "; another endpoint for this service already serves one of the route tables: remove the table from spec.routeTables or from the other endpoint"
	}
}

func (gatewayAdapter) applied(o Observed, p Plan) Observed { return p.Applied(o) }

func (gatewayAdapter) report(context.Context, awsclient.EC2, *resolved, Observed, *Outcome) {}

// createEndpointInput is the part of a CreateVpcEndpoint both VPC endpoint kinds send.
func createEndpointInput(r *resolved, token string) *ec2.CreateVpcEndpointInput {
	d := r.desired
	in := &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(r.vpc.ID),
		ServiceName:       aws.String(r.svc.Name),
		VpcEndpointType:   types.VpcEndpointType(d.Type),
		ClientToken:       aws.String(token),
		TagSpecifications: tagSpec(types.ResourceTypeVpcEndpoint, d.createTags()),
	}
	if d.ManagePolicy && d.Policy != "" {
		in.PolicyDocument = aws.String(d.Policy)
	}
	return in
}
