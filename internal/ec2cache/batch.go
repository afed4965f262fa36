package ec2cache

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"
)

// maxFilterValues is how many filter values EC2 accepts in one request, all
// filters together (more is FilterLimitExceeded).
const maxFilterValues = 200

// batch coalesces the reads of one EC2 action with one set of filter names. A
// caller asks for a read that starts after it asked; reads start at most once per
// spacing, and each serves every caller that asked before it started with one
// request whose filters carry the union of their values (each caller then keeps
// what matches its own filters). Concurrent requests for fresh data so cost one
// call, and a describe of many IDs one call with many IDs.
//
// A caller may be patient (a confirmation: see Options.ConfirmSpacing): a read
// that only patient callers wait for starts at most once per patient spacing
// too, counted from the last read that served patient callers. An impatient
// caller joining it brings it forward to the spacing.
type batch[T any] struct {
	clock   clock.Clock
	spacing time.Duration
	// patient is the spacing of reads only patient callers wait for; at most
	// spacing means none longer.
	patient time.Duration
	// fetch reads every page of one request that started at start.
	fetch func(ctx context.Context, start time.Time, filters []types.Filter) ([]T, error)
	// done, when set, is given every read that succeeded: the filter values it
	// asked for (not to be changed), what EC2 answered, and when it started.
	done func(values map[string]map[string]struct{}, items []T, start time.Time)

	mu          sync.Mutex
	next        *pass[T] // gathering callers, not started yet
	last        time.Time
	lastPatient time.Time // the last read that served patient callers
}

// pass is one coalesced read: the union of its callers' filter values, and what
// EC2 answered.
type pass[T any] struct {
	values map[string]map[string]struct{} // filter name -> values
	done   chan struct{}
	start  time.Time
	items  []T
	err    error
	// hurry is set when an impatient caller waits, patient when a patient one
	// does; sooner wakes the pass when an impatient caller joins it.
	hurry, patient bool
	sooner         chan struct{}
	// callers is how many callers joined it.
	callers int
}

// query joins the next read with these filters and waits for its answer. It
// returns the items of the union request (a superset of what the filters select)
// and when the read started.
func (b *batch[T]) query(ctx context.Context, filters []types.Filter) ([]T, time.Time, error) {
	return b.join(ctx, filters, false)
}

// join is query for a patient or an impatient caller.
func (b *batch[T]) join(ctx context.Context, filters []types.Filter, patient bool) ([]T, time.Time, error) {
	b.mu.Lock()
	p := b.next
	if p == nil {
		p = &pass[T]{values: map[string]map[string]struct{}{}, done: make(chan struct{}), sooner: make(chan struct{}, 1)}
		b.next = p
		go b.run(p)
	}
	if patient {
		p.patient = true
	} else if !p.hurry {
		p.hurry = true
		select {
		case p.sooner <- struct{}{}:
		default:
		}
	}
	p.callers++
	for _, f := range filters {
		name := aws.ToString(f.Name)
		if p.values[name] == nil {
			p.values[name] = map[string]struct{}{}
		}
		for _, v := range f.Values {
			p.values[name][v] = struct{}{}
		}
	}
	b.mu.Unlock()
	select {
	case <-p.done:
		return p.items, p.start, p.err
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	}
}

// readTimeout bounds one coalesced read; it runs for every caller, so no single
// caller's context may cancel it.
const readTimeout = 2 * time.Minute

func (b *batch[T]) run(p *pass[T]) {
	for {
		b.mu.Lock()
		now := b.clock.Now()
		due := b.due(p)
		if !now.Before(due) {
			b.next = nil
			p.start = now
			b.last = now
			if p.patient {
				b.lastPatient = now
			}
			b.mu.Unlock()
			break
		}
		b.mu.Unlock()
		t := b.clock.NewTimer(due.Sub(now))
		select {
		case <-t.C():
		case <-p.sooner:
			t.Stop()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	for _, filters := range chunkFilters(p.values) {
		items, err := b.fetch(ctx, p.start, filters)
		if err != nil {
			p.items, p.err = nil, err
			break
		}
		p.items = append(p.items, items...)
	}
	if p.err == nil && b.done != nil {
		b.done(p.values, p.items, p.start)
	}
	close(p.done)
}

// due is when pass p may start (lock held): a spacing after the last read, and
// when no impatient caller waits for it, a patient spacing after the last read
// that served patient callers.
func (b *batch[T]) due(p *pass[T]) time.Time {
	var due time.Time
	if !b.last.IsZero() {
		due = b.last.Add(b.spacing)
	}
	if !p.hurry && !b.lastPatient.IsZero() {
		if d := b.lastPatient.Add(b.patient); d.After(due) {
			due = d
		}
	}
	return due
}

// chunkFilters turns the union of filter values into requests of at most
// maxFilterValues values each, splitting the largest filter's values.
func chunkFilters(values map[string]map[string]struct{}) [][]types.Filter {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	sorted := map[string][]string{}
	largest, others := "", 0
	for _, n := range names {
		vs := make([]string, 0, len(values[n]))
		for v := range values[n] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		sorted[n] = vs
		if largest == "" || len(vs) > len(sorted[largest]) {
			largest = n
		}
	}
	for _, n := range names {
		if n != largest {
			others += len(sorted[n])
		}
	}
	room := maxFilterValues - others
	if largest == "" || room < 1 {
		room = len(sorted[largest]) // cannot split further: one request, EC2 decides
	}
	all := sorted[largest]
	var out [][]types.Filter
	for i := 0; i < len(all) || i == 0; i += max(room, 1) {
		var fs []types.Filter
		for _, n := range names {
			vs := sorted[n]
			if n == largest {
				vs = all[i:min(len(all), i+max(room, 1))]
			}
			fs = append(fs, types.Filter{Name: aws.String(n), Values: vs})
		}
		out = append(out, fs)
		if len(all) == 0 {
			break
		}
	}
	return out
}

// signature names a set of filters by their names, so requests with the same
// names share a batch.
func signature(filters []types.Filter) string {
	names := make([]string, 0, len(filters))
	for _, f := range filters {
		names = append(names, aws.ToString(f.Name))
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// batches holds one batch per filter signature.
type batches[T any] struct {
	clock   clock.Clock
	spacing time.Duration
	patient time.Duration // see batch.patient
	fetch   func(ctx context.Context, start time.Time, filters []types.Filter) ([]T, error)
	done    func(values map[string]map[string]struct{}, items []T, start time.Time) // see batch.done
	mu      sync.Mutex
	by      map[string]*batch[T]
}

func (bs *batches[T]) query(ctx context.Context, filters []types.Filter) ([]T, time.Time, error) {
	return bs.join(ctx, filters, false)
}

// confirm is query for a read by ID that confirms writes or polls AWS's work:
// patient (Options.ConfirmSpacing) unless ctx asks for fresh data of kind.
func (bs *batches[T]) confirm(ctx context.Context, kind Kinds, filters []types.Filter) ([]T, time.Time, error) {
	return bs.join(ctx, filters, patient(ctx, kind))
}

func (bs *batches[T]) join(ctx context.Context, filters []types.Filter, patient bool) ([]T, time.Time, error) {
	sig := signature(filters)
	bs.mu.Lock()
	if bs.by == nil {
		bs.by = map[string]*batch[T]{}
	}
	b, ok := bs.by[sig]
	if !ok {
		b = &batch[T]{clock: bs.clock, spacing: bs.spacing, patient: bs.patient, fetch: bs.fetch, done: bs.done}
		bs.by[sig] = b
	}
	bs.mu.Unlock()
	return b.join(ctx, filters, patient)
}
