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
