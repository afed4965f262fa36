package v1alpha1_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// policyCause is one error the apiserver must report for a policy: the field it names
// and a fragment of its message.
type policyCause struct{ field, message string }

// policyCase is a spec.policy (YAML, merged into each kind's base spec) and what the
// apiserver must answer: nothing for a valid policy, else every cause in one rejection.
type policyCase struct {
	name   string
	policy string
	want   []policyCause
	// typeError is set when the policy has a wrong type, which the apiserver reports
	// alone: it skips every CEL rule of the object after a type error.
	typeError bool
}

// statementNotList is what the apiserver says about a Statement that is not a list.
const statementNotList = "must be of type array"

// notAllChecked is what the apiserver adds when a type error kept it from running the CEL rules.
const notAllChecked = "some validation rules were not checked"

var policyCases = []policyCase{
	// Valid documents, in the forms AWS documents.
	{name: "README example", policy: `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: ["s3:GetObject", "s3:ListBucket"], Resource: "*"}]}`},
	{name: "AWS default policy", policy: `{Version: "2008-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*"}]}`},
	{name: "no Version", policy: `{Statement: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*"}]}`},
	{name: "Id, Sid and Condition", policy: `{Version: "2012-10-17", Id: endpoint-policy, Statement: [{Sid: OnlyMyAccount, Effect: Allow, Principal: "*", Action: "*", Resource: "*",
		Condition: {StringEquals: {"aws:PrincipalAccount": ["123456789012"]}}}]}`},
	{name: "NotAction, NotResource and a principal object", policy: `{Version: "2012-10-17", Statement: [
		{Effect: Deny, Principal: {AWS: ["arn:aws:iam::123456789012:root"]}, NotAction: "s3:Get*", NotResource: ["arn:aws:s3:::logs/*"]}]}`},
	{name: "NotPrincipal", policy: `{Version: "2012-10-17", Statement: [{Effect: Deny, NotPrincipal: {AWS: "arn:aws:iam::123456789012:root"}, Action: "*", Resource: "*"}]}`},
	{name: "several statements", policy: `{Version: "2012-10-17", Statement: [
		{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"},
		{Effect: Deny, Principal: "*", Action: "s3:DeleteObject", Resource: "*"}]}`},

	// The mistakes of the issue, one at a time.
	{name: "Effect in lower case", policy: `{Version: "2012-10-17", Statement: [{Effect: allow, Principal: "*", Action: "*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Effect", `Effect must be "Allow" or "Deny" (case-sensitive), not "allow"`}}},
	{name: "Actions instead of Action", policy: `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Actions: ["s3:GetObject"], Resource: "*"}]}`,
		want: []policyCause{
			{"spec.policy.Statement[0].Action", "Action is missing"},
			{"spec.policy.Statement[0]", "a statement takes only the keys Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource and Condition"},
		}},
	{name: "Statement a single object", policy: `{Version: "2012-10-17", Statement: {Effect: Allow, Principal: "*", Action: "*", Resource: "*"}}`,
		want: []policyCause{{"spec.policy.Statement", statementNotList}}, typeError: true},
	{name: "Statement a string", policy: `{Version: "2012-10-17", Statement: "Allow everything"}`,
		want: []policyCause{{"spec.policy.Statement", statementNotList}}, typeError: true},

	// Every other rule.
	{name: "Effect missing", policy: `{Statement: [{Principal: "*", Action: "*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Effect", `Effect is missing: set it to "Allow" or "Deny"`}}},
	{name: "Action and NotAction", policy: `{Statement: [{Effect: Allow, Principal: "*", Action: "*", NotAction: "s3:*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Action", "set Action or NotAction, not both"}}},
	{name: "Resource missing", policy: `{Statement: [{Effect: Allow, Principal: "*", Action: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Resource", "Resource is missing"}}},
	{name: "Resource and NotResource", policy: `{Statement: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*", NotResource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Resource", "set Resource or NotResource, not both"}}},
	{name: "Principal missing", policy: `{Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Principal", "Principal is missing: VPC endpoint policies need one in every statement"}}},
	{name: "Principal and NotPrincipal", policy: `{Statement: [{Effect: Deny, Principal: "*", NotPrincipal: {AWS: "*"}, Action: "*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Principal", "set Principal or NotPrincipal, not both"}}},
	{name: "Condition misspelt", policy: `{Statement: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*", Conditions: {Bool: {"aws:SecureTransport": "true"}}}]}`,
		want: []policyCause{{"spec.policy.Statement[0]", "a statement takes only the keys"}}},
	{name: "Version of another year", policy: `{Version: "2012-10-18", Statement: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Version", `Version must be "2012-10-17" (or the older "2008-10-17"), not "2012-10-18"`}}},
	{name: "Statements instead of Statement", policy: `{Version: "2012-10-17", Statements: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*"}]}`,
		want: []policyCause{
			{"spec.policy.Statement", "Statement is missing: list at least one statement, or remove spec.policy"},
			{"spec.policy", "a policy takes only the keys Version, Id and Statement"},
		}},
	{name: "Statement empty", policy: `{Version: "2012-10-17", Statement: []}`,
		want: []policyCause{{"spec.policy.Statement", "Statement is empty"}}},
	{name: "policy empty", policy: `{}`,
		want: []policyCause{{"spec.policy.Statement", "Statement is missing"}}},
	{name: "statement not an object", policy: `{Statement: ["Allow *"]}`,
		want: []policyCause{{"spec.policy.Statement[0]", "must be of type object"}}, typeError: true},
	{name: "Effect not a string", policy: `{Statement: [{Effect: true, Principal: "*", Action: "*", Resource: "*"}]}`,
		want: []policyCause{{"spec.policy.Statement[0].Effect", "must be of type string"}}, typeError: true},

	// Every mistake of a document in one answer.
	{name: "every mistake at once", policy: `{Version: "2012-10-18", Id: x, Comment: "not a policy key", Statement: [
		{Effect: allow, Actions: ["s3:GetObject"], Principal: "*"},
		{Effect: Allow, Principal: "*", NotPrincipal: "*", Action: "*", NotAction: "s3:*", Resource: "*", NotResource: "*"},
		{Sid: fine, Effect: Deny, Principal: "*", Action: "*", Resource: "*"}]}`,
		want: []policyCause{
			{"spec.policy.Version", `not "2012-10-18"`},
			{"spec.policy", "a policy takes only the keys Version, Id and Statement"},
			{"spec.policy.Statement[0].Effect", `not "allow"`},
			{"spec.policy.Statement[0].Action", "Action is missing"},
			{"spec.policy.Statement[0].Resource", "Resource is missing"},
			{"spec.policy.Statement[0]", "a statement takes only the keys"},
			{"spec.policy.Statement[1].Principal", "set Principal or NotPrincipal, not both"},
			{"spec.policy.Statement[1].Action", "set Action or NotAction, not both"},
			{"spec.policy.Statement[1].Resource", "set Resource or NotResource, not both"},
		}},
}

// TestPolicyValidation sends each policy of policyCases to the apiserver in an object
// of each kind and checks that valid documents are accepted and that invalid ones are
// refused with every expected cause, and no other, in the one answer.
func TestPolicyValidation(t *testing.T) {
	const namespace = "policies"
	ensureNamespace(t, namespace)
	for i, tc := range policyCases {
		for _, kind := range []string{gatewayKind, interfaceKind} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				obj := patchedObject(t, kind, namespace, fmt.Sprintf("%s-%02d", strings.ToLower(kind), i), "policy: "+tc.policy)
				err := env.Client.Create(context.Background(), obj)
				if len(tc.want) == 0 {
					if err != nil {
						t.Fatalf("valid policy refused: %v", err)
					}
					return
				}
				assertRejectedWithExactly(t, err, tc.want, tc.typeError)
			})
		}
	}
}

// TestPolicyValidationOnUpdate checks that a valid object cannot be updated to a
// malformed policy: the rules apply to updates, not only to creates.
func TestPolicyValidationOnUpdate(t *testing.T) {
	const namespace = "policy-updates"
	ensureNamespace(t, namespace)
	ctx := context.Background()
	valid := `policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}]}`
	obj := patchedObject(t, gatewayKind, namespace, "edited", valid)
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatalf("create: %v", err)
	}
	updated := patchedObject(t, gatewayKind, namespace, "edited", valid, `policy: {Statement: [{Effect: allow}]}`)
	updated.SetResourceVersion(obj.GetResourceVersion())
	assertRejectedWithExactly(t, env.Client.Update(ctx, updated), []policyCause{
		{"spec.policy.Statement[0].Effect", `not "allow"`},
		// The merge patch replaced the statement list: the new statement lacks the rest.
		{"spec.policy.Statement[0].Principal", "Principal is missing"},
		{"spec.policy.Statement[0].Action", "Action is missing"},
		{"spec.policy.Statement[0].Resource", "Resource is missing"},
	}, false)
}

// assertRejectedWithExactly checks that err is the apiserver's Invalid error whose
// causes are exactly want (matched by field and message fragment), plus the note that
// not every rule ran when typeError is set.
func assertRejectedWithExactly(t *testing.T, err error, want []policyCause, typeError bool) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want rejection with %v", want)
	}
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
		t.Fatalf("error = %v; want an Invalid error", err)
	}
	causes := status.Status().Details.Causes
	matched := make([]bool, len(causes))
	for _, w := range want {
		found := false
		for i, cause := range causes {
			if !matched[i] && cause.Field == w.field && strings.Contains(cause.Message, w.message) {
				matched[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no cause %s with %q", w.field, w.message)
		}
	}
	for i, cause := range causes {
		if matched[i] {
			continue
		}
		if typeError && strings.Contains(cause.Message, notAllChecked) {
			continue
		}
		t.Errorf("unexpected cause %s: %s", cause.Field, cause.Message)
	}
	if t.Failed() {
		t.Logf("the apiserver said:\n%s", describeCauses(causes))
	}
}
