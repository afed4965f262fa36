package ec2sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// iamPolicy is a parsed identity-based policy document, or a role's trust
// policy (whose statements name principals instead of resources).
type iamPolicy struct{ statements []iamStatement }

// iamStatement is one statement. Action patterns are lower case (IAM matches
// actions without regard to case); resource patterns keep their case.
type iamStatement struct {
	sid                    string
	allow                  bool
	actions, resources     []string
	notAction, notResource bool // the lists are NotAction / NotResource
	conditions             []iamCondition
	// principals are a trust policy statement's Principal: "*", account
	// IDs and ARNs (the AWS key), and "service:<name>" or "federated:<name>",
	// which no caller of the emulator is.
	principals []string
}

// iamCondition is one key of one condition operator, e.g.
// "ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}.
type iamCondition struct {
	op       string // base operator, lower case: stringequals, null, …
	set      string // "", "foranyvalue" or "forallvalues"
	ifExists bool
	key      string // context key, lower case
	values   []string
}

// decision is the outcome of evaluating a policy for one check.
type decision int

const (
	decisionImplicitDeny decision = iota
	decisionAllow
	decisionDeny
)

// operators are the supported base condition operators and whether each is negated.
var operators = map[string]bool{
	"stringequals": false, "stringnotequals": true,
	"stringequalsignorecase": false, "stringnotequalsignorecase": true,
	"stringlike": false, "stringnotlike": true,
	"arnequals": false, "arnnotequals": true, "arnlike": false, "arnnotlike": true,
	"bool": false, "null": false,
}

// stringList is a policy value that is a string (or scalar) or a list of them.
type stringList []string

// UnmarshalJSON accepts a string, a number, a boolean or a list of them.
func (l *stringList) UnmarshalJSON(b []byte) error {
	var one any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&one); err != nil {
		return err
	}
	items, ok := one.([]any)
	if !ok {
		items = []any{one}
	}
	*l = nil
	for _, it := range items {
		switch v := it.(type) {
		case string:
			*l = append(*l, v)
		case bool, json.Number:
			*l = append(*l, fmt.Sprint(v))
		default:
			return fmt.Errorf("expected a string or a list of strings, got %s", b)
		}
	}
	return nil
}

type rawStatement struct {
	Sid          string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Effect       string
	Action       *stringList
	NotAction    *stringList
	Resource     *stringList
	NotResource  *stringList
	Condition    map[string]map[string]stringList
}

// parseIAMPolicy parses and checks an identity-based policy document.
func parseIAMPolicy(doc []byte) (*iamPolicy, error) { return parsePolicy(doc, false) }

// parseTrustPolicy parses and checks a role's trust policy: every statement
// names a Principal and no Resource.
func parseTrustPolicy(doc []byte) (*iamPolicy, error) { return parsePolicy(doc, true) }

func parsePolicy(doc []byte, trust bool) (*iamPolicy, error) {
	var top struct{ Statement json.RawMessage }
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("IAM policy is not valid JSON: %v", err)
	}
	var raws []rawStatement
	if err := json.Unmarshal(top.Statement, &raws); err != nil {
		var one rawStatement
		if err2 := json.Unmarshal(top.Statement, &one); err2 != nil {
			return nil, fmt.Errorf("IAM policy Statement must be an object or a list of objects: %v", err)
		}
		raws = []rawStatement{one}
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("IAM policy has no statements")
	}
	p := &iamPolicy{}
	for i, r := range raws {
		st, err := r.parse(trust)
		if err != nil {
			return nil, fmt.Errorf("IAM policy Statement[%d] (%s): %v", i, r.Sid, err)
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

func (r rawStatement) parse(trust bool) (iamStatement, error) {
	st := iamStatement{sid: r.Sid}
	switch {
	case r.NotPrincipal != nil:
		return st, fmt.Errorf("NotPrincipal is not supported")
	case trust && r.Principal == nil:
		return st, fmt.Errorf("a trust policy statement needs a Principal")
	case !trust && r.Principal != nil:
		return st, fmt.Errorf("has prohibited field Principal (an identity-based policy names no principal)")
	case trust && (r.Resource != nil || r.NotResource != nil):
		return st, fmt.Errorf("has prohibited field Resource (a trust policy's resource is its role)")
	}
	if trust {
		ps, err := parsePrincipal(r.Principal)
		if err != nil {
			return st, err
		}
		st.principals = ps
		r.Resource = &stringList{"*"}
	}
	switch r.Effect {
	case "Allow":
		st.allow = true
	case "Deny":
	default:
		return st, fmt.Errorf("Effect must be Allow or Deny, not %q", r.Effect)
	}
	switch {
	case (r.Action == nil) == (r.NotAction == nil):
		return st, fmt.Errorf("needs exactly one of Action and NotAction")
	case r.Action != nil:
		st.actions = lowerAll(*r.Action)
	default:
		st.actions, st.notAction = lowerAll(*r.NotAction), true
	}
	switch {
	case (r.Resource == nil) == (r.NotResource == nil):
		return st, fmt.Errorf("needs exactly one of Resource and NotResource")
	case r.Resource != nil:
		st.resources = *r.Resource
	default:
		st.resources, st.notResource = *r.NotResource, true
	}
	for opName, keys := range r.Condition {
		c := iamCondition{}
		base := strings.ToLower(opName)
		if set, rest, ok := strings.Cut(base, ":"); ok {
			if set != "foranyvalue" && set != "forallvalues" {
				return st, fmt.Errorf("unknown condition set operator %q", opName)
			}
			c.set, base = set, rest
		}
		if trimmed, ok := strings.CutSuffix(base, "ifexists"); ok && base != "null" {
			c.ifExists, base = true, trimmed
		}
		if _, ok := operators[base]; !ok {
			return st, fmt.Errorf("unsupported condition operator %q", opName)
		}
		c.op = base
		for key, values := range keys {
			c.key, c.values = contextKey(key), values
			st.conditions = append(st.conditions, c)
		}
	}
	return st, nil
}

func lowerAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToLower(x)
	}
	return out
}

// contextKey canonicalises a condition key: lower case, and EC2's
// ec2:ResourceTag/ alias spelled aws:ResourceTag/.
func contextKey(k string) string {
	k = strings.ToLower(k)
	if rest, ok := strings.CutPrefix(k, "ec2:resourcetag/"); ok {
		return "aws:resourcetag/" + rest
	}
	return k
}

// parsePrincipal reads a Principal: "*" or an object of AWS, Service,
// Federated or CanonicalUser lists.
func parsePrincipal(raw json.RawMessage) ([]string, error) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, fmt.Errorf(`Principal must be "*" or an object, not %q`, star)
		}
		return []string{"*"}, nil
	}
	var byKind map[string]stringList
	if err := json.Unmarshal(raw, &byKind); err != nil {
		return nil, fmt.Errorf("Principal must be \"*\" or an object of lists: %v", err)
	}
	var out []string
	for kind, list := range byKind {
		for _, p := range list {
			switch kind {
			case "AWS":
				out = append(out, p)
			case "Service", "Federated", "CanonicalUser":
				out = append(out, strings.ToLower(kind)+":"+p)
			default:
				return nil, fmt.Errorf("unknown Principal type %q", kind)
			}
		}
	}
	return out, nil
}
