package ec2cache_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// stuckInterfaces is EC2 whose DescribeNetworkInterfaces does not answer until
// released.
type stuckInterfaces struct {
	*ec2.Client
	release chan struct{}
	calls   atomic.Int32
}

func (s *stuckInterfaces) DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, opts ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	s.calls.Add(1)
	select {
	case <-s.release:
		return s.Client.DescribeNetworkInterfaces(ctx, in, opts...)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestARestartedCacheAnswersOwnedEndpointsWithoutReadingTheirInterfaces: a new
// process (a cold snapshot) with available interface endpoints answers every
// query of them from its first listing, without waiting for their network
// interfaces (a converged object's status already has them), and its later
// listings do not read them either; a reconcile that does ask for them gets them
// in one shared read.
func TestARestartedCacheAnswersOwnedEndpointsWithoutReadingTheirInterfaces(t *testing.T) {
	simClock := ec2sim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	sim, raw := simClient(t, simClock)
	fx := sim.LoadFixture()
	ctx := context.Background()

	// What the previous process created: interface endpoints, now available.
	var subnets []string
	for _, s := range fx.PrivateSubnets {
		subnets = append(subnets, s.SubnetID)
	}
	var ids []string
	for i, svc := range []string{"sqs", "kms", "ssm"} {
		out, err := raw.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(fx.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1." + svc), VpcEndpointType: types.VpcEndpointTypeInterface,
			SubnetIds: subnets, PrivateDnsEnabled: aws.Bool(false),
			TagSpecifications: ownedTags(fmt.Sprintf("ns/ife-%d", i), fmt.Sprintf("uid-%d", i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.VpcEndpoint.VpcEndpointId))
	}
	simClock.Advance(2 * time.Minute)
	out, err := raw.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	var enis []string
	for _, e := range out.VpcEndpoints {
		if !strings.EqualFold(string(e.State), "available") || len(e.NetworkInterfaceIds) == 0 {
			t.Fatalf("%s is %s with interfaces %v", aws.ToString(e.VpcEndpointId), e.State, e.NetworkInterfaceIds)
		}
		enis = append(enis, e.NetworkInterfaceIds...)
	}

	// The new process: its reads of network interfaces do not answer.
	stuck := &stuckInterfaces{Client: raw, release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(stuck.release)
		}
	}
	t.Cleanup(release)
	c := ec2cache.New(stuck, ec2cache.Options{ClusterTagKey: "vpce.dev/cluster", Cluster: "c1", OwnerTagKey: "vpce.dev/owner", OwnerUIDTagKey: "vpce.dev/owner-uid",
		SnapshotTTL: time.Hour, InventoryTTL: time.Hour, ServiceTTL: time.Hour, PollTTL: time.Hour, Spacing: time.Millisecond, ListInterval: time.Nanosecond})
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a deadline for a broken cache, not a measure
	defer cancel()
	byID, err := c.DescribeVpcEndpoints(qctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids[:1]})
	if err != nil || len(byID.VpcEndpoints) != 1 {
		t.Fatalf("read by ID while interfaces are not answered: %v %v", byID, err)
	}
	owner := []types.Filter{{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{"c1"}}, {Name: aws.String("tag:vpce.dev/owner-uid"), Values: []string{"uid-2"}}}
	byOwner, err := c.DescribeVpcEndpoints(qctx, &ec2.DescribeVpcEndpointsInput{Filters: owner})
	if err != nil || len(byOwner.VpcEndpoints) != 1 || aws.ToString(byOwner.VpcEndpoints[0].VpcEndpointId) != ids[2] {
		t.Fatalf("query by owner while interfaces are not answered: %v %v", byOwner, err)
	}
	// Nor does the refresher's next listing read them: nothing changed.
	c.Tick(qctx)
	if n := stuck.calls.Load(); n != 0 {
		t.Errorf("%d reads of network interfaces nobody asked for", n)
	}

	// A reconcile that needs the interfaces reads them, once for all.
	release()
	nis, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: enis})
	if err != nil {
		t.Fatalf("interfaces: %v", err)
	}
	if len(nis.NetworkInterfaces) != len(enis) {
		t.Fatalf("interfaces: %d of %d", len(nis.NetworkInterfaces), len(enis))
	}
	if _, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: enis[:1]}); err != nil {
		t.Fatal(err)
	}
	if n := stuck.calls.Load(); n != 1 {
		t.Errorf("%d reads of network interfaces for two asks of the same, want 1", n)
	}
}
