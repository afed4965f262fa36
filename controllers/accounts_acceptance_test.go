package controllers_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/accounts"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// The accounts of the multi-account scenarios: the hub, where the controller's own
// role lives, and two tenants' accounts.
const (
	hubAccount = "111111111111"
	tenantB    = "222222222222"
	tenantC    = "333333333333"
)

// hubAndSpokes builds the IAM chain of docs/multi-account.md in ec2sim with the
// published files of config/iam: a hub role in the hub account whose
// permissions are hub-policy.json and policy.json, the manager running with a
// session of it (as IRSA would give it), and in each tenant account a spoke
// role trusted by spoke-trust.json (with the tenant's external ID) whose
// permissions are policy.json.
func hubAndSpokes(t *testing.T, externalIDs map[string]string) *accountHarness {
	t.Helper()
	sim := ec2sim.Options{Accounts: []string{hubAccount, tenantB, tenantC}}
	h := newAccountHarness(t, accountHarnessOptions{harnessOptions: harnessOptions{simOpts: sim, noStart: true}})
	trustRoot, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + hubAccount + ":root"}, "Action": "sts:AssumeRole",
	}}})
	if err := h.sim.PutRole(ec2sim.Role{Account: hubAccount, Name: "vpce-controller", TrustPolicy: trustRoot, Policy: publishedPolicy(t, "hub-policy.json", "policy.json")}); err != nil {
		t.Fatal(err)
	}
	for account, id := range externalIDs {
		h.putSpoke(account, "vpce-controller-spoke", id)
	}
	// The hub role's session, as IRSA or Pod Identity would hand it to the pod.
	stsc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(h.url), Credentials: credentials.NewStaticCredentialsProvider(hubAccount, "x", "")})
	out, err := stsc.AssumeRole(h.ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + hubAccount + ":role/vpce-controller"), RoleSessionName: aws.String("irsa")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	hubCreds := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	previous := h.options
	h.options = func(o *manager.Options) {
		previous(o)
		o.AWSLoadOptions = []func(*config.LoadOptions) error{config.WithCredentialsProvider(hubCreds)}
	}
	h.start()
	return h
}

// putSpoke creates (or replaces) a spoke role with config/iam/spoke-trust.json,
// filled in for the hub and the external IDs it accepts.
func (h *accountHarness) putSpoke(account, name string, externalIDs ...string) string {
	h.t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		h.t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "iam", "spoke-trust.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	ids, _ := json.Marshal(externalIDs)
	trust := strings.ReplaceAll(string(raw), "<HUB_ACCOUNT_ID>", hubAccount)
	trust = strings.ReplaceAll(trust, `"<EXTERNAL_ID>"`, string(ids))
	if err := h.sim.PutRole(ec2sim.Role{Account: account, Name: name, TrustPolicy: json.RawMessage(trust), Policy: publishedPolicy(h.t, "policy.json")}); err != nil {
		h.t.Fatalf("spoke role %s in %s: %v", name, account, err)
	}
	return "arn:aws:iam::" + account + ":role/" + name
}

// TestThreeAccountsTwoRegions: one cluster's endpoints in three accounts and two
// regions, through the published hub-and-spoke IAM chain, converge; each lives in
// its account and region (seen with that account's credentials, and not with
// another's), and its status names the account and its ARN. An Instance Connect
// Endpoint in a spoke account is among them.
func TestThreeAccountsTwoRegions(t *testing.T) {
	h := hubAndSpokes(t, map[string]string{tenantB: "tenant-b-51c2", tenantC: "tenant-c-9e07"})
	type acct struct {
		name, id, role, externalID string
		tags                       map[string]string
	}
	accts := []acct{
		{name: h.accountName("hub"), id: hubAccount},
		{name: h.accountName("tenant-b"), id: tenantB, role: "arn:aws:iam::" + tenantB + ":role/vpce-controller-spoke", externalID: "tenant-b-51c2"},
		{name: h.accountName("tenant-c"), id: tenantC, role: "arn:aws:iam::" + tenantC + ":role/vpce-controller-spoke", externalID: "tenant-c-9e07", tags: map[string]string{"tenant": "c"}},
	}
	for _, a := range accts {
		h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: a.name}, Spec: v1alpha1.AWSAccountSpec{
			RoleARN: a.role, ExternalID: a.externalID, SessionTags: a.tags, NamespaceSelector: metav1.LabelSelector{},
		}})
	}
	for _, a := range accts {
		got := h.waitAccount(a.name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 30*time.Second)
		wantARN := "arn:aws:sts::" + a.id + ":assumed-role/vpce-controller-spoke/" + accounts.SessionName(h.cluster)
		if a.role == "" {
			wantARN = "arn:aws:sts::" + hubAccount + ":assumed-role/vpce-controller/irsa"
		}
		if got.Status.AccountID != a.id || got.Status.ARN != wantARN {
			t.Errorf("AWSAccount %s: account %q as %q, want %s as %s", a.name, got.Status.AccountID, got.Status.ARN, a.id, wantARN)
		}
	}

	type placed struct {
		obj            client.Object
		account, where string
	}
	var objs []placed
	for _, a := range accts {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			fx := h.sim.Account(a.id).Region(region).LoadFixture()
			gw := gateway(fmt.Sprintf("s3-%s-%s", a.id[:3], region), fx.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
			gw.Spec.Region, gw.Spec.AccountRef = region, &v1alpha1.AccountReference{Name: a.name}
			objs = append(objs, placed{gw, a.id, region})
		}
	}
	fx := h.sim.Account(tenantC).Region("eu-west-1").LoadFixture()
	ssm := iface("ssm-333-eu-west-1", fx.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}})
	ssm.Spec.Region, ssm.Spec.AccountRef = "eu-west-1", &v1alpha1.AccountReference{Name: accts[2].name}
	objs = append(objs, placed{ssm, tenantC, "eu-west-1"})
	// An Instance Connect Endpoint too, in tenant B's eu-west-1 VPC.
	bFix := h.sim.Account(tenantB).Region("eu-west-1").LoadFixture()
	bastion := eice("eice-222-eu-west-1", bFix.VPCID)
	bastion.Spec.Region, bastion.Spec.AccountRef = "eu-west-1", &v1alpha1.AccountReference{Name: accts[1].name}
	bastion.Spec.Subnet.PreferredZone = ""
	h.create(bastion)
	for _, p := range objs {
		h.create(p.obj)
	}
	h.waitReady(bastion)
	if s := bastion.Status; s.AccountID != tenantB || s.EndpointARN != "arn:aws:ec2:eu-west-1:"+tenantB+":instance-connect-endpoint/"+s.EndpointID {
		t.Errorf("%s: status accountID %q endpointARN %q, want account %s in eu-west-1", bastion.Name, s.AccountID, s.EndpointARN, tenantB)
	}
	for _, c := range []struct {
		account, region string
		sees            bool
	}{{tenantB, "eu-west-1", true}, {hubAccount, "eu-west-1", false}, {tenantB, "us-east-1", false}} {
		out, err := h.ec2As(c.account, c.region).DescribeInstanceConnectEndpoints(h.ctx, &ec2.DescribeInstanceConnectEndpointsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if seen := len(out.InstanceConnectEndpoints) == 1 && aws.ToString(out.InstanceConnectEndpoints[0].InstanceConnectEndpointId) == bastion.Status.EndpointID; seen != c.sees || (!c.sees && len(out.InstanceConnectEndpoints) > 0) {
			t.Errorf("account %s in %s lists Instance Connect Endpoints %v; the one of %s in it: %v", c.account, c.region, out.InstanceConnectEndpoints, bastion.Name, c.sees)
		}
	}
	for _, p := range objs {
		h.waitReady(p.obj)
		s := commonStatus(p.obj)
		if s.AccountID != p.account || s.EndpointARN != fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint/%s", p.where, p.account, s.EndpointID) {
			t.Errorf("%s: status accountID %q endpointARN %q, want account %s in %s", p.obj.GetName(), s.AccountID, s.EndpointARN, p.account, p.where)
		}
		// Its account sees it; another account, or the other region, does not.
		if _, err := h.ec2As(p.account, p.where).DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{s.EndpointID}}); err != nil {
			t.Errorf("%s: account %s does not see %s in %s: %v", p.obj.GetName(), p.account, s.EndpointID, p.where, err)
		}
		other := map[string]string{hubAccount: tenantB, tenantB: tenantC, tenantC: hubAccount}[p.account]
		if _, err := h.ec2As(other, p.where).DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{s.EndpointID}}); !awserr.IsNotFound(err) {
			t.Errorf("%s: account %s sees endpoint %s of account %s: %v", p.obj.GetName(), other, s.EndpointID, p.account, err)
		}
		otherRegion := map[string]string{"us-east-1": "eu-west-1", "eu-west-1": "us-east-1"}[p.where]
		if _, err := h.ec2As(p.account, otherRegion).DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{s.EndpointID}}); !awserr.IsNotFound(err) {
			t.Errorf("%s: endpoint %s of %s is seen in %s: %v", p.obj.GetName(), s.EndpointID, p.where, otherRegion, err)
		}
	}
	// Exactly the objects' endpoints, each in its place.
	for _, a := range accts {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			want := 1
			if a.id == tenantC && region == "eu-west-1" {
				want = 2
			}
			if got := len(h.liveEndpointsOf(a.id, region)); got != want {
				t.Errorf("account %s in %s has %d endpoints, want %d", a.id, region, got, want)
			}
		}
	}
}

// TestRoleThatCannotBeAssumedRecovers: an AWSAccount naming a role that does not
// exist, and one whose external ID the spoke's trust policy does not accept, each
// say so (naming the hub role's session that tried) and are Stalled; their
// endpoints say AccountNotReady and make no AWS call. Creating the role, and
// accepting the external ID in the trust policy, in AWS brings both back within
// a sync period, the objects untouched.
func TestRoleThatCannotBeAssumedRecovers(t *testing.T) {
	h := hubAndSpokes(t, map[string]string{tenantC: "tenant-c-9e07"})
	missing := h.accountName("missing-role")
	mismatch := h.accountName("wrong-external-id")
	h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: missing}, Spec: v1alpha1.AWSAccountSpec{
		RoleARN: "arn:aws:iam::" + tenantB + ":role/vpce-controller-spoke", ExternalID: "tenant-b-51c2", NamespaceSelector: metav1.LabelSelector{}}})
	h.createAccount(&v1alpha1.AWSAccount{ObjectMeta: metav1.ObjectMeta{Name: mismatch}, Spec: v1alpha1.AWSAccountSpec{
		RoleARN: "arn:aws:iam::" + tenantC + ":role/vpce-controller-spoke", ExternalID: "tenant-d-0000", NamespaceSelector: metav1.LabelSelector{}}})
	var objs []*v1alpha1.GatewayEndpoint
	for _, c := range []struct{ name, id string }{{missing, tenantB}, {mismatch, tenantC}} {
		a := h.waitAccount(c.name, metav1.ConditionFalse, v1alpha1.ReasonAssumeRoleDenied, 30*time.Second)
		ready := findCondition(a.Status.Conditions, v1alpha1.ConditionReady)
		for _, w := range []string{"arn:aws:sts::" + hubAccount + ":assumed-role/vpce-controller/irsa", "arn:aws:iam::" + c.id + ":role/vpce-controller-spoke", "external ID (spec.externalID)", "does not exist", "sts:ExternalId"} {
			if !strings.Contains(ready.Message, w) {
				t.Errorf("%s: Ready message %q lacks %q", c.name, ready.Message, w)
			}
		}
		if s := findCondition(a.Status.Conditions, v1alpha1.ConditionStalled); s == nil || s.Status != metav1.ConditionTrue {
			t.Errorf("%s is not Stalled: %+v", c.name, a.Status.Conditions)
		}
		fx := h.sim.Account(c.id).LoadFixture()
		gw := gateway("s3-"+c.id[:3], fx.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}})
		gw.Spec.AccountRef = &v1alpha1.AccountReference{Name: c.name}
		h.create(gw)
		synced := h.waitCondition(gw, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonAccountNotReady, 10*time.Second)
		if !strings.Contains(synced.Message, "AWSAccount "+c.name+" is not ready (AssumeRoleDenied)") {
			t.Errorf("%s: Synced message %q", gw.Name, synced.Message)
		}
		h.waitCondition(gw, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonAccountNotReady, 20*time.Second)
		objs = append(objs, gw)
	}
	for _, gw := range objs {
		if calls := h.counter.calls(key(gw)); len(calls) > 0 {
			t.Fatalf("%s: AWS calls while its account cannot be used: %v", gw.Name, calls)
		}
	}
	for _, id := range []string{tenantB, tenantC} {
		if n := total(countsOf(h.sim.Account(id).Counters())); n != 0 {
			t.Fatalf("account %s received %d EC2 calls while no role there could be assumed", id, n)
		}
	}

	// Fixed in AWS: the role created; the trust policy accepting the external ID.
	h.putSpoke(tenantB, "vpce-controller-spoke", "tenant-b-51c2")
	h.putSpoke(tenantC, "vpce-controller-spoke", "tenant-c-9e07", "tenant-d-0000")
	for i, name := range []string{missing, mismatch} {
		h.waitAccount(name, metav1.ConditionTrue, v1alpha1.ReasonAccountVerified, 4*syncPeriod+20*time.Second)
		gw := objs[i]
		h.waitReady(gw)
		if gw.Generation != 1 || commonStatus(gw).AccountID != []string{tenantB, tenantC}[i] {
			t.Errorf("%s: generation %d, account %q", gw.Name, gw.Generation, commonStatus(gw).AccountID)
		}
	}
}

// countsOf sums counters by action.
func countsOf(c map[string]map[string]int) map[string]int {
	out := map[string]int{}
	for action, outcomes := range c {
		for _, n := range outcomes {
			out[action] += n
		}
	}
	return out
}
