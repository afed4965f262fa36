package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// orphanSettle is how long the orphan and leak checks give AWS to finish
// deletions already under way (deleting endpoints, their interfaces).
const orphanSettle = 30 * time.Second

// checkLive checks the converged world: one endpoint per live object, each
// object matching AWS, and nothing in AWS without a live owner.
func (r *run) checkLive(ctx context.Context) error {
	st, err := readAWS(ctx, r.api)
	if err != nil {
		return fmt.Errorf("chaos: reading AWS: %w", err)
	}
	byUID := map[string][]ec2types.VpcEndpoint{}
	for _, e := range st.endpoints {
		uid := tags(e.Tags)[tagOwnerUID]
		byUID[uid] = append(byUID[uid], e)
	}
	icesByUID := map[string][]ec2types.Ec2InstanceConnectEndpoint{}
	for _, e := range st.ices {
		uid := tags(e.Tags)[tagOwnerUID]
		icesByUID[uid] = append(icesByUID[uid], e)
	}
	var dup, mismatch, stale []string
	live := 0
	for _, t := range r.objs {
		if !t.created || t.deleted {
			continue
		}
		live++
		if o, ok := t.obj.(*v1alpha1.InstanceConnectEndpoint); ok {
			ices := icesByUID[string(o.UID)]
			if len(ices) != 1 {
				var ids []string
				for _, e := range ices {
					ids = append(ids, aws.ToString(e.InstanceConnectEndpointId)+"("+string(e.State)+")")
				}
				dup = append(dup, fmt.Sprintf("%s has %d Instance Connect Endpoints %v", describe(o), len(ices), ids))
				continue
			}
			mismatch = append(mismatch, r.matchICE(t, o, ices[0], st)...)
			stale = append(stale, staleICEGroup(o, st)...)
			continue
		}
		eps := byUID[string(t.obj.GetUID())]
		if len(eps) != 1 {
			var ids []string
			for _, e := range eps {
				ids = append(ids, aws.ToString(e.VpcEndpointId)+"("+state(e)+")")
			}
			dup = append(dup, fmt.Sprintf("%s has %d endpoints %v", describe(t.obj), len(eps), ids))
			continue
		}
		mismatch = append(mismatch, r.matchAWS(t, eps[0], st)...)
		if o, ok := t.obj.(*v1alpha1.InterfaceEndpoint); ok {
			stale = append(stale, staleGroup(o, st)...)
		}
	}
	r.logf("checked %d live objects against %d endpoints, %d Instance Connect Endpoints, %d security groups, %d endpoint network interfaces",
		live, len(st.endpoints), len(st.ices), len(st.groups), len(st.enis))
	r.rep.add("exactly one endpoint per live object (by owner-uid tag)", dup)
	r.rep.Duplicated = len(dup)
	r.rep.add("every live object matches AWS (endpoint available, route tables/subnets, tags, managed group, preserveClientIP)", mismatch)
	r.rep.add("no managed security group once the spec stops asking for one", stale)
	orphans, err := r.settle(ctx, r.orphans)
	if err != nil {
		return err
	}
	r.rep.add("no endpoint, managed security group or endpoint ENI without a live owner", orphans)
	return nil
}

// matchAWS compares a live object with its endpoint.
func (r *run) matchAWS(t *tracked, e ec2types.VpcEndpoint, st *awsState) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, describe(t.obj)+": "+fmt.Sprintf(format, args...))
	}
	id := aws.ToString(e.VpcEndpointId)
	status := statusOf(t.obj)
	et := tags(e.Tags)
	if status.EndpointID != id {
		fail("status.endpointID %q, but its endpoint is %s", status.EndpointID, id)
	}
	if state(e) != "available" {
		fail("endpoint %s is %s", id, state(e))
	}
	if et[tagCluster] != clusterName || et[tagOwner] != t.obj.GetNamespace()+"/"+t.obj.GetName() {
		fail("endpoint %s has ownership tags cluster=%q owner=%q", id, et[tagCluster], et[tagOwner])
	}
	if aws.ToString(e.VpcId) != t.net.ID {
		fail("endpoint %s is in %s, want %s", id, aws.ToString(e.VpcId), t.net.ID)
	}
	for k, v := range specOf(t.obj).Tags {
		if et[k] != string(v) {
			fail("endpoint %s tag %s=%q, want %q", id, k, et[k], v)
		}
	}
	switch o := t.obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		if got, want := slices.Sorted(slices.Values(e.RouteTableIds)), wantRouteTables(o.Spec.RouteTables, t.net); !slices.Equal(got, want) {
			fail("endpoint %s routes from %v, want %v", id, got, want)
		}
	case *v1alpha1.InterfaceEndpoint:
		if got, want := slices.Sorted(slices.Values(e.SubnetIds)), wantSubnets(o.Spec.Subnets, t.net); !slices.Equal(got, want) {
			fail("endpoint %s is in subnets %v, want %v", id, got, want)
		}
		bad = append(bad, matchGroup(o, e, st)...)
	}
	return bad
}

// matchGroup checks an interface object's security groups: a managed group
// when the spec asks for one (recorded in the status, opening the
// spec's ports), and the endpoint guarded by the listed groups plus that one.
func matchGroup(o *v1alpha1.InterfaceEndpoint, e ec2types.VpcEndpoint, st *awsState) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, describe(o)+": "+fmt.Sprintf(format, args...))
	}
	var owned []ec2types.SecurityGroup
	for _, g := range st.groups {
		if tags(g.Tags)[tagOwnerUID] == string(o.UID) {
			owned = append(owned, g)
		}
	}
	want := map[string]bool{}
	if o.Spec.SecurityGroups != nil {
		for _, id := range o.Spec.SecurityGroups.IDs {
			want[id] = true
		}
	}
	m := managed(o.Spec)
	switch {
	case m == nil: // staleGroup's business
	case len(owned) != 1:
		fail("%d managed security groups, want 1", len(owned))
	default:
		g := owned[0]
		gid := aws.ToString(g.GroupId)
		want[gid] = true
		if o.Status.ManagedSecurityGroupID != gid {
			fail("status.managedSecurityGroupID %q, but its group is %s", o.Status.ManagedSecurityGroupID, gid)
		}
		ports := map[int32]bool{}
		for _, p := range g.IpPermissions {
			ports[aws.ToInt32(p.FromPort)] = true
		}
		var got []int32
		for p := range ports {
			got = append(got, p)
		}
		slices.Sort(got)
		if want := wantPorts(m); !slices.Equal(got, want) {
			fail("managed group %s opens ports %v, want %v", gid, got, want)
		}
	}
	var attached []string
	for _, eg := range e.Groups {
		attached = append(attached, aws.ToString(eg.GroupId))
	}
	slices.Sort(attached)
	if w := keys(want); !slices.Equal(attached, w) {
		fail("endpoint %s is guarded by %v, want %v", aws.ToString(e.VpcEndpointId), attached, w)
	}
	return bad
}

// staleGroup reports a managed group (or its ID in the status) that an
// interface object keeps although its spec no longer asks for one.
func staleGroup(o *v1alpha1.InterfaceEndpoint, st *awsState) []string {
	return staleManagedGroup(o, managed(o.Spec) != nil, o.Status.ManagedSecurityGroupID, st)
}

// staleICEGroup reports a managed group an Instance Connect object keeps
// although its spec no longer asks for one.
func staleICEGroup(o *v1alpha1.InstanceConnectEndpoint, st *awsState) []string {
	return staleManagedGroup(o, managedEgress(o.Spec) != nil, o.Status.ManagedSecurityGroupID, st)
}

// staleManagedGroup reports the groups an object owns in AWS, and the group its
// status names, when its spec asks for no managed group.
func staleManagedGroup(o client.Object, wantsGroup bool, statusGroup string, st *awsState) []string {
	if wantsGroup {
		return nil
	}
	var owned []string
	for _, g := range st.groups {
		if tags(g.Tags)[tagOwnerUID] == string(o.GetUID()) {
			owned = append(owned, aws.ToString(g.GroupId))
		}
	}
	if len(owned) == 0 && statusGroup == "" {
		return nil
	}
	return []string{fmt.Sprintf("%s: spec.securityGroups has no managed group, but it still owns %v and status.managedSecurityGroupID is %q",
		describe(o), owned, statusGroup)}
}

// matchICE compares a live InstanceConnectEndpoint with its endpoint: settled,
// owned, in the VPC and subnet, with the spec's tags, groups (the managed one
// opening the spec's ports, egress only) and preserveClientIP.
func (r *run) matchICE(t *tracked, o *v1alpha1.InstanceConnectEndpoint, e ec2types.Ec2InstanceConnectEndpoint, st *awsState) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, describe(o)+": "+fmt.Sprintf(format, args...))
	}
	id, et := aws.ToString(e.InstanceConnectEndpointId), tags(e.Tags)
	if o.Status.EndpointID != id {
		fail("status.endpointID %q, but its endpoint is %s", o.Status.EndpointID, id)
	}
	if s := e.State; s != ec2types.Ec2InstanceConnectEndpointStateCreateComplete && s != ec2types.Ec2InstanceConnectEndpointStateUpdateComplete {
		fail("endpoint %s is %s", id, s)
	}
	if et[tagCluster] != clusterName || et[tagOwner] != o.Namespace+"/"+o.Name {
		fail("endpoint %s has ownership tags cluster=%q owner=%q", id, et[tagCluster], et[tagOwner])
	}
	if aws.ToString(e.VpcId) != t.net.ID {
		fail("endpoint %s is in %s, want %s", id, aws.ToString(e.VpcId), t.net.ID)
	}
	if got, want := aws.ToString(e.SubnetId), wantICESubnet(o.Spec.Subnet, t.net); got != want {
		fail("endpoint %s is in subnet %s, want %s", id, got, want)
	}
	for k, v := range o.Spec.Tags {
		if et[k] != string(v) {
			fail("endpoint %s tag %s=%q, want %q", id, k, et[k], v)
		}
	}
	if aws.ToBool(e.PreserveClientIp) != o.Spec.PreserveClientIP {
		fail("endpoint %s preserveClientIP %v, want %v", id, aws.ToBool(e.PreserveClientIp), o.Spec.PreserveClientIP)
	}
	want := map[string]bool{}
	if o.Spec.SecurityGroups != nil {
		for _, g := range o.Spec.SecurityGroups.IDs {
			want[g] = true
		}
	}
	if m := managedEgress(o.Spec); m != nil {
		var owned []ec2types.SecurityGroup
		for _, g := range st.groups {
			if tags(g.Tags)[tagOwnerUID] == string(o.UID) {
				owned = append(owned, g)
			}
		}
		if len(owned) != 1 {
			fail("%d managed security groups, want 1", len(owned))
		} else {
			g := owned[0]
			gid := aws.ToString(g.GroupId)
			want[gid] = true
			if o.Status.ManagedSecurityGroupID != gid {
				fail("status.managedSecurityGroupID %q, but its group is %s", o.Status.ManagedSecurityGroupID, gid)
			}
			var ports []int32
			for _, p := range g.IpPermissionsEgress {
				ports = append(ports, aws.ToInt32(p.FromPort))
			}
			slices.Sort(ports)
			if w := wantEgressPorts(m); len(g.IpPermissions) != 0 || !slices.Equal(slices.Compact(ports), w) {
				fail("managed group %s has %d ingress rules and egress ports %v, want none and %v", gid, len(g.IpPermissions), ports, w)
			}
		}
	}
	attached := slices.Sorted(slices.Values(e.SecurityGroupIds))
	if w := keys(want); !slices.Equal(attached, w) {
		fail("endpoint %s is guarded by %v, want %v", id, attached, w)
	}
	return bad
}

// orphans lists endpoints, groups and endpoint network interfaces in AWS that
// belong to no live object (the interfaces of a leaked endpoint included).
func (r *run) orphans(ctx context.Context) ([]string, error) {
	st, err := readAWS(ctx, r.api)
	if err != nil {
		return nil, err
	}
	liveUIDs := map[string]bool{}
	for _, t := range r.objs {
		if t.created && !t.deleted {
			liveUIDs[string(t.obj.GetUID())] = true
		}
	}
	var out []string
	owned := map[string]bool{} // endpoints of live objects
	for _, e := range st.endpoints {
		id := aws.ToString(e.VpcEndpointId)
		if et := tags(e.Tags); liveUIDs[et[tagOwnerUID]] {
			owned[id] = true
		} else {
			out = append(out, fmt.Sprintf("endpoint %s (%s) owned by %q uid %q", id, state(e), et[tagOwner], et[tagOwnerUID]))
		}
	}
	for _, e := range st.ices {
		id := aws.ToString(e.InstanceConnectEndpointId)
		if et := tags(e.Tags); liveUIDs[et[tagOwnerUID]] {
			owned[id] = true
		} else {
			out = append(out, fmt.Sprintf("Instance Connect Endpoint %s (%s) owned by %q uid %q", id, e.State, et[tagOwner], et[tagOwnerUID]))
		}
	}
	for _, g := range st.groups {
		if gt := tags(g.Tags); gt[tagCluster] != "" && !liveUIDs[gt[tagOwnerUID]] {
			out = append(out, fmt.Sprintf("security group %s owned by %q uid %q", aws.ToString(g.GroupId), gt[tagOwner], gt[tagOwnerUID]))
		}
	}
	for _, n := range st.enis {
		vpce := strings.TrimPrefix(strings.TrimPrefix(aws.ToString(n.Description), eniPrefix), iceENIPrefix)
		if !owned[vpce] {
			out = append(out, fmt.Sprintf("network interface %s of endpoint %s (requester-managed %v)", aws.ToString(n.NetworkInterfaceId), vpce, aws.ToBool(n.RequesterManaged)))
		}
	}
	return out, nil
}

// leakCheck names the final check, whose violations are the leaks.
const leakCheck = "nothing left in AWS once everything is deleted (endpoints, Instance Connect Endpoints, managed groups, ENIs)"

// checkLeaks checks, once every object is gone, that AWS holds nothing the
// controller made, and counts what it does hold as leaked.
func (r *run) checkLeaks(ctx context.Context) error {
	leaks, err := r.settle(ctx, r.orphans)
	if err != nil {
		return err
	}
	r.rep.Leaked = len(leaks)
	r.rep.add(leakCheck, leaks)
	return nil
}

// settle calls find until it reports nothing or orphanSettle passes, and
// returns its last answer.
func (r *run) settle(ctx context.Context, find func(context.Context) ([]string, error)) ([]string, error) {
	deadline := time.Now().Add(orphanSettle)
	for {
		found, err := find(ctx)
		if err != nil {
			return nil, fmt.Errorf("chaos: reading AWS: %w", err)
		}
		if len(found) == 0 || time.Now().After(deadline) {
			return found, nil
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// driftCheck names the invariant that no DriftCorrected event reports drift the
// run did not make.
const driftCheck = "no DriftCorrected event for drift nobody made (only objects whose endpoint the run tagged)"

// checkDriftEvents counts the DriftCorrected events of the run's objects: any on
// an object whose endpoint the run never drifted is a false report.
func (r *run) checkDriftEvents(ctx context.Context) error {
	var list eventsv1.EventList
	if err := r.cp.Client.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return fmt.Errorf("chaos: listing events: %w", err)
	}
	byUID := map[string]*tracked{}
	for _, t := range r.objs {
		if t.created {
			byUID[string(t.obj.GetUID())] = t
		}
	}
	var falseDrift []string
	for _, e := range list.Items {
		if e.Reason != v1alpha1.EventDriftCorrected {
			continue
		}
		n := 1
		if e.Series != nil && e.Series.Count > 1 {
			n = int(e.Series.Count)
		}
		r.rep.DriftCorrected += n
		if t := byUID[string(e.Regarding.UID)]; t == nil || !t.drifted {
			r.rep.FalseDrift += n
			falseDrift = append(falseDrift, fmt.Sprintf("%s %s/%s: %d× %q", e.Regarding.Kind, e.Regarding.Namespace, e.Regarding.Name, n, e.Note))
		}
	}
	slices.Sort(falseDrift)
	r.rep.add(driftCheck, falseDrift)
	return nil
}
