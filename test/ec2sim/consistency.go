package ec2sim

import (
	"maps"
	"reflect"
	"strings"
	"time"
)

// Consistency configures the emulator's eventual consistency, after "Eventual
// consistency in the Amazon EC2 API" (EC2 developer guide): a created or
// changed resource is absent from listings, NotFound to reads and writes by
// ID, or shows its previous state, for a while after the call that made it.
type Consistency struct {
	// Window is how long a change stays unseen; 0 turns eventual
	// consistency off (every read sees every change at once).
	Window time.Duration
	// Jitter, when set, makes each resource lag by its own random share of
	// Window (drawn once per resource from the seeded generator) instead of
	// the whole Window, the worst case.
	Jitter bool
	// OnlyNewEndpointsByID narrows the window to what ec2sim modelled before:
	// a new VPC endpoint is InvalidVpcEndpointId.NotFound to DescribeVpcEndpoints
	// by ID; listings, other kinds, changes and writes are seen at once.
	// SetConsistencyWindow sets it, for the tests written against it.
	OnlyNewEndpointsByID bool
}

// The emulator keeps the state that writes act on (the world) and, while
// eventual consistency is on, what reads see: for every resource a history
// of versions, each a copy of the resource and its tags visible from a time.
// After every change the emulator records a new version of each resource
// that differs from its last one, visible from the time of the change plus
// the resource's lag; a deleted resource gets a version that says so. Reads
// (describes, filters, tags) see the newest version whose time has come;
// writes by ID answer NotFound until the first version of their target is
// visible. Without eventual consistency there are no histories and reads see
// the world.

// version is what reads see of one resource from a time on.
type version struct {
	from time.Time
	res  any               // a copy of the resource; nil once it is deleted
	tags map[string]string // a copy of its tags
}

// history is the versions of one resource, oldest first, and its lag as a
// share of the window.
type history struct {
	versions []version
	share    float64
}

// at returns the newest version visible at now (nil before the first one),
// forgetting the versions it hides.
func (h *history) at(now time.Time) *version {
	i := -1
	for j := range h.versions {
		if h.versions[j].from.After(now) {
			break
		}
		i = j
	}
	if i < 0 {
		return nil
	}
	h.versions = h.versions[i:]
	return &h.versions[0]
}

// cloner is a resource the emulator can copy into a version.
type cloner interface{ clone() any }

// each calls fn for every resource of the world with its kind's ID prefix.
func (w *world) each(fn func(prefix, id string, r cloner)) {
	for id, r := range w.vpcs {
		fn("vpc", id, r)
	}
	for id, r := range w.subnets {
		fn("subnet", id, r)
	}
	for id, r := range w.routeTables {
		fn("rtb", id, r)
	}
	for id, r := range w.groups {
		fn("sg", id, r)
	}
	for id, r := range w.enis {
		fn("eni", id, r)
	}
	for id, r := range w.endpoints {
		fn("vpce", id, r)
	}
	for id, r := range w.ices {
		fn("eice", id, r)
	}
}

// prefixOf returns the kind prefix of a resource ID ("vpce" for vpce-…).
func prefixOf(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	return prefix
}

// lagging reports whether eventual consistency is on.
func (s *Server) lagging() bool { return s.w.hist != nil }

// narrow reports whether only new endpoints lag, and only to describe by ID.
func (s *Server) narrow() bool { return s.lagging() && s.acct.consistency.OnlyNewEndpointsByID }

// SetConsistency sets the eventual-consistency window and jitter, in every
// account for the value New returns, in the view's account otherwise (all
// its regions). Turning it on makes every existing resource settled
// (visible as it is); turning it off (Window 0) makes every change visible
// at once.
func (s *Server) SetConsistency(c Consistency) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Window < 0 {
		c.Window = 0
	}
	for _, a := range s.settingsScope() {
		a.consistency = c
		for _, cell := range a.cellsSorted() {
			cell.applyConsistency()
		}
	}
}

// applyConsistency makes a cell follow its account's setting. The caller
// holds s.mu.
func (s *Server) applyConsistency() {
	if s.acct.consistency.Window == 0 {
		s.w.hist = nil
		return
	}
	if s.w.hist == nil {
		s.w.hist = map[string]map[string]*history{}
	}
	s.settle()
}

// ConsistencySettings returns the eventual-consistency settings of the
// view's account (of the default account for the value New returns).
func (s *Server) ConsistencySettings() Consistency {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.home().acct.consistency
}

// SetConsistencyWindow sets the narrow window of earlier ec2sim versions:
// for d after its creation, a new VPC endpoint is
// InvalidVpcEndpointId.NotFound to DescribeVpcEndpoints by ID, and nothing
// else lags (SetConsistency(Consistency{Window: d, OnlyNewEndpointsByID:
// true})). Use SetConsistency for AWS's whole eventual consistency.
func (s *Server) SetConsistencyWindow(d time.Duration) {
	s.SetConsistency(Consistency{Window: d, OnlyNewEndpointsByID: true})
}

// settle gives every resource that has no history one visible version as it
// is now: existing resources when eventual consistency turns on, and the
// fixture, which exists before any test starts.
func (s *Server) settle() {
	if !s.lagging() {
		return
	}
	s.w.each(func(prefix, id string, r cloner) {
		if s.w.hist[prefix][id] == nil {
			h := s.newHistory(prefix, id)
			h.versions = []version{{res: r.clone(), tags: maps.Clone(s.w.tags[id])}}
		}
	})
}

// newHistory starts the history of a resource, drawing its lag.
func (s *Server) newHistory(prefix, id string) *history {
	h := &history{share: 1}
	if s.acct.consistency.Jitter {
		h.share = s.lagRng.Float64()
	}
	if s.w.hist[prefix] == nil {
		s.w.hist[prefix] = map[string]*history{}
	}
	s.w.hist[prefix][id] = h
	return h
}

// record adds a version for every resource that changed, was created or was
// deleted since its last version; the change happened at at.
func (s *Server) record(at time.Time) {
	if !s.lagging() {
		return
	}
	live := map[string]bool{}
	s.w.each(func(prefix, id string, r cloner) {
		live[id] = true
		s.track(prefix, id, r, at)
	})
	for prefix, byID := range s.w.hist {
		for id := range byID {
			if !live[id] {
				s.track(prefix, id, nil, at)
			}
		}
	}
}

// track records a new version of one resource (nil: deleted) when it differs
// from its last version.
func (s *Server) track(prefix, id string, r cloner, at time.Time) {
	tags := s.w.tags[id]
	h := s.w.hist[prefix][id]
	switch {
	case h == nil && r == nil:
		return
	case h == nil:
		h = s.newHistory(prefix, id)
	default:
		h.at(s.now()) // forget what no read can see any more
		last := h.versions[len(h.versions)-1]
		if r == nil && last.res == nil {
			return
		}
		if r != nil && last.res != nil && reflect.DeepEqual(r, last.res) && maps.Equal(tags, last.tags) {
			return
		}
	}
	from := at.Add(time.Duration(float64(s.acct.consistency.Window) * h.share))
	if n := len(h.versions); n > 0 && from.Before(h.versions[n-1].from) {
		from = h.versions[n-1].from
	}
	v := version{from: from, tags: maps.Clone(tags)}
	if r != nil {
		v.res = r.clone()
	}
	h.versions = append(h.versions, v)
}
