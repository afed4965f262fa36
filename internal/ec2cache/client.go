package ec2cache

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// Options configure a caching client.
type Options struct {
	// ClusterTagKey and Cluster select the objects this manager owns.
	ClusterTagKey, Cluster string
	// OwnerTagKey and OwnerUIDTagKey name the tags that say which object owns a
	// resource: the store is indexed by the second, and change notices carry both.
	OwnerTagKey, OwnerUIDTagKey string
	// SnapshotTTL bounds the age of the owned endpoints, Instance Connect
	// Endpoints and security groups served when a request asks for nothing
	// fresher. With Tick running the endpoints and groups are re-read every
	// ListInterval, so make it longer than that.
	SnapshotTTL time.Duration
	// InventoryTTL bounds the age of VPCs, subnets, route tables and by-ID group
	// checks a request takes when it asks for nothing fresher; ListBudget may
	// stretch it (budget.go).
	InventoryTTL time.Duration
	// ServiceTTL bounds the age of endpoint services and prefix lists.
	ServiceTTL time.Duration
	// PollTTL bounds the age of endpoints AWS is working on (pending, deleting).
	PollTTL time.Duration
	// Spacing is the shortest time between two reads of one kind (per EC2 action
	// and set of filter names): the shared freshness window. Every request for
	// fresher data waits for the next read, which serves all of them.
	Spacing time.Duration
	// ConfirmSpacing, when longer than Spacing, is the shortest time between two
	// reads by ID of endpoints and security groups that no request needs fresh:
	// those that confirm the controller's own writes and follow AWS's work on an
	// endpoint (Tick's, and those of reconciles not acting on a new spec). While
	// AWS's write limits pace many creates, one such read then confirms many. A
	// request that asks for fresh data (WithFresh, WithMaxAge) still gets a read
	// within Spacing, which serves the waiting confirmations too.
	ConfirmSpacing time.Duration
	// ListInterval is how often Tick lists every owned endpoint and security group
	// and reports what changed (drift detection); zero: Tick lists nothing.
	ListInterval time.Duration
	// ListBudget is how many EC2 calls a minute the listings may take (each page
	// a call): the owned listings every ListInterval and the VPC, subnet and
	// route-table listings every InventoryTTL. When their pages would take more,
	// both are stretched by the same factor (budget.go). Zero: no budget.
	ListBudget int
	// OnListInterval, when set, is told the listing interval and inventory age
	// when they are first worked out and whenever the budget changes them. It is
	// called with the budget's lock held, so it must not block for long nor call
	// the Client.
	OnListInterval func(ListIntervalChange)
	// Account and Region name the cache in what it reports (OnListInterval).
	Account, Region string
	// Notify, when set, is told of every owned resource whose AWS state changed
	// between two reads. It must not block for long.
	Notify func(Change)
	// Clock is the cache's clock; nil means the real one.
	Clock clock.Clock
}

// Client is an EC2 client that answers the controller's reads from snapshots.
// Methods it does not override go to EC2 unchanged.
type Client struct {
	awsclient.EC2
	o     Options
	clock clock.Clock

	endpoints     *owned[types.VpcEndpoint]
	groups        *owned[types.SecurityGroup]
	ices          *owned[types.Ec2InstanceConnectEndpoint]
	endpointReads batches[types.VpcEndpoint]
	groupReads    batches[types.SecurityGroup]
	eniReads      batches[types.NetworkInterface]
	iceReads      batches[types.Ec2InstanceConnectEndpoint]

	// vpcEndpointReads are the reads of every endpoint of some VPCs, whoever
	// owns them (the private DNS conflict check): at most one per confirmation
	// window, for the union of the VPCs and services asked.
	vpcEndpointReads batches[types.VpcEndpoint]
	// vpcAnswers are their recent answers (vpcendpoints.go).
	vpcAnswers vpcEndpointAnswers

	vpcs        list[types.Vpc]
	subnets     list[types.Subnet]
	routeTables list[types.RouteTable]

	mu         sync.Mutex
	enis       map[string]types.NetworkInterface
	foreign    map[string]stamped[types.SecurityGroup] // groups the user names, by ID
	services   keyed[*ec2.DescribeVpcEndpointServicesOutput]
	prefixes   keyed[*ec2.DescribePrefixListsOutput]
	attributes keyed[*ec2.DescribeVpcAttributeOutput]

	ticking atomic.Bool
	budget  listBudget

	// decodeSlot lets one Describe response of owned endpoints or groups be
	// decoded at a time in this account and region (unchanged.go): the memory
	// decoding takes stays that of one page whatever the reads in flight.
	decodeSlot chan struct{}
	decodeBuf  []byte // the slot holder's body buffer (unchanged.go)
	// undecoded counts the members of responses left undecoded as unchanged.
	undecoded atomic.Int64
}

type stamped[T any] struct {
	obj T
	at  time.Time
}

// New wraps an EC2 client of one account and region.
func New(cl awsclient.EC2, o Options) *Client {
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Client{EC2: cl, o: o, clock: clk,
		endpoints:  newOwned(endpointOps, o),
		groups:     newOwned(groupOps, o),
		ices:       newOwned(iceOps, o),
		enis:       map[string]types.NetworkInterface{},
		foreign:    map[string]stamped[types.SecurityGroup]{},
		decodeSlot: make(chan struct{}, 1),
	}
	c.endpointReads = batches[types.VpcEndpoint]{clock: clk, spacing: o.Spacing, patient: o.ConfirmSpacing, fetch: c.fetchEndpoints}
	c.groupReads = batches[types.SecurityGroup]{clock: clk, spacing: o.Spacing, patient: o.ConfirmSpacing, fetch: c.fetchGroups}
	c.eniReads = batches[types.NetworkInterface]{clock: clk, spacing: o.Spacing, fetch: c.fetchInterfaces}
	c.vpcEndpointReads = batches[types.VpcEndpoint]{clock: clk, spacing: max(o.Spacing, o.ConfirmSpacing), fetch: c.fetchEndpoints, done: c.keepVPCEndpointRead}
	c.iceReads = batches[types.Ec2InstanceConnectEndpoint]{clock: clk, spacing: o.Spacing, fetch: c.fetchICEs}
	c.vpcs.vpcOf = func(v types.Vpc) *string { return v.VpcId }
	c.subnets.vpcOf = func(sn types.Subnet) *string { return sn.VpcId }
	c.routeTables.vpcOf = func(rt types.RouteTable) *string { return rt.VpcId }
	c.vpcs.digestOf, c.subnets.digestOf, c.routeTables.digestOf = vpcDigest, subnetDigest, routeTableDigest
	for _, l := range []interface {
		init(clock.Clock, time.Duration)
	}{&c.vpcs, &c.subnets, &c.routeTables} {
		l.init(clk, o.Spacing)
	}
	for _, k := range []interface {
		init(clock.Clock, time.Duration)
	}{&c.services, &c.prefixes, &c.attributes} {
		k.init(clk, o.Spacing)
	}
	return c
}

func (c *Client) now() time.Time { return c.clock.Now() }

// need is the oldest read start a request accepts.
func (c *Client) need(ctx context.Context, def time.Duration, kind Kinds) time.Time {
	now := c.now()
	need := now.Add(-maxAge(ctx, def))
	if fresh(ctx, kind) {
		f := now.Add(-freshWindow(c.o.Spacing))
		if since := freshSince(ctx); !since.IsZero() && since.Before(f) {
			f = since // read after the spec was first seen: fresh enough for it
		}
		if f.After(need) {
			need = f
		}
	}
	return need
}

// pollNeed is the oldest read start accepted for objects AWS is working on; with
// no PollTTL, every read of them goes to EC2.
func (c *Client) pollNeed() time.Time {
	if c.o.PollTTL <= 0 {
		return c.now().Add(time.Nanosecond)
	}
	return c.now().Add(-c.o.PollTTL)
}

func (c *Client) clusterFilter() []types.Filter {
	return []types.Filter{{Name: aws.String("tag:" + c.o.ClusterTagKey), Values: []string{c.o.Cluster}}}
}

// hasClusterFilter reports whether filters restrict to this cluster's objects, so
// the owned snapshot can answer them.
func (c *Client) hasClusterFilter(filters []types.Filter) bool {
	for _, f := range filters {
		if aws.ToString(f.Name) == "tag:"+c.o.ClusterTagKey && len(f.Values) == 1 && f.Values[0] == c.o.Cluster {
			return true
		}
	}
	return false
}

// ownerUID returns the owner UID a query selects ("" for none, or several).
func (c *Client) ownerUID(filters []types.Filter) string {
	for _, f := range filters {
		if aws.ToString(f.Name) == "tag:"+c.o.OwnerUIDTagKey && len(f.Values) == 1 {
			return f.Values[0]
		}
	}
	return ""
}

func (c *Client) notify(changes []Change) {
	if c.o.Notify == nil {
		return
	}
	for _, ch := range changes {
		c.o.Notify(ch)
	}
}

// Tick keeps the snapshots current without any reconcile asking: every
// ListInterval it lists the owned endpoints and security groups (a few pages,
// whatever the number of objects; less often when their pages would exceed
// ListBudget), and in between it re-reads, in one request,
// the ones the controller wrote to and, every three quarters of PollTTL, the ones
// AWS is working on. What changed is reported
// through Notify, so drift is found within the listing interval and every change the
// controller makes is confirmed by a read soon after. Concurrent calls return at once.
func (c *Client) Tick(ctx context.Context) {
	if !c.ticking.CompareAndSwap(false, true) {
		return
	}
	defer c.ticking.Store(false)
	// Only what reconciles have asked for: a cache used only to check an
	// AWSAccount never lists endpoints.
	now := c.now()
	interval := c.listInterval()
	if listed := c.endpoints.listed(); listed.IsZero() {
	} else if interval > 0 && now.Sub(listed) >= interval {
		_ = c.listEndpoints(ctx)
	} else if ids := c.endpoints.toRefresh(now.Add(-c.o.PollTTL * 3 / 4)); len(ids) > 0 {
		_, _, _ = c.endpointReads.confirm(ctx, Endpoints, idFilter("vpc-endpoint-id", ids))
	}
	if listed := c.ices.listed(); !listed.IsZero() && interval > 0 && now.Sub(listed) >= interval {
		// Instance Connect Endpoints: a handful per region, so the listing alone;
		// those written or worked on are read by ID by the reconciles that wait.
		_ = c.listICEs(ctx)
	}
	if listed := c.groups.listed(); listed.IsZero() {
	} else if interval > 0 && now.Sub(listed) >= interval {
		_ = c.listGroups(ctx)
	} else if ids := c.groups.toRefresh(now.Add(-c.o.Spacing)); len(ids) > 0 {
		_, _, _ = c.groupReads.confirm(ctx, Groups, idFilter("group-id", ids))
	}
}

func idFilter(name string, ids []string) []types.Filter {
	return []types.Filter{{Name: aws.String(name), Values: ids}}
}

// ----- writes: pass through, then mark what they touched -----

// CreateVpcEndpoint creates and marks the new endpoint for re-reading.
func (c *Client) CreateVpcEndpoint(ctx context.Context, in *ec2.CreateVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error) {
	out, err := c.EC2.CreateVpcEndpoint(ctx, in, opts...)
	if err == nil && out.VpcEndpoint != nil {
		c.endpoints.markCreated(c.now(), aws.ToString(out.VpcEndpoint.VpcEndpointId), c.ownerOf(in.TagSpecifications))
	}
	return out, err
}

// ModifyVpcEndpoint modifies and marks the endpoint.
func (c *Client) ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	defer func() { c.endpoints.markDirty(c.now(), aws.ToString(in.VpcEndpointId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.ModifyVpcEndpoint(ctx, in, opts...)
}

// DeleteVpcEndpoints deletes and marks the endpoints.
func (c *Client) DeleteVpcEndpoints(ctx context.Context, in *ec2.DeleteVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error) {
	defer func() { c.endpoints.markDirty(c.now(), in.VpcEndpointIds...) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.DeleteVpcEndpoints(ctx, in, opts...)
}

// CreateTags tags and marks the resources.
func (c *Client) CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	defer func() { c.markResources(in.Resources) }()
	return c.EC2.CreateTags(ctx, in, opts...)
}

// DeleteTags untags and marks the resources.
func (c *Client) DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, opts ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error) {
	defer func() { c.markResources(in.Resources) }()
	return c.EC2.DeleteTags(ctx, in, opts...)
}

// CreateSecurityGroup creates and marks the group.
func (c *Client) CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	out, err := c.EC2.CreateSecurityGroup(ctx, in, opts...)
	if err == nil {
		c.groups.markCreated(c.now(), aws.ToString(out.GroupId), c.ownerOf(in.TagSpecifications))
	}
	return out, err
}

// DeleteSecurityGroup deletes and marks the group.
func (c *Client) DeleteSecurityGroup(ctx context.Context, in *ec2.DeleteSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.DeleteSecurityGroup(ctx, in, opts...)
}

// AuthorizeSecurityGroupIngress authorizes and marks the group.
func (c *Client) AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.AuthorizeSecurityGroupIngress(ctx, in, opts...)
}

// RevokeSecurityGroupIngress revokes and marks the group.
func (c *Client) RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	defer func() { c.groups.markDirty(c.now(), aws.ToString(in.GroupId)) }() // after the call: a snapshot taken meanwhile may predate it
	return c.EC2.RevokeSecurityGroupIngress(ctx, in, opts...)
}

// ownerOf returns the owner UID tag of a create ("" when none).
func (c *Client) ownerOf(specs []types.TagSpecification) string {
	for _, s := range specs {
		for _, t := range s.Tags {
			if aws.ToString(t.Key) == c.o.OwnerUIDTagKey {
				return aws.ToString(t.Value)
			}
		}
	}
	return ""
}

func (c *Client) markResources(ids []string) {
	now := c.now()
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "vpce-"):
			c.endpoints.markDirty(now, id)
		case strings.HasPrefix(id, "sg-"):
			c.groups.markDirty(now, id)
		case strings.HasPrefix(id, "eice-"):
			c.ices.markDirty(now, id)
		}
	}
}

var _ awsclient.EC2 = (*Client)(nil)
