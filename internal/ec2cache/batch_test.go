package ec2cache

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	clocktesting "k8s.io/utils/clock/testing"
)

// recordingFetch answers every request with one item per value of its first
// filter, and records the requests.
type recordingFetch struct {
	mu       sync.Mutex
	requests [][]types.Filter
	calls    atomic.Int32
}

func (r *recordingFetch) fetch(_ context.Context, _ time.Time, filters []types.Filter) ([]string, error) {
	r.calls.Add(1)
	r.mu.Lock()
	r.requests = append(r.requests, filters)
	r.mu.Unlock()
	return filters[0].Values, nil
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// waitFor polls a condition that other goroutines make true; it never measures time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBatchCoalescesConcurrentRequestsIntoOneCall(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	rec := &recordingFetch{}
	b := &batch[string]{clock: clk, spacing: 10 * time.Second, fetch: rec.fetch}

	// A first read runs at once.
	if got, _, err := b.query(context.Background(), idFilter("vpc-endpoint-id", []string{"a"})); err != nil || len(got) != 1 {
		t.Fatalf("first read: %v %v", got, err)
	}
	// Twenty requests within the spacing wait for the next read, which serves
	// them all with one call carrying every ID.
	var wg sync.WaitGroup
	results := make([][]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _, _ = b.query(context.Background(), idFilter("vpc-endpoint-id", []string{fmt.Sprintf("id-%d", i)}))
		}()
	}
	waitFor(t, "the next read to wait for its turn", func() bool { return clk.HasWaiters() })
	// Give every request the chance to join before the read starts.
	waitFor(t, "all requests to join", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.next != nil && len(b.next.values["vpc-endpoint-id"]) == 20
	})
	if n := rec.calls.Load(); n != 1 {
		t.Fatalf("a read ran before its turn: %d calls", n)
	}
	clk.Step(10 * time.Second)
	wg.Wait()
	if n := rec.calls.Load(); n != 2 {
		t.Fatalf("%d calls for 21 requests, want 2", n)
	}
	for i, r := range results {
		if len(r) != 20 {
			t.Fatalf("request %d got %d items, want the union of 20", i, len(r))
		}
	}
}

func TestBatchReadStartsAfterTheRequest(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	rec := &recordingFetch{}
	b := &batch[string]{clock: clk, spacing: 10 * time.Second, fetch: rec.fetch}
	_, first, _ := b.query(context.Background(), idFilter("x", []string{"a"}))
	clk.Step(3 * time.Second)
	asked := clk.Now()
	done := make(chan time.Time)
	go func() {
		_, start, _ := b.query(context.Background(), idFilter("x", []string{"a"}))
		done <- start
	}()
	waitFor(t, "the read to wait for the spacing", func() bool { return clk.HasWaiters() })
	clk.Step(7 * time.Second)
	start := <-done
	if start.Before(asked) || start.Sub(first) < 10*time.Second {
		t.Fatalf("read started at %v: asked at %v, previous read at %v, spacing 10s", start, asked, first)
	}
}

func TestChunkFiltersStaysWithinEC2sFilterValueLimit(t *testing.T) {
	values := map[string]map[string]struct{}{"vpc-endpoint-id": {}, "vpc-endpoint-type": {"Interface": {}}}
	for _, id := range ids("vpce", 450) {
		values["vpc-endpoint-id"][id] = struct{}{}
	}
	chunks := chunkFilters(values)
	if len(chunks) != 3 {
		t.Fatalf("%d requests for 450 IDs and one other value, want 3", len(chunks))
	}
	seen := map[string]bool{}
	for _, fs := range chunks {
		n := 0
		for _, f := range fs {
			n += len(f.Values)
			if aws.ToString(f.Name) == "vpc-endpoint-id" {
				for _, v := range f.Values {
					seen[v] = true
				}
			}
		}
		if n > maxFilterValues {
			t.Fatalf("a request carries %d filter values", n)
		}
	}
	if len(seen) != 450 {
		t.Fatalf("%d of 450 IDs asked", len(seen))
	}
}

// TestPatientReadsShareTheConfirmationWindow: confirmations (patient callers)
// of writes made one every 5 seconds share one read per patient spacing (30 s)
// instead of one per spacing (10 s); a caller that needs fresh data joining a
// pass of confirmations gets it within the spacing, and serves them too.
func TestPatientReadsShareTheConfirmationWindow(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	rec := &recordingFetch{}
	b := &batch[string]{clock: clk, spacing: 10 * time.Second, patient: 30 * time.Second, fetch: rec.fetch}
	ctx := context.Background()
	joined := func(id string) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.next == nil {
			return false
		}
		_, ok := b.next.values["x"][id]
		return ok
	}
	type answer struct {
		items []string
		start time.Time
	}
	ask := func(id string, patient bool) chan answer {
		ch := make(chan answer, 1)
		go func() {
			items, start, _ := b.join(ctx, idFilter("x", []string{id}), patient)
			ch <- answer{items, start}
		}()
		waitFor(t, id+" to join the next read", func() bool { return joined(id) && clk.HasWaiters() || len(ch) == 1 })
		return ch
	}
	// The first confirmation reads at once.
	if _, _, err := b.join(ctx, idFilter("x", []string{"a"}), true); err != nil || rec.calls.Load() != 1 {
		t.Fatalf("first confirmation: %v, %d calls", err, rec.calls.Load())
	}
	t0 := clk.Now()
	// Five more writes, one every 5 s, each confirmed at once.
	var waiting []chan answer
	for _, id := range []string{"b", "c", "d", "e", "f"} {
		clk.Step(5 * time.Second)
		waiting = append(waiting, ask(id, true))
	}
	clk.Step(5 * time.Second) // 30 s after the first read
	for _, ch := range waiting {
		if a := <-ch; len(a.items) != 5 {
			t.Fatalf("a confirmation got %v, want the read of all 5", a.items)
		}
	}
	if n := rec.calls.Load(); n != 2 {
		t.Fatalf("%d reads to confirm 6 writes made over 25 s, want 2", n)
	}
	// A confirmation waits for the window; a request for fresh data 5 s later
	// brings the read forward to 10 s after the last one, and it serves both.
	clk.Step(5 * time.Second)
	confirm := ask("g", true)
	clk.Step(5 * time.Second)
	fresh := ask("h", false)
	a, f := <-confirm, <-fresh
	if n := rec.calls.Load(); n != 3 || len(a.items) != 2 || a.start != f.start {
		t.Fatalf("%d reads; confirmation got %v at %v, fresh request at %v: want one read serving both", n, a.items, a.start, f.start)
	}
	if got := f.start.Sub(t0); got != 40*time.Second {
		t.Fatalf("fresh read started %v after the first, want 40s (10 s after the last read)", got)
	}
}

// TestOnlyRequestsAskingNothingFreshArePatient: a reconcile acting on a new
// spec (WithFresh, WithFreshSince) or forcing a read (WithMaxAge) gets the short
// window; one that only confirms its own writes, and the refresher, the long one.
func TestOnlyRequestsAskingNothingFreshArePatient(t *testing.T) {
	bg := context.Background()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"no freshness asked", bg, true},
		{"fresh endpoints", WithFresh(bg, Endpoints), false},
		{"fresh since a spec was seen", WithFreshSince(bg, All, time.Unix(1000, 0)), false},
		{"fresh groups only", WithFresh(bg, Groups), true},
		{"a forced read", WithMaxAge(bg, 0), false},
	} {
		if got := patient(c.ctx, Endpoints); got != c.want {
			t.Errorf("%s: patient %v, want %v", c.name, got, c.want)
		}
	}
}
