package endpoint

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Endpoint states, as the controller spells them once read (normalState).
const (
	statePending           = "pending"
	stateAvailable         = "available"
	statePendingAcceptance = "pendingAcceptance"
	stateDeleting          = "deleting"
	stateDeleted           = "deleted"
	stateRejected          = "rejected"
	stateFailed            = "failed"
	stateExpired           = "expired"
	statePartial           = "partial"
)

// knownStates maps a state in lower case to its one spelling: the wire says
// "pendingAcceptance", the SDK's constants "PendingAcceptance", and the case has
// varied by endpoint type.
var knownStates = map[string]string{}

func init() {
	for _, s := range []string{statePending, stateAvailable, statePendingAcceptance, stateDeleting, stateDeleted, stateRejected, stateFailed, stateExpired, statePartial} {
		knownStates[strings.ToLower(s)] = s
	}
}

// normalState spells an endpoint state as the controller compares it, whatever
// case AWS or the SDK used; an unknown state is kept as it is.
func normalState(s string) string {
	if n, ok := knownStates[strings.ToLower(s)]; ok {
		return n
	}
	return s
}

// gone reports whether an endpoint in this state is going or gone for good.
// rejected, failed and expired endpoints are not: they stay until deleted.
func gone(state string) bool {
	s := normalState(state)
	return s == stateDeleting || s == stateDeleted
}

// observe converts an EC2 endpoint description.
func observe(e types.VpcEndpoint) Observed {
	o := Observed{
		ID:               aws.ToString(e.VpcEndpointId),
		State:            normalState(string(e.State)),
		Type:             Type(e.VpcEndpointType),
		VPCID:            aws.ToString(e.VpcId),
		ServiceName:      aws.ToString(e.ServiceName),
		RouteTableIDs:    sortedSet(e.RouteTableIds),
		SubnetIDs:        sortedSet(e.SubnetIds),
		Policy:           aws.ToString(e.PolicyDocument),
		Tags:             tagMap(e.Tags),
		OwnerID:          aws.ToString(e.OwnerId),
		PrivateDNS:       aws.ToBool(e.PrivateDnsEnabled),
		IPAddressType:    string(e.IpAddressType),
		NetworkInterface: sortedSet(e.NetworkInterfaceIds),
	}
	for _, g := range e.Groups {
		o.SecurityGroupIDs = append(o.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	o.SecurityGroupIDs = sortedSet(o.SecurityGroupIDs)
	if e.DnsOptions != nil {
		o.DNSRecordIPType = string(e.DnsOptions.DnsRecordIpType)
		o.OnlyInbound = aws.ToBool(e.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint)
	}
	for _, d := range e.DnsEntries {
		o.DNSEntries = append(o.DNSEntries, dnsEntry{Name: aws.ToString(d.DnsName), HostedZoneID: aws.ToString(d.HostedZoneId)})
	}
	if e.LastError != nil {
		o.LastError = strings.TrimSpace(aws.ToString(e.LastError.Code) + ": " + aws.ToString(e.LastError.Message))
	}
	return o
}

// describeByID returns the endpoint, or nil when EC2 does not know the ID.
func describeByID(ctx context.Context, cl awsclient.EC2, id string) (*Observed, error) {
	out, err := cl.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		if awserr.IsNotFound(err) {
			return nil, nil
		}
		return nil, fromAWS(err, "describing endpoint "+id)
	}
	for _, e := range out.VpcEndpoints {
		if aws.ToString(e.VpcEndpointId) == id {
			o := observe(e)
			return &o, nil
		}
	}
	return nil, nil
}

// describeByOwner returns the live endpoints tagged as the owner's, oldest first.
func describeByOwner(ctx context.Context, cl awsclient.EC2, owner Owner) ([]Observed, error) {
	var found []types.VpcEndpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(cl, &ec2.DescribeVpcEndpointsInput{Filters: ownerFilters(owner)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fromAWS(err, "looking up the endpoint by its ownership tags")
		}
		found = append(found, page.VpcEndpoints...)
	}
	sort.Slice(found, func(i, j int) bool {
		return aws.ToTime(found[i].CreationTimestamp).Before(aws.ToTime(found[j].CreationTimestamp))
	})
	var out []Observed
	for _, e := range found {
		if !gone(string(e.State)) {
			out = append(out, observe(e))
		}
	}
	return out, nil
}

// describeInterfaces returns the endpoint's network interfaces, reusing what the
// status already has when the set of IDs did not change.
func describeInterfaces(ctx context.Context, cl awsclient.EC2, ids []string, prior []v1alpha1.NetworkInterface) ([]v1alpha1.NetworkInterface, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(prior) == len(ids) {
		same := true
		for i, n := range prior {
			if n.ID != ids[i] || n.PrivateIPv4 == "" && n.PrivateIPv6 == "" {
				same = false
				break
			}
		}
		if same {
			return prior, nil
		}
	}
	out, err := cl.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ids})
	if err != nil {
		if awserr.IsNotFound(err) {
			return nil, nil // interfaces come and go while the endpoint changes; the next poll sees them
		}
		return nil, fromAWS(err, "describing the endpoint's network interfaces")
	}
	var nis []v1alpha1.NetworkInterface
	for _, n := range out.NetworkInterfaces {
		ni := v1alpha1.NetworkInterface{
			ID:               aws.ToString(n.NetworkInterfaceId),
			SubnetID:         aws.ToString(n.SubnetId),
			AvailabilityZone: aws.ToString(n.AvailabilityZone),
			PrivateIPv4:      aws.ToString(n.PrivateIpAddress),
		}
		if len(n.Ipv6Addresses) > 0 {
			ni.PrivateIPv6 = aws.ToString(n.Ipv6Addresses[0].Ipv6Address)
		}
		nis = append(nis, ni)
	}
	sort.Slice(nis, func(i, j int) bool { return nis[i].ID < nis[j].ID })
	return nis, nil
}

// typedDNSEntries labels the endpoint's DNS names Regional, Zonal (with the AZ) or
// PrivateDNS.
func typedDNSEntries(entries []dnsEntry, zones []string) []v1alpha1.DNSEntry {
	var out []v1alpha1.DNSEntry
	for _, e := range entries {
		d := v1alpha1.DNSEntry{Name: e.Name, HostedZoneID: e.HostedZoneID, Type: v1alpha1.DNSEntryPrivateDNS}
		if strings.HasPrefix(e.Name, "vpce-") || strings.HasPrefix(e.Name, "*.vpce-") {
			d.Type = v1alpha1.DNSEntryRegional
			label := strings.SplitN(strings.TrimPrefix(e.Name, "*."), ".", 2)[0]
			for _, z := range zones {
				if strings.HasSuffix(label, "-"+z) {
					d.Type = v1alpha1.DNSEntryZonal
					d.AvailabilityZone = z
				}
			}
		}
		out = append(out, d)
	}
	return out
}
