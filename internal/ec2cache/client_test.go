package ec2cache_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func setup(t *testing.T) (*ec2sim.Server, *ec2.Client, *ec2cache.Client, ec2sim.Fixture) {
	sim := ec2sim.New(ec2sim.Options{StateDelay: 100 * time.Millisecond, DeletedLinger: 100 * time.Millisecond})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	raw := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
	c := ec2cache.New(raw, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", SnapshotTTL: time.Hour, InventoryTTL: time.Hour, ServiceTTL: time.Hour})
	return sim, raw, c, sim.LoadFixture()
}

func calls(sim *ec2sim.Server, action string) int {
	n := 0
	for _, v := range sim.Counters()[action] {
		n += v
	}
	return n
}

func gatewayFor(t *testing.T, c *ec2cache.Client, fx ec2sim.Fixture, cluster string) string {
	t.Helper()
	out, err := c.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(fx.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.s3"), VpcEndpointType: types.VpcEndpointTypeGateway,
		RouteTableIds:     []string{fx.PrivateSubnets[0].RouteTableID},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{{Key: aws.String("vpce.dev/cluster"), Value: aws.String(cluster)}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}

func TestOwnedEndpointsComeFromOneSnapshot(t *testing.T) {
	sim, _, c, fx := setup(t)
	ctx := context.Background()
	id := gatewayFor(t, c, fx, "c1")
	sim.ResetCounters()
	owner := []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}
	for i := 0; i < 20; i++ {
		// The first read after the create goes to EC2 (the endpoint is dirty) and re-reads it.
		if out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil || len(out.VpcEndpoints) != 1 {
			t.Fatalf("by ID: %v", err)
		}
		if out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: owner}); err != nil || len(out.VpcEndpoints) != 1 {
			t.Fatalf("by owner: %v %v", err, out)
		}
	}
	if n := calls(sim, "DescribeVpcEndpoints"); n > 2 {
		t.Fatalf("%d DescribeVpcEndpoints calls for 40 reads", n)
	}
}

func TestWritesMakeTheNextReadGoToEC2(t *testing.T) {
	sim, raw, c, fx := setup(t)
	ctx := context.Background()
	id := gatewayFor(t, c, fx, "c1")
	c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	// A change through the cache is seen at once.
	if _, err := c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), AddRouteTableIds: []string{fx.PrivateSubnets[1].RouteTableID}}); err != nil {
		t.Fatal(err)
	}
	out, _ := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if len(out.VpcEndpoints[0].RouteTableIds) != 2 {
		t.Fatalf("stale after a write: %v", out.VpcEndpoints[0].RouteTableIds)
	}
	// A change behind the cache's back is seen once the snapshot is refreshed.
	if _, err := raw.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), RemoveRouteTableIds: []string{fx.PrivateSubnets[1].RouteTableID}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	out, _ = c.DescribeVpcEndpoints(ec2cache.WithMaxAge(ctx, time.Millisecond), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if len(out.VpcEndpoints[0].RouteTableIds) != 1 {
		t.Fatalf("drift not seen after refresh: %v", out.VpcEndpoints[0].RouteTableIds)
	}
	// Deleting: polls go to EC2 until the endpoint is gone, which EC2 reports.
	if _, err := c.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	sim.ResetCounters()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if awserr.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache kept serving a deleted endpoint")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if calls(sim, "DescribeVpcEndpoints") < 2 {
		t.Fatal("polls of a deleting endpoint were served from the cache")
	}
}

func TestOtherClustersAndUnknownIDsGoToEC2(t *testing.T) {
	_, _, c, fx := setup(t)
	ctx := context.Background()
	foreign := gatewayFor(t, c, fx, "other")
	out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}})
	if err != nil || len(out.VpcEndpoints) != 0 {
		t.Fatalf("another cluster's endpoint listed as ours: %v %v", out, err)
	}
	if out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{foreign}}); err != nil || len(out.VpcEndpoints) != 1 {
		t.Fatalf("foreign by ID: %v", err)
	}
	if _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0123456789abcdef0"}}); !awserr.IsNotFound(err) {
		t.Fatalf("unknown ID: %v", err)
	}
	if _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}}); !awserr.IsNotFound(err) {
		t.Fatalf("unknown subnet: %v", err)
	}
}

func TestInventoryAnswersSelectorsLocally(t *testing.T) {
	sim, _, c, fx := setup(t)
	ctx := context.Background()
	sim.ResetCounters()
	for i := 0; i < 10; i++ {
		rts, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{fx.VPCID}}, {Name: aws.String("tag:tier"), Values: []string{"private"}}}})
		if err != nil || len(rts.RouteTables) != 3 {
			t.Fatalf("route tables: %v %d", err, len(rts.RouteTables))
		}
		sns, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{fx.PrivateSubnets[0].SubnetID}})
		if err != nil || len(sns.Subnets) != 1 || aws.ToString(sns.Subnets[0].SubnetId) != fx.PrivateSubnets[0].SubnetID {
			t.Fatalf("subnets: %v %v", err, sns)
		}
		vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{fx.VPCID}})
		if err != nil || len(vpcs.Vpcs) != 1 {
			t.Fatalf("vpcs: %v", err)
		}
	}
	for _, a := range []string{"DescribeRouteTables", "DescribeSubnets", "DescribeVpcs"} {
		if n := calls(sim, a); n != 1 {
			t.Fatalf("%s: %d calls for 10 reads", a, n)
		}
	}
}
