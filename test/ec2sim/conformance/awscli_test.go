package conformance

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI runs the aws command against one endpoint with test credentials.
type awsCLI struct {
	t        *testing.T
	bin      string
	endpoint string
	env      []string
}

// newAWSCLI finds aws on PATH (skipping the test without it) and prepares
// an environment that ignores the user's AWS configuration.
func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws is not on PATH")
	}
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION="+Region,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	return &awsCLI{t: t, bin: bin, endpoint: endpoint, env: env}
}

// ec2 runs `aws ec2 <args>` and decodes its JSON answer into out.
func (c *awsCLI) ec2(out any, args ...string) {
	c.t.Helper()
	full := append([]string{"--endpoint-url", c.endpoint, "--region", Region, "ec2"}, args...)
	full = append(full, "--output", "json")
	cmd := exec.Command(c.bin, full...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("aws ec2 %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		c.t.Fatalf("aws ec2 %s printed no JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
}

// TestAWSCLICompatibility drives ec2sim with the unchanged awscli: create a
// VPC and route table, list VPCs, create a gateway endpoint and find it with
// a type filter.
func TestAWSCLICompatibility(t *testing.T) {
	target := startSim(t)
	cli := newAWSCLI(t, target.Endpoint)

	var vpc struct {
		Vpc struct{ VpcId, CidrBlock string }
	}
	cli.ec2(&vpc, "create-vpc", "--cidr-block", "10.42.0.0/16")
	if !strings.HasPrefix(vpc.Vpc.VpcId, "vpc-") || vpc.Vpc.CidrBlock != "10.42.0.0/16" {
		t.Fatalf("create-vpc answered %+v", vpc)
	}

	var vpcs struct {
		Vpcs []struct{ VpcId, CidrBlock string }
	}
	cli.ec2(&vpcs, "describe-vpcs")
	found := false
	for _, v := range vpcs.Vpcs {
		found = found || (v.VpcId == vpc.Vpc.VpcId && v.CidrBlock == "10.42.0.0/16")
	}
	if !found {
		t.Fatalf("describe-vpcs does not list %s with its CIDR: %+v", vpc.Vpc.VpcId, vpcs)
	}

	var rtb struct{ RouteTable struct{ RouteTableId string } }
	cli.ec2(&rtb, "create-route-table", "--vpc-id", vpc.Vpc.VpcId)
	if !strings.HasPrefix(rtb.RouteTable.RouteTableId, "rtb-") {
		t.Fatalf("create-route-table answered %+v", rtb)
	}

	var created struct {
		VpcEndpoint struct {
			VpcEndpointId, VpcEndpointType, ServiceName, VpcId string
			RouteTableIds                                      []string
		}
	}
	cli.ec2(&created, "create-vpc-endpoint", "--vpc-id", vpc.Vpc.VpcId,
		"--service-name", serviceName("s3"), "--route-table-ids", rtb.RouteTable.RouteTableId)
	ep := created.VpcEndpoint
	if !endpointIDPattern.MatchString(ep.VpcEndpointId) || ep.VpcEndpointType != "Gateway" ||
		ep.ServiceName != serviceName("s3") || ep.VpcId != vpc.Vpc.VpcId ||
		len(ep.RouteTableIds) != 1 || ep.RouteTableIds[0] != rtb.RouteTable.RouteTableId {
		t.Fatalf("create-vpc-endpoint answered %+v", created)
	}

	var described struct {
		VpcEndpoints []struct{ VpcEndpointId, VpcEndpointType string }
	}
	cli.ec2(&described, "describe-vpc-endpoints", "--filters", "Name=vpc-endpoint-type,Values=Gateway")
	if len(described.VpcEndpoints) != 1 || described.VpcEndpoints[0].VpcEndpointId != ep.VpcEndpointId ||
		described.VpcEndpoints[0].VpcEndpointType != "Gateway" {
		t.Fatalf("describe-vpc-endpoints with a Gateway filter answered %+v", described)
	}

	var none struct {
		VpcEndpoints []struct{ VpcEndpointId string }
	}
	cli.ec2(&none, "describe-vpc-endpoints", "--filters", "Name=vpc-endpoint-type,Values=Interface")
	if len(none.VpcEndpoints) != 0 {
		t.Fatalf("describe-vpc-endpoints with an Interface filter answered %+v", none)
	}
}
