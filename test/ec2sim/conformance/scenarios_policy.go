package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// policyScenarios cover endpoint policy documents.
func policyScenarios() []Scenario {
	return []Scenario{{
		Name:      "default-policy",
		Behaviour: "an endpoint created without a policy gets the default full-access policy (Allow, Principal `*`, Action `*`, Resource `*`)",
		Source:    "EC2 API reference: CreateVpcEndpoint (PolicyDocument: \"If this parameter is not specified, we attach a default policy that allows full access to the service\")",
		Check:     checkDefaultPolicy,
	}, {
		Name:      "reset-policy",
		Behaviour: "ModifyVpcEndpoint ResetPolicy replaces a custom policy with the default full-access policy",
		Source:    "EC2 API reference: ModifyVpcEndpoint (ResetPolicy: reset the policy document to the default policy, which allows full access to the service)",
		Check:     checkResetPolicy,
	}, {
		Name:      "policy-too-long",
		Behaviour: "a policy document over 20,480 characters is rejected",
		Source:    "AWS PrivateLink guide: Control access to VPC endpoints using endpoint policies (maximum policy size 20,480 characters, white space included); EC2 API reference: CreateVpcEndpoint (PolicyDocument)",
		Check:     checkPolicyTooLong,
	}, {
		Name:      "policy-not-json",
		Behaviour: "a policy document that is not JSON is rejected",
		Source:    "EC2 API reference: CreateVpcEndpoint (PolicyDocument: \"The policy must be in valid JSON format\")",
		Check:     checkPolicyNotJSON,
	}}
}

// customPolicy is a valid policy that differs from the default one.
const customPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`

// isFullAccessPolicy reports whether doc grants everything to everyone in
// one Allow statement, as AWS's default endpoint policy does.
func isFullAccessPolicy(doc string) bool {
	var p struct {
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil || len(p.Statement) != 1 {
		return false
	}
	st := p.Statement[0]
	return st["Effect"] == "Allow" && isStar(st["Principal"]) && isStar(st["Action"]) && isStar(st["Resource"])
}

// isStar reports whether a policy element is "*" or ["*"].
func isStar(v any) bool {
	switch v := v.(type) {
	case string:
		return v == "*"
	case []any:
		return len(v) == 1 && v[0] == "*"
	}
	return false
}

func checkDefaultPolicy(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables)
	if err != nil {
		return err
	}
	got, err := env.endpoint(ctx, aws.ToString(ep.VpcEndpointId))
	if err != nil {
		return err
	}
	if !isFullAccessPolicy(aws.ToString(got.PolicyDocument)) {
		return fmt.Errorf("policy document is not the default full-access policy")
	}
	return nil
}

func checkResetPolicy(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	in := gatewayInput(n.VpcID, n.RouteTables, "conformance-token-5")
	in.PolicyDocument = aws.String(customPolicy)
	out, err := env.Client.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return stepErr("CreateVpcEndpoint", err)
	}
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	ep, err := env.waitState(ctx, id, "available")
	if err != nil {
		return err
	}
	if isFullAccessPolicy(aws.ToString(ep.PolicyDocument)) {
		return fmt.Errorf("the custom policy given on create was not kept")
	}
	if _, err := env.Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: aws.String(id), ResetPolicy: aws.Bool(true),
	}); err != nil {
		return stepErr("ModifyVpcEndpoint ResetPolicy", err)
	}
	return env.eventually(ctx, func() error {
		ep, err := env.endpoint(ctx, id)
		if err != nil {
			return err
		}
		if !isFullAccessPolicy(aws.ToString(ep.PolicyDocument)) {
			return fmt.Errorf("after ResetPolicy the policy is not the default full-access policy")
		}
		return nil
	})
}

// longPolicy returns a valid JSON policy longer than 20,480 characters.
func longPolicy() string {
	actions := make([]string, 0, 1200)
	for i := 0; len(strings.Join(actions, ",")) < 21000; i++ {
		actions = append(actions, fmt.Sprintf(`"s3:GetObjectVersion%04d"`, i))
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":[` +
		strings.Join(actions, ",") + `],"Resource":"*"}]}`
}

func checkPolicyTooLong(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	in := gatewayInput(n.VpcID, n.RouteTables, "conformance-token-6")
	in.PolicyDocument = aws.String(longPolicy())
	_, err = env.Client.CreateVpcEndpoint(ctx, in)
	return wantFailure("CreateVpcEndpoint with a 21,000-character policy", err)
}

func checkPolicyNotJSON(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	in := gatewayInput(n.VpcID, n.RouteTables, "conformance-token-7")
	in.PolicyDocument = aws.String("this is not a policy")
	_, err = env.Client.CreateVpcEndpoint(ctx, in)
	return wantFailure("CreateVpcEndpoint with a non-JSON policy", err)
}
