package endpoint

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/ec2cache"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// cachedEngine is an engine reading through the snapshot cache from ec2sim, and
// a client of ec2sim of its own (the user's, or another tool's).
func cachedEngine(t *testing.T) (*Engine, *ec2sim.Server, *ec2.Client, ec2sim.Fixture) {
	t.Helper()
	sim := ec2sim.New(ec2sim.Options{StateDelay: 20 * time.Millisecond})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	raw := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(&http.Client{Transport: &http.Transport{}})})
	cache := ec2cache.New(raw, ec2cache.Options{ClusterTagKey: TagCluster, Cluster: "c1", OwnerTagKey: TagOwner, OwnerUIDTagKey: TagOwnerUID,
		SnapshotTTL: time.Hour, InventoryTTL: time.Hour, ServiceTTL: time.Hour}) // no PollTTL: every poll reads
	return &Engine{Clients: simClients{cache}, Cluster: "c1"}, sim, raw, sim.LoadFixture()
}

func calls(sim *ec2sim.Server, action string) int {
	n := 0
	for _, v := range sim.Counters()[action] {
		n += v
	}
	return n
}

// newInterfaceRequest is the first reconcile of a new interface endpoint with a
// managed security group.
func newInterfaceRequest(fx ec2sim.Fixture, name string) Request {
	return Request{
		Owner: Owner{Cluster: "c1", Kind: "InterfaceEndpoint", Namespace: "ns", Name: name, UID: name + "-0000-1111-2222"},
		Spec: Spec{Type: Interface, VPCID: fx.VPCID, Service: "ssm", SubnetIDs: []string{fx.PrivateSubnets[0].SubnetID},
			Managed: &ManagedGroupSpec{}},
		Prior: Prior{GenerationChanged: true, SpecChanged: true, GenerationSeen: time.Now()},
	}
}

// TestNewObjectMakesItsGroupWithoutLookingItUpByName: a new object, whose status
// records neither a managed group nor a create of one, has none: its first
// reconcile creates the group and authorizes its rules with the ID the create
// returned, reading security groups only through the shared owned listing (no
// read of its own by name, which no snapshot can answer).
func TestNewObjectMakesItsGroupWithoutLookingItUpByName(t *testing.T) {
	e, sim, _, fx := cachedEngine(t)
	ctx := context.Background()
	// Another object's reconcile has listed the owned groups already.
	if out := e.Reconcile(ctx, newInterfaceRequest(fx, "first")); out.Problem != nil || out.ManagedGroupID == "" {
		t.Fatalf("first object: %+v", out.Problem)
	}
	sim.ResetCounters()
	out := e.Reconcile(ctx, newInterfaceRequest(fx, "second"))
	if out.Problem != nil || out.ManagedGroupID == "" || out.EndpointID == "" {
		t.Fatalf("second object: problem %+v, group %q, endpoint %q", out.Problem, out.ManagedGroupID, out.EndpointID)
	}
	if n := calls(sim, "DescribeSecurityGroups"); n != 0 {
		t.Errorf("%d DescribeSecurityGroups for a new object's group, want 0 (the owned listing answers)", n)
	}
	for _, a := range []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "CreateVpcEndpoint"} {
		if n := calls(sim, a); n != 1 {
			t.Errorf("%d %s, want 1", n, a)
		}
	}
}

// TestGroupOfTheObjectsNameMadeByHandIsStillAdopted: skipping the lookup by name
// for a new object loses nothing: a group made by hand under the object's group
// name (no tags) makes the create fail InvalidGroup.Duplicate, and the next
// reconcile, with the create recorded, finds it by name and adopts it as before.
func TestGroupOfTheObjectsNameMadeByHandIsStillAdopted(t *testing.T) {
	e, sim, raw, fx := cachedEngine(t)
	ctx := context.Background()
	req := newInterfaceRequest(fx, "byhand")
	made, err := raw.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(groupName(req.Owner)), Description: aws.String("by hand"), VpcId: aws.String(fx.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	var out Outcome
	for i := 0; i < 3 && (out.ManagedGroupID == "" || out.EndpointID == ""); i++ {
		out = e.Reconcile(ctx, req)
		if out.Problem != nil {
			t.Fatalf("reconcile %d: %+v", i, out.Problem)
		}
		req.Prior.ManagedSecurityGroupID, req.Prior.GroupIntent = out.ManagedGroupID, out.GroupIntent
		req.Prior.EndpointID, req.Prior.EndpointIntent, req.Prior.GroupChange = out.EndpointID, out.EndpointIntent, out.GroupChange
	}
	if id := aws.ToString(made.GroupId); out.ManagedGroupID != id || out.EndpointID == "" {
		t.Fatalf("group %q endpoint %q, want the group made by hand, %s, adopted", out.ManagedGroupID, out.EndpointID, id)
	}
	if n := calls(sim, "CreateSecurityGroup"); n != 2 {
		t.Errorf("%d CreateSecurityGroup (the hand-made one and the refused one), want 2", n)
	}
	g, err := raw.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{out.ManagedGroupID}})
	if err != nil || len(g.SecurityGroups) != 1 || tagValueOf(g.SecurityGroups[0].Tags, TagOwnerUID) != req.Owner.UID {
		t.Fatalf("adopted group: %v %+v", err, g)
	}
}

func tagValueOf(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// TestInterfacesAreReadWithTheEndpointOnceAvailable: the network interfaces of a
// new interface endpoint cost one read, made in the same pass as the read that
// shows the endpoint available; its create, while AWS provisions it, reads none.
func TestInterfacesAreReadWithTheEndpointOnceAvailable(t *testing.T) {
	e, sim, _, fx := cachedEngine(t)
	ctx := context.Background()
	req := newInterfaceRequest(fx, "nics")
	out := e.Reconcile(ctx, req)
	if out.Problem != nil || out.EndpointID == "" || out.Ready {
		t.Fatalf("create: problem %+v, endpoint %q, ready %v", out.Problem, out.EndpointID, out.Ready)
	}
	if n := calls(sim, "DescribeNetworkInterfaces"); n != 0 {
		t.Errorf("%d DescribeNetworkInterfaces at the create of a pending endpoint, want 0", n)
	}
	req.Prior = Prior{EndpointID: out.EndpointID, ManagedSecurityGroupID: out.ManagedGroupID, GroupChange: out.GroupChange,
		EndpointIntent: out.EndpointIntent, NetworkInterfaces: out.Interfaces, AppliedTagKeys: out.AppliedTagKeys, SpecChanged: true}
	deadline := time.Now().Add(30 * time.Second)
	for !out.Ready {
		if time.Now().After(deadline) {
			t.Fatalf("not Ready: %s %s", out.ReadyReason, out.ReadyMessage)
		}
		time.Sleep(10 * time.Millisecond) // AWS provisioning, in ec2sim's own time
		out = e.Reconcile(ctx, req)
		if out.Problem != nil {
			t.Fatalf("poll: %+v", out.Problem)
		}
		req.Prior.EndpointIntent, req.Prior.GroupChange, req.Prior.NetworkInterfaces = out.EndpointIntent, out.GroupChange, out.Interfaces
	}
	if len(out.Interfaces) != 1 || out.Interfaces[0].PrivateIPv4 == "" {
		t.Fatalf("Ready with interfaces %+v, want the one in the subnet, with its address", out.Interfaces)
	}
	if n := calls(sim, "DescribeNetworkInterfaces"); n != 1 {
		t.Errorf("%d DescribeNetworkInterfaces from create to Ready, want 1", n)
	}
}
