package ec2sim_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

const (
	hub   = "111111111111"
	spoke = "222222222222"
	other = "333333333333"
)

// accountsEnv is an emulator with three accounts, the fixture in each, on a
// manual clock that starts at the wall clock's time: the SDK's credential
// cache compares expirations with the wall clock.
type accountsEnv struct {
	sim   *ec2sim.Server
	url   string
	clock *ec2sim.ManualClock
	start time.Time
}

func newAccountsEnv(t *testing.T, opts ec2sim.Options) *accountsEnv {
	t.Helper()
	start := time.Now().UTC().Truncate(time.Second)
	clock := ec2sim.NewManualClock(start)
	opts.Clock = clock
	if opts.Accounts == nil {
		opts.Accounts = []string{hub, spoke, other}
	}
	opts.Fixture = true
	opts.Seed = 1
	sim := ec2sim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &accountsEnv{sim: sim, url: srv.URL, clock: clock, start: start}
}

// static is a credentials provider of an access key.
func static(key string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(key, "secret", "")
}

func (e *accountsEnv) ec2(creds aws.CredentialsProvider, region string) *ec2.Client {
	return ec2.New(ec2.Options{Region: region, BaseEndpoint: aws.String(e.url), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
}

func (e *accountsEnv) sts(creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
}

// trust is a trust policy allowing principal to assume the role (and tag
// the session when tagSession), with an sts:ExternalId condition when
// externalID is set.
func trust(principal, externalID string, tagSession bool) string {
	actions := `"sts:AssumeRole"`
	if tagSession {
		actions += `,"sts:TagSession"`
	}
	cond := ""
	if externalID != "" {
		cond = `,"Condition":{"StringEquals":{"sts:ExternalId":"` + externalID + `"}}`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":[` + actions + `]` + cond + `}]}`
}

const describeOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeVpcs","ec2:DescribeVpcEndpoints"],"Resource":"*"}]}`

func apiError(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var out smithy.APIError
	if !errors.As(err, &out) {
		t.Fatalf("want an API error, got %v", err)
	}
	return out
}

// TestCallerIdentity: a bare account ID as access key is that account's
// root; an unknown key is refused by STS and EC2 as AWS refuses it; an
// unsigned STS call is refused.
func TestCallerIdentity(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	id, err := e.sts(static(spoke)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != spoke || *id.Arn != "arn:aws:iam::"+spoke+":root" || *id.UserId != spoke {
		t.Fatalf("identity %s %s %s", *id.Account, *id.Arn, *id.UserId)
	}
	_, err = e.sts(static("AKIAIOSFODNN7EXAMPLE")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if ae := apiError(t, err); ae.ErrorCode() != "InvalidClientTokenId" || status(t, err) != 403 {
		t.Fatalf("unknown key to STS: %v", err)
	}
	_, err = e.ec2(static("AKIAIOSFODNN7EXAMPLE"), "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if ae := apiError(t, err); ae.ErrorCode() != "AuthFailure" || ae.ErrorMessage() != "AWS was not able to validate the provided access credentials" || status(t, err) != 401 {
		t.Fatalf("unknown key to EC2: %v", err)
	}
	_, err = e.sts(aws.AnonymousCredentials{}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if ae := apiError(t, err); ae.ErrorCode() != "MissingAuthenticationToken" {
		t.Fatalf("unsigned STS call: %v", err)
	}

	// Without Options.Accounts any key works: "test" is a user of the
	// default account, a 12-digit key an account of its own.
	single := newAccountsEnv(t, ec2sim.Options{Accounts: []string{}})
	id = must(single.sts(static("test")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *id.Account != "123456789012" || *id.Arn != "arn:aws:iam::123456789012:user/test" {
		t.Fatalf("compatibility identity %s %s", *id.Account, *id.Arn)
	}
	id = must(single.sts(static(other)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *id.Account != other {
		t.Fatalf("12-digit key acts in %s", *id.Account)
	}
}

// TestAssumeRoleWithTheSDKProvider: stscreds.AssumeRoleProvider against the
// emulator's STS, with an external ID and session tags, yields credentials
// that act in the role's account as the role: its EC2 calls see that
// account's world and are evaluated against the role's policy, which also
// sees the session tags as aws:PrincipalTag.
func TestAssumeRoleWithTheSDKProvider(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	roleARN := "arn:aws:iam::" + spoke + ":role/vpce-controller"
	err := e.sim.PutRole(ec2sim.Role{Account: spoke, Name: "vpce-controller",
		TrustPolicy: []byte(trust("arn:aws:iam::"+hub+":root", "tenant-a", true)),
		Policy: []byte(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["ec2:DescribeVpcs","ec2:DescribeVpcEndpoints"],"Resource":"*"},
			{"Effect":"Allow","Action":"ec2:CreateSecurityGroup","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	provider := stscreds.NewAssumeRoleProvider(e.sts(static(hub)), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "vpce-controller-prod"
		o.Duration = time.Hour
		o.ExternalID = aws.String("tenant-a")
		o.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}
	})
	creds := aws.NewCredentialsCache(provider)
	got, err := creds.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.AccessKeyID, "ASIA") || got.SessionToken == "" || !got.Expires.Equal(e.start.Add(time.Hour)) {
		t.Fatalf("credentials %+v", got)
	}
	id := must(e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *id.Account != spoke || *id.Arn != "arn:aws:sts::"+spoke+":assumed-role/vpce-controller/vpce-controller-prod" || !strings.HasSuffix(*id.UserId, ":vpce-controller-prod") {
		t.Fatalf("assumed identity %s %s %s", *id.Account, *id.Arn, *id.UserId)
	}

	spokeVPC := e.sim.Account(spoke).LoadFixture().VPCID
	hubVPC := e.sim.Account(hub).LoadFixture().VPCID
	c := e.ec2(creds, "us-east-1")
	vpcs := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	if len(vpcs.Vpcs) != 1 || *vpcs.Vpcs[0].VpcId != spokeVPC || *vpcs.Vpcs[0].OwnerId != spoke {
		t.Fatalf("the role's session sees %+v, want only %s's VPC %s", vpcs.Vpcs, spoke, spokeVPC)
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{hubVPC}})
	wantCode(t, err, "InvalidVpcID.NotFound")

	// The role's policy: CreateVpc is not allowed; CreateSecurityGroup is,
	// for sessions tagged team=blue.
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if ae := apiError(t, err); ae.ErrorCode() != "UnauthorizedOperation" ||
		!strings.Contains(ae.ErrorMessage(), "User: arn:aws:sts::"+spoke+":assumed-role/vpce-controller/vpce-controller-prod is not authorized to perform: ec2:CreateVpc") {
		t.Fatalf("CreateVpc outside the role's policy: %v", err)
	}
	if _, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &spokeVPC, GroupName: aws.String("g"), Description: aws.String("d")}); err != nil {
		t.Fatalf("CreateSecurityGroup allowed by the session tag: %v", err)
	}
	// The account's own key is not restricted by the role's policy.
	if _, err := e.ec2(static(spoke), "us-east-1").CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")}); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Account(spoke).STSCounters()["AssumeRole"]["ok"]; n != 0 {
		t.Fatalf("AssumeRole counted in the role's account: %d", n)
	}
	if n := e.sim.Account(hub).STSCounters()["AssumeRole"]["ok"]; n != 1 {
		t.Fatalf("AssumeRole calls by the hub = %d, want 1", n)
	}
}

// TestAssumeRoleRefusals: STS answers one AccessDenied, worded as AWS words
// it, for a role that does not exist, an untrusted caller, a wrong or
// missing external ID and session tags without sts:TagSession; malformed
// parameters answer ValidationError or InvalidParameterValue.
func TestAssumeRoleRefusals(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	for _, r := range []ec2sim.Role{
		{Account: spoke, Name: "spoke", TrustPolicy: []byte(trust(hub, "tenant-a", false))},
		{Account: spoke, Name: "open", TrustPolicy: []byte(trust(hub, "", false))},
		{Account: spoke, Name: "hub-role-only", TrustPolicy: []byte(trust("arn:aws:iam::"+hub+":role/hub", "", false))},
		{Account: hub, Name: "hub", TrustPolicy: []byte(trust(hub, "", false)),
			Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/hub-role-only"}]}`)},
	} {
		if err := e.sim.PutRole(r); err != nil {
			t.Fatal(err)
		}
	}
	assume := func(creds aws.CredentialsProvider, in sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("s1")
		}
		return e.sts(creds).AssumeRole(ctx, &in)
	}
	denied := func(name string, err error, caller, action, role string) {
		t.Helper()
		ae := apiError(t, err)
		want := "User: " + caller + " is not authorized to perform: " + action + " on resource: " + role
		if ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != want || status(t, err) != 403 {
			t.Errorf("%s: %s %q (HTTP %d), want AccessDenied %q", name, ae.ErrorCode(), ae.ErrorMessage(), status(t, err), want)
		}
	}
	hubRoot := "arn:aws:iam::" + hub + ":root"
	spokeRole := "arn:aws:iam::" + spoke + ":role/spoke"
	_, err := assume(static(hub), sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + spoke + ":role/nobody")})
	denied("unknown role", err, hubRoot, "sts:AssumeRole", "arn:aws:iam::"+spoke+":role/nobody")
	_, err = assume(static(other), sts.AssumeRoleInput{RoleArn: &spokeRole, ExternalId: aws.String("tenant-a")})
	denied("untrusted caller", err, "arn:aws:iam::"+other+":root", "sts:AssumeRole", spokeRole)
	_, err = assume(static(hub), sts.AssumeRoleInput{RoleArn: &spokeRole, ExternalId: aws.String("tenant-b")})
	denied("wrong external ID", err, hubRoot, "sts:AssumeRole", spokeRole)
	_, err = assume(static(hub), sts.AssumeRoleInput{RoleArn: &spokeRole})
	denied("missing external ID", err, hubRoot, "sts:AssumeRole", spokeRole)
	_, err = assume(static(hub), sts.AssumeRoleInput{RoleArn: &spokeRole, ExternalId: aws.String("tenant-a"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	denied("tags without sts:TagSession", err, hubRoot, "sts:TagSession", spokeRole)
	if _, err := assume(static(hub), sts.AssumeRoleInput{RoleArn: &spokeRole, ExternalId: aws.String("tenant-a")}); err != nil {
		t.Fatalf("the trusted caller with the external ID: %v", err)
	}

	// A role session: its role's policy must allow sts:AssumeRole on the
	// target too, and chaining is limited to one hour.
	hubSession := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(e.sts(static(hub)), "arn:aws:iam::"+hub+":role/hub",
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s0" }))
	open := "arn:aws:iam::" + spoke + ":role/open"
	_, err = assume(hubSession, sts.AssumeRoleInput{RoleArn: &open})
	denied("role policy without sts:AssumeRole on the target", err, "arn:aws:sts::"+hub+":assumed-role/hub/s0", "sts:AssumeRole", open)
	hubOnly := "arn:aws:iam::" + spoke + ":role/hub-role-only"
	if _, err := assume(hubSession, sts.AssumeRoleInput{RoleArn: &hubOnly}); err != nil {
		t.Fatalf("chained assume allowed by trust and role policy: %v", err)
	}
	_, err = assume(static(hub), sts.AssumeRoleInput{RoleArn: &hubOnly})
	denied("a trust policy naming a role refuses its account's root", err, hubRoot, "sts:AssumeRole", hubOnly)
	_, err = assume(hubSession, sts.AssumeRoleInput{RoleArn: &hubOnly, DurationSeconds: aws.Int32(7200)})
	if ae := apiError(t, err); ae.ErrorCode() != "ValidationError" || ae.ErrorMessage() != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("chained 2h session: %v", err)
	}

	for _, tc := range []struct {
		name    string
		in      sts.AssumeRoleInput
		code    string
		message string
	}{
		{"malformed ARN", sts.AssumeRoleInput{RoleArn: aws.String("nothing-valid-in-here")}, "ValidationError", "nothing-valid-in-here is invalid"},
		{"not a role", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + spoke + ":user/spoke")}, "ValidationError", "arn:aws:iam::" + spoke + ":user/spoke is invalid"},
		{"short ARN", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1")}, "ValidationError",
			"1 validation error detected: Value 'arn:aws:iam::1' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"session name", sts.AssumeRoleInput{RoleArn: &spokeRole, RoleSessionName: aws.String("Session1:2")}, "ValidationError",
			`1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"duration over the role's maximum", sts.AssumeRoleInput{RoleArn: &spokeRole, ExternalId: aws.String("tenant-a"), DurationSeconds: aws.Int32(7200)}, "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"duplicate tag keys", sts.AssumeRoleInput{RoleArn: &spokeRole, Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}},
			"InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"transitive key not a tag", sts.AssumeRoleInput{RoleArn: &spokeRole, TransitiveTagKeys: []string{"b"}, Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}},
			"InvalidParameterValue", "The specified transitive tag key must be included in the requested tags."},
	} {
		_, err := assume(static(hub), tc.in)
		ae := apiError(t, err)
		if ae.ErrorCode() != tc.code || ae.ErrorMessage() != tc.message || status(t, err) != 400 {
			t.Errorf("%s: %s %q (HTTP %d), want %s %q", tc.name, ae.ErrorCode(), ae.ErrorMessage(), status(t, err), tc.code, tc.message)
		}
	}
}

// TestExpiredCredentials: temporary credentials expire on the emulator's
// clock; EC2 then answers RequestExpired and STS ExpiredToken.
func TestExpiredCredentials(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	if err := e.sim.PutRole(ec2sim.Role{Account: spoke, Name: "r", TrustPolicy: []byte(trust(hub, "", false)), Policy: []byte(describeOnly)}); err != nil {
		t.Fatal(err)
	}
	out := must(e.sts(static(hub)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + spoke + ":role/r"),
		RoleSessionName: aws.String("short"), DurationSeconds: aws.Int32(900)}))
	if !out.Credentials.Expiration.Equal(e.start.Add(15 * time.Minute)) {
		t.Fatalf("expiration %v", out.Credentials.Expiration)
	}
	c := out.Credentials
	creds := credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	if _, err := e.ec2(creds, "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(15*time.Minute - time.Second)
	if _, err := e.ec2(creds, "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err := e.ec2(creds, "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if ae := apiError(t, err); ae.ErrorCode() != "RequestExpired" || status(t, err) != 400 {
		t.Fatalf("EC2 with expired credentials: %v", err)
	}
	_, err = e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if ae := apiError(t, err); ae.ErrorCode() != "ExpiredToken" || ae.ErrorMessage() != "The security token included in the request is expired" || status(t, err) != 403 {
		t.Fatalf("STS with expired credentials: %v", err)
	}
	// A wrong session token is an invalid credential.
	forged := credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, "forged")
	_, err = e.ec2(forged, "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "AuthFailure")
	// Temporary credentials the emulator never issued are unknown, even on a
	// server that accepts any key.
	single := newAccountsEnv(t, ec2sim.Options{Accounts: []string{}})
	stranger := credentials.NewStaticCredentialsProvider("ASIAXXXXXXXXXXXXXXXX", "s", "token")
	_, err = single.ec2(stranger, "us-east-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "AuthFailure")
	if got := e.sim.Account(spoke).Counters()["DescribeVpcs"]; got["ok"] != 2 || got["RequestExpired"] != 1 {
		t.Fatalf("spoke's counters %v", got)
	}
}

// stsAssume is an AssumeRole request for a role with a fixed session name.
func stsAssume(roleARN string) *sts.AssumeRoleInput {
	return &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("test")}
}

// TestRoleSessionsUseTheIAMEvaluator: a role session's calls go through the
// whole IAM evaluator: resource-level support (DescribeVpcs on "*" only) and
// dependent actions (route53:AssociateVPCWithHostedZone for private DNS).
func TestRoleSessionsUseTheIAMEvaluator(t *testing.T) {
	e := newAccountsEnv(t, ec2sim.Options{})
	const ec2Create = `"ec2:CreateVpcEndpoint","ec2:DescribeVpcs","ec2:DescribeSubnets","ec2:DescribeSecurityGroups"`
	put := func(policy string) {
		t.Helper()
		if err := e.sim.PutRole(ec2sim.Role{Account: spoke, Name: "r", TrustPolicy: []byte(trust(hub, "", false)), Policy: []byte(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeVpcs","Resource":"arn:aws:ec2:*:*:vpc/*"}]}`)
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(e.sts(static(hub)), "arn:aws:iam::"+spoke+":role/r",
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "eval" }))
	c := e.ec2(creds, "us-east-1")
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "UnauthorizedOperation")

	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + ec2Create + `],"Resource":"*"}]}`)
	fx := e.sim.Account(spoke).LoadFixture()
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &fx.VPCID, ServiceName: svc("ssm"), VpcEndpointType: "Interface",
		SubnetIds: []string{fx.PrivateSubnets[0].SubnetID}, PrivateDnsEnabled: aws.Bool(true)})
	if ae := apiError(t, err); ae.ErrorCode() != "UnauthorizedOperation" ||
		!strings.Contains(ae.ErrorMessage(), "assumed-role/r/eval is not authorized to perform: route53:AssociateVPCWithHostedZone") {
		t.Fatalf("private DNS without route53 in the role's policy: %v", err)
	}
	if n := len(must(e.ec2(static(spoke), "us-east-1").DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})).VpcEndpoints); n != 0 {
		t.Fatalf("a refused create made %d endpoints", n)
	}
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + ec2Create + `],"Resource":"*"},
		{"Effect":"Allow","Action":"route53:AssociateVPCWithHostedZone","Resource":"*"}]}`)
	if _, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &fx.VPCID, ServiceName: svc("ssm"), VpcEndpointType: "Interface",
		SubnetIds: []string{fx.PrivateSubnets[0].SubnetID}, PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatalf("with route53 in the role's policy (changed while the session lives): %v", err)
	}
	// Deleting the role leaves its sessions unable to do anything.
	if err := e.sim.DeleteRole(spoke, "r"); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "UnauthorizedOperation")
}
