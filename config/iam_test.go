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
	// AttachInstanceConnectEndpointToNetwork.
	"CreateInstanceConnectEndpoint": {"subnet", "security-group"},
	"ModifyInstanceConnectEndpoint": {"security-group"},
	// PrivateDnsHostedZone: a dependent action of ec2:CreateVpcEndpoint (private
	// DNS) in the Service Authorization Reference, on AWS's own hosted zone.
	"route53:AssociateVPCWithHostedZone": {"hostedzone", "vpc"},
	// InstanceConnectEndpointNetworkInterface and InstanceConnectServiceLinkedRole:
	// dependent actions of ec2:CreateInstanceConnectEndpoint (EC2 makes the
	// endpoint's network interface, and its service-linked role the first time).
	"ec2:CreateNetworkInterface":  {"network-interface", "subnet", "security-group"},
	"iam:CreateServiceLinkedRole": {"role"},
}

// dependentActions are the actions granted that the controller does not call:
// those the Service Authorization Reference lists as dependent actions of the
// EC2 calls made.
var dependentActions = map[string]bool{
	"route53:AssociateVPCWithHostedZone": true,
	"ec2:CreateNetworkInterface":         true,
	"iam:CreateServiceLinkedRole":        true,
}

// readPolicy parses a policy file of config/iam.
func readPolicy(t *testing.T, name string) []iamStatement {
	t.Helper()
	raw, err := os.ReadFile("iam/" + name)
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
		t.Errorf("%s: Version %q, want 2012-10-17", name, doc.Version)
	}
	return doc.Statement
}

// nullCondition returns the value of a Null condition on key ("" when absent).
func nullCondition(st iamStatement, key string) string {
	v, _ := st.Condition["Null"][key].(string)
	return v
}

// TestIAMPolicyProtectsTheOwnershipTag: in policy.json, tags of existing endpoints
// and groups change only without the cluster tag in the request (so the role can
// never claim an endpoint or group it does not own, and then modify or delete
// it), as aws-load-balancer-controller's policy does; claiming an unowned endpoint
// (adoption) is the one grant of adoption-policy.json, and only for endpoints
// without the tag.
func TestIAMPolicyProtectsTheOwnershipTag(t *testing.T) {
	for _, st := range readPolicy(t, "policy.json") {
		if !slices.Contains(st.Action, "ec2:CreateTags") {
			continue
		}
		createOnly := st.Condition["StringEquals"]["ec2:CreateAction"] != nil
		if !createOnly && nullCondition(st, "aws:RequestTag/vpce.dev/cluster") != "true" {
			t.Errorf("statement %s lets CreateTags set vpce.dev/cluster on existing resources", st.Sid)
		}
	}
	adoption := readPolicy(t, "adoption-policy.json")
	if len(adoption) != 1 {
		t.Fatalf("adoption-policy.json has %d statements, want 1", len(adoption))
	}
	st := adoption[0]
	if !slices.Equal(st.Action, stringOrList{"ec2:CreateTags"}) || !slices.Equal(st.Resource, stringOrList{"arn:*:ec2:*:*:vpc-endpoint/*", "arn:*:ec2:*:*:instance-connect-endpoint/*"}) {
		t.Errorf("adoption statement grants %v on %v, want only ec2:CreateTags on VPC and Instance Connect endpoints", st.Action, st.Resource)
	}
	if nullCondition(st, "aws:RequestTag/vpce.dev/cluster") != "false" || nullCondition(st, "aws:ResourceTag/vpce.dev/cluster") != "true" {
		t.Errorf("adoption statement must require the cluster tag in the request and its absence on the endpoint: %v", st.Condition)
	}
}

// TestIAMPolicyServesEveryPartition: no ARN names a partition, so the policy
// works in aws-cn and aws-us-gov too.
func TestIAMPolicyServesEveryPartition(t *testing.T) {
	for _, name := range []string{"policy.json", "adoption-policy.json"} {
		for _, st := range readPolicy(t, name) {
			for _, r := range st.Resource {
				if r != "*" && !strings.HasPrefix(r, "arn:*:") {
					t.Errorf("%s: statement %s names a partition in %s; use arn:*:", name, st.Sid, r)
				}
			}
		}
	}
}

// TestIAMPolicyIsLeastPrivilege keeps config/iam/policy.json to exactly the
// EC2 calls of awsclient.EC2, with every grant on endpoints and security
// groups conditioned on the cluster tag.
func TestIAMPolicyIsLeastPrivilege(t *testing.T) {
	statements := append(readPolicy(t, "policy.json"), readPolicy(t, "adoption-policy.json")...)
	used := map[string]bool{}
	iface := reflect.TypeFor[awsclient.EC2]()
	for i := range iface.NumMethod() {
		used[iface.Method(i).Name] = false
	}
	for _, st := range statements {
		if st.Effect != "Allow" || st.Sid == "" {
			t.Errorf("statement %q: want a Sid and Effect Allow", st.Sid)
		}
		tagged := hasClusterCondition(st.Condition)
		for _, a := range st.Action {
			if dependentActions[a] {
				for _, r := range st.Resource {
					if !slices.Contains(unconditional[a], resourceType(r)) {
						t.Errorf("statement %s grants %s on %s", st.Sid, a, r)
					}
				}
				continue
			}
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
