package ec2sim

import "strings"

// decide evaluates the policy for one check: an explicit Deny wins over any
// Allow; without a matching Allow the check is implicitly denied.
func (p *iamPolicy) decide(c authzCheck) decision {
	d := decisionImplicitDeny
	for _, st := range p.statements {
		if !st.matches(c) {
			continue
		}
		if !st.allow {
			return decisionDeny
		}
		d = decisionAllow
	}
	return d
}

func (st iamStatement) matches(c authzCheck) bool {
	action := strings.ToLower(c.action)
	if anyGlob(st.actions, action) == st.notAction {
		return false
	}
	if anyGlob(st.resources, c.resource) == st.notResource {
		return false
	}
	for _, cond := range st.conditions {
		if !cond.holds(c.context) {
			return false
		}
	}
	return true
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if glob(p, s) {
			return true
		}
	}
	return false
}

// holds evaluates one condition against the request context. A missing key
// fails positive operators and satisfies negated ones (as in IAM), satisfies
// …IfExists and ForAllValues, and fails ForAnyValue; Null tests presence.
func (c iamCondition) holds(ctx map[string][]string) bool {
	got, present := ctx[c.key]
	if c.op == "null" {
		for _, v := range c.values {
			if strings.EqualFold(v, "true") != present {
				return true
			}
		}
		return false
	}
	negated := operators[c.op]
	if !present || len(got) == 0 {
		switch {
		case c.ifExists, c.set == "forallvalues":
			return true
		case c.set == "foranyvalue":
			return false
		}
		return negated
	}
	one := func(v string) bool {
		for _, want := range c.values {
			if c.match(v, want) {
				return !negated
			}
		}
		return negated
	}
	all := c.set == "forallvalues" || c.set == "" && negated
	for _, v := range got {
		if ok := one(v); ok != all {
			return ok
		}
	}
	return all
}

// match applies the positive form of the operator to one value.
func (c iamCondition) match(v, want string) bool {
	switch c.op {
	case "stringequals", "stringnotequals", "arnequals", "arnnotequals":
		return v == want
	case "stringequalsignorecase", "stringnotequalsignorecase", "bool":
		return strings.EqualFold(v, want)
	default: // stringlike, stringnotlike, arnlike, arnnotlike
		return glob(want, v)
	}
}

// glob matches s against a pattern where * is any run of characters and ? is
// one character.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
