package config_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// iamStatement is one statement of config/iam/policy.json.
type iamStatement struct {
	Sid       string
	Effect    string
	Action    stringOrList
	Resource  stringOrList
	Condition map[string]map[string]any
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// unconditional are the only (action, resource type) pairs granted without a
// vpce.dev/cluster tag condition: reads, and the resources an endpoint or a
// group is created in or attached to, which the controller does not own.
var unconditional = map[string][]string{
	"CreateVpcEndpoint":   {"vpc", "subnet", "security-group", "route-table", "vpc-endpoint-service"},
	"ModifyVpcEndpoint":   {"vpc", "subnet", "security-group", "route-table", "vpc-endpoint-service"},
	"CreateSecurityGroup": {"vpc"},
	"ModifyVpcAttribute":  {"vpc"}, // OptionalEnableVpcDns
}

// TestIAMPolicyIsLeastPrivilege keeps config/iam/policy.json to exactly the
// EC2 calls of awsclient.EC2, with every grant on endpoints and security
// groups conditioned on the cluster tag.
func TestIAMPolicyIsLeastPrivilege(t *testing.T) {
	raw, err := os.ReadFile("iam/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []iamStatement
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("Version %q, want 2012-10-17", doc.Version)
	}
	used := map[string]bool{}
	iface := reflect.TypeFor[awsclient.EC2]()
	for i := range iface.NumMethod() {
		used[iface.Method(i).Name] = false
	}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || st.Sid == "" {
			t.Errorf("statement %q: want a Sid and Effect Allow", st.Sid)
		}
		tagged := hasClusterCondition(st.Condition)
		for _, a := range st.Action {
			name, ok := strings.CutPrefix(a, "ec2:")
			if _, known := used[name]; !ok || !known {
				t.Errorf("statement %s grants %s, which awsclient.EC2 does not call", st.Sid, a)
				continue
			}
			used[name] = true
			for _, r := range st.Resource {
				rt := resourceType(r)
				switch {
				case r == "*" && !strings.HasPrefix(name, "Describe"):
					t.Errorf("statement %s grants %s on *", st.Sid, a)
				case r != "*" && strings.HasPrefix(name, "Describe"):
					t.Errorf("statement %s scopes %s, which EC2 authorizes on * only", st.Sid, a)
				case r != "*" && !tagged && !slices.Contains(unconditional[name], rt):
					t.Errorf("statement %s grants %s on %s without a vpce.dev/cluster tag condition", st.Sid, a, r)
				}
			}
		}
	}
	for name, ok := range used {
		if !ok {
			t.Errorf("no statement grants ec2:%s, which awsclient.EC2 calls", name)
		}
	}
}

// hasClusterCondition reports a condition on aws:RequestTag/vpce.dev/cluster
// or aws:ResourceTag/vpce.dev/cluster.
func hasClusterCondition(cond map[string]map[string]any) bool {
	for _, keys := range cond {
		for k := range keys {
			if k == "aws:RequestTag/vpce.dev/cluster" || k == "aws:ResourceTag/vpce.dev/cluster" {
				return true
			}
		}
	}
	return false
}

// resourceType returns the type of an EC2 ARN pattern (vpc-endpoint, …).
func resourceType(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	rt, _, _ := strings.Cut(parts[5], "/")
	return rt
}
