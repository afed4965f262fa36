package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// TestManagerSurvivesSIGKILL runs the three processes, kills the manager after
// an S3 gateway endpoint is Ready, and checks that the restarted manager
// neither creates a second endpoint nor loses the first, then deletes it.
func TestManagerSurvivesSIGKILL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := Build(ctx, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range []string{"manager.log", "ec2sim.log", "localcp.log"} {
				data, _ := os.ReadFile(filepath.Join(dir, name))
				t.Logf("%s:\n%s", name, tail(data))
			}
		}
	})

	cp, err := StartControlPlane(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	sim, err := StartEC2Sim(ctx, EC2SimOptions{Dir: dir, Fixture: true, StateDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	fx, err := sim.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := StartManager(ctx, ManagerOptions{
		Kubeconfig: cp.Kubeconfig, EC2URL: sim.URL, Region: sim.Region,
		ClusterName: "e2e", PendingPoll: 200 * time.Millisecond,
		LogFile: filepath.Join(dir, "manager.log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mgr.Stop() })

	gwe := &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: "s3", Namespace: "default"},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: fx.VPCID}},
			Service:            "s3",
			RouteTables:        v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}},
		},
	}
	if err := cp.Client.Create(ctx, gwe); err != nil {
		t.Fatal(err)
	}
	waitCtx, waitCancel := context.WithTimeout(ctx, 30*time.Second)
	defer waitCancel()
	if err := WaitReady(waitCtx, cp.Client, gwe); err != nil {
		t.Fatal(err)
	}
	id := gwe.Status.EndpointID
	if got := len(gwe.Status.RouteTableIDs); got != len(fx.PrivateSubnets) {
		t.Errorf("status.routeTableIDs = %v, want the %d private route tables", gwe.Status.RouteTableIDs, len(fx.PrivateSubnets))
	}

	// Crash and restart. The new manager must find the endpoint by its
	// ownership tags and create nothing.
	pid := mgr.PID()
	if err := mgr.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := sim.ResetCounters(); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if mgr.PID() == pid || mgr.PID() == 0 {
		t.Fatalf("manager PID %d after restart, was %d", mgr.PID(), pid)
	}
	// Wait until the new manager has looked at AWS.
	for {
		counters, err := sim.Counters()
		if err != nil {
			t.Fatal(err)
		}
		if counters["DescribeVpcEndpoints"]["ok"] > 0 {
			if n := counters["CreateVpcEndpoint"]; len(n) > 0 {
				t.Errorf("restarted manager called CreateVpcEndpoint: %v", n)
			}
			break
		}
		select {
		case <-waitCtx.Done():
			t.Fatal("restarted manager made no DescribeVpcEndpoints call")
		case <-time.After(100 * time.Millisecond):
		}
	}
	live := liveEndpoints(ctx, t, sim.EC2Client(), fx.VPCID)
	if len(live) != 1 || aws.ToString(live[0].VpcEndpointId) != id {
		t.Fatalf("endpoints in the VPC after the restart: %v, want only %s", endpointIDs(live), id)
	}
	if err := WaitReady(waitCtx, cp.Client, gwe); err != nil {
		t.Fatal(err)
	}
	if gwe.Status.EndpointID != id {
		t.Errorf("status.endpointID = %s after the restart, want %s", gwe.Status.EndpointID, id)
	}

	if err := cp.Client.Delete(ctx, gwe); err != nil {
		t.Fatal(err)
	}
	if err := WaitGone(waitCtx, cp.Client, gwe); err != nil {
		t.Fatal(err)
	}
	if live := liveEndpoints(ctx, t, sim.EC2Client(), fx.VPCID); len(live) != 0 {
		t.Errorf("endpoints left after delete: %v (state %s)", endpointIDs(live), live[0].State)
	}
}

// liveEndpoints lists the VPC's endpoints that are not deleting or deleted.
func liveEndpoints(ctx context.Context, t *testing.T, api *ec2.Client, vpcID string) []ec2types.VpcEndpoint {
	t.Helper()
	out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var live []ec2types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		// AWS answers lowercase states; the SDK's constants are capitalised.
		if state := strings.ToLower(string(e.State)); state != "deleting" && state != "deleted" {
			live = append(live, e)
		}
	}
	return live
}

// endpointIDs returns the IDs of endpoints, for messages.
func endpointIDs(eps []ec2types.VpcEndpoint) []string {
	ids := make([]string, 0, len(eps))
	for _, e := range eps {
		ids = append(ids, aws.ToString(e.VpcEndpointId))
	}
	return ids
}
