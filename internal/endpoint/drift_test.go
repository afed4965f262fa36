package endpoint

import (
	"slices"
	"testing"
)

// TestPlanFieldsAreDriftFields: every field a plan reports is one of the closed
// list that bounds the field label of vpce_drift_repairs_total.
func TestPlanFieldsAreDriftFields(t *testing.T) {
	everything := Plan{
		AddRouteTables: []string{"rtb-1"}, AddSubnets: []string{"subnet-1"}, DeferredSubnets: []string{"subnet-2"},
		AddSecurityGroups: []string{"sg-1"}, Policy: ptr("{}"), ResetPolicy: true, PrivateDNS: ptr(true),
		OnlyInbound: ptr(false), DNSRecordIPType: "ipv4", IPAddressType: "ipv4",
		SetTags: map[string]string{"a": "b"}, RemoveTags: []string{"c"},
	}
	fields := everything.Fields()
	if len(fields) != 8 {
		t.Fatalf("a plan that changes everything reports %v", fields)
	}
	for _, f := range fields {
		if !slices.Contains(DriftFields, f) {
			t.Errorf("plan field %q is not in DriftFields", f)
		}
	}
	seen := map[string]bool{}
	for _, f := range DriftFields {
		if seen[f] {
			t.Errorf("DriftFields lists %q twice", f)
		}
		seen[f] = true
	}
}

// TestChangedOrRepaired: a change to converge is drift only when the spec has not
// changed since the object was converged; only drift counts in DriftFields.
func TestChangedOrRepaired(t *testing.T) {
	for _, specChanged := range []bool{false, true} {
		var out Outcome
		out.changedOrRepaired(Request{Prior: Prior{SpecChanged: specChanged}}, []string{DriftPolicy}, "ModifyVpcEndpoint", "Modified %s", "Repaired %s", "vpce-1")
		want := Event{Reason: "DriftCorrected", Action: "ModifyVpcEndpoint", Message: "Repaired vpce-1"}
		wantFields := []string{DriftPolicy}
		if specChanged {
			want = Event{Reason: "Modified", Action: "ModifyVpcEndpoint", Message: "Modified vpce-1"}
			wantFields = nil
		}
		if len(out.Events) != 1 || out.Events[0] != want || !slices.Equal(out.DriftFields, wantFields) {
			t.Errorf("specChanged=%v: events %+v fields %v, want %+v %v", specChanged, out.Events, out.DriftFields, want, wantFields)
		}
	}
}
