package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// haEnv is a test's processes: control planes, one ec2sim and its fixture.
type haEnv struct {
	t   *testing.T
	ctx context.Context
	dir string
	sim *EC2Sim
	fx  ec2sim.Fixture
	api *ec2.Client
}

// newHAEnv builds the binaries and starts ec2sim with the fixture; on failure
// it prints the tails of every log in the test's directory.
func newHAEnv(t *testing.T, timeout time.Duration) *haEnv {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	if err := Build(ctx, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, path := range logs {
			data, _ := os.ReadFile(path)
			t.Logf("%s:\n%s", filepath.Base(path), tail(data))
		}
	})
	sim, err := StartEC2Sim(ctx, EC2SimOptions{Dir: dir, Fixture: true, StateDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	fx, err := sim.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	return &haEnv{t: t, ctx: ctx, dir: dir, sim: sim, fx: fx, api: sim.EC2Client()}
}

// controlPlane starts a control plane in a subdirectory of the test's.
func (h *haEnv) controlPlane(name string) *ControlPlane {
	h.t.Helper()
	cp, err := StartControlPlane(h.ctx, filepath.Join(h.dir, name))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = cp.Stop() })
	return cp
}

// manager starts a manager against cp and the test's ec2sim, logging to
// <dir>/<name>.log.
func (h *haEnv) manager(name string, cp *ControlPlane, cluster string, args ...string) *Manager {
	h.t.Helper()
	m, err := StartManager(h.ctx, ManagerOptions{
		Kubeconfig: cp.Kubeconfig, EC2URL: h.sim.URL, Region: h.sim.Region,
		ClusterName: cluster, PendingPoll: 200 * time.Millisecond, Args: args,
		LogFile: filepath.Join(h.dir, name+".log"),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = m.Stop() })
	return m
}

// create creates objects, failing the test on error.
func (h *haEnv) create(cp *ControlPlane, objs ...client.Object) {
	h.t.Helper()
	for _, o := range objs {
		if err := cp.Client.Create(h.ctx, o); err != nil {
			h.t.Fatalf("create %s/%s: %v", o.GetNamespace(), o.GetName(), err)
		}
	}
}

// waitReady waits up to d for every object to be Ready.
func (h *haEnv) waitReady(cp *ControlPlane, d time.Duration, objs ...client.Object) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, d)
	defer cancel()
	for _, o := range objs {
		if err := WaitReady(ctx, cp.Client, o); err != nil {
			h.t.Fatal(err)
		}
	}
}

// endpointsByOwner lists the endpoints that are not deleting or deleted, keyed
// by their vpce.dev/owner-uid tag.
func (h *haEnv) endpointsByOwner() map[string][]ec2types.VpcEndpoint {
	h.t.Helper()
	out, err := h.api.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		h.t.Fatal(err)
	}
	by := map[string][]ec2types.VpcEndpoint{}
	for _, e := range out.VpcEndpoints {
		if s := strings.ToLower(string(e.State)); s != "deleting" && s != "deleted" {
			uid := tagValue(e.Tags, "vpce.dev/owner-uid")
			by[uid] = append(by[uid], e)
		}
	}
	return by
}

// tagValue returns the value of tag key, or "".
func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// counter returns ec2sim's count of an action's outcome.
func (h *haEnv) counter(action, outcome string) int {
	h.t.Helper()
	c, err := h.sim.Counters()
	if err != nil {
		h.t.Fatal(err)
	}
	return c[action][outcome]
}

// isLeader reads a manager's leader_election_master_status gauge.
func isLeader(m *Manager) bool {
	resp, err := http.Get(m.MetricsURL)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "leader_election_master_status{") && strings.HasSuffix(line, "} 1") {
			return true
		}
	}
	return false
}

// gatewayOn is a gateway endpoint of service on the given route tables.
func gatewayOn(ns, name, service, vpcID string, rts ...string) *v1alpha1.GatewayEndpoint {
	return &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcID}},
			Service:            v1alpha1.GatewayService(service),
			RouteTables:        v1alpha1.RouteTableSelector{IDs: rts},
		},
	}
}

// privateInterface is an interface endpoint in the private subnets, private
// DNS off (so several may share a VPC), guarded by a managed group.
func privateInterface(ns, name, service, vpcID string) *v1alpha1.InterfaceEndpoint {
	return &v1alpha1.InterfaceEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.InterfaceEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpcID}},
			Service:            service,
			Subnets:            v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}},
		},
	}
}

// endpointIDOf returns an endpoint object's status.endpointID.
func endpointIDOf(o client.Object) string {
	switch o := o.(type) {
	case *v1alpha1.GatewayEndpoint:
		return o.Status.EndpointID
	case *v1alpha1.InterfaceEndpoint:
		return o.Status.EndpointID
	}
	return ""
}

// describeObj names an object for messages.
func describeObj(o client.Object) string {
	return fmt.Sprintf("%T %s/%s", o, o.GetNamespace(), o.GetName())
}
