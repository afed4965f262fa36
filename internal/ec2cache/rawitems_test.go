package ec2cache

import (
	"reflect"
	"testing"
)

// TestScanItemsFindsTheMembersAndTheirOwnIDs: members are found at the set's
// level only, each with its own ID (not one of a nested element), and a body
// of another shape is left alone.
func TestScanItemsFindsTheMembersAndTheirOwnIDs(t *testing.T) {
	const groups = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><securityGroupInfo>` +
		`<item><ownerId>1</ownerId><ipPermissions><item><groups><item><groupId>sg-nested</groupId></item></groups></item></ipPermissions><groupId>sg-1</groupId><tagSet/></item>` +
		`<item><groupId>sg-2</groupId><groupDescription>a &lt;item&gt; b</groupDescription></item>` +
		`</securityGroupInfo><nextToken>t</nextToken></DescribeSecurityGroupsResponse>`
	for _, tc := range []struct {
		name, body, set, id string
		wantIDs             []string
		wantOK              bool
	}{
		{"nested group IDs are not the member's", groups, "securityGroupInfo", "groupId", []string{"sg-1", "sg-2"}, true},
		{"an empty set", `<R><vpcEndpointSet/><nextToken/></R>`, "vpcEndpointSet", "vpcEndpointId", nil, true},
		{"no set at all", `<R><requestId>x</requestId></R>`, "vpcEndpointSet", "vpcEndpointId", nil, true},
		{"a member without an ID", `<R><vpcEndpointSet><item><state>x</state></item></vpcEndpointSet></R>`, "vpcEndpointSet", "vpcEndpointId", []string{""}, true},
		{"cut short", `<R><vpcEndpointSet><item><vpcEndpointId>vpce-1</vpcEndpointId>`, "vpcEndpointSet", "vpcEndpointId", nil, false},
		{"an unclosed tag", `<R><vpcEndpointSet><item`, "vpcEndpointSet", "vpcEndpointId", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, ok := scanItems([]byte(tc.body), tc.set, tc.id)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			var ids []string
			for _, it := range items {
				ids = append(ids, it.id)
				if m := tc.body[it.start:it.end]; m[:6] != "<item>" || m[len(m)-7:] != "</item>" {
					t.Fatalf("member bounds %q", m)
				}
			}
			if !reflect.DeepEqual(ids, tc.wantIDs) {
				t.Fatalf("IDs %q, want %q", ids, tc.wantIDs)
			}
		})
	}
}

// TestRewriteCutsOnlyTheMembersHeldUnchanged: a member whose bytes the store
// holds is cut out, one whose bytes differ is kept, and the rest of the body
// (next token) is kept as sent.
func TestRewriteCutsOnlyTheMembersHeldUnchanged(t *testing.T) {
	a := `<item><vpcEndpointId>vpce-a</vpcEndpointId><state>available</state></item>`
	b := `<item><vpcEndpointId>vpce-b</vpcEndpointId><state>pending</state></item>`
	c := `<item><vpcEndpointId>vpce-c</vpcEndpointId><state>available</state></item>`
	body := `<R><vpcEndpointSet>` + a + b + c + `</vpcEndpointSet><nextToken>n</nextToken></R>`
	held := map[string]uint64{"vpce-a": rawHash([]byte(a)), "vpce-b": rawHash([]byte(`<item><vpcEndpointId>vpce-b</vpcEndpointId><state>available</state></item>`))}
	u := &unchangedItems{rawSet: endpointSet, known: func(id string) uint64 { return held[id] }}
	got := string(u.rewrite([]byte(body)))
	if want := `<R><vpcEndpointSet>` + b + c + `</vpcEndpointSet><nextToken>n</nextToken></R>`; got != want {
		t.Fatalf("rewritten\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(u.skipped, []string{"vpce-a"}) || len(u.hashes) != 3 || u.hashes["vpce-c"] != rawHash([]byte(c)) {
		t.Fatalf("skipped %v, hashes %v", u.skipped, u.hashes)
	}
}
