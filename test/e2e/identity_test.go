package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
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

	// An STS that answers: the line names the identity.
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Form.Get("Action") != "GetCallerIdentity" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::111122223333:assumed-role/vpce-controller/e2e</Arn><UserId>AROA:e2e</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(sts.Close)
	logSTS := filepath.Join(dir, "manager-sts.log")
	mgr, err = StartManager(ctx, ManagerOptions{Kubeconfig: cp.Kubeconfig, EC2URL: sts.URL, ClusterName: "e2e-identity", LogFile: logSTS})
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
	for _, want := range []string{`"awsAccount":"111122223333"`, `"awsARN":"arn:aws:sts::111122223333:assumed-role/vpce-controller/e2e"`, `"version":`, `"commit":`} {
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
