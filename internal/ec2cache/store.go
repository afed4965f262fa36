package ec2cache

import (
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Change says that an object the controller owns looks different in AWS than at
// the previous read: changed, appeared or gone from the owned listing.
type Change struct {
	// Resource is "VpcEndpoint" or "SecurityGroup".
	Resource string
	// ID is the resource's ID.
	ID string
	// Type is the endpoint type (Gateway, Interface); empty for groups.
	Type string
	// Owner is the value of the owner tag (namespace/name), OwnerUID the owner UID tag's.
	Owner, OwnerUID string
}

// kindOps are what a store needs to know about one kind of resource.
type kindOps[T any] struct {
	resource    string
	id          func(T) string
	tags        func(T) []types.Tag
	typ         func(T) string
	vpc         func(T) string
	settled     func(T) bool
	fingerprint func(T) string
	// compact keeps only the fields the engine reads.
	compact func(T) T
}

// entry is one owned object as last read, and when that read started.
type entry[T any] struct {
	obj      T
	at       time.Time
	print    string
	owner    string
	ownerUID string
	settled  bool
	ourCopy  bool   // carries this cluster's tag
	raw      uint64 // hash of the member as EC2 sent it (rawHash); 0: not known
	typ      string
	vpc      string
}

// owned is what the cache knows of the objects of one kind the controller owns in
// an account and region: one entry per object (one copy, trimmed to the fields the
// engine uses), stamped with when the read that produced it started; an index by
// owning object; the writes no read has seen yet.
type owned[T any] struct {
	ops                   kindOps[T]
	clusterKey, cluster   string
	ownerKey, ownerUIDKey string
	mu                    sync.Mutex
	items                 map[string]*entry[T]
	byOwner               map[string]map[string]struct{}
	byVPC                 map[string]map[string]struct{}
	listedAt              time.Time // when the last complete owned listing started
	dirty                 map[string]time.Time
	// createdFor is the owner UID of objects created and not read yet, so a query
	// of another owner need not wait for their read.
	createdFor map[string]string
}

func newOwned[T any](ops kindOps[T], o Options) *owned[T] {
	return &owned[T]{ops: ops, clusterKey: o.ClusterTagKey, cluster: o.Cluster, ownerKey: o.OwnerTagKey, ownerUIDKey: o.OwnerUIDTagKey,
		items: map[string]*entry[T]{}, byOwner: map[string]map[string]struct{}{}, byVPC: map[string]map[string]struct{}{}, dirty: map[string]time.Time{}, createdFor: map[string]string{}}
}

func (s *owned[T]) newEntry(obj T, at time.Time) *entry[T] {
	obj = s.ops.compact(obj)
	e := &entry[T]{obj: obj, at: at, print: s.ops.fingerprint(obj), settled: s.ops.settled(obj), typ: s.ops.typ(obj), vpc: s.ops.vpc(obj)}
	for _, t := range s.ops.tags(obj) {
		switch aws.ToString(t.Key) {
		case s.clusterKey:
			e.ourCopy = aws.ToString(t.Value) == s.cluster
		case s.ownerKey:
			e.owner = aws.ToString(t.Value)
		case s.ownerUIDKey:
			e.ownerUID = aws.ToString(t.Value)
		}
	}
	return e
}

// put stores e under id (lock held), keeping the owner index, and returns the
// change it makes, if any.
func (s *owned[T]) put(id string, e *entry[T], notify bool) *Change {
	old := s.items[id]
	if old != nil {
		s.unindex(id, old)
	}
	s.items[id] = e
	addIndex(s.byOwner, e.ownerUID, id)
	addIndex(s.byVPC, e.vpc, id)
	if !notify || old != nil && old.print == e.print {
		return nil
	}
	return s.change(id, e)
}

func (s *owned[T]) change(id string, e *entry[T]) *Change {
	return &Change{Resource: s.ops.resource, ID: id, Type: e.typ, Owner: e.owner, OwnerUID: e.ownerUID}
}

func (s *owned[T]) unindex(id string, e *entry[T]) {
	dropIndex(s.byOwner, e.ownerUID, id)
	dropIndex(s.byVPC, e.vpc, id)
}

func addIndex(idx map[string]map[string]struct{}, key, id string) {
	if key == "" {
		return
	}
	if idx[key] == nil {
		idx[key] = map[string]struct{}{}
	}
	idx[key][id] = struct{}{}
}

func dropIndex(idx map[string]map[string]struct{}, key, id string) {
	if m := idx[key]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(idx, key)
		}
	}
}

// inVPCs returns the stored objects of these VPCs, as last read.
func (s *owned[T]) inVPCs(vpcs []string) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, v := range vpcs {
		for id := range s.byVPC[v] {
			out = append(out, s.items[id].obj)
		}
	}
	return out
}

// remove forgets id (lock held) and returns the change, if any.
func (s *owned[T]) remove(id string, notify bool) *Change {
	old := s.items[id]
	if old == nil {
		return nil
	}
	s.unindex(id, old)
	delete(s.items, id)
	if !notify {
		return nil
	}
	return s.change(id, old)
}

// markDirty records a write to ids: the next read of them must start after it.
func (s *owned[T]) markDirty(now time.Time, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.dirty[id] = now
	}
}

// markCreated records the create of id for the owner with that UID.
func (s *owned[T]) markCreated(now time.Time, id, ownerUID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirty[id] = now
	s.createdFor[id] = ownerUID
}

// clean forgets the write to id (lock held): a read that started after it has it.
func (s *owned[T]) clean(id string) {
	delete(s.dirty, id)
	delete(s.createdFor, id)
}

// mergeListing stores a complete listing of the owned objects that started at
// start, and returns what changed since the previous reads. Objects read by ID
// after start are kept as read. raw has the members' hashes and the members
// the listing found unchanged and did not decode (they are not in items).
func (s *owned[T]) mergeListing(start time.Time, items []T, raw rawReads) []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	notify := !s.listedAt.IsZero()
	var changes []Change
	seen := make(map[string]struct{}, len(items)+len(raw.unchanged))
	for _, it := range items {
		id := s.ops.id(it)
		seen[id] = struct{}{}
		if old := s.items[id]; old != nil && old.at.After(start) {
			continue
		}
		e := s.newEntry(it, start)
		e.raw = raw.hashes[id]
		if c := s.put(id, e, notify); c != nil {
			changes = append(changes, *c)
		}
	}
	for _, id := range raw.unchanged {
		seen[id] = struct{}{}
	}
	for id, e := range s.items {
		if _, ok := seen[id]; !ok && !e.at.After(start) {
			if c := s.remove(id, notify); c != nil {
				changes = append(changes, *c)
			}
		}
	}
	for id, w := range s.dirty {
		if w.Before(start) {
			s.clean(id) // the listing started after the write: it has the written state
		}
	}
	s.keepUnchanged(start, raw)
	if start.After(s.listedAt) {
		s.listedAt = start
	}
	return changes
}

// mergeRead stores what a read of ids that started at start found (items may hold
// other objects, which are stored when they are this cluster's), and returns what
// changed. An owned object the read did not find is forgotten: the next read of it
// asks EC2 itself. raw is as for mergeListing.
func (s *owned[T]) mergeRead(start time.Time, ids []string, items []T, raw rawReads) []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	notify := !s.listedAt.IsZero()
	var changes []Change
	found := make(map[string]struct{}, len(items)+len(raw.unchanged))
	for _, id := range raw.unchanged {
		found[id] = struct{}{}
	}
	for _, it := range items {
		id := s.ops.id(it)
		found[id] = struct{}{}
		old := s.items[id]
		if old != nil && old.at.After(start) {
			continue
		}
		e := s.newEntry(it, start)
		e.raw = raw.hashes[id]
		if !e.ourCopy {
			// Not this cluster's (any more): a read by ID of an object it owned
			// means its tags were taken off.
			if old != nil {
				if c := s.remove(id, notify); c != nil {
					changes = append(changes, *c)
				}
			}
			continue
		}
		if c := s.put(id, e, notify); c != nil {
			changes = append(changes, *c)
		}
	}
	for _, id := range ids {
		if w, ok := s.dirty[id]; ok && w.Before(start) {
			s.clean(id)
		}
		if _, ok := found[id]; ok {
			continue
		}
		if old := s.items[id]; old != nil && !old.at.After(start) {
			if c := s.remove(id, notify); c != nil {
				changes = append(changes, *c)
			}
		}
	}
	s.keepUnchanged(start, raw)
	return changes
}

// keepUnchanged stamps the entries a read that started at start found
// unchanged and did not decode (lock held). An entry replaced since the read
// looked (by an older read finishing late) no longer matches: it is marked
// for a read by ID, since this read's newer state of it was not decoded. One
// gone since is left to the next read.
func (s *owned[T]) keepUnchanged(start time.Time, raw rawReads) {
	for _, id := range raw.unchanged {
		old := s.items[id]
		switch {
		case old == nil || old.at.After(start):
		case old.raw == raw.hashes[id]:
			old.at = start
		default:
			s.dirty[id] = start
		}
	}
}

// rawHashOf returns the hash of id's member as EC2 last sent it (0: unknown).
func (s *owned[T]) rawHashOf(id string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.items[id]; e != nil {
		return e.raw
	}
	return 0
}

// objects returns the stored objects of ids (those the store has).
func (s *owned[T]) objects(ids []string) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		if e := s.items[id]; e != nil {
			out = append(out, e.obj)
		}
	}
	return out
}

// lookup returns the entry of id when a read that started at or after need has it
// and no write since; unsettled objects must have been read at or after pollNeed too.
func (s *owned[T]) lookup(id string, need, pollNeed time.Time) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	e := s.items[id]
	if e == nil || !s.fresh(id, e, need, pollNeed) {
		return zero, false
	}
	return e.obj, true
}

func (s *owned[T]) fresh(id string, e *entry[T], need, pollNeed time.Time) bool {
	if e.at.Before(need) || !e.settled && e.at.Before(pollNeed) {
		return false
	}
	if w, ok := s.dirty[id]; ok && !e.at.After(w) {
		return false
	}
	return true
}

// ownedQuery answers a query of this cluster's objects from the store. stale
// lists the IDs a read must refresh first (written since their last read, or
// unsettled and older than pollNeed among the candidates); listing is set when
// the last listing is older than need. uid narrows to one owner ("" for all).
func (s *owned[T]) ownedQuery(uid string, need, pollNeed time.Time) (cands []T, stale []string, listing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listedAt.IsZero() || s.listedAt.Before(need) {
		return nil, nil, true
	}
	for id, w := range s.dirty {
		if e := s.items[id]; e == nil || !e.at.After(w) {
			owner := s.createdFor[id]
			if e != nil {
				owner = e.ownerUID
			}
			if uid == "" || owner == "" || owner == uid {
				stale = append(stale, id)
			}
		}
	}
	add := func(id string, e *entry[T]) {
		if !e.ourCopy {
			return
		}
		if !s.fresh(id, e, time.Time{}, pollNeed) {
			stale = append(stale, id)
			return
		}
		cands = append(cands, e.obj)
	}
	if uid != "" {
		for id := range s.byOwner[uid] {
			add(id, s.items[id])
		}
	} else {
		for id, e := range s.items {
			add(id, e)
		}
	}
	sort.Strings(stale)
	return cands, compactStrings(stale), false
}

// toRefresh lists the objects a background read should look at: written since
// their last read, or unsettled (AWS is working on them).
func (s *owned[T]) toRefresh(pollNeed time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, w := range s.dirty {
		if e := s.items[id]; e == nil || !e.at.After(w) {
			ids = append(ids, id)
		}
	}
	for id, e := range s.items {
		if !e.settled && e.at.Before(pollNeed) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return compactStrings(ids)
}

// listed returns when the last complete listing started.
func (s *owned[T]) listed() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listedAt
}

// each calls fn for every stored object (lock held: fn must not call back).
func (s *owned[T]) each(fn func(T)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.items {
		fn(e.obj)
	}
}

func compactStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}
