package ec2cache

import (
	"context"
	"sync"
	"time"
)

// list is a cached, region-wide listing, refreshed when older than the age a
// request accepts. One refresh runs at a time; concurrent readers wait for it and
// share its result.
type list[T any] struct {
	mu    sync.Mutex
	items []T
	at    time.Time // when the fetch that produced items started
}

func (l *list[T]) get(ctx context.Context, now time.Time, age time.Duration, fetch func(context.Context) ([]T, error)) ([]T, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.at.IsZero() && now.Sub(l.at) < age {
		return l.items, l.at, nil
	}
	items, err := fetch(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	l.items, l.at = items, now
	return items, now, nil
}

// owned tracks the objects the controller owns in a region: a snapshot, plus
// objects re-read by ID since (overlay), plus objects written since (dirty).
type owned[T any] struct {
	snap    list[T]
	mu      sync.Mutex
	overlay map[string]stamped[T]
	dirty   map[string]time.Time
}

type stamped[T any] struct {
	obj T
	at  time.Time
}

func (o *owned[T]) init() {
	if o.overlay == nil {
		o.overlay = map[string]stamped[T]{}
		o.dirty = map[string]time.Time{}
	}
}

// markDirty records a write to id: reads of it go to EC2 until it is re-read.
func (o *owned[T]) markDirty(now time.Time, ids ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.init()
	for _, id := range ids {
		o.dirty[id] = now
	}
}

// reread stores fresh copies of objects read by ID, and forgets ones EC2 no longer has.
func (o *owned[T]) reread(now time.Time, objs map[string]T, goneIDs []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.init()
	for id, obj := range objs {
		o.overlay[id] = stamped[T]{obj: obj, at: now}
		delete(o.dirty, id)
	}
	for _, id := range goneIDs {
		delete(o.overlay, id)
		o.dirty[id] = now
	}
}

// view merges the snapshot with newer re-reads. It returns ok=false when an object
// is dirty (written and not re-read), since only EC2 knows it now.
func (o *owned[T]) view(items []T, snapAt time.Time, id func(T) string) (map[string]T, map[string]bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.init()
	out := make(map[string]T, len(items))
	for _, it := range items {
		out[id(it)] = it
	}
	dirty := map[string]bool{}
	for k, ov := range o.overlay {
		if ov.at.After(snapAt) {
			out[k] = ov.obj
		} else {
			delete(o.overlay, k) // the snapshot is newer
		}
	}
	for k, w := range o.dirty {
		if ov, read := o.overlay[k]; read && !ov.at.Before(w) {
			continue
		}
		if w.Before(snapAt) {
			// The snapshot started after the write: it has the written state.
			delete(o.dirty, k)
			continue
		}
		dirty[k] = true
	}
	return out, dirty
}
