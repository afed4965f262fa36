package ec2sim

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// legacyPrincipal is the caller PolicyAuthorizer's messages name.
const legacyPrincipal = "arn:aws:sts::" + defaultAccountID + ":assumed-role/vpce-controller/ec2sim"

// PolicyAuthorizer returns an Options.Authorizer that evaluates an IAM
// identity-based policy document for every call, as AWS does: an explicit Deny
// wins, otherwise some Allow statement must match every resource the action
// touches, otherwise the call is implicitly denied. Resource ARNs are built
// for region us-east-1 and account 123456789012; Server.SetIAMPolicy uses the
// caller's account and region. See iam_request.go for the resources and
// condition keys of each call.
func PolicyAuthorizer(policyJSON []byte) (func(action string, params url.Values, resourceTags map[string]string) error, error) {
	pol, err := parseIAMPolicy(policyJSON)
	if err != nil {
		return nil, err
	}
	caller := &principal{account: defaultAccountID, arn: legacyPrincipal}
	return policyEvaluator(pol, nil, caller, "us-east-1"), nil
}

// policyEvaluator evaluates an identity-based policy (nil: none, so
// everything is implicitly denied) and, when set, a session policy that
// must allow too, for a caller's calls in a region of its account.
func policyEvaluator(identity, sessionPolicy *iamPolicy, caller *principal, region string) func(string, url.Values, map[string]string) error {
	if identity == nil {
		identity = &iamPolicy{}
	}
	return func(action string, params url.Values, resourceTags map[string]string) error {
		for _, c := range authorizationChecks(action, params, resourceTags, region, caller.account) {
			addPrincipalContext(c.context, caller)
			d := identity.decide(c)
			sd := decisionAllow
			if sessionPolicy != nil {
				sd = sessionPolicy.decide(c)
			}
			switch {
			case d == decisionDeny || sd == decisionDeny:
				return fmt.Errorf("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an identity-based policy", caller.arn, c.action, c.resource)
			case d != decisionAllow:
				return fmt.Errorf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", caller.arn, c.action, c.resource, c.action)
			case sd != decisionAllow:
				return fmt.Errorf("User: %s is not authorized to perform: %s on resource: %s because no session policy allows the %s action", caller.arn, c.action, c.resource, c.action)
			}
		}
		return nil
	}
}

// addPrincipalContext sets the global condition keys of the caller:
// aws:PrincipalArn (a session's role ARN), aws:PrincipalAccount and
// aws:PrincipalTag/<k> (a session's tags).
func addPrincipalContext(ctx map[string][]string, caller *principal) {
	if caller == nil {
		return
	}
	arn := caller.arn
	if sess := caller.session; sess != nil {
		arn = "arn:" + partitionOfARN(caller.arn) + ":iam::" + sess.account + ":role/" + sess.role
		for k, v := range sess.tags {
			ctx["aws:principaltag/"+strings.ToLower(k)] = []string{v}
		}
	}
	ctx["aws:principalarn"] = []string{arn}
	ctx["aws:principalaccount"] = []string{caller.account}
}

// partitionOfARN returns the partition field of an ARN.
func partitionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 {
		return "aws"
	}
	return parts[1]
}

// authorizerFor returns what decides the calls of the caller under way: a
// role session's role policy (and session policy), else the account's
// policy (SetIAMPolicy) or Options.Authorizer; nil lets everything through.
// The caller holds s.mu.
func (s *Server) authorizerFor() func(string, url.Values, map[string]string) error {
	caller := s.caller
	if caller == nil {
		caller = s.root.reg.rootPrincipal(s.acct.id)
	}
	if sess := caller.session; sess != nil {
		var identity *iamPolicy
		if r := s.root.reg.accounts[sess.account].roles[sess.role]; r != nil {
			identity = r.policy
		}
		return policyEvaluator(identity, sess.policy, caller, s.opts.Region)
	}
	if s.acct.policy != nil {
		return policyEvaluator(s.acct.policy, nil, caller, s.opts.Region)
	}
	return s.acct.authorizer
}

// SetIAMPolicy makes the server evaluate an IAM policy document for every
// call made with an account's own keys from now on (replacing
// Options.Authorizer): in every account for the value New returns, in the
// view's account otherwise. Role sessions are evaluated against their role's
// policy instead. An empty document turns evaluation off. A document that
// does not parse is refused and changes nothing.
func (s *Server) SetIAMPolicy(policyJSON []byte) error {
	var pol *iamPolicy
	if len(bytes.TrimSpace(policyJSON)) > 0 {
		var err error
		if pol, err = parseIAMPolicy(policyJSON); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.settingsScope() {
		a.policy, a.authorizer = pol, nil
	}
	return nil
}
