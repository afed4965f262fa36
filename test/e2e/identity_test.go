package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartupLogNamesTheAWSIdentity: the "Starting manager" line carries the AWS
// account and ARN the manager acts as (STS GetCallerIdentity) next to its version
// and commit; with no AWS reachable at all, the manager says so and starts anyway.
func TestStartupLogNamesTheAWSIdentity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := Build(ctx, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cp, err := StartControlPlane(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })

	// Nothing listens at this address: neither STS nor EC2 answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "http://" + l.Addr().String()
	_ = l.Close()
	logNone := filepath.Join(dir, "manager-no-aws.log")
	mgr, err := StartManager(ctx, ManagerOptions{Kubeconfig: cp.Kubeconfig, EC2URL: nowhere, ClusterName: "e2e-identity", LogFile: logNone})
	if err != nil {
		t.Fatalf("the manager did not start without AWS: %v", err)
	}
	_ = mgr.Stop()
	out := readLog(t, logNone)
	for _, want := range []string{"Unable to tell the AWS identity in use; continuing", "STSUnreachable", "Starting manager", `"awsAccount":""`} {
		if !strings.Contains(out, want) {
			t.Errorf("log without AWS lacks %q:\n%s", want, tail([]byte(out)))
		}
	}

	// ec2sim serves STS on its EC2 address: the line names the identity, a user of
	// its account (the manager's key is "e2e").
	sim, err := StartEC2Sim(ctx, EC2SimOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	logSTS := filepath.Join(dir, "manager-sts.log")
	mgr, err = StartManager(ctx, ManagerOptions{Kubeconfig: cp.Kubeconfig, EC2URL: sim.URL, ClusterName: "e2e-identity", LogFile: logSTS})
	if err != nil {
		t.Fatal(err)
	}
	_ = mgr.Stop()
	out = readLog(t, logSTS)
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Starting manager") {
			line = l
		}
	}
	for _, want := range []string{`"awsAccount":"123456789012"`, `"awsARN":"arn:aws:iam::123456789012:user/e2e"`, `"version":`, `"commit":`} {
		if !strings.Contains(line, want) {
			t.Errorf("startup line lacks %s: %s", want, line)
		}
	}
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
