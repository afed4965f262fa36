package endpoint

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vpce-dev/vpce-controller/internal/policy"
)

// fuzzBytes hands out the fuzz input a byte at a time, then zeros.
type fuzzBytes []byte

func (b *fuzzBytes) next() byte {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return c
}

// pick chooses one of the options.
func pick[T any](b *fuzzBytes, options ...T) T { return options[int(b.next())%len(options)] }

// subset chooses the pool members a bitmask selects, sometimes with a duplicate.
func (b *fuzzBytes) subset(pool []string) []string {
	mask, dup := b.next(), b.next()
	var out []string
	for i, x := range pool {
		if mask&(1<<i) != 0 {
			out = append(out, x)
		}
	}
	if dup&1 != 0 && len(out) > 0 {
		out = append(out, out[0])
	}
	return out
}

// tags chooses tags from a pool of keys that includes ownership and aws: keys.
func (b *fuzzBytes) tags() map[string]string {
	keys := []string{TagName, TagCluster, TagOwner, TagOwnerUID, "team", "aws:cloudformation:stack-name", "env", ""}
	mask := b.next()
	if mask == 0 {
		return nil
	}
	m := map[string]string{}
	for i, k := range keys {
		if mask&(1<<i) != 0 {
			m[k] = pick(b, "", "a", "b", "ns/a")
		}
	}
	return m
}

var (
	fuzzTables  = []string{"rtb-0", "rtb-1", "rtb-2", "rtb-3", "rtb-4", "rtb-5"}
	fuzzSubnets = []string{"subnet-0", "subnet-1", "subnet-2", "subnet-3", "subnet-4", "subnet-5", "subnet-6", "subnet-7"}
	fuzzGroups  = []string{"sg-0", "sg-1", "sg-2", "sg-3", "sg-4"}
)

// planInput builds a desired and an observed endpoint and the subnets' zones
// from fuzz input; the two policy strings feed the desired and observed policies.
func planInput(data []byte, desiredPolicy, observedPolicy string) (Desired, Observed, map[string]string) {
	b := fuzzBytes(data)
	az := map[string]string{}
	for _, s := range fuzzSubnets {
		if zone := pick(&b, "a", "b", "c", "-"); zone != "-" {
			az[s] = "us-east-1" + zone
		}
	}
	typ := pick(&b, Gateway, Interface)
	d := Desired{
		Type:             typ,
		RouteTableIDs:    b.subset(fuzzTables),
		SubnetIDs:        b.subset(fuzzSubnets),
		SecurityGroupIDs: b.subset(fuzzGroups),
		ManagePolicy:     b.next()&1 == 0,
		Tags:             b.tags(),
		PrivateDNS:       pick(&b, (*bool)(nil), ptr(true), ptr(false)),
		OnlyInbound:      pick(&b, (*bool)(nil), ptr(true), ptr(false)),
		DNSRecordIPType:  pick(&b, "", "ipv4", "dualstack", "ipv6", "service-defined"),
		IPAddressType:    pick(&b, "", "ipv4", "dualstack", "ipv6"),
	}
	// Soft tags never share a key with hard ones (desiredTags makes them so); the
	// keys the controller set before are any of the fuzzed ones.
	for k, v := range b.tags() {
		if _, hard := d.Tags[k]; !hard && k != "" {
			if d.SoftTags == nil {
				d.SoftTags = map[string]string{}
			}
			d.SoftTags[k] = v
		}
	}
	for k := range b.tags() {
		d.OwnedTagKeys = append(d.OwnedTagKeys, k)
	}
	switch b.next() % 3 {
	case 1:
		d.Policy = desiredPolicy
	case 2:
		d.Policy, _ = policy.Compact([]byte(desiredPolicy)) // "" when invalid, as resolve does
	}
	o := Observed{
		ID:               "vpce-1",
		State:            "available",
		Type:             pick(&b, typ, typ, typ, Gateway, Interface),
		RouteTableIDs:    b.subset(fuzzTables),
		SubnetIDs:        b.subset(fuzzSubnets),
		SecurityGroupIDs: b.subset(fuzzGroups),
		Policy:           pick(&b, "", observedPolicy, policy.DefaultDocument, desiredPolicy),
		Tags:             b.tags(),
		PrivateDNS:       b.next()&1 == 1,
		OnlyInbound:      b.next()&1 == 1,
		DNSRecordIPType:  pick(&b, "", "ipv4", "dualstack", "ipv6", "service-defined"),
		IPAddressType:    pick(&b, "", "ipv4", "dualstack", "ipv6"),
	}
	if b.next()%4 == 0 {
		// An Instance Connect Endpoint: one subnet, groups and preserveClientIP.
		d.Type, o.Type = InstanceConnect, InstanceConnect
		d.PreserveClientIP = pick(&b, (*bool)(nil), ptr(true), ptr(false))
		o.PreserveClientIP = b.next()&1 == 1
	}
	return d, o, az
}

// oneSubnetPerZone reports whether no zone holds two of the subnets (subnets of
// unknown zone are not counted).
func oneSubnetPerZone(subnets []string, az map[string]string) bool {
	seen := map[string]bool{}
	for _, s := range sortedSet(subnets) {
		zone, ok := az[s]
		if ok && seen[zone] {
			return false
		}
		seen[zone] = ok
	}
	return true
}

// FuzzPlan checks the planner on arbitrary desired and observed endpoints:
// the state its plan leads to needs no further plan, the two passes of a
// same-zone subnet swap converge without AWS ever seeing two subnets in one
// zone, HasChanges means a non-empty plan, and aws: tags are never removed.
// Seeds: testdata/fuzz/FuzzPlan.
func FuzzPlan(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, desiredPolicy, observedPolicy string) {
		d, o, az := planInput(data, desiredPolicy, observedPolicy)
		p := ComputePlan(d, o, az)
		if p.HasChanges() == reflect.DeepEqual(p, Plan{}) {
			t.Fatalf("HasChanges = %v for plan %+v", p.HasChanges(), p)
		}
		for _, k := range p.RemoveTags {
			if strings.HasPrefix(k, "aws:") {
				t.Fatalf("plan removes reserved tag %q", k)
			}
		}
		if again := ComputePlan(d, p.Applied(o), az); again.HasChanges() {
			t.Fatalf("plan %s applied still leaves %s\ndesired %+v\nobserved %+v", p, again, d, o)
		}

		// What AWS holds after the first pass: the deferred subnets are not added yet.
		first := p.Applied(o)
		first.SubnetIDs = sortedSet(append(difference(o.SubnetIDs, p.RemoveSubnets), p.AddSubnets...))
		if oneSubnetPerZone(d.SubnetIDs, az) && oneSubnetPerZone(o.SubnetIDs, az) && d.Type == Interface && !oneSubnetPerZone(first.SubnetIDs, az) {
			t.Fatalf("first pass puts two subnets in one zone: %v (plan %s)", first.SubnetIDs, p)
		}
		second := ComputePlan(d, first, az)
		if len(second.DeferredSubnets)+len(second.RemoveSubnets) > 0 {
			t.Fatalf("second pass still defers or removes: %s (first %s)", second, p)
		}
		if final := ComputePlan(d, second.Applied(first), az); final.HasChanges() {
			t.Fatalf("after two passes still %s (plans %s / %s)", final, p, second)
		}
	})
}
