package accounts

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// fakeSTS answers the two STS actions the controller calls, from a table of
// roles, and records what it was sent. It is a unit-test stand-in: the
// integration tests use ec2sim's STS.
type fakeSTS struct {
	mu sync.Mutex
	// roles maps a role ARN to the external ID its trust policy requires ("" none).
	roles map[string]string
	// expiry is how long issued credentials last.
	expiry time.Duration
	// assumed counts AssumeRole calls; sent holds the last AssumeRole's form.
	assumed int
	sent    map[string]string
	// keys maps issued access keys to the session ARN.
	keys map[string]string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	switch r.Form.Get("Action") {
	case "AssumeRole":
		f.assumed++
		f.sent = map[string]string{}
		for k := range r.Form {
			f.sent[k] = r.Form.Get(k)
		}
		role := r.Form.Get("RoleArn")
		want, ok := f.roles[role]
		if !ok || want != r.Form.Get("ExternalId") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/hub is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, role)
			return
		}
		key := fmt.Sprintf("ASIA%012d", f.assumed)
		session := strings.Replace(strings.Replace(role, ":iam::", ":sts::", 1), ":role/", ":assumed-role/", 1) + "/" + r.Form.Get("RoleSessionName")
		f.keys[key] = session
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			key, time.Now().Add(f.expiry).UTC().Format(time.RFC3339), session)
	case "GetCallerIdentity":
		arn := "arn:aws:iam::111111111111:user/hub"
		for key, session := range f.keys {
			if strings.Contains(r.Header.Get("Authorization"), "Credential="+key+"/") {
				arn = session
			}
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>%s</Arn><UserId>X</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
			arn, AccountOfARN(arn))
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

func newRegistry(t *testing.T, f *fakeSTS) *Registry {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	if f.keys == nil {
		f.keys = map[string]string{}
	}
	base := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAHUB", "secret", "")}
	return NewRegistry(base, Options{Cluster: "prod-eu", STSEndpointURL: srv.URL})
}

func TestIdentifyOwnIdentityAndAssumedRole(t *testing.T) {
	f := &fakeSTS{roles: map[string]string{"arn:aws:iam::222222222222:role/spoke": "tenant-a"}, expiry: time.Hour}
	r := newRegistry(t, f)
	ctx := context.Background()

	self, err := r.Default().Identify(ctx)
	if err != nil || self.Account != "111111111111" {
		t.Fatalf("own identity = %+v, %v", self, err)
	}
	c := Credentials{RoleARN: "arn:aws:iam::222222222222:role/spoke", ExternalID: "tenant-a", SessionTags: map[string]string{"tenant": "a"}}
	id, err := r.For(c).Identify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != "222222222222" || id.ARN != "arn:aws:sts::222222222222:assumed-role/spoke/vpce-controller-prod-eu" {
		t.Fatalf("assumed identity = %+v", id)
	}
	for k, v := range map[string]string{"ExternalId": "tenant-a", "RoleSessionName": "vpce-controller-prod-eu", "Tags.member.1.Key": "tenant", "Tags.member.1.Value": "a", "DurationSeconds": "3600"} {
		if f.sent[k] != v {
			t.Errorf("AssumeRole sent %s=%q, want %q", k, f.sent[k], v)
		}
	}
	// Credentials are cached: a second check does not assume the role again.
	if _, err := r.For(c).Identify(ctx); err != nil || f.assumed != 1 {
		t.Fatalf("second check: %v, AssumeRole called %d times", err, f.assumed)
	}
	if r.For(c) != r.For(Credentials{RoleARN: c.RoleARN, ExternalID: c.ExternalID, SessionTags: map[string]string{"tenant": "a"}}) {
		t.Error("the same credentials built a second account")
	}
}

func TestCredentialsAreRefreshedBeforeTheyExpire(t *testing.T) {
	// A session is renewed once it is within 5 to 6 minutes of its expiry, before
	// any call has to wait for it; until then it is reused.
	for _, tc := range []struct {
		expiry time.Duration
		want   int
	}{{time.Hour, 1}, {4 * time.Minute, 3}} {
		f := &fakeSTS{roles: map[string]string{"arn:aws:iam::222222222222:role/spoke": ""}, expiry: tc.expiry}
		r := newRegistry(t, f)
		a := r.For(Credentials{RoleARN: "arn:aws:iam::222222222222:role/spoke"})
		for i := 0; i < 3; i++ {
			if _, err := a.cfg.Credentials.Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if f.assumed != tc.want {
			t.Errorf("sessions of %v: AssumeRole called %d times for 3 uses, want %d", tc.expiry, f.assumed, tc.want)
		}
	}
}

func TestCheckErrorsSayWhy(t *testing.T) {
	f := &fakeSTS{roles: map[string]string{"arn:aws:iam::222222222222:role/spoke": "right"}, expiry: time.Hour}
	r := newRegistry(t, f)
	ctx := context.Background()
	cases := []struct {
		name   string
		creds  Credentials
		reason string
		words  []string
	}{
		{"unknown role", Credentials{RoleARN: "arn:aws:iam::222222222222:role/nobody"}, v1alpha1.ReasonAssumeRoleDenied,
			[]string{"arn:aws:iam::111111111111:user/hub", "assume role arn:aws:iam::222222222222:role/nobody", "does not exist", "trust policy"}},
		{"wrong external ID", Credentials{RoleARN: "arn:aws:iam::222222222222:role/spoke", ExternalID: "wrong"}, v1alpha1.ReasonAssumeRoleDenied,
			[]string{"with the external ID (spec.externalID)", "sts:ExternalId"}},
		{"session tags", Credentials{RoleARN: "arn:aws:iam::222222222222:role/nobody", SessionTags: map[string]string{"a": "b"}}, v1alpha1.ReasonAssumeRoleDenied,
			[]string{"sts:TagSession"}},
		{"another partition", Credentials{RoleARN: "arn:aws-cn:iam::222222222222:role/spoke"}, v1alpha1.ReasonAssumeRoleDenied,
			[]string{"partition aws-cn", "cannot assume roles across partitions"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.For(tc.creds).Identify(ctx)
			ce, ok := err.(*CheckError)
			if !ok {
				t.Fatalf("err = %v", err)
			}
			if ce.Reason != tc.reason || !ce.Terminal {
				t.Fatalf("reason %s terminal %v: %s", ce.Reason, ce.Terminal, ce.Message)
			}
			for _, w := range tc.words {
				if !strings.Contains(ce.Message, w) {
					t.Errorf("message %q lacks %q", ce.Message, w)
				}
			}
		})
	}
}

func TestUnreachableSTSAndMissingCredentials(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	base := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", ""), RetryMaxAttempts: 1}
	r := NewRegistry(base, Options{STSEndpointURL: url})
	_, err := r.For(Credentials{RoleARN: "arn:aws:iam::222222222222:role/spoke"}).Identify(context.Background())
	ce, ok := err.(*CheckError)
	if !ok || ce.Reason != v1alpha1.ReasonSTSUnreachable || ce.Terminal || !strings.Contains(ce.Message, "connection refused") {
		t.Fatalf("unreachable STS: %#v", err)
	}
	if _, err := r.Self(context.Background()); err == nil {
		t.Fatal("Self succeeded with STS unreachable")
	}

	none := aws.Config{Region: "us-east-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, fmt.Errorf("no EC2 IMDS role found")
	})}
	_, err = NewRegistry(none, Options{STSEndpointURL: url}).Default().Identify(context.Background())
	if ce, ok := err.(*CheckError); !ok || ce.Reason != v1alpha1.ReasonCredentialsUnavailable || !strings.Contains(ce.Message, "no EC2 IMDS role found") {
		t.Fatalf("no credentials: %#v", err)
	}
}

func TestThrottleBucketsPerAccountAndRegion(t *testing.T) {
	r := NewRegistry(aws.Config{Region: "us-east-1"}, Options{})
	a := Credentials{RoleARN: "arn:aws:iam::222222222222:role/a"}
	a2 := Credentials{RoleARN: "arn:aws:iam::222222222222:role/other"}
	b := Credentials{RoleARN: "arn:aws:iam::333333333333:role/a"}
	if r.Throttle(a, "us-east-1") == r.Throttle(a, "eu-west-1") {
		t.Error("two regions of one account share buckets")
	}
	if r.Throttle(a, "us-east-1") == r.Throttle(b, "us-east-1") {
		t.Error("two accounts share buckets")
	}
	if r.Throttle(a, "us-east-1") != r.Throttle(a2, "us-east-1") {
		t.Error("two roles of one AWS account have separate buckets; AWS counts them together")
	}
	if r.Throttle(Credentials{}, "") != r.Throttle(Credentials{}, "us-east-1") {
		t.Error("the default region is not us-east-1's buckets")
	}
}

func TestNamesAndARNs(t *testing.T) {
	if got := SessionName("prod eu/1"); got != "vpce-controller-prod-eu-1" {
		t.Errorf("SessionName = %q", got)
	}
	if got := SessionName(strings.Repeat("x", 100)); len(got) != 64 {
		t.Errorf("SessionName length %d", len(got))
	}
	for region, want := range map[string]string{
		"us-east-1":     "arn:aws:ec2:us-east-1:222222222222:vpc-endpoint/vpce-1",
		"cn-north-1":    "arn:aws-cn:ec2:cn-north-1:222222222222:vpc-endpoint/vpce-1",
		"us-gov-west-1": "arn:aws-us-gov:ec2:us-gov-west-1:222222222222:vpc-endpoint/vpce-1",
	} {
		if got := EndpointARN(region, "222222222222", "vpce-1"); got != want {
			t.Errorf("EndpointARN(%s) = %s", region, got)
		}
	}
	if got, want := EndpointARN("eu-west-1", "222222222222", "eice-0123456789abcdef0"), "arn:aws:ec2:eu-west-1:222222222222:instance-connect-endpoint/eice-0123456789abcdef0"; got != want {
		t.Errorf("EndpointARN of an Instance Connect Endpoint = %s, want %s", got, want)
	}
	if EndpointARN("us-east-1", "", "vpce-1") != "" {
		t.Error("an ARN without an account")
	}
	if AccountOfARN("arn:aws-us-gov:iam::222222222222:role/x") != "222222222222" || AccountOfARN("nonsense") != "" {
		t.Error("AccountOfARN")
	}
}

// TestOneBusyAccountDoesNotSlowAnother: with one account's and region's bucket
// empty, a call of another account, or of another region, takes its token at
// once. Waits are decided against a deadline (a limiter refuses at once a wait
// that would outlast it), so nothing depends on the machine's speed.
func TestOneBusyAccountDoesNotSlowAnother(t *testing.T) {
	r := NewRegistry(aws.Config{Region: "us-east-1"}, Options{Throttle: map[string]awsclient.Bucket{"describe": {Rate: 0.001, Burst: 2}}})
	busy := Credentials{RoleARN: "arn:aws:iam::222222222222:role/a"}
	other := Credentials{RoleARN: "arn:aws:iam::333333333333:role/a"}
	soon := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), time.Minute)
	}
	take := func(c Credentials, region string) error {
		ctx, cancel := soon()
		defer cancel()
		return r.Throttle(c, region).Wait(ctx, "DescribeVpcs")
	}
	for i := 0; i < 2; i++ {
		if err := take(busy, "us-east-1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := take(busy, "us-east-1"); err == nil {
		t.Fatal("the busy bucket still had a token")
	}
	if err := take(other, "us-east-1"); err != nil {
		t.Fatalf("another account waited on the busy one's bucket: %v", err)
	}
	if err := take(busy, "eu-west-1"); err != nil {
		t.Fatalf("another region waited on the busy one's bucket: %v", err)
	}
}
