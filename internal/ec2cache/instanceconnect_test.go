package ec2cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestOwnedInstanceConnectEndpointsComeFromOneSnapshot: reads by ID and by the
// cluster's tag share one snapshot, and a write through the cache makes the next
// read of that endpoint go to EC2.
func TestOwnedInstanceConnectEndpointsComeFromOneSnapshot(t *testing.T) {
	sim, _, c, fx := setup(t)
	ctx := context.Background()
	out, err := c.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId:          aws.String(fx.PrivateSubnets[0].SubnetID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstanceConnectEndpoint, Tags: []types.Tag{{Key: aws.String("vpce.dev/cluster"), Value: aws.String("c1")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.InstanceConnectEndpoint.InstanceConnectEndpointId)
	owner := []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}}
	read := func() types.Ec2InstanceConnectEndpoint {
		t.Helper()
		byID, err := c.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}})
		if err != nil || len(byID.InstanceConnectEndpoints) != 1 {
			t.Fatalf("by ID: %v", err)
		}
		listed, err := c.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{Filters: owner})
		if err != nil || len(listed.InstanceConnectEndpoints) != 1 {
			t.Fatalf("by owner: %v %v", err, listed)
		}
		return byID.InstanceConnectEndpoints[0]
	}
	// AWS works on it first (create-in-progress): those reads go to EC2.
	for deadline := time.Now().Add(10 * time.Second); read().State != types.Ec2InstanceConnectEndpointStateCreateComplete; {
		if time.Now().After(deadline) {
			t.Fatal("never create-complete")
		}
		time.Sleep(50 * time.Millisecond)
	}
	sim.ResetCounters()
	for range 20 {
		read()
	}
	if n := calls(sim, "DescribeInstanceConnectEndpoints"); n > 3 {
		t.Fatalf("%d DescribeInstanceConnectEndpoints calls for 40 reads", n)
	}
	// A tag set through the cache is seen at once.
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}); err != nil {
		t.Fatal(err)
	}
	got := read()
	found := false
	for _, tag := range got.Tags {
		found = found || aws.ToString(tag.Key) == "team"
	}
	if !found {
		t.Fatalf("stale after a write: %v", got.Tags)
	}
}
