package ec2sim

import (
	"bytes"
	"fmt"
	"net/url"
)

// principalARN is the caller named in UnauthorizedOperation messages.
func principalARN(region string) string {
	return "arn:" + partition(region) + ":sts::" + accountID + ":assumed-role/vpce-controller/ec2sim"
}

// PolicyAuthorizer returns an Options.Authorizer that evaluates an IAM
// identity-based policy document for every call, as AWS does: an explicit Deny
// wins, otherwise some Allow statement must match every resource the action
// touches, otherwise the call is implicitly denied. Resource ARNs are built
// for region us-east-1; Server.SetIAMPolicy uses the server's region. See
// iam_request.go for the resources and condition keys of each call.
func PolicyAuthorizer(policyJSON []byte) (func(action string, params url.Values, resourceTags map[string]string) error, error) {
	return newPolicyAuthorizer(policyJSON, "us-east-1")
}

func newPolicyAuthorizer(policyJSON []byte, region string) (func(string, url.Values, map[string]string) error, error) {
	pol, err := parseIAMPolicy(policyJSON)
	if err != nil {
		return nil, err
	}
	return func(action string, params url.Values, resourceTags map[string]string) error {
		for _, c := range authorizationChecks(action, params, resourceTags, region) {
			switch pol.decide(c) {
			case decisionDeny:
				return fmt.Errorf("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an identity-based policy", principalARN(region), c.action, c.resource)
			case decisionImplicitDeny:
				return fmt.Errorf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", principalARN(region), c.action, c.resource, c.action)
			}
		}
		return nil
	}, nil
}

// SetIAMPolicy makes the server evaluate an IAM policy document for every
// call from now on (replacing Options.Authorizer); an empty document turns
// evaluation off. A document that does not parse is refused and changes
// nothing.
func (s *Server) SetIAMPolicy(policyJSON []byte) error {
	var auth func(string, url.Values, map[string]string) error
	if len(bytes.TrimSpace(policyJSON)) > 0 {
		var err error
		s.mu.Lock()
		region := s.opts.Region
		s.mu.Unlock()
		if auth, err = newPolicyAuthorizer(policyJSON, region); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Authorizer = auth
	return nil
}
