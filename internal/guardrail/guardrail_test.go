package guardrail

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// account is the AWSAccount most cases check against: tenant a's namespaces, two
// regions, one VPC by ID and the prod-tagged VPCs, three services.
func account() *v1alpha1.AWSAccount {
	return &v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "tenant-a"},
		Spec: v1alpha1.AWSAccountSpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "a"}},
			AllowedRegions:    []string{"us-east-1", "eu-west-1"},
			AllowedVPCs:       []v1alpha1.VPCRule{{ID: "vpc-0000000a"}, {Tags: map[string]string{"env": "prod"}}},
			AllowedServices:   []string{"s3", "com.amazonaws.us-east-1.ssm", "com.amazonaws.vpce.*"},
		},
		Status: v1alpha1.AWSAccountStatus{
			AccountID: "222222222222",
			AllowedVPCs: []v1alpha1.AllowedVPC{
				{Region: "us-east-1", ID: "vpc-0000000a", Tags: map[string]string{"Name": "shared"}},
				{Region: "us-east-1", ID: "vpc-0000000b", Tags: map[string]string{"env": "prod", "team": "web"}},
				{Region: "eu-west-1", ID: "vpc-0000000c", Tags: map[string]string{"env": "prod"}},
			},
		},
	}
}

// allowed is an object tenant-a allows; cases change one thing.
func allowed() Object {
	return Object{
		Namespace: "team-a", NamespaceLabels: map[string]string{"tenant": "a"},
		Region: "us-east-1", VPCID: "vpc-0000000b", Service: "s3",
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		account func(*v1alpha1.AWSAccount)
		object  func(*Object)
		// want is the reason, "" for allowed; words must all be in the message.
		want  string
		words []string
	}{
		{name: "allowed as is"},
		{name: "namespace without the label", object: func(o *Object) { o.NamespaceLabels = map[string]string{"tenant": "b"} },
			want: v1alpha1.ReasonNamespaceNotAllowed, words: []string{"metadata.namespace", "AWSAccount tenant-a", "namespace team-a", "tenant=a"}},
		{name: "empty selector selects every namespace", account: func(a *v1alpha1.AWSAccount) { a.Spec.NamespaceSelector = metav1.LabelSelector{} },
			object: func(o *Object) { o.NamespaceLabels = nil }},
		{name: "selector by expression", account: func(a *v1alpha1.AWSAccount) {
			a.Spec.NamespaceSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tenant", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}}}
		}, object: func(o *Object) { o.NamespaceLabels = map[string]string{"tenant": "b"} }},
		{name: "region not allowed", object: func(o *Object) { o.Region = "ap-south-1" },
			want: v1alpha1.ReasonRegionNotAllowed, words: []string{"spec.region", "AWSAccount tenant-a", "ap-south-1", "us-east-1, eu-west-1"}},
		{name: "any region when none listed", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowedRegions, a.Spec.AllowedVPCs = nil, nil },
			object: func(o *Object) { o.Region = "ap-south-1" }},
		{name: "VPC allowed by ID", object: func(o *Object) { o.VPCID = "vpc-0000000a" }},
		{name: "VPC allowed by ID in another region too", object: func(o *Object) { o.VPCID, o.Region = "vpc-0000000a", "eu-west-1" }},
		{name: "VPC allowed by its listed tags", object: func(o *Object) { o.VPCID = "vpc-0000000b" }},
		{name: "VPC listed in another region only", object: func(o *Object) { o.VPCID = "vpc-0000000c" },
			want: v1alpha1.ReasonVPCNotAllowed, words: []string{"spec.vpc.id", "vpc-0000000c", "AWSAccount tenant-a", "vpc-0000000a, tags {env=prod}", "in us-east-1 those are vpc-0000000a, vpc-0000000b"}},
		{name: "VPC not allowed", object: func(o *Object) { o.VPCID = "vpc-0000000f" },
			want: v1alpha1.ReasonVPCNotAllowed, words: []string{"spec.vpc.id", "vpc-0000000f"}},
		{name: "VPC tags include an allowed rule", object: func(o *Object) { o.VPCID, o.VPCTags = "", map[string]string{"env": "prod", "team": "db"} }},
		{name: "VPC tags match a listed VPC", object: func(o *Object) { o.VPCID, o.VPCTags = "", map[string]string{"team": "web"} }},
		{name: "VPC tags match the VPC allowed by ID", object: func(o *Object) { o.VPCID, o.VPCTags = "", map[string]string{"Name": "shared"} }},
		{name: "VPC tags match no allowed VPC", object: func(o *Object) { o.VPCID, o.VPCTags = "", map[string]string{"env": "dev"} },
			want: v1alpha1.ReasonVPCNotAllowed, words: []string{"spec.vpc.tags", "{env=dev}", "AWSAccount tenant-a"}},
		{name: "VPC tags of a VPC listed in another region", object: func(o *Object) { o.Region, o.VPCID, o.VPCTags = "eu-west-1", "", map[string]string{"team": "web"} },
			want: v1alpha1.ReasonVPCNotAllowed, words: []string{"in eu-west-1 those are vpc-0000000c"}},
		{name: "nothing listed yet", account: func(a *v1alpha1.AWSAccount) { a.Status.AllowedVPCs = nil },
			want: v1alpha1.ReasonVPCNotAllowed, words: []string{"none of them is listed in us-east-1"}},
		{name: "short service allowed", object: func(o *Object) { o.Service = "s3" }},
		{name: "full service name of an allowed short one", object: func(o *Object) { o.Service = "com.amazonaws.us-east-1.s3" }},
		{name: "short service of an allowed full one", object: func(o *Object) { o.Service = "ssm" }},
		{name: "allowed full name of another region", object: func(o *Object) { o.Region, o.VPCID, o.Service = "eu-west-1", "vpc-0000000c", "ssm" },
			want: v1alpha1.ReasonServiceNotAllowed, words: []string{"spec.service", "com.amazonaws.eu-west-1.ssm", "AWSAccount tenant-a", "s3, com.amazonaws.us-east-1.ssm, com.amazonaws.vpce.*"}},
		{name: "PrivateLink service by wildcard", object: func(o *Object) { o.Service = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0" }},
		{name: "service not allowed", object: func(o *Object) { o.Service = "ecr.dkr" },
			want: v1alpha1.ReasonServiceNotAllowed, words: []string{"spec.service", "com.amazonaws.us-east-1.ecr.dkr"}},
		{name: "wildcard of short names", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowedServices = []string{"ecr.*"} },
			object: func(o *Object) { o.Service = "ecr.dkr" }},
		{name: "Instance Connect Endpoint not in allowedServices", object: func(o *Object) { o.Service, o.InstanceConnect = "", true },
			want: v1alpha1.ReasonServiceNotAllowed, words: []string{"kind InstanceConnectEndpoint", "AWSAccount tenant-a", "add ec2-instance-connect-endpoint to spec.allowedServices"}},
		{name: "Instance Connect Endpoint allowed by name", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowedServices = []string{"s3", "ec2-instance-connect-endpoint"} },
			object: func(o *Object) { o.Service, o.InstanceConnect = "", true }},
		{name: "Instance Connect Endpoint allowed by *", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowedServices = []string{"*"} },
			object: func(o *Object) { o.Service, o.InstanceConnect = "", true }},
		{name: "Instance Connect Endpoint allowed when no service is listed", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowedServices = nil },
			object: func(o *Object) { o.Service, o.InstanceConnect = "", true }},
		{name: "PrivateLink wildcard does not allow Instance Connect Endpoints", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowedServices = []string{"com.amazonaws.vpce.*"} },
			object: func(o *Object) { o.Service, o.InstanceConnect = "", true }, want: v1alpha1.ReasonServiceNotAllowed},
		{name: "adoption refused by default", object: func(o *Object) { o.EndpointID = "vpce-0000000000000000a" },
			want: v1alpha1.ReasonAdoptionNotAllowed, words: []string{"spec.endpointID", "AWSAccount tenant-a", "spec.allowAdoption is false"}},
		{name: "adoption allowed", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowAdoption = true },
			object: func(o *Object) { o.EndpointID = "vpce-0000000000000000a" }},
		{name: "VPC attributes refused by default", object: func(o *Object) { o.EnsureVPCAttributes = true },
			want: v1alpha1.ReasonVPCAttributeChangesNotAllowed, words: []string{"spec.privateDNS.ensureVPCAttributes", "AWSAccount tenant-a", "spec.allowVPCAttributeChanges is false"}},
		{name: "VPC attributes allowed", account: func(a *v1alpha1.AWSAccount) { a.Spec.AllowVPCAttributeChanges = true },
			object: func(o *Object) { o.EnsureVPCAttributes = true }},
		{name: "account moved to another AWS account", object: func(o *Object) { o.RecordedAccountID, o.RecordedEndpointID = "111111111111", "vpce-0000000000000000a" },
			want: v1alpha1.ReasonAccountChanged, words: []string{"status.accountID", "vpce-0000000000000000a", "account 111111111111", "AWSAccount tenant-a", "account 222222222222"}},
		{name: "same AWS account recorded", object: func(o *Object) { o.RecordedAccountID, o.RecordedEndpointID = "222222222222", "vpce-0000000000000000a" }},
		{name: "namespace is checked first", object: func(o *Object) {
			o.NamespaceLabels, o.Region, o.EndpointID = nil, "ap-south-1", "vpce-0000000000000000a"
		},
			want: v1alpha1.ReasonNamespaceNotAllowed},
		{name: "an unrestricted account allows everything", account: func(a *v1alpha1.AWSAccount) {
			a.Spec = v1alpha1.AWSAccountSpec{AllowAdoption: true, AllowVPCAttributeChanges: true}
		}, object: func(o *Object) {
			*o = Object{Namespace: "x", Region: "ap-south-1", VPCID: "vpc-0000000f", Service: "anything", EndpointID: "vpce-0000000000000000a", EnsureVPCAttributes: true}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := account()
			if tc.account != nil {
				tc.account(a)
			}
			o := allowed()
			if tc.object != nil {
				tc.object(&o)
			}
			p, err := FromAccount(a)
			if err != nil {
				t.Fatal(err)
			}
			got := Check(p, o)
			switch {
			case tc.want == "" && got != nil:
				t.Fatalf("refused: %v", got)
			case tc.want != "" && got == nil:
				t.Fatalf("allowed; want %s", tc.want)
			case tc.want != "" && got.Reason != tc.want:
				t.Fatalf("reason %s (%s); want %s", got.Reason, got.Message, tc.want)
			}
			for _, w := range tc.words {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q lacks %q", got.Message, w)
				}
			}
		})
	}
}

func TestNilPolicyAllowsEverything(t *testing.T) {
	if r := Check(nil, Object{EndpointID: "vpce-1", EnsureVPCAttributes: true}); r != nil {
		t.Fatal(r)
	}
	if r := (*Policy)(nil).CheckVPC("us-east-1", "vpc-1", nil); r != nil {
		t.Fatal(r)
	}
}

func TestCheckVPCUsesLiveTags(t *testing.T) {
	p, err := FromAccount(account())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id   string
		tags map[string]string
		ok   bool
	}{
		{"vpc-0000000a", nil, true},
		{"vpc-0000000b", map[string]string{"env": "prod"}, true},
		// Listed as allowed, but its env tag is gone since: refused.
		{"vpc-0000000b", map[string]string{"team": "web"}, false},
		{"vpc-0000000f", map[string]string{"env": "prod", "x": "y"}, true},
	}
	for _, c := range cases {
		r := p.CheckVPC("us-east-1", c.id, c.tags)
		if (r == nil) != c.ok {
			t.Errorf("CheckVPC(%s, %v) = %v; want allowed %v", c.id, c.tags, r, c.ok)
		}
		if r != nil && (r.Reason != v1alpha1.ReasonVPCNotAllowed || !strings.Contains(r.Message, "spec.vpc: it resolves to VPC "+c.id)) {
			t.Errorf("refusal %v", r)
		}
	}
}

func TestFromAccountRejectsAnInvalidSelector(t *testing.T) {
	a := account()
	a.Spec.NamespaceSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tenant", Operator: "Near"}}}
	if _, err := FromAccount(a); err == nil || !strings.Contains(err.Error(), "spec.namespaceSelector of AWSAccount tenant-a") {
		t.Fatalf("err = %v", err)
	}
}
