package e2e

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// tenant is one cluster of a shared-account test: its control plane, its
// manager and its objects.
type tenant struct {
	cluster string
	cp      *ControlPlane
	mgr     *Manager
	objs    []client.Object
}

// TestClustersSameNamesOtherNamespaces runs two managers with different
// --cluster-name against one ec2sim and one control plane, each watching its
// own namespace, with objects of the same names in both namespaces.
func TestClustersSameNamesOtherNamespaces(t *testing.T) {
	h := newHAEnv(t, 2*time.Minute)
	cp := h.controlPlane("cp")
	a := &tenant{cluster: "alpha", cp: cp}
	b := &tenant{cluster: "beta", cp: cp}
	a.mgr = h.manager("manager-alpha", cp, a.cluster, "--watch-namespace", "ns-a")
	b.mgr = h.manager("manager-beta", cp, b.cluster, "--watch-namespace", "ns-b")
	h.sharedAccount(a, b, "ns-a", "ns-b")
}

// TestClustersIdenticalNamespaceAndName runs two managers with different
// --cluster-name, each with its own control plane, against one ec2sim, with
// objects of identical namespace and name in both clusters.
func TestClustersIdenticalNamespaceAndName(t *testing.T) {
	h := newHAEnv(t, 2*time.Minute)
	a := &tenant{cluster: "alpha", cp: h.controlPlane("cp-alpha")}
	b := &tenant{cluster: "beta", cp: h.controlPlane("cp-beta")}
	a.mgr = h.manager("manager-alpha", a.cp, a.cluster, "--watch-namespace", "team")
	b.mgr = h.manager("manager-beta", b.cp, b.cluster, "--watch-namespace", "team")
	h.sharedAccount(a, b, "team", "team")
}

// sharedAccount creates the same objects (by name) for both tenants, waits
// until all are Ready, deletes a's, and checks that b's endpoints and managed
// groups are untouched and b's objects stay Ready.
func (h *haEnv) sharedAccount(a, b *tenant, nsA, nsB string) {
	t := h.t
	rts := h.fx.PrivateSubnets
	for i, tn := range []*tenant{a, b} {
		ns := []string{nsA, nsB}[i]
		h.create(tn.cp, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		// One s3 route per route table and prefix list: each tenant routes
		// from its own table. The interface endpoints share subnets.
		tn.objs = []client.Object{
			gatewayOn(ns, "storage", "s3", h.fx.VPCID, rts[i].RouteTableID),
			privateInterface(ns, "ssm", "ssm", h.fx.VPCID),
			privateInterface(ns, "sts", "sts", h.fx.VPCID),
		}
		h.create(tn.cp, tn.objs...)
	}
	h.waitReady(a.cp, 30*time.Second, a.objs...)
	h.waitReady(b.cp, 30*time.Second, b.objs...)

	byOwner := h.endpointsByOwner()
	kept := map[string]ec2types.VpcEndpoint{} // b's endpoints by ID
	for _, tn := range []*tenant{a, b} {
		for _, o := range tn.objs {
			eps := byOwner[string(o.GetUID())]
			if len(eps) != 1 {
				t.Fatalf("%s of cluster %s has %d endpoints, want 1", describeObj(o), tn.cluster, len(eps))
			}
			if c := tagValue(eps[0].Tags, "vpce.dev/cluster"); c != tn.cluster {
				t.Errorf("%s: endpoint tagged cluster %q, want %q", describeObj(o), c, tn.cluster)
			}
			if tn == b {
				kept[aws.ToString(eps[0].VpcEndpointId)] = eps[0]
			}
		}
	}
	groupsBefore := h.groupsOf(b.cluster)
	if len(groupsBefore) != 2 {
		t.Fatalf("cluster %s has %d managed groups, want 2", b.cluster, len(groupsBefore))
	}
	if err := h.sim.ResetCounters(); err != nil {
		t.Fatal(err)
	}

	for _, o := range a.objs {
		if err := a.cp.Client.Delete(h.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range a.objs {
		if err := WaitGone(h.ctx, a.cp.Client, o); err != nil {
			t.Fatal(err)
		}
	}
	// Make b's manager look at its objects again, now that a's are gone.
	for _, o := range b.objs {
		patch := client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"annotations":{"test/poke":"1"}}}`))
		if err := b.cp.Client.Patch(h.ctx, o, patch); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)

	byOwner = h.endpointsByOwner()
	for _, o := range a.objs {
		if eps := byOwner[string(o.GetUID())]; len(eps) != 0 {
			t.Errorf("%s of cluster %s deleted, but endpoint %s is %s", describeObj(o), a.cluster, aws.ToString(eps[0].VpcEndpointId), eps[0].State)
		}
	}
	h.checkUntouched(kept)
	if groups := h.groupsOf(b.cluster); !maps.Equal(groups, groupsBefore) {
		t.Errorf("cluster %s's managed groups changed: %v, were %v", b.cluster, groups, groupsBefore)
	}
	if groups := h.groupsOf(a.cluster); len(groups) != 0 {
		t.Errorf("cluster %s's managed groups left: %v", a.cluster, groups)
	}
	for _, action := range []string{"CreateVpcEndpoint", "ModifyVpcEndpoint", "CreateTags", "DeleteTags", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"} {
		if n := h.counter(action, "ok"); n != 0 {
			t.Errorf("%d %s calls while cluster %s deleted its objects", n, action, a.cluster)
		}
	}
	h.waitReady(b.cp, 10*time.Second, b.objs...)
	for _, o := range b.objs {
		if _, ok := kept[endpointIDOf(o)]; !ok {
			t.Errorf("%s of cluster %s: status.endpointID %s is not its original endpoint", describeObj(o), b.cluster, endpointIDOf(o))
		}
	}
}

// checkUntouched checks that endpoints still exist, available, with the same
// route tables, subnets, groups and tags as before.
func (h *haEnv) checkUntouched(before map[string]ec2types.VpcEndpoint) {
	h.t.Helper()
	ids := make([]string, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	out, err := h.api.DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids})
	if err != nil {
		h.t.Fatalf("describe %v: %v", ids, err)
	}
	if len(out.VpcEndpoints) != len(ids) {
		h.t.Fatalf("%d of the endpoints %v left", len(out.VpcEndpoints), ids)
	}
	for _, e := range out.VpcEndpoints {
		id := aws.ToString(e.VpcEndpointId)
		was := before[id]
		if s := strings.ToLower(string(e.State)); s != "available" {
			h.t.Errorf("endpoint %s is %s", id, s)
		}
		if got, want := fingerprint(e), fingerprint(was); got != want {
			h.t.Errorf("endpoint %s changed:\n now %s\n was %s", id, got, want)
		}
	}
}

// fingerprint renders what another cluster must not change in an endpoint.
func fingerprint(e ec2types.VpcEndpoint) string {
	var groups, tags []string
	for _, g := range e.Groups {
		groups = append(groups, aws.ToString(g.GroupId))
	}
	for _, t := range e.Tags {
		tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	parts := [][]string{e.RouteTableIds, e.SubnetIds, e.NetworkInterfaceIds, groups, tags}
	var out []string
	for _, p := range parts {
		p = slices.Clone(p)
		slices.Sort(p)
		out = append(out, strings.Join(p, ","))
	}
	return strings.Join(out, " | ")
}

// groupsOf returns a cluster's managed security groups: ID → ingress ports
// and sources.
func (h *haEnv) groupsOf(cluster string) map[string]string {
	h.t.Helper()
	out, err := h.api.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:vpce.dev/cluster"), Values: []string{cluster}},
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	groups := map[string]string{}
	for _, g := range out.SecurityGroups {
		var rules []string
		for _, p := range g.IpPermissions {
			for _, r := range p.IpRanges {
				rules = append(rules, aws.ToString(r.CidrIp))
			}
			rules = append(rules, aws.ToString(p.IpProtocol))
		}
		slices.Sort(rules)
		groups[aws.ToString(g.GroupId)] = strings.Join(rules, ",")
	}
	return groups
}
