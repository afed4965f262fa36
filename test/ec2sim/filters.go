package ec2sim

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// attrs returns a resource's values for a filter name, and whether the name
// is a filter the resource type supports.
type attrs func(name string) ([]string, bool)

// checkFilters rejects filter names the resource type does not support, as
// EC2 does even when nothing would match.
func checkFilters(fs []filter, supported attrs) *apiError {
	for _, f := range fs {
		if strings.HasPrefix(f.Name, "tag:") || f.Name == "tag-key" || f.Name == "tag-value" {
			continue
		}
		if _, ok := supported(f.Name); !ok {
			return errInvalidParameterValue("The filter '%s' is invalid", f.Name)
		}
	}
	return nil
}

// matches reports whether a resource with these tags and attributes passes
// every filter: for each filter, some value matches some pattern.
func matches(fs []filter, tags map[string]string, attr attrs) bool {
	for _, f := range fs {
		var vals []string
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(f.Name, "tag:")]; ok {
				vals = []string{v}
			}
		case f.Name == "tag-key":
			for k := range tags {
				vals = append(vals, k)
			}
		case f.Name == "tag-value":
			for _, v := range tags {
				vals = append(vals, v)
			}
		default:
			vals, _ = attr(f.Name)
		}
		if !anyMatch(f.Values, vals) {
			return false
		}
	}
	return true
}

func anyMatch(patterns, vals []string) bool {
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?") {
			// A literal value: equality, without compiling a pattern per resource
			// (a request of 200 IDs over thousands of resources took seconds).
			if slices.Contains(vals, p) {
				return true
			}
			continue
		}
		re := wildcard(p)
		for _, v := range vals {
			if re.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// wildcard compiles an EC2 filter value, where * and ? are wildcards.
func wildcard(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

// paginate applies MaxResults (at least min, at most 1000) and NextToken to
// items in creation order, returning the page and the next token.
func paginate[T ordered](items []T, p params, min int) ([]T, string, *apiError) {
	start := int64(0)
	if tok := p.str("NextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.ParseInt(strings.TrimPrefix(string(raw), "after:"), 10, 64)
		if err != nil || err2 != nil {
			return nil, "", errInvalidParameterValue("The token '%s' is invalid.", tok)
		}
		start = n
	}
	max, given, err := p.integer("MaxResults")
	if err != nil {
		return nil, "", err
	}
	if !given {
		max = 1000
	}
	if max < min {
		return nil, "", errInvalidParameterValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", max, min)
	}
	if max > 1000 {
		max = 1000
	}
	var page []T
	for _, it := range items {
		if it.order() <= start {
			continue
		}
		if len(page) == max {
			last := page[len(page)-1].order()
			return page, base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatInt(last, 10))), nil
		}
		page = append(page, it)
	}
	return page, "", nil
}
