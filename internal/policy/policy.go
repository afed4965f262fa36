// Package policy validates and compares IAM policy documents semantically, so the
// controller never rewrites a policy that AWS merely formats differently.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// MaxLength is the largest policy document AWS accepts for a VPC endpoint, in characters.
const MaxLength = 20480

// DefaultDocument is the policy AWS gives an endpoint created without one: full access.
const DefaultDocument = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// listKeys hold a string or a list of strings, whose order does not matter.
var listKeys = map[string]bool{"Action": true, "NotAction": true, "Resource": true, "NotResource": true}

// caseInsensitiveKeys hold IAM action names, which IAM matches without regard to case.
var caseInsensitiveKeys = map[string]bool{"Action": true, "NotAction": true}

// Compact validates doc as an IAM policy document and returns it as compact JSON,
// the form sent to AWS. It names the problem when doc is not valid.
func Compact(doc []byte) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("policy is not valid JSON: %v", err)
	}
	if err := validate(v); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return "", fmt.Errorf("policy is not valid JSON: %v", err)
	}
	if n := len([]rune(buf.String())); n > MaxLength {
		return "", fmt.Errorf("policy is %d characters long; AWS accepts at most %d", n, MaxLength)
	}
	return buf.String(), nil
}

func validate(v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("policy must be a JSON object with a Statement")
	}
	st, ok := obj["Statement"]
	if !ok {
		return fmt.Errorf("policy has no Statement")
	}
	var stmts []any
	switch s := st.(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	default:
		return fmt.Errorf("policy Statement must be an object or a list of objects")
	}
	if len(stmts) == 0 {
		return fmt.Errorf("policy Statement is empty")
	}
	for i, s := range stmts {
		m, ok := s.(map[string]any)
		if !ok {
			return fmt.Errorf("policy Statement[%d] is not an object", i)
		}
		if e, _ := m["Effect"].(string); e != "Allow" && e != "Deny" {
			return fmt.Errorf("policy Statement[%d].Effect must be Allow or Deny", i)
		}
		_, a := m["Action"]
		_, na := m["NotAction"]
		if !a && !na {
			return fmt.Errorf("policy Statement[%d] needs Action or NotAction", i)
		}
	}
	return nil
}

// Normalize returns a canonical form of a policy document: key order, whitespace,
// statement order, list order and single strings versus one-element lists no longer
// matter. An empty document normalizes to AWS's default policy. AWS returns policies
// URL-encoded on some paths; those are decoded first.
func Normalize(doc string) (string, error) {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		doc = DefaultDocument
	}
	if !strings.HasPrefix(doc, "{") {
		if dec, err := url.QueryUnescape(doc); err == nil {
			doc = dec
		}
	}
	var v any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("policy is not valid JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("policy must be a JSON object")
	}
	if _, ok := obj["Version"]; !ok {
		obj["Version"] = "2008-10-17"
	}
	out, err := json.Marshal(canonical("", obj))
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// Equal reports whether two policy documents mean the same; "" means AWS's default.
func Equal(a, b string) bool {
	if a == b {
		return true
	}
	na, errA := normalizeCached(a)
	nb, errB := normalizeCached(b)
	if errA != nil || errB != nil {
		return false
	}
	return na == nb
}

// maxCachedPolicies bounds the documents normalizeCached remembers.
const maxCachedPolicies = 1024

// normalized remembers Normalize's answers: every sync of every object compares
// its policy with the one AWS holds, and most objects share a few documents
// (AWS's default above all), so parsing them each time was most of a plan's cost.
var normalized struct {
	sync.Mutex
	by map[string]normalizedDoc
}

type normalizedDoc struct {
	doc string
	err error
}

// normalizeCached is Normalize, remembered for up to maxCachedPolicies documents
// (all forgotten at once when full: a fleet with more distinct policies than
// that parses some twice, never unboundedly many).
func normalizeCached(doc string) (string, error) {
	normalized.Lock()
	if n, ok := normalized.by[doc]; ok {
		normalized.Unlock()
		return n.doc, n.err
	}
	normalized.Unlock()
	out, err := Normalize(doc)
	normalized.Lock()
	if normalized.by == nil || len(normalized.by) >= maxCachedPolicies {
		normalized.by = map[string]normalizedDoc{}
	}
	normalized.by[doc] = normalizedDoc{out, err}
	normalized.Unlock()
	return out, err
}

// IsDefault reports whether doc means the same as AWS's default policy.
func IsDefault(doc string) bool { return Equal(doc, DefaultDocument) }

func canonical(key string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			switch {
			case k == "Statement":
				out[k] = canonicalStatements(val)
			case k == "Principal" || k == "NotPrincipal":
				out[k] = canonicalPrincipal(val)
			case key == "Condition":
				out[k] = canonicalConditionOperator(val)
			default:
				out[k] = canonical(k, val)
			}
		}
		return out
	case []any:
		if listKeys[key] {
			return sortedStrings(key, t)
		}
		items := make([]any, len(t))
		for i, x := range t {
			items[i] = canonical(key, x)
		}
		return items
	case string:
		if listKeys[key] {
			return sortedStrings(key, []any{t})
		}
		return t
	default:
		return t
	}
}

func canonicalStatements(v any) any {
	var list []any
	switch t := v.(type) {
	case []any:
		list = t
	default:
		list = []any{t}
	}
	type keyed struct {
		key string
		val any
	}
	ks := make([]keyed, 0, len(list))
	for _, s := range list {
		c := canonical("", s)
		b, _ := json.Marshal(c)
		ks = append(ks, keyed{string(b), c})
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]any, 0, len(ks))
	for i, k := range ks {
		if i > 0 && ks[i-1].key == k.key {
			continue
		}
		out = append(out, k.val)
	}
	return out
}

// canonicalPrincipal treats "*" and {"AWS": "*"} alike, and principal lists as sets.
func canonicalPrincipal(v any) any {
	if s, ok := v.(string); ok {
		return map[string]any{"AWS": sortedStrings("", []any{s})}
	}
	return canonicalConditionOperator(v)
}

// canonicalConditionOperator makes each value of a map (a condition operator's
// keys, a principal's types) a sorted set.
func canonicalConditionOperator(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		out[k] = stringSet(val)
	}
	return out
}

func stringSet(v any) any {
	switch t := v.(type) {
	case string:
		return []any{t}
	case []any:
		return sortedStrings("", t)
	default:
		return v
	}
}

func sortedStrings(key string, items []any) []any {
	strs := make([]string, 0, len(items))
	for _, x := range items {
		s, ok := x.(string)
		if !ok {
			b, _ := json.Marshal(x)
			s = string(b)
		}
		if caseInsensitiveKeys[key] {
			s = strings.ToLower(s)
		}
		strs = append(strs, s)
	}
	sort.Strings(strs)
	out := make([]any, 0, len(strs))
	for i, s := range strs {
		if i > 0 && strs[i-1] == s {
			continue
		}
		out = append(out, s)
	}
	return out
}
