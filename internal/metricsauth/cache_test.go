package metricsauth

import (
	"net/http"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

var (
	allowed         = decision{code: http.StatusOK, user: "reader"}
	forbidden       = decision{code: http.StatusForbidden, user: "stranger"}
	unauthenticated = decision{code: http.StatusUnauthorized}
)

// cacheStep is one operation on the cache: wait, then put or look up a key.
type cacheStep struct {
	wait time.Duration
	// put stores d under key; otherwise key is looked up and want is expected.
	put  bool
	d    decision
	key  cacheKey
	want *decision // nil: a miss
}

func TestDecisionCache(t *testing.T) {
	metrics := keyOf("token-a", "get", "/metrics")
	const allowedTTL, refusedTTL = time.Minute, 30 * time.Second
	for _, tc := range []struct {
		name  string
		size  int
		steps []cacheStep
		// wantLen is the number of entries held at the end.
		wantLen int
	}{
		{
			name: "an allowed decision is kept for its TTL, and no longer",
			size: 4,
			steps: []cacheStep{
				{key: metrics},
				{put: true, key: metrics, d: allowed},
				{key: metrics, want: &allowed},
				{wait: allowedTTL - time.Nanosecond, key: metrics, want: &allowed},
				{wait: time.Nanosecond, key: metrics},
			},
			wantLen: 0, // the expired entry is dropped when looked up
		},
		{
			name: "a forbidden decision is kept for the shorter refused TTL",
			size: 4,
			steps: []cacheStep{
				{put: true, key: metrics, d: forbidden},
				{wait: refusedTTL - time.Second, key: metrics, want: &forbidden},
				{wait: time.Second, key: metrics},
			},
		},
		{
			name: "an unauthenticated token is kept for the refused TTL too",
			size: 4,
			steps: []cacheStep{
				{put: true, key: metrics, d: unauthenticated},
				{wait: refusedTTL - time.Second, key: metrics, want: &unauthenticated},
				{wait: time.Second, key: metrics},
			},
		},
		{
			name: "a new decision replaces the old one and restarts its TTL",
			size: 4,
			steps: []cacheStep{
				{put: true, key: metrics, d: forbidden},
				{wait: 20 * time.Second, put: true, key: metrics, d: allowed},
				{wait: 50 * time.Second, key: metrics, want: &allowed},
			},
			wantLen: 1,
		},
		{
			name: "another token, verb or path is another entry",
			size: 4,
			steps: []cacheStep{
				{put: true, key: metrics, d: allowed},
				{key: keyOf("token-b", "get", "/metrics")},
				{key: keyOf("token-a", "post", "/metrics")},
				{key: keyOf("token-a", "get", "/debug/pprof/")},
				{key: keyOf("token-a", "get", "/metrics"), want: &allowed},
			},
			wantLen: 1,
		},
		{
			name: "the size is bounded and the least recently used entry goes first",
			size: 2,
			steps: []cacheStep{
				{put: true, key: keyOf("a", "get", "/metrics"), d: allowed},
				{put: true, key: keyOf("b", "get", "/metrics"), d: forbidden},
				{key: keyOf("a", "get", "/metrics"), want: &allowed}, // a is now the most recent
				{put: true, key: keyOf("c", "get", "/metrics"), d: unauthenticated},
				{key: keyOf("b", "get", "/metrics")},
				{key: keyOf("a", "get", "/metrics"), want: &allowed},
				{key: keyOf("c", "get", "/metrics"), want: &unauthenticated},
			},
			wantLen: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			c := newDecisionCache(tc.size, allowedTTL, refusedTTL, clock.now)
			for i, s := range tc.steps {
				clock.advance(s.wait)
				if s.put {
					c.put(s.key, s.d)
					continue
				}
				got, ok := c.get(s.key)
				switch {
				case s.want == nil && ok:
					t.Errorf("step %d: got %+v, want a miss", i, got)
				case s.want != nil && !ok:
					t.Errorf("step %d: a miss, want %+v", i, *s.want)
				case s.want != nil && got != *s.want:
					t.Errorf("step %d: got %+v, want %+v", i, got, *s.want)
				}
			}
			if got := c.len(); got != tc.wantLen {
				t.Errorf("the cache holds %d entries, want %d", got, tc.wantLen)
			}
		})
	}
}
