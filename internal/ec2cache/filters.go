package ec2cache

import (
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
