package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestManagerRefusesToStartWithoutAClusterName runs bin/manager as an operator
// would, without --cluster-name (it has no default) and with an invalid one: it must
// exit at once with one line that names the flag, before it reaches any API.
func TestManagerRefusesToStartWithoutAClusterName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := Build(ctx, ""); err != nil {
		t.Fatal(err)
	}
	path, err := binPath("manager")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--region", "us-east-1"}, "error: --cluster-name is required"},
		{[]string{"--region", "us-east-1", "--cluster-name", "prod eu"}, `error: --cluster-name "prod eu" is invalid`},
		{[]string{"--region", "us-east-1", "--cluster-name", "prod", "--metrics-cert-path", t.TempDir()}, "error: --metrics-cert-path"},
		{[]string{"--region", "us-east-1", "--cluster-name", "prod", "--shard-namespace-selector", "vpce.dev/shard=a"}, "error: --shard-namespace-selector and --shard-accounts need --shard-name"},
		{[]string{"--region", "us-east-1", "--cluster-name", "prod", "--shard-name", "a"}, "error: --shard-name a selects nothing to split by"},
	} {
		cmd := exec.CommandContext(ctx, path, tc.args...)
		// No kubeconfig and an unreachable apiserver: the check must come first.
		cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent", "KUBERNETES_SERVICE_HOST=", "AWS_EC2_METADATA_DISABLED=true")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("manager %v: %v, want exit status 2\n%s", tc.args, err, out)
		}
		if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
			t.Errorf("manager %v printed %q, want one line starting %q", tc.args, out, tc.want)
		}
	}
}
