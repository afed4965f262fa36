package ec2sim

import (
	"sort"
)

// The read side of eventual consistency (consistency.go): every read path
// looks resources up here, and sees the world, or the versions visible now.

// seen returns a resource and its tags as reads see them now; ok is false
// when reads do not see it (not created yet, or deleted).
func (s *Server) seen(id string) (res any, tags map[string]string, ok bool) {
	if s.narrow() {
		res, tags, ok = s.truth(id)
		if ok && prefixOf(id) == "vpce" {
			h := s.w.hist["vpce"][id]
			ok = h == nil || h.versions[0].from.Compare(s.now()) <= 0
		}
		return res, tags, ok
	}
	if !s.lagging() {
		return s.truth(id)
	}
	prefix := prefixOf(id)
	h := s.w.hist[prefix][id]
	if h == nil {
		return nil, nil, false
	}
	v := h.at(s.now())
	switch {
	case v == nil:
		return nil, nil, false
	case v.res == nil:
		if len(h.versions) == 1 {
			delete(s.w.hist[prefix], id) // deleted, and seen deleted: nothing left to show
		}
		return nil, nil, false
	}
	return v.res, v.tags, true
}

// truth returns a resource of the world and its tags.
func (s *Server) truth(id string) (any, map[string]string, bool) {
	var res any
	var ok bool
	switch prefixOf(id) {
	case "vpc":
		res, ok = s.w.vpcs[id]
	case "subnet":
		res, ok = s.w.subnets[id]
	case "rtb":
		res, ok = s.w.routeTables[id]
	case "sg":
		res, ok = s.w.groups[id]
	case "eni":
		res, ok = s.w.enis[id]
	case "vpce":
		res, ok = s.w.endpoints[id]
	case "eice":
		res, ok = s.w.ices[id]
	}
	if !ok {
		return nil, nil, false
	}
	return res, s.w.tags[id], true
}

// born reports whether writes by ID may find a resource of the world: always
// without eventual consistency, else once its creation is visible.
func (s *Server) born(id string) bool {
	if !s.lagging() || s.narrow() {
		return true
	}
	h := s.w.hist[prefixOf(id)][id]
	return h == nil || h.versions[0].from.Compare(s.now()) <= 0
}

// viewed is a resource as reads see it, with its tags.
type viewed[T ordered] struct {
	res  T
	tags map[string]string
}

func (v viewed[T]) order() int64 { return v.res.order() }

// viewOf returns the resources of one kind as reads see them now, in
// creation order: the world's, or the visible versions while eventual
// consistency is on.
func viewOf[T ordered](s *Server, prefix string, world map[string]T) []viewed[T] {
	var out []viewed[T]
	if !s.lagging() || s.narrow() {
		for _, r := range sorted(world) {
			out = append(out, viewed[T]{r, s.w.tags[idOf(r)]})
		}
		return out
	}
	for id := range s.w.hist[prefix] {
		if res, tags, ok := s.seen(id); ok {
			out = append(out, viewed[T]{res.(T), tags})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order() < out[j].order() })
	return out
}

// idOf returns the ID of a resource of the world.
func idOf(r any) string {
	switch r := r.(type) {
	case *vpc:
		return r.id
	case *subnet:
		return r.id
	case *routeTable:
		return r.id
	case *securityGroup:
		return r.id
	case *eni:
		return r.id
	case *endpoint:
		return r.id
	case *iceEndpoint:
		return r.id
	}
	return ""
}

// seenTags returns the tags of every resource reads see, by ID.
func (s *Server) seenTags() map[string]map[string]string {
	if !s.lagging() || s.narrow() {
		return s.w.tags
	}
	out := map[string]map[string]string{}
	for _, byID := range s.w.hist {
		for id := range byID {
			if _, tags, ok := s.seen(id); ok && len(tags) > 0 {
				out[id] = tags
			}
		}
	}
	return out
}

// checkSeen returns kind's error for the first ID that reads do not see:
// malformed, or NotFound.
func (s *Server) checkSeen(kind idKind, ids []string) *apiError {
	for _, id := range ids {
		if _, _, ok := s.seen(id); ok && prefixOf(id) == kind.prefix {
			continue
		}
		if err := kind.check(id); err != nil {
			return err
		}
		return kind.notFoundErr(id)
	}
	return nil
}
