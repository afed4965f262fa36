package ec2sim

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// params wraps the form values of one EC2 Query request and decodes the
// protocol's flattened lists (Name.1, Name.2…) and structures (Name.1.Key).
type params struct{ v url.Values }

func (p params) str(key string) string { return p.v.Get(key) }

func (p params) has(key string) bool { _, ok := p.v[key]; return ok }

// boolean reports the value of a boolean parameter, and whether it was given.
func (p params) boolean(key string) (value, ok bool) {
	s, ok := p.v[key]
	if !ok || len(s) == 0 {
		return false, false
	}
	return strings.EqualFold(s[0], "true"), true
}

// integer reports the value of an integer parameter (0 when absent) and an
// error when it is present but not a number.
func (p params) integer(key string) (int, bool, *apiError) {
	s := p.v.Get(key)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true, errInvalidParameterValue("Invalid value '%s' for %s", s, key)
	}
	return n, true, nil
}

// indices returns the sorted member numbers N of the list prefix.N or
// prefix.N.<field>.
func (p params) indices(prefix string) []int {
	seen := map[int]bool{}
	pre := prefix + "."
	for k := range p.v {
		if !strings.HasPrefix(k, pre) {
			continue
		}
		rest := k[len(pre):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		if n, err := strconv.Atoi(rest); err == nil {
			seen[n] = true
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// list returns the values of the flattened string list prefix.1, prefix.2…
func (p params) list(prefix string) []string {
	var out []string
	for _, n := range p.indices(prefix) {
		if v, ok := p.v[member(prefix, n)]; ok && len(v) > 0 {
			out = append(out, v[0])
		}
	}
	return out
}

// member names the Nth member of a flattened list.
func member(prefix string, n int) string { return prefix + "." + strconv.Itoa(n) }

// filter is one Filter.N of a describe call.
type filter struct {
	Name   string
	Values []string
}

func (p params) filters() []filter {
	var out []filter
	for _, n := range p.indices("Filter") {
		m := member("Filter", n)
		out = append(out, filter{Name: p.str(m + ".Name"), Values: p.list(m + ".Value")})
	}
	return out
}

// tagList decodes prefix.N.Key / prefix.N.Value pairs in order.
func (p params) tagList(prefix string) []xmlTag {
	var out []xmlTag
	for _, n := range p.indices(prefix) {
		m := member(prefix, n)
		out = append(out, xmlTag{Key: p.str(m + ".Key"), Value: p.str(m + ".Value")})
	}
	return out
}

// tagSpecs returns the tags of TagSpecification.N whose ResourceType is
// resourceType, and an error for a specification naming another type.
func (p params) tagSpecs(resourceType string) ([]xmlTag, *apiError) {
	var out []xmlTag
	for _, n := range p.indices("TagSpecification") {
		m := member("TagSpecification", n)
		rt := p.str(m + ".ResourceType")
		if rt != resourceType {
			return nil, errInvalidParameterValue("'%s' is not a valid taggable resource type for this operation.", rt)
		}
		out = append(out, p.tagList(m+".Tag")...)
	}
	return out, nil
}
