package endpoint

import (
	"maps"
	"sort"
	"strings"
)

// Tags the controller puts on an endpoint are of two kinds:
//
//   - hard: the ownership tags and spec.tags. The controller keeps them exactly,
//     restoring a value changed behind its back.
//   - soft: the manager's --default-tags and a Name (namespace/name) unless
//     spec.tags has one. The controller sets them where the endpoint has no such
//     tag and never overwrites a value someone else set (an adopted endpoint keeps
//     its Name); once it has set one, it keeps it like a hard one.
//
// It removes a tag only when the key is one it set (status.appliedTagKeys) and
// the spec no longer asks for it. Every other tag, whoever set it, is left alone.

// desiredTags returns the hard and soft tags of an endpoint.
func desiredTags(o Owner, user, defaults map[string]string) (hard, soft map[string]string) {
	hard = make(map[string]string, len(user)+3)
	maps.Copy(hard, user)
	maps.Copy(hard, ownershipTags(o))
	soft = map[string]string{}
	for k, v := range defaults {
		if _, ok := hard[k]; !ok {
			soft[k] = v
		}
	}
	if _, ok := hard[TagName]; !ok {
		soft[TagName] = tagValue(o.Ref())
	}
	return hard, soft
}

// createTags are the tags of a new endpoint: all of them.
func (d Desired) createTags() map[string]string {
	all := maps.Clone(d.Tags)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, d.SoftTags)
	return all
}

// tagCount is how many tags the endpoint carries once converged, at most.
func (d Desired) tagCount() int { return len(d.createTags()) }

// isOwnershipTag reports whether a key is one of the controller's ownership tags,
// which it always manages and never records as applied.
func isOwnershipTag(k string) bool { return strings.HasPrefix(k, "vpce.dev/") }

// diffTags returns the tags to set and the keys to remove so that have becomes
// what d asks for: hard tags exactly, soft tags where absent or the controller's
// own, and no tag removed that the controller did not set. aws: tags are never
// touched.
func diffTags(d Desired, have map[string]string) (set map[string]string, remove []string) {
	owned := map[string]bool{}
	for _, k := range d.OwnedTagKeys {
		owned[k] = true
	}
	put := func(k, v string) {
		if set == nil {
			set = map[string]string{}
		}
		set[k] = v
	}
	for k, v := range d.Tags {
		if hv, ok := have[k]; !ok || hv != v {
			put(k, v)
		}
	}
	for k, v := range d.SoftTags {
		if hv, ok := have[k]; !ok || hv != v && owned[k] {
			put(k, v)
		}
	}
	for _, k := range sortedKeys(have) {
		_, hard := d.Tags[k]
		_, soft := d.SoftTags[k]
		if owned[k] && !hard && !soft && !isReservedTag(k) && !isOwnershipTag(k) {
			remove = append(remove, k)
		}
	}
	return set, remove
}

// appliedTagKeys are the keys of the tags the controller has set on an endpoint
// that now carries have (status.appliedTagKeys): its hard tags, and its soft tags
// where the endpoint carries the controller's value. Ownership tags are not listed.
func appliedTagKeys(d Desired, have map[string]string) []string {
	var keys []string
	for k := range d.Tags {
		if !isOwnershipTag(k) {
			keys = append(keys, k)
		}
	}
	for k, v := range d.SoftTags {
		if have[k] == v {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
