package conformance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Env is what a scenario works with: a client for the target and helpers
// that build the world the scenario needs.
type Env struct {
	// Client talks to the target.
	Client *ec2.Client
	// WaitTimeout bounds waits for asynchronous changes.
	WaitTimeout time.Duration
	// controls are the target's emulator levers, nil when it has none.
	controls Controls
	// target is what the scenario runs against, for clients with other
	// credentials and regions.
	target Target
}

// defaultWaitTimeout is used when a target does not set its own.
const defaultWaitTimeout = 10 * time.Second

func newEnv(target Target) *Env {
	wait := target.WaitTimeout
	if wait == 0 {
		wait = defaultWaitTimeout
	}
	return &Env{Client: target.NewClient(), WaitTimeout: wait, controls: target.Controls, target: target}
}

// wait lets d pass: on the target's clock when it has one, else in real time.
func (e *Env) wait(ctx context.Context, d time.Duration) error {
	if e.controls != nil {
		e.controls.Advance(d)
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// serviceName returns the regional AWS service name for a short name such
// as "s3" or "ssm".
func serviceName(short string) string {
	return "com.amazonaws." + Region + "." + short
}

// subnet is a subnet a scenario created.
type subnet struct {
	ID   string
	CIDR string
	AZ   string
}

// network is a VPC with one subnet and one route table per zone.
type network struct {
	VpcID       string
	Subnets     []subnet
	RouteTables []string
}

// zones are the availability zones scenarios place subnets in.
var zones = []string{Region + "a", Region + "b", Region + "c"}

// newNetwork creates a 10.0.0.0/16 VPC with DNS support and, when
// dnsHostnames, DNS hostnames on, plus one /24 subnet in each of the first
// nZones zones, each with its own route table.
func (e *Env) newNetwork(ctx context.Context, dnsHostnames bool, nZones int) (network, error) {
	var n network
	vpc, err := e.Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		return n, stepErr("CreateVpc", err)
	}
	n.VpcID = aws.ToString(vpc.Vpc.VpcId)
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: aws.String(n.VpcID), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: aws.String(n.VpcID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(dnsHostnames)}},
	} {
		if _, err := e.Client.ModifyVpcAttribute(ctx, attr); err != nil {
			return n, stepErr("ModifyVpcAttribute", err)
		}
	}
	for i := 0; i < nZones; i++ {
		s, err := e.createSubnet(ctx, n.VpcID, fmt.Sprintf("10.0.%d.0/24", i+1), zones[i])
		if err != nil {
			return n, err
		}
		n.Subnets = append(n.Subnets, s)
		rtb, err := e.createRouteTable(ctx, n.VpcID)
		if err != nil {
			return n, err
		}
		if _, err := e.Client.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
			RouteTableId: aws.String(rtb), SubnetId: aws.String(s.ID),
		}); err != nil {
			return n, stepErr("AssociateRouteTable", err)
		}
		n.RouteTables = append(n.RouteTables, rtb)
	}
	return n, nil
}

// subnetIDs returns the IDs of the network's subnets.
func (n network) subnetIDs() []string {
	ids := make([]string, len(n.Subnets))
	for i, s := range n.Subnets {
		ids[i] = s.ID
	}
	return ids
}

func (e *Env) createSubnet(ctx context.Context, vpcID, cidr, az string) (subnet, error) {
	out, err := e.Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{
		VpcId: aws.String(vpcID), CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(az),
	})
	if err != nil {
		return subnet{}, stepErr("CreateSubnet", err)
	}
	return subnet{ID: aws.ToString(out.Subnet.SubnetId), CIDR: cidr, AZ: az}, nil
}

func (e *Env) createRouteTable(ctx context.Context, vpcID string) (string, error) {
	out, err := e.Client.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpcID)})
	if err != nil {
		return "", stepErr("CreateRouteTable", err)
	}
	return aws.ToString(out.RouteTable.RouteTableId), nil
}

// createGateway creates a gateway endpoint for the short service name.
func (e *Env) createGateway(ctx context.Context, vpcID, service string, routeTables []string) (types.VpcEndpoint, error) {
	out, err := e.Client.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(vpcID),
		ServiceName:     aws.String(serviceName(service)),
		VpcEndpointType: types.VpcEndpointTypeGateway,
		RouteTableIds:   routeTables,
	})
	if err != nil {
		return types.VpcEndpoint{}, stepErr("CreateVpcEndpoint (Gateway)", err)
	}
	return *out.VpcEndpoint, nil
}

// interfaceOpts are the optional parameters of createInterface.
type interfaceOpts struct {
	PrivateDNS     bool
	SecurityGroups []string
	Tags           map[string]string
}

// createInterface creates an interface endpoint for the short service name.
func (e *Env) createInterface(ctx context.Context, vpcID, service string, subnets []string, opts interfaceOpts) (types.VpcEndpoint, error) {
	in := &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(vpcID),
		ServiceName:       aws.String(serviceName(service)),
		VpcEndpointType:   types.VpcEndpointTypeInterface,
		SubnetIds:         subnets,
		SecurityGroupIds:  opts.SecurityGroups,
		PrivateDnsEnabled: aws.Bool(opts.PrivateDNS),
	}
	if len(opts.Tags) > 0 {
		in.TagSpecifications = endpointTags(opts.Tags)
	}
	out, err := e.Client.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return types.VpcEndpoint{}, stepErr("CreateVpcEndpoint (Interface)", err)
	}
	return *out.VpcEndpoint, nil
}

// endpointTags turns a tag map into the TagSpecifications of a VPC endpoint.
func endpointTags(tags map[string]string) []types.TagSpecification {
	spec := types.TagSpecification{ResourceType: types.ResourceTypeVpcEndpoint}
	for k, v := range tags {
		spec.Tags = append(spec.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return []types.TagSpecification{spec}
}

// endpoint describes one endpoint by ID.
func (e *Env) endpoint(ctx context.Context, id string) (types.VpcEndpoint, error) {
	out, err := e.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		return types.VpcEndpoint{}, stepErr("DescribeVpcEndpoints", err)
	}
	if len(out.VpcEndpoints) != 1 {
		return types.VpcEndpoint{}, fmt.Errorf("DescribeVpcEndpoints by ID returned %d endpoints, want 1", len(out.VpcEndpoints))
	}
	return out.VpcEndpoints[0], nil
}

// waitState waits until the endpoint's state is want, compared without
// regard to case (AWS answers lowercase `available`, the SDK's enum says
// `Available`), and returns the endpoint as last described.
func (e *Env) waitState(ctx context.Context, id, want string) (types.VpcEndpoint, error) {
	var ep types.VpcEndpoint
	err := e.eventually(ctx, func() error {
		var err error
		ep, err = e.endpoint(ctx, id)
		if err != nil {
			return err
		}
		if got := string(ep.State); !strings.EqualFold(got, want) {
			return fmt.Errorf("state stayed `%s`, want `%s`", got, want)
		}
		return nil
	})
	return ep, err
}

// routeTable describes one route table by ID.
func (e *Env) routeTable(ctx context.Context, id string) (types.RouteTable, error) {
	out, err := e.Client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if err != nil {
		return types.RouteTable{}, stepErr("DescribeRouteTables", err)
	}
	if len(out.RouteTables) != 1 {
		return types.RouteTable{}, fmt.Errorf("DescribeRouteTables by ID returned %d tables, want 1", len(out.RouteTables))
	}
	return out.RouteTables[0], nil
}

// prefixListID returns the ID of the AWS-managed prefix list of a short
// service name ("s3", "dynamodb").
func (e *Env) prefixListID(ctx context.Context, service string) (string, error) {
	out, err := e.Client.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{
		Filters: []types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{serviceName(service)}}},
	})
	if err != nil {
		return "", stepErr("DescribePrefixLists", err)
	}
	if len(out.PrefixLists) != 1 {
		return "", fmt.Errorf("DescribePrefixLists for %s returned %d lists, want 1", service, len(out.PrefixLists))
	}
	return aws.ToString(out.PrefixLists[0].PrefixListId), nil
}

// endpointRoute reports whether the route table has the route a gateway
// endpoint adds: the service's prefix list via the endpoint.
func endpointRoute(rt types.RouteTable, prefixList, endpointID string) bool {
	for _, r := range rt.Routes {
		if aws.ToString(r.DestinationPrefixListId) == prefixList && aws.ToString(r.GatewayId) == endpointID {
			return true
		}
	}
	return false
}

// waitRoutes waits until each listed route table has (present) or lacks
// (!present) the endpoint's prefix-list route.
func (e *Env) waitRoutes(ctx context.Context, tables []string, prefixList, endpointID string, present bool) error {
	return e.eventually(ctx, func() error {
		for i, id := range tables {
			rt, err := e.routeTable(ctx, id)
			if err != nil {
				return err
			}
			if endpointRoute(rt, prefixList, endpointID) != present {
				which := "the route table"
				if len(tables) > 1 {
					which = fmt.Sprintf("route table %d of %d", i+1, len(tables))
				}
				if present {
					return fmt.Errorf("%s has no route {DestinationPrefixListId: pl-…, GatewayId: vpce-…}", which)
				}
				return fmt.Errorf("%s still has the endpoint's prefix-list route", which)
			}
		}
		return nil
	})
}

// defaultSecurityGroup returns the ID of the VPC's default security group.
func (e *Env) defaultSecurityGroup(ctx context.Context, vpcID string) (string, error) {
	out, err := e.Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		return "", stepErr("DescribeSecurityGroups", err)
	}
	if len(out.SecurityGroups) != 1 {
		return "", fmt.Errorf("VPC has %d security groups named default, want 1", len(out.SecurityGroups))
	}
	return aws.ToString(out.SecurityGroups[0].GroupId), nil
}

// filter builds one DescribeVpcEndpoints filter.
func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// endpointIDs returns the IDs of endpoints, sorted as given.
func endpointIDs(eps []types.VpcEndpoint) []string {
	ids := make([]string, len(eps))
	for i, ep := range eps {
		ids[i] = aws.ToString(ep.VpcEndpointId)
	}
	return ids
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int, len(a))
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
		if seen[s] < 0 {
			return false
		}
	}
	return true
}

// consistencyWindow is the window scenarios set on targets that can show
// eventual consistency: long enough to be the worst case of any scenario.
const consistencyWindow = 5 * time.Second

// setConsistency sets the target's consistency window when it can; a target
// without controls shows whatever consistency it has.
func (e *Env) setConsistency(window time.Duration) {
	if e.controls != nil {
		e.controls.SetConsistency(window)
	}
}

// waitWindow lets the consistency window pass.
func (e *Env) waitWindow(ctx context.Context) error {
	return e.wait(ctx, consistencyWindow)
}

// loseNextResponse makes the next call of action lose its response on a
// target with controls. It reports false for a target without them, whose
// caller then makes the call once more and ignores that answer, which is
// what a lost response amounts to.
func (e *Env) loseNextResponse(action string) bool {
	if e.controls == nil {
		return false
	}
	e.controls.LoseNextResponse(action)
	return true
}
