package ec2sim

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// tagsOf returns the tags of an existing resource of the world and whether it
// exists.
func (w *world) tagsOf(id string) (map[string]string, bool) {
	if _, ok := w.lookup(id); !ok {
		return nil, false
	}
	return w.tags[id], true
}

// lookup finds the kind of an existing resource by ID.
func (w *world) lookup(id string) (idKind, bool) {
	var ok bool
	var kind idKind
	switch prefix, _, _ := strings.Cut(id, "-"); prefix {
	case "vpc":
		_, ok = w.vpcs[id]
		kind = kindVpc
	case "subnet":
		_, ok = w.subnets[id]
		kind = kindSubnet
	case "rtb":
		_, ok = w.routeTables[id]
		kind = kindRTB
	case "sg":
		_, ok = w.groups[id]
		kind = kindGroup
	case "eni":
		_, ok = w.enis[id]
		kind = kindENI
	case "vpce":
		_, ok = w.endpoints[id]
		kind = kindEndpoint
	case "eice":
		_, ok = w.ices[id]
		kind = kindICE
	default:
		return idKind{}, false
	}
	return kind, ok
}

// resourceType names a resource kind as DescribeTags and TagSpecification do.
func resourceType(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	return map[string]string{
		"vpc": "vpc", "subnet": "subnet", "rtb": "route-table", "sg": "security-group",
		"eni": "network-interface", "vpce": "vpc-endpoint", "eice": "instance-connect-endpoint",
	}[prefix]
}

// addTags sets tags on a resource.
func (w *world) addTags(id string, tags []xmlTag) {
	if len(tags) == 0 {
		return
	}
	if w.tags[id] == nil {
		w.tags[id] = map[string]string{}
	}
	for _, t := range tags {
		w.tags[id][t.Key] = t.Value
	}
}

// tagSet returns tags sorted by key, for a tagSet element.
func tagSet(tags map[string]string) []xmlTag {
	var out []xmlTag
	for k, v := range tags {
		out = append(out, xmlTag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// forget removes a deleted resource's tags.
func (w *world) forget(id string) { delete(w.tags, id) }

// Tag limits of EC2 ("Tag restrictions", Amazon EC2 user guide): at most 50
// user tags per resource, keys of at most 128 and values of at most 256
// Unicode characters.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validateTags applies EC2's limits on keys and values, and on the number
// of tags a new resource may carry.
func validateTags(tags []xmlTag) *apiError {
	for _, t := range tags {
		switch {
		case t.Key == "":
			return errInvalidParameterValue("Tag key must not be empty")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errInvalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use")
		case utf8.RuneCountInString(t.Key) > maxTagKeyLen:
			return errInvalidParameterValue("Tag key exceeds the maximum length of %d characters", maxTagKeyLen)
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return errInvalidParameterValue("Tag value exceeds the maximum length of %d characters", maxTagValueLen)
		}
	}
	return checkTagCount(nil, tags)
}

// checkTagCount answers TagLimitExceeded when a resource with the existing
// tags would carry more than 50 once tags are added; a key it already has
// only changes its value and does not count again.
func checkTagCount(existing map[string]string, tags []xmlTag) *apiError {
	keys := make(map[string]bool, len(existing)+len(tags))
	for k := range existing {
		keys[k] = true
	}
	for _, t := range tags {
		keys[t.Key] = true
	}
	if len(keys) > maxTags {
		return errf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
	}
	return nil
}

// tagResourceIDs validates ResourceId.N of CreateTags and DeleteTags.
func (s *Server) tagResourceIDs(p params) ([]string, *apiError) {
	ids := p.list("ResourceId")
	if len(ids) == 0 {
		return nil, errMissingParameter("resourceIdSet")
	}
	for _, id := range ids {
		kind, ok := s.w.lookup(id)
		if kind.prefix == "" {
			return nil, errf("InvalidID", "The ID '%s' is not valid", id)
		}
		if !ok || !s.born(id) {
			if err := kind.check(id); err != nil {
				return nil, err
			}
			return nil, kind.notFoundErr(id)
		}
	}
	return ids, nil
}

func (s *Server) createTags(p params) (any, *apiError) {
	ids, err := s.tagResourceIDs(p)
	if err != nil {
		return nil, err
	}
	tags := p.tagList("Tag")
	if len(tags) == 0 {
		return nil, errMissingParameter("tagSet")
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := checkTagCount(s.w.tags[id], tags); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		s.w.addTags(id, tags)
	}
	return xmlReturn{Return: true}, nil
}

// deleteTags removes the given keys; a tag given with a value is removed
// only when its value matches, as in EC2.
func (s *Server) deleteTags(p params) (any, *apiError) {
	ids, err := s.tagResourceIDs(p)
	if err != nil {
		return nil, err
	}
	var specs []struct {
		key      string
		value    string
		hasValue bool
	}
	for _, n := range p.indices("Tag") {
		m := member("Tag", n)
		specs = append(specs, struct {
			key      string
			value    string
			hasValue bool
		}{p.str(m + ".Key"), p.str(m + ".Value"), p.has(m + ".Value")})
	}
	for _, id := range ids {
		if len(specs) == 0 {
			s.w.forget(id)
			continue
		}
		for _, sp := range specs {
			if v, ok := s.w.tags[id][sp.key]; ok && (!sp.hasValue || v == sp.value) {
				delete(s.w.tags[id], sp.key)
			}
		}
	}
	return xmlReturn{Return: true}, nil
}

type xmlTagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

// tagRow is one tag of one resource, in creation order of the resources.
type tagRow struct {
	seq int64
	xmlTagDescription
}

func (t tagRow) order() int64 { return t.seq }

func (s *Server) describeTags(p params) (any, *apiError) {
	fs := p.filters()
	attr := func(t xmlTagDescription) attrs {
		return func(name string) ([]string, bool) {
			switch name {
			case "resource-id":
				return []string{t.ResourceID}, true
			case "resource-type":
				return []string{t.ResourceType}, true
			case "key":
				return []string{t.Key}, true
			case "value":
				return []string{t.Value}, true
			}
			return nil, false
		}
	}
	if err := checkFilters(fs, attr(xmlTagDescription{})); err != nil {
		return nil, err
	}
	seen := s.seenTags()
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rows []tagRow
	for _, id := range ids {
		for _, t := range tagSet(seen[id]) {
			d := xmlTagDescription{ResourceID: id, ResourceType: resourceType(id), Key: t.Key, Value: t.Value}
			if matches(fs, nil, attr(d)) {
				rows = append(rows, tagRow{int64(len(rows) + 1), d})
			}
		}
	}
	page, next, err := paginate(rows, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		Tags      []xmlTagDescription `xml:"tagSet>item"`
		NextToken string              `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, r := range page {
		out.Tags = append(out.Tags, r.xmlTagDescription)
	}
	return out, nil
}
