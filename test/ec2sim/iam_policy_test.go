package ec2sim

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// call is one authorizer call of the evaluation tables.
type call struct {
	name   string
	action string
	params url.Values
	tags   map[string]string
	allow  bool
}

func runCalls(t *testing.T, doc string, calls []call) {
	t.Helper()
	auth, err := PolicyAuthorizer([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		err := auth(c.action, c.params, c.tags)
		if (err == nil) != c.allow {
			t.Errorf("%s: %s allowed = %v, want %v (%v)", c.name, c.action, err == nil, c.allow, err)
		}
	}
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// withTags adds TagSpecification.1 of resource type rt with the given tags.
func withTags(v url.Values, rt string, kv ...string) url.Values {
	v.Set("TagSpecification.1.ResourceType", rt)
	for i := 0; i+1 < len(kv); i += 2 {
		n := "TagSpecification.1.Tag." + string(rune('1'+i/2))
		v.Set(n+".Key", kv[i])
		v.Set(n+".Value", kv[i+1])
	}
	return v
}

func TestControllerPolicyFile(t *testing.T) {
	doc, err := os.ReadFile("../../config/iam/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	owned := map[string]string{"vpce.dev/cluster": "c1"}
	gw := func() url.Values { return vals("VpcId", "vpc-1", "ServiceName", "s3", "RouteTableId.1", "rtb-1") }
	runCalls(t, string(doc), []call{
		{"describe", "DescribeVpcEndpoints", vals("VpcEndpointId.1", "vpce-1"), nil, true},
		{"create tagged", "CreateVpcEndpoint", withTags(gw(), "vpc-endpoint", "vpce.dev/cluster", "c1"), nil, true},
		{"create untagged", "CreateVpcEndpoint", gw(), nil, false},
		{"create tagged for another type", "CreateVpcEndpoint", withTags(gw(), "security-group", "vpce.dev/cluster", "c1"), nil, false},
		{"create without the cluster tag", "CreateVpcEndpoint", withTags(gw(), "vpc-endpoint", "Name", "x"), nil, false},
		{"group tagged", "CreateSecurityGroup", withTags(vals("VpcId", "vpc-1"), "security-group", "vpce.dev/cluster", ""), nil, true},
		{"group untagged", "CreateSecurityGroup", vals("VpcId", "vpc-1"), nil, false},
		{"modify owned", "ModifyVpcEndpoint", vals("VpcEndpointId", "vpce-1", "AddSubnetId.1", "subnet-1"), owned, true},
		{"modify foreign", "ModifyVpcEndpoint", vals("VpcEndpointId", "vpce-1"), map[string]string{"team": "x"}, false},
		{"delete owned", "DeleteVpcEndpoints", vals("VpcEndpointId.1", "vpce-1"), owned, true},
		{"delete untagged", "DeleteVpcEndpoints", vals("VpcEndpointId.1", "vpce-1"), nil, false},
		{"delete unknown", "DeleteVpcEndpoints", vals("VpcEndpointId.1", "vpce-1"), nil, false},
		{"ingress owned", "AuthorizeSecurityGroupIngress", vals("GroupId", "sg-1"), owned, true},
		{"ingress foreign", "RevokeSecurityGroupIngress", vals("GroupId", "sg-1"), nil, false},
		{"egress owned", "AuthorizeSecurityGroupEgress", vals("GroupId", "sg-1"), owned, true},
		{"egress foreign", "RevokeSecurityGroupEgress", vals("GroupId", "sg-1"), nil, false},
		{"instance connect endpoint tagged", "CreateInstanceConnectEndpoint", withTags(vals("SubnetId", "subnet-1", "SecurityGroupId.1", "sg-1"), "instance-connect-endpoint", "vpce.dev/cluster", "c1"), nil, true},
		{"instance connect endpoint untagged", "CreateInstanceConnectEndpoint", vals("SubnetId", "subnet-1"), nil, false},
		{"modify owned instance connect endpoint", "ModifyInstanceConnectEndpoint", vals("InstanceConnectEndpointId", "eice-1", "SecurityGroupId.1", "sg-2"), owned, true},
		{"modify foreign instance connect endpoint", "ModifyInstanceConnectEndpoint", vals("InstanceConnectEndpointId", "eice-1"), nil, false},
		{"delete owned instance connect endpoint", "DeleteInstanceConnectEndpoint", vals("InstanceConnectEndpointId", "eice-1"), owned, true},
		{"delete foreign instance connect endpoint", "DeleteInstanceConnectEndpoint", vals("InstanceConnectEndpointId", "eice-1"), map[string]string{"team": "x"}, false},
		{"tag owned instance connect endpoint", "CreateTags", vals("ResourceId.1", "eice-1", "Tag.1.Key", "team"), owned, true},
		{"claim foreign instance connect endpoint", "CreateTags", vals("ResourceId.1", "eice-1", "Tag.1.Key", "vpce.dev/cluster", "Tag.1.Value", "c1"), nil, false},
		{"delete group owned", "DeleteSecurityGroup", vals("GroupId", "sg-1"), owned, true},
		{"tag owned", "CreateTags", vals("ResourceId.1", "vpce-1", "Tag.1.Key", "team"), owned, true},
		{"claim foreign endpoint (adoption is opt-in)", "CreateTags", vals("ResourceId.1", "vpce-1", "Tag.1.Key", "vpce.dev/cluster", "Tag.1.Value", "c1"), nil, false},
		{"retag owned with the cluster tag", "CreateTags", vals("ResourceId.1", "vpce-1", "Tag.1.Key", "vpce.dev/cluster", "Tag.1.Value", "c2"), owned, false},
		{"tag foreign endpoint", "CreateTags", vals("ResourceId.1", "vpce-1", "Tag.1.Key", "team"), nil, false},
		{"claim foreign group", "CreateTags", vals("ResourceId.1", "sg-1", "Tag.1.Key", "vpce.dev/cluster"), nil, false},
		{"claim a subnet", "CreateTags", vals("ResourceId.1", "subnet-1", "Tag.1.Key", "vpce.dev/cluster"), nil, false},
		{"untag owned", "DeleteTags", vals("ResourceId.1", "vpce-1", "ResourceId.2", "sg-1", "Tag.1.Key", "vpce.dev/cluster"), owned, true},
		{"untag foreign", "DeleteTags", vals("ResourceId.1", "vpce-1", "Tag.1.Key", "Name"), nil, false},
		{"vpc dns", "ModifyVpcAttribute", vals("VpcId", "vpc-1", "EnableDnsSupport.Value", "true"), nil, true},
		{"terminate", "TerminateInstances", vals("InstanceId.1", "i-1"), owned, false},
		{"run instances", "RunInstances", withTags(vals("ImageId", "ami-1"), "instance", "vpce.dev/cluster", "c1"), nil, false},
		{"new vpc", "CreateVpc", withTags(vals("CidrBlock", "10.0.0.0/16"), "vpc", "vpce.dev/cluster", "c1"), nil, false},
		{"delete vpc", "DeleteVpc", vals("VpcId", "vpc-1"), nil, false},
	})
}

func TestPolicyConditions(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
	  {"Effect":"Allow","Action":["EC2:deletevpcendpoints"],"Resource":"arn:aws:ec2:*:*:vpc-endpoint/*",
	   "Condition":{"StringEquals":{"aws:ResourceTag/vpce.dev/cluster":"prod"}}},
	  {"Effect":"Allow","Action":"ec2:CreateVpcEndpoint","Resource":"*",
	   "Condition":{"StringLike":{"aws:RequestTag/team":"web-*"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","Name"]}}},
	  {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*",
	   "Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner","team"]},"StringEquals":{"ec2:CreateAction":"CreateVpcEndpoint"}}},
	  {"Effect":"Allow","Action":"ec2:ModifyVpcEndpoint","Resource":"*",
	   "Condition":{"StringNotEquals":{"ec2:ResourceTag/env":"prod"},"BoolIfExists":{"aws:SecureTransport":"true"}}},
	  {"Effect":"Deny","Action":"ec2:ModifyVpcEndpoint","Resource":"*","Condition":{"Null":{"aws:ResourceTag/frozen":"false"}}},
	  {"Effect":"Allow","Action":"ec2:CreateVpcEndpoint","Resource":"arn:aws:ec2:*:*:vpc/*"}
	]}`
	create := func(kv ...string) url.Values { return withTags(vals("VpcId", "vpc-1"), "vpc-endpoint", kv...) }
	runCalls(t, doc, []call{
		{"wildcard action", "DescribeSubnets", nil, nil, true},
		{"StringEquals match, action case", "DeleteVpcEndpoints", vals("VpcEndpointId.1", "vpce-1"), map[string]string{"vpce.dev/cluster": "prod"}, true},
		{"StringEquals other value", "DeleteVpcEndpoints", vals("VpcEndpointId.1", "vpce-1"), map[string]string{"vpce.dev/cluster": "dev"}, false},
		{"resource type differs", "DeleteVpcEndpoints", vals("VpcEndpointId.1", "sg-1"), map[string]string{"vpce.dev/cluster": "prod"}, false},
		{"StringLike + ForAllValues", "CreateVpcEndpoint", create("team", "web-1", "Name", "n"), nil, true},
		{"StringLike mismatch", "CreateVpcEndpoint", create("team", "db-1"), nil, false},
		{"ForAllValues extra key", "CreateVpcEndpoint", create("team", "web-1", "x", "y"), nil, false},
		{"CreateTags outside a create", "CreateTags", vals("ResourceId.1", "vpce-1", "Tag.1.Key", "owner"), nil, false},
		{"StringNotEquals with key missing", "ModifyVpcEndpoint", vals("VpcEndpointId", "vpce-1"), nil, true},
		{"StringNotEquals failing", "ModifyVpcEndpoint", vals("VpcEndpointId", "vpce-1"), map[string]string{"env": "prod"}, false},
		{"explicit deny wins", "ModifyVpcEndpoint", vals("VpcEndpointId", "vpce-1"), map[string]string{"frozen": "1"}, false},
		{"implicit deny", "TerminateInstances", nil, nil, false},
	})
	// The tag-on-create check fails without its CreateTags statement.
	noTagging := strings.Replace(doc, `"ec2:CreateTags"`, `"ec2:CreateTagz"`, 1)
	runCalls(t, noTagging, []call{{"tag on create without CreateTags", "CreateVpcEndpoint", create("team", "web-1"), nil, false}})
	// A RequestTag condition on "*" fails for the VPC, which the request does not tag.
	onStar := strings.Replace(doc, `"Resource":"arn:aws:ec2:*:*:vpc/*"`, `"Resource":"arn:aws:ec2:*:*:nothing/*"`, 1)
	runCalls(t, onStar, []call{{"request tags on the VPC", "CreateVpcEndpoint", create("team", "web-1"), nil, false}})
	runCalls(t, `{"Statement":[{"Effect":"Allow","NotAction":["ec2:*Instances","ec2:Describe*"],"NotResource":"arn:aws:ec2:*:*:vpc/*"}]}`, []call{
		{"NotAction/NotResource allow", "CreateSubnet", vals("CidrBlock", "10.0.0.0/24"), nil, true},
		{"NotResource excludes", "DeleteVpc", vals("VpcId", "vpc-1"), nil, false},
		{"NotAction excludes", "TerminateInstances", vals("InstanceId.1", "i-1"), nil, false},
	})
}

func TestPolicyParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":          `{`,
		"no statements":     `{"Statement":[]}`,
		"bad effect":        `{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}`,
		"no action":         `{"Statement":{"Effect":"Allow","Resource":"*"}}`,
		"no resource":       `{"Statement":{"Effect":"Allow","Action":"*"}}`,
		"unknown operator":  `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}`,
		"unknown qualifier": `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a":"b"}}}}`,
		"object value":      `{"Statement":{"Effect":"Allow","Action":{"a":1},"Resource":"*"}}`,
	} {
		if _, err := PolicyAuthorizer([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbc", true}, {"a*c", "abcd", false}, {"a?c", "abc", true},
		{"arn:aws:ec2:*:*:vpc/*", "arn:aws:ec2:us-east-1:1:vpc/vpc-1", true},
		{"arn:aws:ec2:*:*:vpc/*", "arn:aws:ec2:us-east-1:1:vpc-endpoint/vpce-1", false},
		{"*b*b", "abab", true}, {"", "a", false},
	} {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
