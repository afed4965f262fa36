package ec2cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// ListIntervalChange says that the interval at which an account's and region's
// owned resources are listed changed: the read budget stretched it (or let it
// shrink back) because the listings' pages changed.
type ListIntervalChange struct {
	// Account and Region name the cache (Options.Account, Options.Region).
	Account, Region string
	// Interval is the interval now in force, Previous the one before (zero the
	// first time the interval is worked out).
	Interval, Previous time.Duration
	// Pages is how many EC2 calls one round of listings took last time.
	Pages int
}

// pageKinds are the owned listings of a round, each counted on its own.
const (
	pagesEndpoints = iota
	pagesGroups
	pagesICEs
	pageKinds
)

// listBudget keeps the refresher's listings of one account and region within
// Options.ListBudget EC2 calls a minute: each listing remembers how many pages it
// took, and the interval between rounds is stretched past Options.ListInterval
// when a round's pages would otherwise exceed the budget.
type listBudget struct {
	pages [pageKinds]atomic.Int64

	mu       sync.Mutex
	interval time.Duration // the interval last worked out; zero before the first
}

// record remembers the pages a complete owned listing of kind took.
func (b *listBudget) record(kind, pages int) { b.pages[kind].Store(int64(pages)) }

// round is the EC2 calls one round of listings takes, as last seen.
func (b *listBudget) round() int {
	n := 0
	for i := range b.pages {
		n += int(b.pages[i].Load())
	}
	return n
}

// budgetInterval is the interval between listing rounds of pages EC2 calls each
// that keeps them within perMinute calls a minute, and no shorter than interval.
// perMinute 0 or less: no budget.
func budgetInterval(interval time.Duration, perMinute, pages int) time.Duration {
	if interval <= 0 || perMinute <= 0 {
		return interval
	}
	return max(interval, time.Duration(pages)*time.Minute/time.Duration(perMinute))
}

// listInterval is the interval between listing rounds now (zero: no listing),
// reporting through Options.OnListInterval when it differs from the last one.
func (c *Client) listInterval() time.Duration {
	if c.o.ListInterval <= 0 {
		return 0
	}
	pages := c.budget.round()
	d := budgetInterval(c.o.ListInterval, c.o.ListBudget, pages)
	c.budget.mu.Lock()
	prev := c.budget.interval
	c.budget.interval = d
	c.budget.mu.Unlock()
	if d != prev && c.o.OnListInterval != nil {
		c.o.OnListInterval(ListIntervalChange{Account: c.o.Account, Region: c.o.Region, Interval: d, Previous: prev, Pages: pages})
	}
	return d
}

// snapshotTTL is the oldest owned snapshot a request takes when it asks for
// nothing fresher: Options.SnapshotTTL, stretched in the same proportion as the
// budget stretched the listing interval, so reconciles at the sync period do not
// list on their own behind the budget's back.
func (c *Client) snapshotTTL() time.Duration {
	c.budget.mu.Lock()
	d := c.budget.interval
	c.budget.mu.Unlock()
	if d <= c.o.ListInterval || c.o.ListInterval <= 0 {
		return c.o.SnapshotTTL
	}
	return time.Duration(float64(c.o.SnapshotTTL) * float64(d) / float64(c.o.ListInterval))
}
