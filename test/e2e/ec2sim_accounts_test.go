package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// TestEC2SimAccountsFromTheCLI: the ec2sim process with --accounts and
// --roles serves each account to awscli by access key, and STS on the same
// address: `AWS_ACCESS_KEY_ID=222222222222 aws ec2 describe-vpcs` sees that
// account's VPC only, and a role assumed with `aws sts assume-role` acts in
// its account.
func TestEC2SimAccountsFromTheCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := Build(ctx, ""); err != nil {
		t.Fatal(err)
	}
	const hub, spoke = "111111111111", "222222222222"
	sim, err := StartEC2Sim(ctx, EC2SimOptions{Dir: t.TempDir(), Fixture: true, Accounts: []string{hub, spoke}, Roles: []ec2sim.Role{{
		Account:     spoke,
		Name:        "vpce-controller",
		TrustPolicy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + hub + `:root"},"Action":"sts:AssumeRole"}]}`),
		Policy:      []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	spokeFx, err := sim.In(spoke, "").Fixture()
	if err != nil {
		t.Fatal(err)
	}
	aws := func(env []string, args ...string) map[string]any {
		t.Helper()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", sim.URL, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), append([]string{"AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, env...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return v
	}
	vpcs := aws([]string{"AWS_ACCESS_KEY_ID=" + spoke}, "ec2", "describe-vpcs")["Vpcs"].([]any)
	if len(vpcs) != 1 || vpcs[0].(map[string]any)["VpcId"] != spokeFx.VPCID || vpcs[0].(map[string]any)["OwnerId"] != spoke {
		t.Fatalf("account %s sees %v, want only its VPC %s", spoke, vpcs, spokeFx.VPCID)
	}
	creds := aws([]string{"AWS_ACCESS_KEY_ID=" + hub}, "sts", "assume-role",
		"--role-arn", "arn:aws:iam::"+spoke+":role/vpce-controller", "--role-session-name", "cli")["Credentials"].(map[string]any)
	session := []string{"AWS_ACCESS_KEY_ID=" + creds["AccessKeyId"].(string), "AWS_SESSION_TOKEN=" + creds["SessionToken"].(string)}
	id := aws(session, "sts", "get-caller-identity")
	if id["Account"] != spoke || !strings.HasSuffix(id["Arn"].(string), ":assumed-role/vpce-controller/cli") {
		t.Fatalf("assumed identity %v", id)
	}
	vpcs = aws(session, "ec2", "describe-vpcs")["Vpcs"].([]any)
	if len(vpcs) != 1 || vpcs[0].(map[string]any)["VpcId"] != spokeFx.VPCID {
		t.Fatalf("the role session sees %v", vpcs)
	}
	counters, err := sim.In(spoke, "").Counters()
	if err != nil || counters["DescribeVpcs"]["ok"] != 2 {
		t.Fatalf("spoke's counters %v: %v", counters, err)
	}
	hubCalls, err := sim.In(hub, "").Counters()
	if err != nil || len(hubCalls) != 0 {
		t.Fatalf("hub's EC2 counters %v: %v", hubCalls, err)
	}
	sts, err := sim.In(hub, "").STSCounters()
	if err != nil || sts["AssumeRole"]["ok"] != 1 {
		t.Fatalf("hub's STS counters %v: %v", sts, err)
	}
	// The Go client of the wrapper acts in an account too.
	out, err := sim.EC2ClientAs(hub, "").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(out.Vpcs) != 1 || *out.Vpcs[0].OwnerId != hub {
		t.Fatalf("EC2ClientAs(hub): %v %v", out, err)
	}
}
