package config_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// trustStatement is one statement of a trust policy of config/iam.
type trustStatement struct {
	Sid       string
	Effect    string
	Principal map[string]stringOrList
	Action    stringOrList
	Resource  stringOrList
	Condition map[string]map[string]any
}

func readTrust(t *testing.T, name string) []trustStatement {
	t.Helper()
	raw, err := os.ReadFile("iam/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []trustStatement
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("%s: Version %q, %d statements", name, doc.Version, len(doc.Statement))
	}
	return doc.Statement
}

// TestHubAndSpokePolicies keeps the multi-account chain of config/iam tight: the
// hub role may only assume (and tag sessions of) spoke roles; the spoke role
// trusts only the hub role, and only with the external ID; the hub role's trust
// admits only the controller's ServiceAccount (IRSA) or Pod Identity association.
func TestHubAndSpokePolicies(t *testing.T) {
	hub := readPolicy(t, "hub-policy.json")
	if len(hub) != 1 || !slices.Equal(hub[0].Action, []string{"sts:AssumeRole", "sts:TagSession"}) || !slices.Equal(hub[0].Resource, []string{"arn:*:iam::*:role/vpce-controller-spoke"}) {
		t.Errorf("hub-policy.json grants %+v; want sts:AssumeRole and sts:TagSession on the spoke roles only", hub)
	}

	spoke := readTrust(t, "spoke-trust.json")
	for _, st := range spoke {
		if p := st.Principal["AWS"]; len(p) != 1 || !strings.HasSuffix(p[0], ":role/vpce-controller") {
			t.Errorf("spoke-trust.json %s trusts %v; want the hub role only", st.Sid, st.Principal)
		}
		if slices.Contains(st.Action, "sts:AssumeRole") && st.Condition["StringEquals"]["sts:ExternalId"] == nil {
			t.Errorf("spoke-trust.json %s allows sts:AssumeRole without sts:ExternalId", st.Sid)
		}
	}
	if !slices.ContainsFunc(spoke, func(st trustStatement) bool { return slices.Contains(st.Action, "sts:TagSession") }) {
		t.Error("spoke-trust.json lacks sts:TagSession: AWSAccounts with sessionTags could not assume the role")
	}

	irsa := readTrust(t, "trust-irsa.json")
	if c := irsa[0].Condition["StringEquals"]; irsa[0].Action[0] != "sts:AssumeRoleWithWebIdentity" || len(c) != 2 || !strings.Contains(strings.Join(keys(c), ","), ":sub") {
		t.Errorf("trust-irsa.json %+v; want AssumeRoleWithWebIdentity for the controller's ServiceAccount (sub and aud)", irsa)
	}
	pod := readTrust(t, "trust-pod-identity.json")
	if !slices.Equal(pod[0].Principal["Service"], []string{"pods.eks.amazonaws.com"}) || !slices.Contains(pod[0].Action, "sts:TagSession") || pod[0].Condition["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == nil {
		t.Errorf("trust-pod-identity.json %+v; want pods.eks.amazonaws.com with sts:TagSession, scoped to the controller's ServiceAccount", pod)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
