package endpoint

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// vpcEndpointAPI is the part of the adapter that gateway and interface endpoints
// share: both are VPC endpoints (DescribeVpcEndpoints, ModifyVpcEndpoint,
// DeleteVpcEndpoints).
type vpcEndpointAPI struct{}

func (vpcEndpointAPI) names() kindNames {
	return kindNames{
		noun:           "VPC endpoint",
		createAction:   "CreateVpcEndpoint",
		modifyAction:   "ModifyVpcEndpoint",
		deleteAction:   "DeleteVpcEndpoints",
		adoptAction:    "AdoptVpcEndpoint",
		recreateAction: "RecreateVpcEndpoint",
		deleting:       stateDeleting,
	}
}

func (vpcEndpointAPI) describeByID(ctx context.Context, cl awsclient.EC2, id string) (*Observed, error) {
	return describeByID(ctx, cl, id)
}

func (vpcEndpointAPI) describeByOwner(ctx context.Context, cl awsclient.EC2, owner Owner) ([]Observed, error) {
	return describeByOwner(ctx, cl, owner)
}

func (vpcEndpointAPI) digest(o Observed) string { return endpointDigest(o) }

// adoptable refuses an endpoint of another service or type.
func (vpcEndpointAPI) adoptable(req Request, r *resolved, o Observed) error {
	id := o.ID
	switch {
	case o.ServiceName != r.svc.Name:
		return problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is for %s, but spec.service resolves to %s", id, o.ServiceName, r.svc.Name)
	case o.Type != req.Spec.Type:
		return problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: endpoint %s is a %s endpoint, not a %s one", id, o.Type, req.Spec.Type)
	}
	return nil
}

func (vpcEndpointAPI) plan(r *resolved, o Observed) Plan {
	return ComputePlan(r.desired, o, r.subnetAZ)
}

// modify makes the plan's changes in one ModifyVpcEndpoint.
func (vpcEndpointAPI) modify(ctx context.Context, cl awsclient.EC2, o Observed, p Plan) error {
	id := o.ID
	in := &ec2.ModifyVpcEndpointInput{
		VpcEndpointId:          aws.String(id),
		AddRouteTableIds:       p.AddRouteTables,
		RemoveRouteTableIds:    p.RemoveRouteTables,
		AddSubnetIds:           p.AddSubnets,
		RemoveSubnetIds:        p.RemoveSubnets,
		AddSecurityGroupIds:    p.AddSecurityGroups,
		RemoveSecurityGroupIds: p.RemoveSecurityGroups,
		PolicyDocument:         p.Policy,
		PrivateDnsEnabled:      p.PrivateDNS,
	}
	if p.ResetPolicy {
		in.ResetPolicy = aws.Bool(true)
	}
	if p.IPAddressType != "" {
		in.IpAddressType = types.IpAddressType(p.IPAddressType)
	}
	if p.DNSRecordIPType != "" || p.OnlyInbound != nil {
		in.DnsOptions = &types.DnsOptionsSpecification{
			DnsRecordIpType:                          types.DnsRecordIpType(p.DNSRecordIPType),
			PrivateDnsOnlyForInboundResolverEndpoint: p.OnlyInbound,
		}
	}
	if _, err := cl.ModifyVpcEndpoint(ctx, in); err != nil {
		return fromAWS(err, "modifying VPC endpoint "+id)
	}
	return nil
}

// remove deletes the endpoints in one DeleteVpcEndpoints.
func (vpcEndpointAPI) remove(ctx context.Context, cl awsclient.EC2, ids []string) error {
	res, err := cl.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids})
	if err != nil {
		return fromAWS(err, "deleting VPC endpoints")
	}
	for _, u := range res.Unsuccessful {
		if u.Error != nil && !isNotFoundCode(aws.ToString(u.Error.Code)) {
			return &Problem{Reason: awserr.Reason(aws.ToString(u.Error.Code)), Message: "deleting " + aws.ToString(u.ResourceId) + ": " + aws.ToString(u.Error.Message), Class: awserr.Retryable}
		}
	}
	return nil
}

// classify maps a VPC endpoint state (normalState) to its phase.
func (vpcEndpointAPI) classify(o Observed) stateClass {
	switch o.State {
	case stateAvailable:
		return stateClass{phase: phaseReady}
	case statePendingAcceptance:
		return stateClass{phase: phaseAwaitingAcceptance}
	case statePartial:
		return stateClass{phase: phasePartial}
	case stateRejected:
		return stateClass{phase: phaseStuck, reason: v1alpha1.ReasonRejected}
	case stateFailed:
		return stateClass{phase: phaseStuck, reason: v1alpha1.ReasonFailed}
	case stateExpired:
		return stateClass{phase: phaseStuck, reason: v1alpha1.ReasonExpired, detail: "the service owner did not accept the connection in time"}
	case stateDeleting:
		return stateClass{phase: phaseDeleting}
	case stateDeleted:
		return stateClass{phase: phaseDeleted}
	}
	return stateClass{phase: phaseWorking}
}
