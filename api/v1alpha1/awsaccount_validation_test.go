package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	networkingv1alpha1 "github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// baseAccountSpec is a small valid AWSAccount spec that cases patch.
const baseAccountSpec = `
roleARN: arn:aws:iam::222222222222:role/vpce-controller
namespaceSelector: {matchLabels: {tenant: a}}
`

func accountObject(t *testing.T, name string, patches ...string) *unstructured.Unstructured {
	t.Helper()
	spec := mustParseYAMLMap(t, baseAccountSpec)
	for _, patch := range patches {
		spec = mergePatch(spec, mustParseYAMLMap(t, patch)).(map[string]any)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	obj.SetAPIVersion(networkingv1alpha1.GroupVersion.String())
	obj.SetKind("AWSAccount")
	obj.SetName(name)
	return obj
}

// TestInvalidAccountsAreRejectedNamingTheField covers the AWSAccount schema and
// the immutability of spec.accountRef on both endpoint kinds.
func TestInvalidAccountsAreRejectedNamingTheField(t *testing.T) {
	cases := []struct {
		name, spec, wantField, wantMessage string
	}{
		{"role ARN of a user", `roleARN: arn:aws:iam::222222222222:user/someone`, "spec.roleARN", "should match '^arn:aws"},
		{"role ARN with a short account", `roleARN: arn:aws:iam::2222:role/x`, "spec.roleARN", "should match '^arn:aws"},
		{"role ARN of an unknown partition", `roleARN: arn:aws-eu:iam::222222222222:role/x`, "spec.roleARN", "should match '^arn:aws"},
		{"external ID without role", `{roleARN: null, externalID: abc123}`, "spec.externalID", "externalID needs roleARN"},
		{"external ID of one character", `externalID: a`, "spec.externalID", "should be at least 2 chars long"},
		{"external ID with a space", `externalID: "a b"`, "spec.externalID", "should match"},
		{"session tags without role", `{roleARN: null, sessionTags: {team: a}}`, "spec.sessionTags", "sessionTags needs roleARN"},
		{"session tag key too long", "sessionTags: {" + strings.Repeat("k", 129) + ": v}", "spec.sessionTags", "session tag keys must be 1 to 128 characters"},
		{"namespace selector missing", `namespaceSelector: null`, "spec.namespaceSelector", "Required value"},
		{"region upper-case", `allowedRegions: [EU-WEST-1]`, "spec.allowedRegions[0]", "should match"},
		{"allowed regions empty", `allowedRegions: []`, "spec.allowedRegions", "should have at least 1 items"},
		{"allowed VPCs without regions", `allowedVPCs: [{id: vpc-0a1b2c3d}]`, "spec.allowedVPCs", "allowedVPCs needs allowedRegions"},
		{"allowed VPC with id and tags", `{allowedRegions: [us-east-1], allowedVPCs: [{id: vpc-0a1b2c3d, tags: {env: prod}}]}`, "spec.allowedVPCs[0]", "set exactly one of id or tags in each allowedVPCs entry"},
		{"allowed VPC empty", `{allowedRegions: [us-east-1], allowedVPCs: [{}]}`, "spec.allowedVPCs[0]", "set exactly one of id or tags in each allowedVPCs entry"},
		{"allowed VPC id malformed", `{allowedRegions: [us-east-1], allowedVPCs: [{id: vpc-1}]}`, "spec.allowedVPCs[0].id", "should match '^vpc-"},
		{"allowed service upper-case", `allowedServices: [SSM]`, "spec.allowedServices[0]", "should match"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := env.Client.Create(context.Background(), accountObject(t, fmt.Sprintf("invalid-account-%02d", i), tc.spec))
			assertRejected(t, err, tc.wantField, tc.wantMessage)
		})
	}
}

func TestValidAccountsAreAccepted(t *testing.T) {
	cases := []struct{ name, spec string }{
		{"own identity for every namespace", `{roleARN: null, namespaceSelector: {}}`},
		{"china partition", `roleARN: arn:aws-cn:iam::222222222222:role/path/to/vpce`},
		{"govcloud partition with external ID and session tags", `{roleARN: "arn:aws-us-gov:iam::222222222222:role/vpce", externalID: "tenant-a:7f3e", sessionTags: {tenant: a, cluster: prod-eu}}`},
		{"every allow-list", `{allowedRegions: [us-east-1, eu-west-1], allowedVPCs: [{id: vpc-0a1b2c3d4e5f67890}, {tags: {env: prod}}], allowedServices: [s3, ecr.dkr, "com.amazonaws.vpce.*"], allowAdoption: true, allowVPCAttributeChanges: true}`},
		{"expression selector", `namespaceSelector: {matchExpressions: [{key: tenant, operator: In, values: [a, b]}]}`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj := accountObject(t, fmt.Sprintf("valid-account-%02d", i), tc.spec)
			var got networkingv1alpha1.AWSAccount
			createAndRead(t, obj, &got)
			if got.Spec.AllowAdoption != strings.Contains(tc.spec, "allowAdoption: true") {
				t.Errorf("allowAdoption = %v", got.Spec.AllowAdoption)
			}
		})
	}
}

func TestAccountRefIsImmutable(t *testing.T) {
	const namespace = "account-ref"
	ensureNamespace(t, namespace)
	cases := []struct {
		name, kind, spec, update, wantField, wantMessage string
	}{
		{"changed on a gateway endpoint", gatewayKind, `accountRef: {name: a}`, `accountRef: {name: b}`, "spec.accountRef", "accountRef is immutable"},
		{"added to an interface endpoint", interfaceKind, ``, `accountRef: {name: a}`, "spec.accountRef", "spec.accountRef is immutable: it cannot be added or removed after creation"},
		{"removed from a gateway endpoint", gatewayKind, `accountRef: {name: a}`, `accountRef: null`, "spec.accountRef", "spec.accountRef is immutable: it cannot be added or removed after creation"},
		{"name empty", interfaceKind, `accountRef: {name: ""}`, ``, "spec.accountRef.name", "should be at least 1 chars long"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			obj := patchedObject(t, tc.kind, namespace, fmt.Sprintf("ref-%02d", i), tc.spec)
			err := env.Client.Create(ctx, obj)
			if tc.update != "" {
				if err != nil {
					t.Fatalf("create before the update: %v", err)
				}
				updated := patchedObject(t, tc.kind, namespace, obj.GetName(), tc.spec, tc.update)
				updated.SetResourceVersion(obj.GetResourceVersion())
				err = env.Client.Update(ctx, updated)
			}
			assertRejected(t, err, tc.wantField, tc.wantMessage)
		})
	}
	// The same accountRef applied again is accepted.
	obj := patchedObject(t, gatewayKind, namespace, "same-ref", `accountRef: {name: a}`)
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	again := patchedObject(t, gatewayKind, namespace, "same-ref", `accountRef: {name: a}`, `tags: {team: x}`)
	again.SetResourceVersion(obj.GetResourceVersion())
	if err := env.Client.Update(context.Background(), again); err != nil {
		t.Fatalf("update keeping accountRef: %v", err)
	}
}
