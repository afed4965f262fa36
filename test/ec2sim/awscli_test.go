package ec2sim_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// TestAWSCLI drives the emulator with awscli, whose botocore parser is
// stricter about element names than the Go SDK.
func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws not on PATH")
	}
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", e.url, "--output", "json", "ec2"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
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
	services := run("describe-vpc-endpoint-services", "--service-names", "com.amazonaws.us-east-1.ssm")
	if d := services["ServiceDetails"].([]any); len(d) != 1 || d[0].(map[string]any)["PrivateDnsName"] != "ssm.us-east-1.amazonaws.com" {
		t.Fatalf("services %v", services)
	}
	created := run("create-vpc-endpoint", "--vpc-id", e.fx.VPCID, "--service-name", "com.amazonaws.us-east-1.ssm",
		"--vpc-endpoint-type", "Interface", "--subnet-ids", e.fx.PrivateSubnets[0].SubnetID, e.fx.PrivateSubnets[1].SubnetID,
		"--tag-specifications", "ResourceType=vpc-endpoint,Tags=[{Key=owner,Value=cli}]")
	ep := created["VpcEndpoint"].(map[string]any)
	if ep["State"] != "pending" || len(ep["NetworkInterfaceIds"].([]any)) != 2 || len(ep["DnsEntries"].([]any)) != 4 {
		t.Fatalf("created %v", ep)
	}
	listed := run("describe-vpc-endpoints", "--filters", "Name=tag:owner,Values=cli")
	if eps := listed["VpcEndpoints"].([]any); len(eps) != 1 || eps[0].(map[string]any)["VpcEndpointId"] != ep["VpcEndpointId"] {
		t.Fatalf("listed %v", listed)
	}
	tables := run("describe-route-tables", "--filters", "Name=association.subnet-id,Values="+e.fx.PrivateSubnets[0].SubnetID)
	if rts := tables["RouteTables"].([]any); len(rts) != 1 {
		t.Fatalf("tables %v", tables)
	}
	deleted := run("delete-vpc-endpoints", "--vpc-endpoint-ids", ep["VpcEndpointId"].(string), "vpce-0123456789abcdef0")
	if u := deleted["Unsuccessful"].([]any); len(u) != 1 {
		t.Fatalf("deleted %v", deleted)
	}
}
