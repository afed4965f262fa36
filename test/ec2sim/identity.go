package ec2sim

import (
	"net/http"
	"strings"
	"time"
)

// Who a request comes from, after its SigV4 credential scope
// ("Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, …",
// or X-Amz-Credential in a presigned query) and X-Amz-Security-Token. The
// emulator does not check signatures: the access key ID names the caller.
//
//   - A 12-digit access key is that account's root user
//     (arn:aws:iam::ACCOUNT:root).
//   - An access key AssumeRole issued is that role session, in the role's
//     account (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), while its
//     session token matches and it has not expired on the emulator's clock.
//   - An unsigned request is the default account's root, in the default
//     region (EC2 only: STS answers MissingAuthenticationToken).
//   - Any other key: on a server without Options.Accounts, a user of the
//     default account named after the key (arn:aws:iam::123456789012:user/KEY),
//     so tests signing with "test" keep working; with Options.Accounts, or
//     with a session token the emulator did not issue, AuthFailure (EC2) or
//     InvalidClientTokenId (STS), as AWS answers a key it does not know.

// credential is what a request says about its signer.
type credential struct {
	accessKey string
	region    string // from the credential scope; "" when unsigned
	service   string // "ec2", "sts", …
	token     string // X-Amz-Security-Token
}

// credentialOf reads the credential scope of a request whose form is parsed.
func credentialOf(r *http.Request) credential {
	var scope string
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			scope = auth[i+len("Credential="):]
			if j := strings.IndexAny(scope, ", "); j >= 0 {
				scope = scope[:j]
			}
		}
	} else {
		scope = r.Form.Get("X-Amz-Credential")
	}
	var c credential
	parts := strings.Split(scope, "/")
	c.accessKey = parts[0]
	switch len(parts) {
	case 5: // AKID/date/region/service/aws4_request
		c.region, c.service = parts[2], parts[3]
	case 4: // SigV4a: AKID/date/service/aws4_request
		c.service = parts[2]
	}
	c.token = r.Header.Get("X-Amz-Security-Token")
	if c.token == "" {
		c.token = r.Form.Get("X-Amz-Security-Token")
	}
	return c
}

// principal is who signed a request.
type principal struct {
	account string
	arn     string
	userID  string
	session *session // set for a role session
}

// session is one set of temporary credentials AssumeRole issued.
type session struct {
	accessKey, secret, token string
	account, role, name      string // the role's account and name, the session name
	roleID                   string
	expires                  time.Time
	tags                     map[string]string // session tags: aws:PrincipalTag/<key> in the session's calls
	transitive               []string          // session tag keys passed on to a chained session
	policy                   *iamPolicy        // session policy; nil when none was passed
	chained                  bool              // assumed with another session's credentials
}

// credProblem is what is wrong with a request's credentials.
type credProblem int

const (
	credOK credProblem = iota
	credMissing
	credInvalid
	credExpired
)

// identify returns the principal of a credential. For credExpired the
// principal is returned too (its account counts the refused call).
func (r *registry) identify(c credential) (*principal, credProblem) {
	switch {
	case c.accessKey == "":
		return nil, credMissing
	case r.sessions[c.accessKey] != nil:
		sess := r.sessions[c.accessKey]
		if c.token != sess.token {
			return nil, credInvalid
		}
		p := r.sessionPrincipal(sess)
		if !r.root.now().Before(sess.expires) {
			return p, credExpired
		}
		return p, credOK
	}
	if a := r.account(c.accessKey); a != nil {
		return r.rootPrincipal(a.id), credOK
	}
	if r.strict || c.token != "" {
		// A session token names temporary credentials, which only
		// AssumeRole issues (an emulator restarted since has forgotten them).
		return nil, credInvalid
	}
	a := r.defaultAccount()
	return &principal{
		account: a.id,
		arn:     "arn:" + r.partition() + ":iam::" + a.id + ":user/" + c.accessKey,
		userID:  "AIDA" + strings.ToUpper(hashHex("user/"+c.accessKey, 17)),
	}, credOK
}

// partition is the partition of the emulator's ARNs (of its default region).
func (r *registry) partition() string { return partition(r.root.opts.Region) }

// rootPrincipal is the root user of an account.
func (r *registry) rootPrincipal(account string) *principal {
	return &principal{account: account, arn: "arn:" + r.partition() + ":iam::" + account + ":root", userID: account}
}

// sessionPrincipal is the principal of a role session.
func (r *registry) sessionPrincipal(sess *session) *principal {
	return &principal{
		account: sess.account,
		arn:     "arn:" + r.partition() + ":sts::" + sess.account + ":assumed-role/" + sess.role + "/" + sess.name,
		userID:  sess.roleID + ":" + sess.name,
		session: sess,
	}
}

// roleARN is the ARN of the role of a session.
func (r *registry) roleARN(account, name string) string {
	return "arn:" + r.partition() + ":iam::" + account + ":role/" + name
}

// route finds the cell an EC2 request acts in: its caller's account in the
// region of its credential scope (the default region when unsigned). The
// error, when cell is nil, answers the request; with a cell (expired
// credentials) the cell counts and answers it.
func (s *Server) route(c credential) (*Server, *principal, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reg
	p, problem := r.identify(c)
	switch problem {
	case credMissing:
		p = r.rootPrincipal(r.order[0])
	case credInvalid:
		return nil, nil, errAuthFailure()
	}
	region := c.region
	if region == "" {
		region = s.opts.Region
	}
	if !regionPattern.MatchString(region) {
		return nil, nil, errf("AuthFailure", "Credential should be scoped to a valid region, not '%s'.", region)
	}
	cell := r.cell(r.accounts[p.account], region)
	if problem == credExpired {
		// EC2 API reference, Error codes: RequestExpired also answers
		// expired temporary security credentials.
		return cell, p, errf("RequestExpired", "Request has expired.")
	}
	return cell, p, nil
}

// errAuthFailure is EC2's answer to an access key it does not know (HTTP 401).
func errAuthFailure() *apiError {
	return errf("AuthFailure", "AWS was not able to validate the provided access credentials")
}
