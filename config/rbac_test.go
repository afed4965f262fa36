package config_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// leaderElectionRole is the only Role that may touch leases.
const leaderElectionRole = "leader-election-role"

// metricsReaderRole is for whoever scrapes /metrics, never bound to the manager.
const metricsReaderRole = "metrics-reader"

// allowedVerbs are the verbs any rule may grant; escalate, bind, impersonate and
// deletecollection are never needed.
var allowedVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

// allowedResources maps an API group to the resources the manager may be granted in it.
var allowedResources = map[string][]string{
	"networking.vpce.dev": {
		"gatewayendpoints", "gatewayendpoints/status", "gatewayendpoints/finalizers",
		"interfaceendpoints", "interfaceendpoints/status", "interfaceendpoints/finalizers",
		"instanceconnectendpoints", "instanceconnectendpoints/status", "instanceconnectendpoints/finalizers",
		"awsaccounts", "awsaccounts/status", "awsaccounts/finalizers",
	},
	// namespaces: read only (readOnlyResources), for AWSAccounts' namespace selectors;
	// configmaps: the ConfigMaps of spec.connectionDetails (controllers/connectiondetails.go),
	// and only with the verbs of configMapVerbs.
	"":                    {"events", "namespaces", "configmaps"},
	"events.k8s.io":       {"events"},
	"coordination.k8s.io": {"leases"},
	// --metrics-secure: the manager checks scrapers' tokens and permissions.
	"authentication.k8s.io": {"tokenreviews"},
	"authorization.k8s.io":  {"subjectaccessreviews"},
}

// readOnlyResources may only be read.
var readOnlyResources = map[string]bool{"namespaces": true}

// configMapVerbs are the only verbs any rule may grant on configmaps, and why each:
// list and watch feed the manager's cache, which holds only the ConfigMaps the
// controller wrote (a label selector, internal/manager; RBAC cannot narrow by
// label, so the grant is cluster-wide while the cache is not); get reads a
// ConfigMap of the configured name that lacks the label, to refuse it when
// another owner controls it; create, update and delete write only ConfigMaps an
// endpoint object controls. No patch (the controller updates with the
// resourceVersion it read, so a concurrent change is never overwritten unseen) and
// no deletecollection. resourceNames cannot narrow it: users choose the names,
// and create cannot be restricted by name.
var configMapVerbs = []string{"get", "list", "watch", "create", "update", "delete"}

// grantedRole is a Role or ClusterRole read from config/rbac.
type grantedRole struct {
	source string
	kind   string
	name   string
	rules  []rbacv1.PolicyRule
}

// readRoles returns the Roles and ClusterRoles of config/rbac.
func readRoles(t *testing.T) []grantedRole {
	t.Helper()
	var roles []grantedRole
	for _, doc := range readManifestDir(t, "rbac") {
		switch doc.kind {
		case "ClusterRole":
			var role rbacv1.ClusterRole
			decodeStrict(t, doc, &role)
			roles = append(roles, grantedRole{doc.source, doc.kind, role.Name, role.Rules})
		case "Role":
			var role rbacv1.Role
			decodeStrict(t, doc, &role)
			roles = append(roles, grantedRole{doc.source, doc.kind, role.Name, role.Rules})
		}
	}
	if len(roles) == 0 {
		t.Fatal("config/rbac holds no Role or ClusterRole")
	}
	return roles
}

func TestRBACGrantsNothingBeyondWhatTheManagerNeeds(t *testing.T) {
	for _, role := range readRoles(t) {
		if role.name == metricsReaderRole {
			continue // checked by TestMetricsReaderRoleOnlyReadsMetrics
		}
		for i, rule := range role.rules {
			for _, problem := range ruleProblems(role, rule) {
				t.Errorf("%s: %s %s rule %d: %s", role.source, role.kind, role.name, i, problem)
			}
		}
	}
}

// ruleProblems lists every way a rule grants more than the manager needs.
func ruleProblems(role grantedRole, rule rbacv1.PolicyRule) []string {
	var problems []string
	if len(rule.NonResourceURLs) > 0 {
		problems = append(problems, fmt.Sprintf("grants non-resource URLs %v", rule.NonResourceURLs))
	}
	for _, verb := range rule.Verbs {
		if !slices.Contains(allowedVerbs, verb) {
			problems = append(problems, fmt.Sprintf("grants verb %q", verb))
		}
	}
	for _, group := range rule.APIGroups {
		allowed, known := allowedResources[group]
		if !known {
			problems = append(problems, fmt.Sprintf("grants API group %q", group))
			continue
		}
		for _, resource := range rule.Resources {
			switch {
			case resource == "*" || strings.HasPrefix(resource, "*/") || strings.HasSuffix(resource, "/*"):
				problems = append(problems, fmt.Sprintf("grants wildcard resource %q", resource))
			case resource == "secrets":
				problems = append(problems, "grants secrets")
			case !slices.Contains(allowed, resource):
				problems = append(problems, fmt.Sprintf("grants %q in group %q", resource, group))
			case resource == "leases" && (role.kind != "Role" || role.name != leaderElectionRole):
				problems = append(problems, fmt.Sprintf("grants leases outside the namespaced %s", leaderElectionRole))
			case readOnlyResources[resource] && slices.ContainsFunc(rule.Verbs, func(v string) bool { return v != "get" && v != "list" && v != "watch" }):
				problems = append(problems, fmt.Sprintf("grants %v on %q, which the manager only reads", rule.Verbs, resource))
			case resource == "configmaps":
				for _, verb := range rule.Verbs {
					if !slices.Contains(configMapVerbs, verb) {
						problems = append(problems, fmt.Sprintf("grants %q on configmaps; only %v are needed", verb, configMapVerbs))
					}
				}
				if len(rule.Resources) != 1 {
					problems = append(problems, fmt.Sprintf("grants configmaps together with %v; give configmaps a rule of their own", rule.Resources))
				}
			}
		}
	}
	return problems
}

func TestRBACGrantsWhatTheManagerNeeds(t *testing.T) {
	roles := readRoles(t)
	required := []struct{ group, resource, verb string }{
		{"networking.vpce.dev", "gatewayendpoints", "get"},
		{"networking.vpce.dev", "gatewayendpoints", "list"},
		{"networking.vpce.dev", "gatewayendpoints", "watch"},
		{"networking.vpce.dev", "gatewayendpoints", "patch"},
		{"networking.vpce.dev", "gatewayendpoints/status", "patch"},
		{"networking.vpce.dev", "interfaceendpoints", "get"},
		{"networking.vpce.dev", "interfaceendpoints", "list"},
		{"networking.vpce.dev", "interfaceendpoints", "watch"},
		{"networking.vpce.dev", "interfaceendpoints", "patch"},
		{"networking.vpce.dev", "interfaceendpoints/status", "patch"},
		{"networking.vpce.dev", "instanceconnectendpoints", "get"},
		{"networking.vpce.dev", "instanceconnectendpoints", "list"},
		{"networking.vpce.dev", "instanceconnectendpoints", "watch"},
		{"networking.vpce.dev", "instanceconnectendpoints", "patch"},
		{"networking.vpce.dev", "instanceconnectendpoints/status", "patch"},
		{"networking.vpce.dev", "instanceconnectendpoints/finalizers", "update"},
		{"networking.vpce.dev", "awsaccounts", "watch"},
		{"networking.vpce.dev", "awsaccounts", "patch"},
		{"networking.vpce.dev", "awsaccounts/status", "patch"},
		{"networking.vpce.dev", "awsaccounts/finalizers", "update"},
		{"", "namespaces", "watch"},
		{"", "events", "create"},
		{"", "configmaps", "get"},
		{"", "configmaps", "list"},
		{"", "configmaps", "watch"},
		{"", "configmaps", "create"},
		{"", "configmaps", "update"},
		{"", "configmaps", "delete"},
		{"coordination.k8s.io", "leases", "create"},
		{"coordination.k8s.io", "leases", "update"},
		{"authentication.k8s.io", "tokenreviews", "create"},
		{"authorization.k8s.io", "subjectaccessreviews", "create"},
	}
	for _, need := range required {
		if !anyRoleGrants(roles, need.group, need.resource, need.verb) {
			t.Errorf("no role in config/rbac grants %s on %q in group %q", need.verb, need.resource, need.group)
		}
	}
}

// anyRoleGrants says whether some rule of roles grants verb on group/resource.
func anyRoleGrants(roles []grantedRole, group, resource, verb string) bool {
	for _, role := range roles {
		for _, rule := range role.rules {
			if slices.Contains(rule.APIGroups, group) && slices.Contains(rule.Resources, resource) && slices.Contains(rule.Verbs, verb) {
				return true
			}
		}
	}
	return false
}

func TestMetricsReaderRoleOnlyReadsMetrics(t *testing.T) {
	var found bool
	for _, role := range readRoles(t) {
		if role.name != metricsReaderRole {
			continue
		}
		found = true
		want := []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
		if role.kind != "ClusterRole" || !reflect.DeepEqual(role.rules, want) {
			t.Errorf("%s: %s %s grants %+v, want only get on /metrics", role.source, role.kind, role.name, role.rules)
		}
	}
	if !found {
		t.Fatalf("config/rbac has no %s ClusterRole for scrapers of the secure metrics endpoint", metricsReaderRole)
	}
	for _, doc := range readManifestDir(t, "rbac") {
		if doc.kind != "ClusterRoleBinding" && doc.kind != "RoleBinding" {
			continue
		}
		var binding rbacv1.ClusterRoleBinding
		decodeStrict(t, doc, &binding)
		if binding.RoleRef.Name == metricsReaderRole {
			t.Errorf("%s binds %s; it is for scrapers, which the user binds", doc.source, metricsReaderRole)
		}
	}
}
