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
type batch[T any] struct {
	clock   clock.Clock
	spacing time.Duration
	// fetch reads every page of one request that started at start.
	fetch func(ctx context.Context, start time.Time, filters []types.Filter) ([]T, error)

	mu   sync.Mutex
	next *pass[T] // gathering callers, not started yet
	last time.Time
}

// pass is one coalesced read: the union of its callers' filter values, and what
// EC2 answered.
type pass[T any] struct {
	values map[string]map[string]struct{} // filter name -> values
	done   chan struct{}
	start  time.Time
	items  []T
	err    error
}

// query joins the next read with these filters and waits for its answer. It
// returns the items of the union request (a superset of what the filters select)
// and when the read started.
func (b *batch[T]) query(ctx context.Context, filters []types.Filter) ([]T, time.Time, error) {
	b.mu.Lock()
	p := b.next
	if p == nil {
		p = &pass[T]{values: map[string]map[string]struct{}{}, done: make(chan struct{})}
		b.next = p
		wait := time.Duration(0)
		if !b.last.IsZero() {
			wait = b.last.Add(b.spacing).Sub(b.clock.Now())
		}
		go b.run(p, wait)
	}
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

func (b *batch[T]) run(p *pass[T], wait time.Duration) {
	if wait > 0 {
		<-b.clock.After(wait)
	}
	b.mu.Lock()
	b.next = nil
	p.start = b.clock.Now()
	b.last = p.start
	b.mu.Unlock()
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
	close(p.done)
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
	fetch   func(ctx context.Context, start time.Time, filters []types.Filter) ([]T, error)
	mu      sync.Mutex
	by      map[string]*batch[T]
}

func (bs *batches[T]) query(ctx context.Context, filters []types.Filter) ([]T, time.Time, error) {
	sig := signature(filters)
	bs.mu.Lock()
	if bs.by == nil {
		bs.by = map[string]*batch[T]{}
	}
	b, ok := bs.by[sig]
	if !ok {
		b = &batch[T]{clock: bs.clock, spacing: bs.spacing, fetch: bs.fetch}
		bs.by[sig] = b
	}
	bs.mu.Unlock()
	return b.query(ctx, filters)
}
