package ec2sim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

const window = 3 * time.Second

// newConsistentEnv starts an emulator whose changes are seen exactly window
// late (jitter off: the worst case).
func newConsistentEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, ec2sim.Options{ConsistencyWindow: window})
}

// listedByTag lists the endpoints carrying tag k=v.
func (e *env) listedByTag(t *testing.T, k, v string) []string {
	t.Helper()
	out := must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: filters("tag:"+k, v)}))
	var ids []string
	for _, ep := range out.VpcEndpoints {
		ids = append(ids, *ep.VpcEndpointId)
	}
	return ids
}

func TestNewEndpointIsUnseenByReadsAndWritesForTheWindow(t *testing.T) {
	t.Parallel()
	e := newConsistentEnv(t)
	ep := e.createInterface(t, "ssm", e.privateSubnets()[:1], func(in *ec2.CreateVpcEndpointInput) {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: tagsOf("owner", "me")}}
	})
	id := *ep.VpcEndpointId
	check := func(when string, seen bool) {
		t.Helper()
		if _, ok := e.endpoint(t, id); ok != seen {
			t.Fatalf("%s: described by ID = %v, want %v", when, ok, seen)
		}
		if listed := e.listedByTag(t, "owner", "me"); (len(listed) == 1) != seen {
			t.Fatalf("%s: listed by tag %v, want seen %v", when, listed, seen)
		}
		_, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
		if (err == nil) != seen {
			t.Fatalf("%s: its network interface described: %v, want seen %v", when, err, seen)
		}
	}
	check("right after create", false)
	// Writes by ID do not find it either.
	_, err := e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: &id, ResetPolicy: aws.Bool(true)})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: tagsOf("k", "v")})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	del := must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}))
	if len(del.Unsuccessful) != 1 || *del.Unsuccessful[0].Error.Code != "InvalidVpcEndpoint.NotFound" {
		t.Fatalf("delete of an unseen endpoint: %+v", del.Unsuccessful)
	}
	e.advance(window - time.Nanosecond)
	check("just before the window ends", false)
	e.advance(time.Nanosecond)
	check("when the window ends", true)
}

func TestClientTokenRetryDuringTheWindowReturnsTheSameEndpoint(t *testing.T) {
	t.Parallel()
	e := newConsistentEnv(t)
	in := &ec2.CreateVpcEndpointInput{VpcId: &e.fx.VPCID, ServiceName: svc("s3"), RouteTableIds: e.privateTables()[:1], ClientToken: aws.String("t-1")}
	first := must(e.ec2.CreateVpcEndpoint(ctx, in))
	e.advance(time.Second)
	again := must(e.ec2.CreateVpcEndpoint(ctx, in))
	if *again.VpcEndpoint.VpcEndpointId != *first.VpcEndpoint.VpcEndpointId {
		t.Fatalf("retry created %s, want the original %s", *again.VpcEndpoint.VpcEndpointId, *first.VpcEndpoint.VpcEndpointId)
	}
	in.RouteTableIds = e.privateTables()[1:2]
	_, err := e.ec2.CreateVpcEndpoint(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
	e.advance(window)
	if n := len(must(e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})).VpcEndpoints); n != 1 {
		t.Fatalf("%d endpoints after the window, want 1", n)
	}
}

func TestNewSecurityGroupAndItsRulesAreSeenLate(t *testing.T) {
	t.Parallel()
	e := newConsistentEnv(t)
	create := func() (*ec2.CreateSecurityGroupOutput, error) {
		return e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &e.fx.VPCID, GroupName: aws.String("managed"), Description: aws.String("d")})
	}
	sg := *must(create()).GroupId
	perm := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}}
	// The EC2 guide's own example: authorize right after create.
	_, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &sg, IpPermissions: perm})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"managed"}})
	wantCode(t, err, "InvalidGroup.NotFound")
	// A retried create does not make a second group: the name is taken.
	_, err = create()
	wantCode(t, err, "InvalidGroup.Duplicate")
	e.advance(window)
	must(e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &sg, IpPermissions: perm}))
	rules := func() int {
		g := must(e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})).SecurityGroups[0]
		return len(g.IpPermissions)
	}
	if n := rules(); n != 0 {
		t.Fatalf("the new rule is seen at once (%d ingress permissions)", n)
	}
	e.advance(window)
	if n := rules(); n != 1 {
		t.Fatalf("%d ingress permissions after the window, want 1", n)
	}
	groups := must(e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filters("vpc-id", e.fx.VPCID)}))
	if len(groups.SecurityGroups) != 2 {
		t.Fatalf("%d groups in the VPC, want the default and one managed", len(groups.SecurityGroups))
	}
}

func TestTagsAndRoutesAreSeenLate(t *testing.T) {
	t.Parallel()
	e := newConsistentEnv(t)
	gw := e.createGateway(t, "s3", e.privateTables()[:1])
	id := *gw.VpcEndpointId
	e.advance(window)
	if routes := endpointRoutes(e.routeTable(t, e.privateTables()[0])); len(routes) != 1 {
		t.Fatalf("the endpoint's route is not seen after the window: %+v", routes)
	}
	must(e.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: &id, AddRouteTableIds: e.privateTables()[1:2]}))
	must(e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: tagsOf("owner", "me")}))
	if routes := endpointRoutes(e.routeTable(t, e.privateTables()[1])); len(routes) != 0 {
		t.Fatalf("the added route is seen at once: %+v", routes)
	}
	if got, _ := e.endpoint(t, id); len(got.RouteTableIds) != 1 || len(got.Tags) != 0 {
		t.Fatalf("the modified endpoint is seen at once: tables %v tags %v", got.RouteTableIds, got.Tags)
	}
	if listed := e.listedByTag(t, "owner", "me"); len(listed) != 0 {
		t.Fatalf("listed by its new tag at once: %v", listed)
	}
	if tags := must(e.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: filters("resource-id", id)})).Tags; len(tags) != 0 {
		t.Fatalf("DescribeTags shows the new tag at once: %+v", tags)
	}
	e.advance(window)
	if routes := endpointRoutes(e.routeTable(t, e.privateTables()[1])); len(routes) != 1 {
		t.Fatalf("the added route is not seen after the window: %+v", routes)
	}
	if listed := e.listedByTag(t, "owner", "me"); len(listed) != 1 {
		t.Fatalf("not listed by its tag after the window: %v", listed)
	}
	if tags := must(e.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: filters("resource-id", id)})).Tags; len(tags) != 1 {
		t.Fatalf("DescribeTags after the window: %+v", tags)
	}
}

func TestDeletesAreSeenLate(t *testing.T) {
	t.Parallel()
	e := newConsistentEnv(t)
	sg := *must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &e.fx.VPCID, GroupName: aws.String("gone"), Description: aws.String("d")})).GroupId
	gw := *e.createGateway(t, "dynamodb", nil).VpcEndpointId
	e.advance(window)
	must(e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &sg}))
	must(e.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{gw}}))
	// Writes see the truth: the group is gone for them at once.
	_, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &sg})
	wantCode(t, err, "InvalidGroup.NotFound")
	// Reads still see both as they were.
	must(e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}}))
	if got, _ := e.endpoint(t, gw); got.State != "available" {
		t.Fatalf("deleted gateway endpoint described as %s during the window, want its previous state available", got.State)
	}
	e.advance(window)
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	wantCode(t, err, "InvalidGroup.NotFound")
	if got, ok := e.endpoint(t, gw); ok && got.State == "available" {
		t.Fatal("deleted endpoint still described available after the window")
	}
}

func TestJitterLagsEachResourceByItsOwnShareOfTheWindow(t *testing.T) {
	t.Parallel()
	visibleAfter := func(seed int64) []time.Duration {
		e := newEnv(t, ec2sim.Options{Seed: seed, ConsistencyWindow: window, ConsistencyJitter: true})
		var ids []string
		for i := 0; i < 8; i++ {
			ids = append(ids, *e.createGateway(t, "dynamodb", nil).VpcEndpointId)
		}
		lags := make([]time.Duration, len(ids))
		for waited := time.Duration(0); waited <= window; waited += 100 * time.Millisecond {
			for i, id := range ids {
				if _, ok := e.endpoint(t, id); ok && lags[i] == 0 {
					lags[i] = waited
				}
			}
			e.advance(100 * time.Millisecond)
		}
		return lags
	}
	a, b := visibleAfter(11), visibleAfter(11)
	distinct := map[time.Duration]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different lags: %v and %v", a, b)
		}
		if a[i] > window {
			t.Fatalf("a resource lagged %v, more than the window", a[i])
		}
		distinct[a[i]] = true
	}
	if len(distinct) < 3 {
		t.Fatalf("lags %v: jitter does not spread resources over the window", a)
	}
}

func TestConsistencyAdminRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	post := func(body string) int {
		resp := must(http.Post(e.url+"/_sim/consistency", "application/json", strings.NewReader(body)))
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"window":"3s","jitter":true}`); code != 200 {
		t.Fatalf("POST consistency: HTTP %d", code)
	}
	if c := e.sim.ConsistencySettings(); c.Window != 3*time.Second || !c.Jitter {
		t.Fatalf("settings %+v", c)
	}
	if code := post(`{"window":"2s"}`); code != 200 { // the body of earlier versions keeps its narrow meaning
		t.Fatalf("POST consistency (window only): HTTP %d", code)
	}
	if c := e.sim.ConsistencySettings(); c.Window != 2*time.Second || c.Jitter || !c.OnlyNewEndpointsByID {
		t.Fatalf("settings %+v", c)
	}
	if code := post(`{"window":"2s","jitter":false}`); code != 200 {
		t.Fatalf("POST consistency: HTTP %d", code)
	}
	if c := e.sim.ConsistencySettings(); c.Window != 2*time.Second || c.Jitter || c.OnlyNewEndpointsByID {
		t.Fatalf("settings %+v", c)
	}
	if code := post(`{"window":"soon"}`); code != 400 {
		t.Fatalf("bad window: HTTP %d", code)
	}
	// The fixture made before the window was set stays visible.
	must(e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: e.privateSubnets()}))
	if code := post(`{"window":"0s"}`); code != 200 {
		t.Fatalf("turning it off: HTTP %d", code)
	}
	ep := e.createGateway(t, "s3", nil)
	if _, ok := e.endpoint(t, *ep.VpcEndpointId); !ok {
		t.Fatal("new endpoint unseen with the window off")
	}
}
