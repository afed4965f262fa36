package ec2cache

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// matcher evaluates the EC2 filters the cache understands against one object's
// fields. ok is false when a filter is not understood: the request then goes to EC2.
type matcher struct {
	fields map[string][]string // filter name -> the object's values
	tags   []types.Tag
}

func (m matcher) match(filters []types.Filter) (matched, ok bool) {
	for _, f := range filters {
		name := aws.ToString(f.Name)
		var have []string
		switch {
		case strings.HasPrefix(name, "tag:"):
			key := strings.TrimPrefix(name, "tag:")
			for _, t := range m.tags {
				if aws.ToString(t.Key) == key {
					have = append(have, aws.ToString(t.Value))
				}
			}
		case name == "tag-key":
			for _, t := range m.tags {
				have = append(have, aws.ToString(t.Key))
			}
		default:
			vals, known := m.fields[name]
			if !known {
				return false, false
			}
			have = vals
		}
		if !anyEqual(have, f.Values) {
			return false, true
		}
	}
	return true, true
}

// understood reports whether every filter can be evaluated locally for objects
// with these field names.
func understood(filters []types.Filter, fields ...string) bool {
	known := map[string]bool{"tag-key": true}
	for _, f := range fields {
		known[f] = true
	}
	for _, f := range filters {
		name := aws.ToString(f.Name)
		if !known[name] && !strings.HasPrefix(name, "tag:") {
			return false
		}
		for _, v := range f.Values {
			if strings.ContainsAny(v, "*?") {
				return false // wildcards: let EC2 evaluate them
			}
		}
	}
	return true
}

func anyEqual(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

func idSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// filterValues returns the values of the named filter.
func filterValues(filters []types.Filter, name string) []string {
	for _, f := range filters {
		if aws.ToString(f.Name) == name {
			return f.Values
		}
	}
	return nil
}

// tagStrings returns the tags as sorted key=value strings.
func tagStrings(tags []types.Tag) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	sort.Strings(out)
	return out
}

// pick selects from a listing the items with the given IDs (all when none are given)
// that match; ok is false when an ID is not in the listing, for EC2 to answer.
func pick[T any](all []T, ids []string, id func(T) string, match func(T) bool) (out []T, ok bool) {
	want, missing := idSet(ids), idSet(ids)
	for _, it := range all {
		k := id(it)
		if len(want) > 0 && !want[k] {
			continue
		}
		if match(it) {
			out = append(out, it)
			delete(missing, k)
		}
	}
	return out, len(missing) == 0
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func hasTag(tags []types.Tag, k, v string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == k && aws.ToString(t.Value) == v {
			return true
		}
	}
	return false
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// vpcFilter returns a test of an object's VPC against the request's vpc-id
// filters (true when there are none), so a query of one VPC passes over the
// other VPCs' objects without matching each field by field: its cost is the
// VPC's, not the region's.
func vpcFilter(filters []types.Filter) func(vpc *string) bool {
	var sets []map[string]bool
	for _, f := range filters {
		if aws.ToString(f.Name) == "vpc-id" {
			sets = append(sets, idSet(f.Values))
		}
	}
	return func(vpc *string) bool {
		for _, s := range sets {
			if !s[aws.ToString(vpc)] {
				return false
			}
		}
		return true
	}
}
