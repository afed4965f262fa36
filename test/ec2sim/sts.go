package ec2sim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The STS Query API (Version=2011-06-15) on the emulator's address, so an
// STS client whose BaseEndpoint is the emulator (or AWS_ENDPOINT_URL_STS)
// works: GetCallerIdentity and AssumeRole, with AWS's errors (STS API
// reference; IAM user guide, "Policy evaluation logic" and "Passing session
// tags in AWS STS").

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// isSTS reports whether a request is for STS: its Version is STS's, or it
// is signed for the sts service.
func isSTS(p params, c credential) bool {
	return p.str("Version") == "2011-06-15" || c.service == "sts"
}

// stsErr is an STS error with its HTTP status.
func stsErr(code string, status int, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func stsValidation(format string, args ...any) *apiError {
	return stsErr("ValidationError", http.StatusBadRequest, format, args...)
}

// serveSTS answers one STS request.
func (s *Server) serveSTS(w http.ResponseWriter, p params, c credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	requestID := s.newRequestID()
	action := p.str("Action")
	result, err := s.stsCall(action, p, c)
	if err != nil {
		writeSTSError(w, requestID, err)
		return
	}
	writeSTSResult(w, action, requestID, result)
}

// stsCall identifies the caller, runs the action and counts it in the
// caller's account. The caller holds s.mu.
func (s *Server) stsCall(action string, p params, c credential) (any, *apiError) {
	r := s.reg
	caller, problem := r.identify(c)
	switch problem {
	case credMissing:
		return nil, stsErr("MissingAuthenticationToken", http.StatusForbidden, "Request is missing Authentication Token")
	case credInvalid:
		return nil, stsErr("InvalidClientTokenId", http.StatusForbidden, "The security token included in the request is invalid.")
	}
	var result any
	var err *apiError
	switch {
	case problem == credExpired:
		err = stsErr("ExpiredToken", http.StatusForbidden, "The security token included in the request is expired")
	case action == "GetCallerIdentity":
		result = xmlCallerIdentity{Arn: caller.arn, UserID: caller.userID, Account: caller.account}
	case action == "AssumeRole":
		result, err = s.assumeRole(caller, p)
	default:
		err = stsErr("InvalidAction", http.StatusBadRequest, "Could not find operation %s for version 2011-06-15", action)
	}
	outcome := "ok"
	if err != nil {
		outcome = err.Code
	}
	addCount(r.accounts[caller.account].stsCounters, action, outcome)
	return result, err
}

// xmlCallerIdentity is GetCallerIdentity's result.
type xmlCallerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// xmlAssumeRole is AssumeRole's result.
type xmlAssumeRole struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string `xml:"SourceIdentity,omitempty"`
}

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// sessionTag is one Tags.member.N of AssumeRole.
type sessionTag struct{ key, value string }

// assumeRoleRequest is AssumeRole's parameters, validated.
type assumeRoleRequest struct {
	roleARN, account, name    string
	sessionName, externalID   string
	hasExternalID             bool
	duration                  time.Duration
	durationGiven             bool
	tags                      []sessionTag
	transitive                []string
	policy                    *iamPolicy
	sourceIdentity, partition string
}

// parseAssumeRole validates AssumeRole's parameters as STS does.
func parseAssumeRole(p params) (assumeRoleRequest, *apiError) {
	var q assumeRoleRequest
	q.roleARN, q.sessionName = p.str("RoleArn"), p.str("RoleSessionName")
	switch {
	case !p.has("RoleArn"):
		return q, stsValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case len(q.roleARN) < 20:
		return q, stsValidation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", q.roleARN)
	case len(q.roleARN) > 2048:
		return q, stsValidation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048", q.roleARN)
	case !p.has("RoleSessionName"):
		return q, stsValidation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(q.sessionName) < 2:
		return q, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2", q.sessionName)
	case len(q.sessionName) > 64:
		return q, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64", q.sessionName)
	case !sessionNamePattern.MatchString(q.sessionName):
		return q, stsValidation(`1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, q.sessionName)
	}
	q.duration = time.Hour
	if v := p.str("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return q, stsValidation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", v)
		case n < 900:
			return q, stsValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", n)
		case n > 43200:
			return q, stsValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200", n)
		}
		q.duration, q.durationGiven = time.Duration(n)*time.Second, true
	}
	if p.has("ExternalId") {
		q.externalID, q.hasExternalID = p.str("ExternalId"), true
		switch {
		case len(q.externalID) < 2:
			return q, stsValidation("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2", q.externalID)
		case len(q.externalID) > 1224:
			return q, stsValidation("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must have length less than or equal to 1224", q.externalID)
		case !externalIDPattern.MatchString(q.externalID):
			return q, stsValidation(`1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`, q.externalID)
		}
	}
	seen := map[string]bool{}
	for _, n := range p.indices("Tags.member") {
		m := member("Tags.member", n)
		t := sessionTag{p.str(m + ".Key"), p.str(m + ".Value")}
		if seen[strings.ToLower(t.key)] {
			return q, stsErr("InvalidParameterValue", http.StatusBadRequest, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.key)] = true
		q.tags = append(q.tags, t)
	}
	if len(q.tags) > 50 {
		return q, stsValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for _, k := range p.list("TransitiveTagKeys.member") {
		if !seen[strings.ToLower(k)] {
			return q, stsErr("InvalidParameterValue", http.StatusBadRequest, "The specified transitive tag key must be included in the requested tags.")
		}
		q.transitive = append(q.transitive, k)
	}
	if doc := p.str("Policy"); doc != "" {
		pol, err := parseIAMPolicy([]byte(doc))
		if err != nil {
			return q, stsErr("MalformedPolicyDocument", http.StatusBadRequest, "The policy is not in the valid JSON format. %v", err)
		}
		q.policy = pol
	}
	q.sourceIdentity = p.str("SourceIdentity")
	var ok bool
	if q.partition, q.account, q.name, ok = parseRoleARN(q.roleARN); !ok {
		return q, stsValidation("%s is invalid", q.roleARN)
	}
	return q, nil
}

// assumeRole issues temporary credentials of a role to a caller the role's
// trust policy allows (and, unless the trust policy names the caller itself
// within its account, whose own identity-based policy allows sts:AssumeRole
// on the role). AWS answers one AccessDenied, with one message, when the
// role does not exist, when its trust policy does not allow the caller,
// when sts:ExternalId does not match and when session tags lack
// sts:TagSession. The caller holds s.mu.
func (s *Server) assumeRole(caller *principal, p params) (any, *apiError) {
	r := s.reg
	q, err := parseAssumeRole(p)
	if err != nil {
		return nil, err
	}
	denied := func(action string) *apiError {
		return stsErr("AccessDenied", http.StatusForbidden, "User: %s is not authorized to perform: %s on resource: %s", caller.arn, action, q.roleARN)
	}
	var callerRole string
	tags := map[string]string{}
	var transitive []string
	if sess := caller.session; sess != nil {
		callerRole = r.roleARN(sess.account, sess.role)
		// A chained session inherits the transitive tags of the caller.
		for _, k := range sess.transitive {
			tags[k] = sess.tags[k]
			transitive = append(transitive, k)
			for _, t := range q.tags {
				if strings.EqualFold(t.key, k) {
					return nil, stsErr("InvalidParameterValue", http.StatusBadRequest, "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
				}
			}
		}
	}
	a := r.accounts[q.account]
	if a == nil || q.partition != r.partition() || a.roles[q.name] == nil {
		return nil, denied("sts:AssumeRole")
	}
	target := a.roles[q.name]
	ctx := map[string][]string{"sts:rolesessionname": {q.sessionName}}
	if q.hasExternalID {
		ctx["sts:externalid"] = []string{q.externalID}
	}
	if q.sourceIdentity != "" {
		ctx["sts:sourceidentity"] = []string{q.sourceIdentity}
	}
	reqTags := make([]xmlTag, 0, len(q.tags))
	for _, t := range q.tags {
		reqTags = append(reqTags, xmlTag{t.key, t.value})
	}
	addRequestTags(ctx, reqTags)
	addPrincipalContext(ctx, caller)
	actions := []string{"sts:AssumeRole"}
	if len(q.tags) > 0 || len(q.transitive) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if q.sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	// Within one account a trust policy naming the caller itself suffices;
	// otherwise the caller's own policy must allow the actions too.
	needIdentity := caller.account != q.account || !target.trust.namesExactly(caller, callerRole)
	identity, sessionPolicy, restricted := r.identityPolicies(caller)
	normalized := r.roleARN(q.account, q.name)
	for _, action := range actions {
		if target.trust.trusts(action, caller, callerRole, ctx) != decisionAllow {
			return nil, denied(action)
		}
		if needIdentity && restricted {
			c := authzCheck{action: action, resource: normalized, context: ctx}
			if identity == nil || identity.decide(c) != decisionAllow || sessionPolicy != nil && sessionPolicy.decide(c) != decisionAllow {
				return nil, denied(action)
			}
		}
	}
	switch {
	case caller.session != nil && q.durationGiven && q.duration > time.Hour:
		return nil, stsValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	case q.duration > time.Duration(target.MaxSessionDuration)*time.Second:
		return nil, stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	for _, t := range q.tags {
		tags[t.key] = t.value
	}
	transitive = append(transitive, q.transitive...)
	sess := &session{
		accessKey:  "ASIA" + s.randAlnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		secret:     s.randAlnum(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		token:      "FwoGZXIvYXdzE" + s.randAlnum(180, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		account:    q.account,
		role:       q.name,
		name:       q.sessionName,
		roleID:     target.id,
		expires:    s.now().Add(q.duration),
		tags:       tags,
		transitive: transitive,
		policy:     q.policy,
		chained:    caller.session != nil,
	}
	r.sessions[sess.accessKey] = sess
	out := xmlAssumeRole{SourceIdentity: q.sourceIdentity}
	out.Credentials.AccessKeyID = sess.accessKey
	out.Credentials.SecretAccessKey = sess.secret
	out.Credentials.SessionToken = sess.token
	out.Credentials.Expiration = sess.expires.UTC().Format(time.RFC3339)
	sp := r.sessionPrincipal(sess)
	out.AssumedRoleUser.Arn, out.AssumedRoleUser.AssumedRoleID = sp.arn, sp.userID
	if len(q.tags) > 0 || q.policy != nil {
		size := min(100, 6+3*len(q.tags))
		out.PackedPolicySize = &size
	}
	return out, nil
}

// identityPolicies returns what restricts a caller's own actions: a role
// session's role policy (nil when the role has none or is gone) and session
// policy, or its account's policy (SetIAMPolicy). restricted is false when
// nothing does (an account's keys without a policy).
func (r *registry) identityPolicies(c *principal) (identity, sessionPolicy *iamPolicy, restricted bool) {
	if sess := c.session; sess != nil {
		if role := r.accounts[sess.account].roles[sess.role]; role != nil {
			identity = role.policy
		}
		return identity, sess.policy, true
	}
	if pol := r.accounts[c.account].policy; pol != nil {
		return pol, nil, true
	}
	return nil, nil, false
}

// writeSTSResult writes an STS Query response:
// <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>.
func writeSTSResult(w http.ResponseWriter, action, requestID string, result any) {
	body, err := xml.Marshal(struct {
		XMLName  xml.Name
		Xmlns    string `xml:"xmlns,attr"`
		Result   any
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}{
		XMLName: xml.Name{Local: action + "Response"},
		Xmlns:   stsNamespace,
		Result:  wrapped{action + "Result", result},
		Metadata: struct {
			RequestID string `xml:"RequestId"`
		}{requestID},
	})
	if err != nil {
		writeSTSError(w, requestID, stsErr("InternalFailure", http.StatusInternalServerError, "encoding response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// wrapped encodes a value inside an element of the given name.
type wrapped struct {
	name  string
	inner any
}

func (x wrapped) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(x.inner, xml.StartElement{Name: xml.Name{Local: x.name}})
}

// writeSTSError writes an STS (awsquery) error document.
func writeSTSError(w http.ResponseWriter, requestID string, e *apiError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		stsNamespace, typ, escape(e.Code), escape(e.Message), requestID)
}
