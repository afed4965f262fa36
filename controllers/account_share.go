package controllers

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// accountShareWindow is how recently another AWS account must have had a
// reconcile for an account to be held to its share of the workers.
const accountShareWindow = time.Minute

// accountShare keeps the objects of one AWS account from holding more than
// half of a kind's reconcile workers while other accounts' objects are being
// reconciled too. Workers are shared by every account; an account AWS
// throttles makes its reconciles slow (waits for its slowed buckets, reads
// failing and retried), and without a share they took every worker, so the
// other accounts' objects waited in the queue while their buckets went unused.
// An account alone (the single-account case) may use every worker.
type accountShare struct {
	limit int
	clock clock.PassiveClock

	mu   sync.Mutex
	busy map[string]int
	seen map[string]time.Time
}

// newAccountShare returns the share of workers of one kind (half of them).
func newAccountShare(workers int) *accountShare {
	return &accountShare{limit: max(1, workers/2), clock: clock.RealClock{}, busy: map[string]int{}, seen: map[string]time.Time{}}
}

// acquire takes a worker for a reconcile of account's object, or reports that
// the account already holds its share while others are active: the object is
// then queued again shortly, its worker left to other accounts.
func (s *accountShare) acquire(account string) bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.seen[account] = now
	if s.busy[account] >= s.limit && s.othersActive(account, now) {
		return false
	}
	s.busy[account]++
	return true
}

// othersActive reports whether another account holds a worker or had one
// within accountShareWindow (lock held).
func (s *accountShare) othersActive(account string, now time.Time) bool {
	for a, at := range s.seen {
		if a == account {
			continue
		}
		if s.busy[a] > 0 || now.Sub(at) < accountShareWindow {
			return true
		}
		delete(s.seen, a) // long idle
	}
	return false
}

// release gives back the worker acquire took.
func (s *accountShare) release(account string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[account]--; s.busy[account] <= 0 {
		delete(s.busy, account)
	}
}
