package endpoint

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
)

// instanceConnectAdapter converges EC2 Instance Connect Endpoints: one network
// interface in one subnet, its security groups and preserveClientIP. The subnet
// never changes (AWS cannot move an endpoint); the groups and preserveClientIP
// change with ModifyInstanceConnectEndpoint.
type instanceConnectAdapter struct{}

// Instance Connect Endpoint states, as AWS spells them.
const (
	iceCreating       = "create-in-progress"
	iceCreated        = "create-complete"
	iceCreateFailed   = "create-failed"
	iceUpdating       = "update-in-progress"
	iceUpdated        = "update-complete"
	iceUpdateFailed   = "update-failed"
	iceDeleting       = "delete-in-progress"
	iceDeleted        = "delete-complete"
	iceDeleteFailed   = "delete-failed"
	iceMaxResults     = 50 // DescribeInstanceConnectEndpoints' largest page
	iceNoun           = "Instance Connect Endpoint"
	iceQuotaPerRegion = 5
)

func (instanceConnectAdapter) names() kindNames {
	return kindNames{
		noun:           iceNoun,
		createAction:   "CreateInstanceConnectEndpoint",
		modifyAction:   "ModifyInstanceConnectEndpoint",
		deleteAction:   "DeleteInstanceConnectEndpoint",
		adoptAction:    "AdoptInstanceConnectEndpoint",
		recreateAction: "RecreateInstanceConnectEndpoint",
		deleting:       iceDeleting,
	}
}

func (instanceConnectAdapter) mayHaveGroup() bool { return true }

// resolve resolves spec.subnet and spec.securityGroups.ids. A selector that
// matches no subnet is reported only before a create (checkBeforeWrite): an
// endpoint that exists stays in its subnet whatever the subnets' tags become.
func (instanceConnectAdapter) resolve(ctx context.Context, cl awsclient.EC2, region string, req Request, r *resolved, out *Outcome) error {
	s := req.Spec
	all, err := subnetsOfVPC(ctx, cl, r.vpc.ID)
	if err != nil {
		return err
	}
	r.subnets = all
	if len(s.SubnetIDs) > 0 {
		id := s.SubnetIDs[0]
		if _, ok := all[id]; !ok {
			return explainMissingSubnets(ctx, cl, "spec.subnet.id", r.vpc.ID, []string{id})
		}
		r.desired.SubnetIDs = []string{id}
	} else if id := pickSubnet(all, s.SubnetTags, s.SubnetPreferredZone); id != "" {
		r.desired.SubnetIDs = []string{id}
	} else if fresh, err := subnetsOfVPC(ec2cache.WithMaxAge(ctx, 0), cl, r.vpc.ID); err != nil {
		return err
	} else if id := pickSubnet(fresh, s.SubnetTags, s.SubnetPreferredZone); id != "" {
		// A subnet tagged since the cached listing.
		r.subnets, r.desired.SubnetIDs = fresh, []string{id}
	} else {
		r.subnetProblem = problemf(v1alpha1.ReasonNoSubnets, "spec.subnet.tags: no subnet of %s has tags %s; tag a subnet or change the selector (spec.subnet is immutable: delete the object and create it again)", r.vpc.ID, formatTags(s.SubnetTags))
	}
	if err := checkSecurityGroups(ctx, cl, r.vpc.ID, s.SecurityGroupIDs); err != nil {
		return err
	}
	r.desired.SecurityGroupIDs = sortedSet(s.SecurityGroupIDs)
	preserve := s.PreserveClientIP
	r.desired.PreserveClientIP = &preserve
	return nil
}

// pickSubnet is the subnet with all the tags: in the preferred zone when one
// there has them, else the one with the lowest ID ("" when none has them).
func pickSubnet(all map[string]types.Subnet, tags map[string]string, zone string) string {
	var inZone, any string
	for _, id := range sortedKeys(all) {
		sn := all[id]
		if !matchesTags(tagMap(sn.Tags), tags) {
			continue
		}
		if any == "" {
			any = id
		}
		if inZone == "" && zone != "" && aws.ToString(sn.AvailabilityZone) == zone {
			inZone = id
		}
	}
	if inZone != "" {
		return inZone
	}
	return any
}

// checkBeforeWrite refutes, before anything is written, what AWS would refuse
// (and what a managed group created first would not undo): a VPC that has
// another Instance Connect Endpoint (AWS allows one per VPC), a subnet without a
// free address, and preserveClientIP in an IPv6-only subnet.
func (instanceConnectAdapter) checkBeforeWrite(ctx context.Context, cl awsclient.EC2, req Request, r *resolved, obs *Observed, out *Outcome) error {
	s := req.Spec
	subnetID := ""
	switch {
	case obs != nil && len(obs.SubnetIDs) > 0:
		subnetID = obs.SubnetIDs[0]
	case obs == nil && r.subnetProblem != nil:
		return r.subnetProblem
	case len(r.desired.SubnetIDs) > 0:
		subnetID = r.desired.SubnetIDs[0]
	}
	sn, known := r.subnets[subnetID]
	if s.PreserveClientIP && (obs == nil || !obs.PreserveClientIP) && known && aws.ToBool(sn.Ipv6Native) {
		return problemf(v1alpha1.ReasonPreserveClientIPNotSupported, "spec.preserveClientIP: subnet %s is IPv6-only, and AWS preserves the client IP only on IPv4 Instance Connect Endpoints; set spec.preserveClientIP: false", subnetID)
	}
	if obs != nil {
		return nil
	}
	if known && !aws.ToBool(sn.Ipv6Native) && aws.ToInt32(sn.AvailableIpAddressCount) == 0 {
		// The cached listing may predate an address freed since: look again.
		fresh, err := cl.DescribeSubnets(ec2cache.WithMaxAge(ctx, 0), &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}})
		if err == nil && len(fresh.Subnets) == 1 && aws.ToInt32(fresh.Subnets[0].AvailableIpAddressCount) == 0 {
			return subnetFull(subnetID)
		}
	}
	if req.Prior.EndpointIntent != nil {
		// A create of this object's was recorded and not seen yet: what the VPC
		// listing shows may be it (its tags may lag). The create, with the same
		// token, returns it, or AWS refuses it.
		return nil
	}
	return checkVPCHasNoOtherEndpoint(ctx, cl, req, r.vpc.ID)
}

func subnetFull(id string) *Problem {
	return problemf(v1alpha1.ReasonSubnetFull, "spec.subnet: subnet %s has no free IP address for the endpoint's network interface; free an address in it, or delete this object and create it again with another subnet (spec.subnet is immutable)", id)
}

// checkVPCHasNoOtherEndpoint refuses a create in a VPC that has an Instance
// Connect Endpoint of someone else's, naming it and its object when this cluster
// owns it.
func checkVPCHasNoOtherEndpoint(ctx context.Context, cl awsclient.EC2, req Request, vpcID string) error {
	p := ec2.NewDescribeInstanceConnectEndpointsPaginator(cl, &ec2.DescribeInstanceConnectEndpointsInput{
		Filters:    []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
		MaxResults: aws.Int32(iceMaxResults),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fromAWS(err, "looking for other Instance Connect Endpoints in "+vpcID)
		}
		for _, e := range page.InstanceConnectEndpoints {
			o := observeICE(e)
			if o.ID == req.Prior.EndpointID || o.Tags[TagOwnerUID] == req.Owner.UID || iceClass(o.State).gone() {
				continue
			}
			owner := ""
			switch c, ref := o.Tags[TagCluster], o.Tags[TagOwner]; {
			case c == req.Owner.Cluster && ref != "":
				owner = " (InstanceConnectEndpoint " + ref + ")"
			case c != "" && ref != "":
				owner = " (owned by " + ref + " in cluster " + c + ")"
			}
			adopt := fmt.Sprintf(", or adopt it with spec.endpointID: %s", o.ID)
			if owner != "" {
				adopt = ""
			}
			return problemf(v1alpha1.ReasonVPCHasInstanceConnectEndpoint,
				"spec.vpc: %s already has Instance Connect Endpoint %s%s, and AWS allows one per VPC; nothing was created: delete that endpoint%s", vpcID, o.ID, owner, adopt)
		}
	}
	return nil
}

// observeICE converts an EC2 Instance Connect Endpoint description.
func observeICE(e types.Ec2InstanceConnectEndpoint) Observed {
	o := Observed{
		ID:               aws.ToString(e.InstanceConnectEndpointId),
		State:            strings.ToLower(string(e.State)),
		Type:             InstanceConnect,
		VPCID:            aws.ToString(e.VpcId),
		SecurityGroupIDs: sortedSet(e.SecurityGroupIds),
		Tags:             tagMap(e.Tags),
		NetworkInterface: sortedSet(e.NetworkInterfaceIds),
		LastError:        aws.ToString(e.StateMessage),
		ARN:              aws.ToString(e.InstanceConnectEndpointArn),
		DNSName:          aws.ToString(e.DnsName),
		FIPSDNSName:      aws.ToString(e.FipsDnsName),
		AvailabilityZone: aws.ToString(e.AvailabilityZone),
		PreserveClientIP: aws.ToBool(e.PreserveClientIp),
		IPAddressType:    string(e.IpAddressType),
		OwnerID:          aws.ToString(e.OwnerId),
	}
	if id := aws.ToString(e.SubnetId); id != "" {
		o.SubnetIDs = []string{id}
	}
	return o
}

func (instanceConnectAdapter) describeByID(ctx context.Context, cl awsclient.EC2, id string) (*Observed, error) {
	out, err := cl.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}})
	if err != nil {
		if awserr.IsNotFound(err) {
			return nil, nil
		}
		return nil, fromAWS(err, "describing Instance Connect Endpoint "+id)
	}
	for _, e := range out.InstanceConnectEndpoints {
		if aws.ToString(e.InstanceConnectEndpointId) == id {
			o := observeICE(e)
			return &o, nil
		}
	}
	return nil, nil
}

// describeByOwner returns the live endpoints tagged as the owner's, oldest first.
func (instanceConnectAdapter) describeByOwner(ctx context.Context, cl awsclient.EC2, owner Owner) ([]Observed, error) {
	var found []types.Ec2InstanceConnectEndpoint
	p := ec2.NewDescribeInstanceConnectEndpointsPaginator(cl, &ec2.DescribeInstanceConnectEndpointsInput{Filters: ownerFilters(owner), MaxResults: aws.Int32(iceMaxResults)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fromAWS(err, "looking up the Instance Connect Endpoint by its ownership tags")
		}
		found = append(found, page.InstanceConnectEndpoints...)
	}
	sort.Slice(found, func(i, j int) bool {
		return aws.ToTime(found[i].CreatedAt).Before(aws.ToTime(found[j].CreatedAt))
	})
	var out []Observed
	for _, e := range found {
		if o := observeICE(e); !iceClass(o.State).gone() {
			out = append(out, o)
		}
	}
	return out, nil
}

// adoptable refuses an endpoint in another subnet than the spec's: AWS cannot
// move it.
func (instanceConnectAdapter) adoptable(req Request, r *resolved, o Observed) error {
	s := req.Spec
	subnet := ""
	if len(o.SubnetIDs) > 0 {
		subnet = o.SubnetIDs[0]
	}
	switch {
	case len(s.SubnetIDs) > 0 && subnet != s.SubnetIDs[0]:
		return problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: Instance Connect Endpoint %s is in subnet %s, but spec.subnet.id is %s, and AWS cannot move it; set spec.subnet to its subnet", o.ID, subnet, s.SubnetIDs[0])
	case len(s.SubnetIDs) == 0 && !matchesTags(tagMap(r.subnets[subnet].Tags), s.SubnetTags):
		return problemf(v1alpha1.ReasonAdoptionRefused, "spec.endpointID: Instance Connect Endpoint %s is in subnet %s, which lacks the tags %s of spec.subnet.tags, and AWS cannot move it; set spec.subnet to its subnet", o.ID, subnet, formatTags(s.SubnetTags))
	}
	return nil
}

// create makes the endpoint in its subnet with its groups. With
// preserveClientIP it asks for an IPv4 endpoint, the only kind AWS preserves the
// client IP on (in a dual-stack subnet AWS would make a dual-stack one).
func (instanceConnectAdapter) create(ctx context.Context, cl awsclient.EC2, r *resolved, token string) (Observed, error) {
	d := r.desired
	in := &ec2.CreateInstanceConnectEndpointInput{
		SubnetId:          aws.String(d.SubnetIDs[0]),
		SecurityGroupIds:  d.SecurityGroupIDs,
		PreserveClientIp:  d.PreserveClientIP,
		ClientToken:       aws.String(token),
		TagSpecifications: tagSpec(types.ResourceTypeInstanceConnectEndpoint, d.createTags()),
	}
	if aws.ToBool(d.PreserveClientIP) {
		in.IpAddressType = types.IpAddressTypeIpv4
	}
	res, err := cl.CreateInstanceConnectEndpoint(ctx, in)
	if err != nil {
		return Observed{}, err
	}
	return observeICE(*res.InstanceConnectEndpoint), nil
}

// explainCreate names the quota or the subnet when AWS refuses the endpoint.
func (instanceConnectAdapter) explainCreate(code string, p *Problem) {
	switch {
	case code == "InsufficientFreeAddressesInSubnet":
		p.Reason = v1alpha1.ReasonSubnetFull
		p.Message += "; free an address in the subnet, or delete this object and create it again with another subnet (spec.subnet is immutable)"
	case strings.Contains(code, "LimitExceeded") || strings.Contains(code, "QuotaExceeded"):
		p.Reason = v1alpha1.ReasonInstanceConnectEndpointLimitExceeded
		p.Message += fmt.Sprintf("; AWS allows %d Instance Connect Endpoints per account and region and one per VPC: delete one you no longer use (aws ec2 describe-instance-connect-endpoints lists them)", iceQuotaPerRegion)
	}
}

func (instanceConnectAdapter) plan(r *resolved, o Observed) Plan {
	return ComputePlan(r.desired, o, nil)
}

// modify sets the endpoint's groups (the whole new set, as AWS takes it) and
// preserveClientIP in one ModifyInstanceConnectEndpoint.
func (instanceConnectAdapter) modify(ctx context.Context, cl awsclient.EC2, o Observed, p Plan) error {
	in := &ec2.ModifyInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(o.ID), PreserveClientIp: p.PreserveClientIP}
	if len(p.AddSecurityGroups)+len(p.RemoveSecurityGroups) > 0 {
		in.SecurityGroupIds = sortedSet(append(difference(o.SecurityGroupIDs, p.RemoveSecurityGroups), p.AddSecurityGroups...))
	}
	if aws.ToBool(p.PreserveClientIP) && o.IPAddressType != "" && o.IPAddressType != string(types.IpAddressTypeIpv4) {
		in.IpAddressType = types.IpAddressTypeIpv4
	}
	if _, err := cl.ModifyInstanceConnectEndpoint(ctx, in); err != nil {
		return fromAWS(err, "modifying Instance Connect Endpoint "+o.ID)
	}
	return nil
}

// applied is the endpoint after the plan: AWS updates it (update-in-progress).
func (instanceConnectAdapter) applied(o Observed, p Plan) Observed {
	n := p.Applied(o)
	if p.HasModify() {
		n.State = iceUpdating
	}
	return n
}

// digest digests what the controller changes on an Instance Connect Endpoint.
func (instanceConnectAdapter) digest(o Observed) string {
	return digest(strings.Join(o.SecurityGroupIDs, ","), fmt.Sprint(o.PreserveClientIP), tagsDigest(o.Tags))
}

// remove deletes the endpoints, one call each (AWS takes one ID per call).
func (instanceConnectAdapter) remove(ctx context.Context, cl awsclient.EC2, ids []string) error {
	for _, id := range ids {
		if _, err := cl.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id)}); err != nil && !awserr.IsNotFound(err) {
			return fromAWS(err, "deleting Instance Connect Endpoint "+id)
		}
	}
	return nil
}

func (instanceConnectAdapter) classify(o Observed) stateClass { return iceClass(o.State) }

// iceClass maps an Instance Connect Endpoint state to its phase.
func iceClass(state string) stateClass {
	switch state {
	case iceCreated, iceUpdated:
		return stateClass{phase: phaseReady}
	case iceCreateFailed:
		return stateClass{phase: phaseStuck, reason: v1alpha1.ReasonFailed, detail: "AWS could not create it"}
	case iceDeleteFailed:
		return stateClass{phase: phaseStuck, reason: v1alpha1.ReasonFailed, detail: "AWS could not delete it (someone asked it to)"}
	case iceUpdateFailed:
		// It keeps working as it was: converged again, not Ready.
		return stateClass{phase: phasePartial, reason: v1alpha1.ReasonFailed, detail: "AWS could not apply the last change"}
	case iceDeleting:
		return stateClass{phase: phaseDeleting}
	case iceDeleted:
		return stateClass{phase: phaseDeleted}
	}
	return stateClass{phase: phaseWorking} // create-in-progress, update-in-progress
}

// report adds the endpoint's ARN, DNS names, zone, network interfaces and
// preserveClientIP.
func (instanceConnectAdapter) report(_ context.Context, _ awsclient.EC2, _ *resolved, o Observed, out *Outcome) {
	out.ARN = o.ARN
	out.DNSName = o.DNSName
	out.FIPSDNSName = o.FIPSDNSName
	out.AvailabilityZone = o.AvailabilityZone
	out.NetworkInterfaceIDs = slices.Clone(o.NetworkInterface)
	out.PreserveClientIP = o.PreserveClientIP
}
