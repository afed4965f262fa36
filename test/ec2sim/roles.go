package ec2sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Role is an IAM role of an emulated account, which callers assume with
// sts:AssumeRole. Its trust policy says who may (Principal: account IDs,
// account roots, role, user and assumed-role ARNs, "*"; conditions on
// sts:ExternalId, sts:RoleSessionName, aws:PrincipalArn,
// aws:PrincipalAccount, aws:PrincipalTag/<k>, aws:RequestTag/<k>,
// aws:TagKeys; sts:TagSession for session tags); its policy is the
// identity-based policy every EC2 call of its sessions is evaluated against
// (none: the sessions may do nothing, as on AWS).
type Role struct {
	// Account is the role's account; empty means the account of the view
	// PutRole is called on (the default account on the value New returns).
	Account string `json:"account,omitempty"`
	// Name is the role's name ([\w+=,.@-], 1 to 64 characters).
	Name string `json:"name"`
	// TrustPolicy is the role's trust policy document (a JSON object, or a
	// string holding one).
	TrustPolicy json.RawMessage `json:"trustPolicy"`
	// Policy is the role's identity-based policy document, if any.
	Policy json.RawMessage `json:"policy,omitempty"`
	// MaxSessionDuration, in seconds, bounds AssumeRole's DurationSeconds:
	// 3600 (the default) to 43200.
	MaxSessionDuration int `json:"maxSessionDuration,omitempty"`
}

// role is a Role with its parsed documents.
type role struct {
	Role
	id            string // the unique ID, AROA…
	trust, policy *iamPolicy
}

// roleNamePattern is IAM's pattern for role names.
var roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// PutRole creates a role, or replaces the role of that name (its sessions
// keep their credentials and are evaluated against the new policy, as on
// AWS). A document that does not parse is refused and changes nothing.
func (s *Server) PutRole(r Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.root.reg
	if r.Account == "" {
		r.Account = reg.order[0]
		if !s.isRoot() {
			r.Account = s.acct.id
		}
	}
	a := reg.account(r.Account)
	if a == nil {
		return fmt.Errorf("role %s: %q is not an account of this server (%v)", r.Name, r.Account, reg.order)
	}
	if !roleNamePattern.MatchString(r.Name) {
		return fmt.Errorf("role name %q must be 1 to 64 characters of [A-Za-z0-9_+=,.@-]", r.Name)
	}
	switch {
	case r.MaxSessionDuration == 0:
		r.MaxSessionDuration = 3600
	case r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200:
		return fmt.Errorf("role %s: maxSessionDuration %d is not between 3600 and 43200 seconds", r.Name, r.MaxSessionDuration)
	}
	trustDoc, err := document(r.TrustPolicy)
	if err != nil {
		return fmt.Errorf("role %s: trustPolicy: %v", r.Name, err)
	}
	trust, err := parseTrustPolicy(trustDoc)
	if err != nil {
		return fmt.Errorf("role %s: trustPolicy: %v", r.Name, err)
	}
	out := &role{Role: r, trust: trust}
	out.TrustPolicy = json.RawMessage(trustDoc)
	if len(bytes.TrimSpace(r.Policy)) > 0 && string(bytes.TrimSpace(r.Policy)) != "null" {
		doc, err := document(r.Policy)
		if err == nil {
			out.policy, err = parseIAMPolicy(doc)
		}
		if err != nil {
			return fmt.Errorf("role %s: policy: %v", r.Name, err)
		}
		out.Policy = json.RawMessage(doc)
	}
	if old := a.roles[r.Name]; old != nil {
		out.id = old.id
	} else {
		out.id = "AROA" + s.randAlnum(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	}
	a.roles[r.Name] = out
	return nil
}

// DeleteRole deletes a role of an account ("" for the view's account); its
// sessions may do nothing from then on.
func (s *Server) DeleteRole(account, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.roleAccount(account)
	if a == nil || a.roles[name] == nil {
		return fmt.Errorf("NoSuchEntity: The role with name %s cannot be found.", name)
	}
	delete(a.roles, name)
	return nil
}

// Roles returns the roles of the accounts in scope (every account for the
// value New returns), by account and name.
func (s *Server) Roles() []Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Role
	for _, a := range s.scopeAccounts() {
		names := make([]string, 0, len(a.roles))
		for n := range a.roles {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, a.roles[n].Role)
		}
	}
	return out
}

// roleAccount is the account named, or the view's (the default for the
// root) when account is empty. The caller holds s.mu.
func (s *Server) roleAccount(account string) *account {
	reg := s.root.reg
	switch {
	case account != "":
		return reg.accounts[account]
	case s.isRoot():
		return reg.defaultAccount()
	}
	return s.acct
}

// document returns a policy document given as a JSON object or as a JSON
// string holding one.
func document(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("missing")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	return raw, nil
}

// parseRoleARN splits arn:<partition>:iam::<account>:role/[<path>/]<name>.
func parseRoleARN(arn string) (partition, account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" {
		return "", "", "", false
	}
	rest, isRole := strings.CutPrefix(parts[5], "role/")
	if !isRole || rest == "" || !accountIDPattern.MatchString(parts[4]) {
		return "", "", "", false
	}
	name = rest[strings.LastIndexByte(rest, '/')+1:]
	if name == "" {
		return "", "", "", false
	}
	return parts[1], parts[4], name, true
}

// trusts evaluates a trust policy for one action ("sts:AssumeRole",
// "sts:TagSession") by a caller with a request context: an explicit Deny
// wins; otherwise some Allow statement must name the caller and hold.
func (p *iamPolicy) trusts(action string, caller *principal, roleARNOfCaller string, ctx map[string][]string) decision {
	d := decisionImplicitDeny
	for _, st := range p.statements {
		if anyGlob(st.actions, strings.ToLower(action)) == st.notAction || !st.names(caller, roleARNOfCaller) {
			continue
		}
		holds := true
		for _, cond := range st.conditions {
			if !cond.holds(ctx) {
				holds = false
				break
			}
		}
		if !holds {
			continue
		}
		if !st.allow {
			return decisionDeny
		}
		d = decisionAllow
	}
	return d
}

// names reports whether a statement's Principal names the caller: "*", the
// caller's account (its ID or root ARN), the caller's own ARN (a user, or
// an assumed-role session), or the role of the caller's session.
func (st iamStatement) names(caller *principal, roleARNOfCaller string) bool {
	for _, p := range st.principals {
		switch {
		case p == "*":
			return true
		case p == caller.account:
			return true
		case strings.HasPrefix(p, "arn:") && strings.HasSuffix(p, ":iam::"+caller.account+":root"):
			return true
		case p == caller.arn:
			return true
		case roleARNOfCaller != "" && p == roleARNOfCaller:
			return true
		}
	}
	return false
}

// namesExactly reports whether some Allow statement of a trust policy names
// the caller itself (its ARN, or its session's role) rather than its
// account: then, within one account, the caller needs no identity-based
// permission to assume the role (IAM user guide, "Cross account resource
// access in IAM" and "Policy evaluation logic").
func (p *iamPolicy) namesExactly(caller *principal, roleARNOfCaller string) bool {
	for _, st := range p.statements {
		if !st.allow {
			continue
		}
		for _, pr := range st.principals {
			if pr == caller.arn || roleARNOfCaller != "" && pr == roleARNOfCaller {
				return true
			}
		}
	}
	return false
}
