// Package backoff paces retries per object: capped, jittered, growing with each
// consecutive failure, with a slow pace for errors only the user can fix, so no
// object ever hot-loops and no worker sleeps.
package backoff

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Schedule is a base delay doubled per consecutive attempt up to a cap.
type Schedule struct {
	Base, Cap time.Duration
}

// Policy holds the schedules per error class and for polling AWS while it works.
type Policy struct {
	Retryable, Throttled, Terminal, Poll Schedule
}

// DefaultPolicy: fast retries for transient faults, slower for throttling, slow for
// terminal errors; polls start at the engine's pending interval.
var DefaultPolicy = Policy{
	Retryable: Schedule{Base: time.Second, Cap: time.Minute},
	Throttled: Schedule{Base: 2 * time.Second, Cap: 2 * time.Minute},
	Terminal:  Schedule{Base: 15 * time.Second, Cap: 10 * time.Minute},
	Poll:      Schedule{Base: 0, Cap: 30 * time.Second},
}

// Tracker counts consecutive failures (or polls) per key.
type Tracker struct {
	Policy Policy
	mu     sync.Mutex
	fails  map[string]int
	polls  map[string]int
}

// NewTracker returns a tracker with the given policy.
func NewTracker(p Policy) *Tracker {
	return &Tracker{Policy: p, fails: map[string]int{}, polls: map[string]int{}}
}

// Failure records a failure of key and returns how long to wait before retrying.
func (t *Tracker) Failure(key string, class awserr.Class) time.Duration {
	t.mu.Lock()
	n := t.fails[key]
	t.fails[key] = n + 1
	t.mu.Unlock()
	s := t.Policy.Retryable
	switch class {
	case awserr.Throttled:
		s = t.Policy.Throttled
	case awserr.Terminal:
		s = t.Policy.Terminal
	}
	return jitter(grow(s.Base, s.Cap, n))
}

// Poll records one more poll of key while AWS works, starting from base; the
// interval doubles every two polls up to the poll cap.
func (t *Tracker) Poll(key string, base time.Duration) time.Duration {
	t.mu.Lock()
	n := t.polls[key]
	t.polls[key] = n + 1
	delete(t.fails, key)
	t.mu.Unlock()
	return jitter(grow(base, t.Policy.Poll.Cap, n/2))
}

// Success forgets key's failures and polls.
func (t *Tracker) Success(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	delete(t.polls, key)
	t.mu.Unlock()
}

// Failures returns key's consecutive failures.
func (t *Tracker) Failures(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fails[key]
}

func grow(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// jitter spreads d over [0.8d, 1.2d] so objects that failed together do not retry together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Jitter spreads d over [0.8d, 1.2d].
func Jitter(d time.Duration) time.Duration { return jitter(d) }
