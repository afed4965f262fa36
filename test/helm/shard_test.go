package helm_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// TestShardValuesReachTheManager: a release that is one shard of a cluster
// passes its name and selectors to the manager; a selector without a name, or a
// name without a selector, refuses to render with a message naming the values.
func TestShardValuesReachTheManager(t *testing.T) {
	var deploy appsv1.Deployment
	render(t, releaseName, namespace, append(required, "--set", "shard.name=a", "--set", "shard.namespaceSelector=vpce.dev/shard=a", "--set", "shard.accounts={payments,search}")...).one(t, "Deployment", &deploy)
	assertArgs(t, manager(t, deploy.Spec.Template.Spec).Args, "--shard-name=a", "--shard-namespace-selector=vpce.dev/shard=a", "--shard-accounts=payments,search")
	render(t, releaseName, namespace, required...).one(t, "Deployment", &deploy)
	for _, arg := range manager(t, deploy.Spec.Template.Spec).Args {
		if strings.HasPrefix(arg, "--shard") {
			t.Errorf("default values pass %s: no sharding by default", arg)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--set", "shard.namespaceSelector=vpce.dev/shard=a"}, "need shard.name"},
		{[]string{"--set", "shard.accounts={payments}"}, "need shard.name"},
		{[]string{"--set", "shard.name=a"}, "shard.name needs shard.namespaceSelector"},
		{[]string{"--set", "shard.name=A_1", "--set", "shard.accounts={p}"}, "/shard/name"},
	} {
		out, err := tryHelm(t, append(append([]string{"template", releaseName, chartDir(t), "--namespace", namespace}, required...), tc.args...)...)
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("helm template %v: %v, want a refusal naming %q:\n%s", tc.args, err, tc.want, out)
		}
	}
}
