package conformance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The accounts of the STS and multi-account scenarios. An emulator keys
// accounts by access key: a 12-digit access key stands for the root user's
// credentials of that account.
const (
	hubAccount   = "111111111111"
	spokeAccount = "222222222222"
	otherAccount = "333333333333"
)

// assumeRoleSource is where AWS documents AssumeRole's refusals.
const assumeRoleSource = "STS API reference: AssumeRole; IAM user guide: Cross account resource access in IAM, Troubleshooting IAM roles (\"is not authorized to perform: sts:AssumeRole\")"

// accountScenarios cover STS on the emulator's address and the isolation of
// accounts and regions.
func accountScenarios() []Scenario {
	return []Scenario{{
		Name:      "sts-get-caller-identity",
		Behaviour: "GetCallerIdentity answers the account and ARN of the caller: an account's root user credentials answer that account and `arn:aws:iam::<account>:root`",
		Source:    "STS API reference: GetCallerIdentity",
		Check:     checkGetCallerIdentity,
	}, {
		Name:      "sts-assume-role",
		Behaviour: "AssumeRole of a role whose trust policy allows the caller's account issues temporary credentials (`ASIA…` access key, secret, session token, an expiration DurationSeconds away) of the session `arn:aws:sts::<account>:assumed-role/<role>/<session>`, which GetCallerIdentity then answers",
		Source:    "STS API reference: AssumeRole (Credentials, AssumedRoleUser, DurationSeconds), GetCallerIdentity",
		Check:     checkAssumeRole,
	}, {
		Name:      "sts-assume-role-untrusted",
		Behaviour: "AssumeRole by a caller the role's trust policy does not allow fails `AccessDenied` (HTTP 403): `User: <caller ARN> is not authorized to perform: sts:AssumeRole on resource: <role ARN>`",
		Source:    assumeRoleSource,
		Check:     checkAssumeRoleUntrusted,
	}, {
		Name:      "sts-assume-role-unknown-role",
		Behaviour: "AssumeRole of a role that does not exist fails `AccessDenied` with the same message as an untrusted caller",
		Source:    assumeRoleSource,
		Check:     checkAssumeRoleUnknownRole,
	}, {
		Name:      "sts-assume-role-external-id",
		Behaviour: "AssumeRole of a role whose trust policy requires an `sts:ExternalId` fails `AccessDenied` without it or with another one, and succeeds with it",
		Source:    "STS API reference: AssumeRole (ExternalId); IAM user guide: Access to AWS accounts owned by third parties",
		Check:     checkAssumeRoleExternalID,
	}, {
		Name:      "sts-assume-role-malformed-arn",
		Behaviour: "AssumeRole with a RoleArn that is not an ARN fails `ValidationError` `<value> is invalid`",
		Source:    "STS API reference: AssumeRole (RoleArn), Common Errors (ValidationError); localstack tests/aws/services/sts/test_sts.snapshot.json (test_sts_invalid_parameters, recorded from AWS)",
		Check:     checkAssumeRoleMalformedARN,
	}, {
		Name:      "sts-expired-credentials",
		Behaviour: "temporary credentials stop working when they expire: EC2 answers `RequestExpired` and STS `ExpiredToken`",
		Source:    "EC2 API reference: Error codes (`RequestExpired`: \"If you're using temporary security credentials, this error can also occur if the credentials have expired\"); STS API reference: Common Errors (ExpiredTokenException)",
		Check:     checkExpiredCredentials,
	}, {
		Name:      "accounts-isolated-by-credentials",
		Behaviour: "a VPC belongs to the account of the credentials that created it (its OwnerId); with another account's credentials DescribeVpcs by its ID fails `InvalidVpcID.NotFound`",
		Source:    "EC2 API reference: Vpc (OwnerId), DescribeVpcs, Error codes (`InvalidVpcID.NotFound`)",
		Check:     checkAccountsIsolatedByCredentials,
	}, {
		Name:      "accounts-isolated-by-assumed-role",
		Behaviour: "a role session acts in its role's account: the VPC it creates is owned by that account and is not found with the caller's own credentials",
		Source:    "STS API reference: AssumeRole; EC2 API reference: Vpc (OwnerId), Error codes (`InvalidVpcID.NotFound`)",
		Check:     checkAccountsIsolatedByAssumedRole,
	}, {
		Name:      "regions-are-isolated",
		Behaviour: "EC2 resources are regional: a VPC created in us-east-1 is `InvalidVpcID.NotFound` in eu-west-1, whose zones are eu-west-1a…",
		Source:    "EC2 user guide: Regions and Zones; EC2 API reference: DescribeVpcs, DescribeAvailabilityZones",
		Check:     checkRegionsIsolated,
	}}
}

// keyOf is the root user's credentials of an account, as emulators key
// accounts: the account ID as access key.
func keyOf(account string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(account, "conformance", "")
}

// sessionOf is the credentials of an AssumeRole answer.
func sessionOf(out *sts.AssumeRoleOutput) aws.CredentialsProvider {
	c := out.Credentials
	return credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// trustAccount is a trust policy that lets an account's principals assume
// the role, with an sts:ExternalId condition when externalID is set.
func trustAccount(account, externalID string) string {
	cond := ""
	if externalID != "" {
		cond = `,"Condition":{"StringEquals":{"sts:ExternalId":"` + externalID + `"}}`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"` + cond + `}]}`
}

// allowEC2 lets a role's sessions call every EC2 action.
const allowEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`

// putRole creates a role on the target.
func (e *Env) putRole(ctx context.Context, account, name, trustPolicy, policy string) error {
	if e.target.IAM == nil {
		return fmt.Errorf("the target offers no way to create IAM roles")
	}
	if err := e.target.IAM.PutRole(ctx, account, name, trustPolicy, policy); err != nil {
		return fmt.Errorf("create role %s: %v", name, err)
	}
	return nil
}

// roleARN is the ARN of a role.
func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// assume calls AssumeRole with a caller's credentials.
func (e *Env) assume(ctx context.Context, caller aws.CredentialsProvider, role string, mut ...func(*sts.AssumeRoleInput)) (*sts.AssumeRoleOutput, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("conformance")}
	for _, m := range mut {
		m(in)
	}
	return e.target.STSClientAs(caller).AssumeRole(ctx, in)
}

// wantAccessDenied checks an AssumeRole refusal and its message.
func wantAccessDenied(op string, err error, caller, role string) error {
	if err := wantCode(op, err, "AccessDenied"); err != nil {
		return err
	}
	want := "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + role
	if msg := errorMessage(err); msg != want {
		return fmt.Errorf("%s failed `AccessDenied` with message %q, want %q", op, msg, want)
	}
	return nil
}

func checkGetCallerIdentity(ctx context.Context, env *Env) error {
	id, err := env.target.STSClientAs(keyOf(hubAccount)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return stepErr("GetCallerIdentity", err)
	}
	if got := aws.ToString(id.Account); got != hubAccount {
		return fmt.Errorf("GetCallerIdentity with the root credentials of %s (access key %s) answered account %s", hubAccount, hubAccount, got)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::"+hubAccount+":root"; got != want {
		return fmt.Errorf("GetCallerIdentity answered ARN %s, want %s", got, want)
	}
	return nil
}

func checkAssumeRole(ctx context.Context, env *Env) error {
	if err := env.putRole(ctx, spokeAccount, "conformance-spoke", trustAccount(hubAccount, ""), allowEC2); err != nil {
		return err
	}
	role := roleARN(spokeAccount, "conformance-spoke")
	short, err := env.assume(ctx, keyOf(hubAccount), role, func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(900) })
	if err != nil {
		return stepErr("AssumeRole", err)
	}
	long, err := env.assume(ctx, keyOf(hubAccount), role, func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(1800) })
	if err != nil {
		return stepErr("AssumeRole (1800 s)", err)
	}
	c := short.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
		return fmt.Errorf("AssumeRole credentials lack an ASIA access key, a secret or a session token")
	}
	if d := long.Credentials.Expiration.Sub(*c.Expiration); d < 895*time.Second || d > 905*time.Second {
		return fmt.Errorf("sessions of 900 s and 1800 s expire %v apart, want 15m0s", d.Round(time.Second))
	}
	want := "arn:aws:sts::" + spokeAccount + ":assumed-role/conformance-spoke/conformance"
	if got := aws.ToString(short.AssumedRoleUser.Arn); got != want {
		return fmt.Errorf("AssumedRoleUser.Arn is %s, want %s", got, want)
	}
	if !strings.HasSuffix(aws.ToString(short.AssumedRoleUser.AssumedRoleId), ":conformance") {
		return fmt.Errorf("AssumedRoleId does not end with the session name")
	}
	id, err := env.target.STSClientAs(sessionOf(short)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return stepErr("GetCallerIdentity with the session's credentials", err)
	}
	if aws.ToString(id.Account) != spokeAccount || aws.ToString(id.Arn) != want {
		return fmt.Errorf("GetCallerIdentity with the session's credentials answered %s %s, want %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), spokeAccount, want)
	}
	return nil
}

func checkAssumeRoleUntrusted(ctx context.Context, env *Env) error {
	if err := env.putRole(ctx, spokeAccount, "conformance-spoke", trustAccount(hubAccount, ""), allowEC2); err != nil {
		return err
	}
	role := roleARN(spokeAccount, "conformance-spoke")
	_, err := env.assume(ctx, keyOf(otherAccount), role)
	return wantAccessDenied("AssumeRole by an account the trust policy does not name", err, "arn:aws:iam::"+otherAccount+":root", role)
}

func checkAssumeRoleUnknownRole(ctx context.Context, env *Env) error {
	role := roleARN(spokeAccount, "conformance-nobody")
	_, err := env.assume(ctx, keyOf(hubAccount), role)
	return wantAccessDenied("AssumeRole of a role that does not exist", err, "arn:aws:iam::"+hubAccount+":root", role)
}

func checkAssumeRoleExternalID(ctx context.Context, env *Env) error {
	if err := env.putRole(ctx, spokeAccount, "conformance-tenant", trustAccount(hubAccount, "conformance-7f3e"), allowEC2); err != nil {
		return err
	}
	role := roleARN(spokeAccount, "conformance-tenant")
	caller := "arn:aws:iam::" + hubAccount + ":root"
	_, err := env.assume(ctx, keyOf(hubAccount), role, func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("conformance-wrong") })
	if err := wantAccessDenied("AssumeRole with another external ID", err, caller, role); err != nil {
		return err
	}
	_, err = env.assume(ctx, keyOf(hubAccount), role)
	if err := wantAccessDenied("AssumeRole without the external ID", err, caller, role); err != nil {
		return err
	}
	if _, err := env.assume(ctx, keyOf(hubAccount), role, func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("conformance-7f3e") }); err != nil {
		return stepErr("AssumeRole with the external ID", err)
	}
	return nil
}

func checkAssumeRoleMalformedARN(ctx context.Context, env *Env) error {
	_, err := env.assume(ctx, keyOf(hubAccount), "nothing-valid-in-here")
	if err := wantCode("AssumeRole of RoleArn nothing-valid-in-here", err, "ValidationError"); err != nil {
		return err
	}
	if msg := errorMessage(err); msg != "nothing-valid-in-here is invalid" {
		return fmt.Errorf("AssumeRole of a malformed RoleArn failed `ValidationError` with message %q, want %q", msg, "nothing-valid-in-here is invalid")
	}
	return nil
}

func checkExpiredCredentials(ctx context.Context, env *Env) error {
	if env.controls == nil {
		return fmt.Errorf("the target offers no way to move time to a session's expiry")
	}
	if err := env.putRole(ctx, spokeAccount, "conformance-spoke", trustAccount(hubAccount, ""), allowEC2); err != nil {
		return err
	}
	out, err := env.assume(ctx, keyOf(hubAccount), roleARN(spokeAccount, "conformance-spoke"), func(in *sts.AssumeRoleInput) {
		in.DurationSeconds = aws.Int32(900)
	})
	if err != nil {
		return stepErr("AssumeRole", err)
	}
	session := sessionOf(out)
	describe := func() error {
		_, err := env.target.ClientAs(session, Region).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		return err
	}
	if err := describe(); err != nil {
		return stepErr("DescribeVpcs with fresh temporary credentials", err)
	}
	env.controls.Advance(900 * time.Second)
	if err := wantCode("DescribeVpcs with expired temporary credentials", describe(), "RequestExpired"); err != nil {
		return err
	}
	_, err = env.target.STSClientAs(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	return wantCode("GetCallerIdentity with expired temporary credentials", err, "ExpiredToken")
}

// createVpc creates a VPC with a client and returns its ID and owner.
func createVpc(ctx context.Context, c *ec2.Client, cidr string) (id, owner string, err error) {
	out, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	if err != nil {
		return "", "", stepErr("CreateVpc", err)
	}
	return aws.ToString(out.Vpc.VpcId), aws.ToString(out.Vpc.OwnerId), nil
}

// describeVpc describes one VPC by ID.
func describeVpc(ctx context.Context, c *ec2.Client, id string) error {
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	return err
}

func checkAccountsIsolatedByCredentials(ctx context.Context, env *Env) error {
	hub, spoke := env.target.ClientAs(keyOf(hubAccount), Region), env.target.ClientAs(keyOf(spokeAccount), Region)
	id, owner, err := createVpc(ctx, hub, "10.20.0.0/16")
	if err != nil {
		return err
	}
	if owner != hubAccount {
		return fmt.Errorf("a VPC created with the credentials of %s is owned by %s", hubAccount, owner)
	}
	if err := describeVpc(ctx, hub, id); err != nil {
		return stepErr("DescribeVpcs by ID in the owner's account", err)
	}
	return wantCode("DescribeVpcs by ID with another account's credentials", describeVpc(ctx, spoke, id), "InvalidVpcID.NotFound")
}

func checkAccountsIsolatedByAssumedRole(ctx context.Context, env *Env) error {
	if err := env.putRole(ctx, spokeAccount, "conformance-spoke", trustAccount(hubAccount, ""), allowEC2); err != nil {
		return err
	}
	out, err := env.assume(ctx, keyOf(hubAccount), roleARN(spokeAccount, "conformance-spoke"))
	if err != nil {
		return stepErr("AssumeRole", err)
	}
	session := env.target.ClientAs(sessionOf(out), Region)
	id, owner, err := createVpc(ctx, session, "10.21.0.0/16")
	if err != nil {
		return err
	}
	if owner != spokeAccount {
		return fmt.Errorf("a VPC created by a session of a role of %s is owned by %s", spokeAccount, owner)
	}
	if err := describeVpc(ctx, session, id); err != nil {
		return stepErr("DescribeVpcs by ID with the session's credentials", err)
	}
	return wantCode("DescribeVpcs by ID with the caller's own credentials", describeVpc(ctx, env.target.ClientAs(keyOf(hubAccount), Region), id), "InvalidVpcID.NotFound")
}

func checkRegionsIsolated(ctx context.Context, env *Env) error {
	id, _, err := createVpc(ctx, env.Client, "10.22.0.0/16")
	if err != nil {
		return err
	}
	eu := env.target.ClientAs(credentials.NewStaticCredentialsProvider("test", "test", ""), "eu-west-1")
	if err := wantCode("DescribeVpcs by ID of a us-east-1 VPC in eu-west-1", describeVpc(ctx, eu, id), "InvalidVpcID.NotFound"); err != nil {
		return err
	}
	zones, err := eu.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return stepErr("DescribeAvailabilityZones in eu-west-1", err)
	}
	for _, z := range zones.AvailabilityZones {
		if !strings.HasPrefix(aws.ToString(z.ZoneName), "eu-west-1") {
			return fmt.Errorf("eu-west-1 lists zone %s", aws.ToString(z.ZoneName))
		}
	}
	if len(zones.AvailabilityZones) == 0 {
		return fmt.Errorf("eu-west-1 lists no zones")
	}
	return nil
}
