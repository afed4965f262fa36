package ec2cache

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ListIntervalChange says that the interval at which an account's and region's
// owned resources are listed, or the age at which its inventory is listed again,
// changed: the read budget stretched them (or let them shrink back) because the
// listings' pages changed.
type ListIntervalChange struct {
	// Account and Region name the cache (Options.Account, Options.Region).
	Account, Region string
	// Interval is the interval now in force, Previous the one before (zero the
	// first time the interval is worked out). Zero: no listing (ListInterval 0).
	Interval, Previous time.Duration
	// Pages is how many EC2 calls one round of listings took last time.
	Pages int
	// InventoryInterval is the age at which the VPC, subnet and route-table
	// listings are refreshed when a read needs them (Options.InventoryTTL,
	// stretched in the same proportion as Interval), PreviousInventoryInterval
	// the one before (zero the first time).
	InventoryInterval, PreviousInventoryInterval time.Duration
	// InventoryPages is how many EC2 calls one refresh of the VPC, subnet and
	// route-table listings took last time (those listed so far).
	InventoryPages int
}

// pageKinds are the owned listings of a round, each counted on its own.
const (
	pagesEndpoints = iota
	pagesGroups
	pagesICEs
	pageKinds
)

// inventoryKinds are the region's inventory listings, each counted on its own.
const (
	inventoryVPCs = iota
	inventorySubnets
	inventoryRouteTables
	inventoryKinds
)

// listBudget keeps the listings of one account and region within
// Options.ListBudget EC2 calls a minute: each listing remembers how many pages it
// took, and when the owned rounds every Options.ListInterval and the inventory
// refreshes every Options.InventoryTTL would together exceed the budget, both
// are stretched by the same factor.
type listBudget struct {
	pages     [pageKinds]atomic.Int64
	inventory [inventoryKinds]atomic.Int64

	mu        sync.Mutex
	worked    bool          // whether the intervals were worked out once
	interval  time.Duration // the listing interval last worked out
	inventTTL time.Duration // the inventory age last worked out
}

// record remembers the pages a complete owned listing of kind took.
func (b *listBudget) record(kind, pages int) { b.pages[kind].Store(int64(pages)) }

// recordInventory remembers the pages a complete inventory listing of kind took.
func (b *listBudget) recordInventory(kind, pages int) { b.inventory[kind].Store(int64(pages)) }

// round is the EC2 calls one round of listings takes, as last seen.
func (b *listBudget) round() int {
	n := 0
	for i := range b.pages {
		n += int(b.pages[i].Load())
	}
	return n
}

// inventoryRound is the EC2 calls one refresh of every inventory listing takes,
// as last seen (those never listed count nothing).
func (b *listBudget) inventoryRound() int {
	n := 0
	for i := range b.inventory {
		n += int(b.inventory[i].Load())
	}
	return n
}

// budgetIntervals are the interval between owned listing rounds of pages EC2
// calls each and the age at which inventory listings of inventoryPages calls
// are refreshed that keep them, together, within perMinute calls a minute: the
// configured interval and ttl, both stretched by the same factor
// s = max(1, (pages/interval + inventoryPages/ttl) / perMinute), in calls a
// minute. An interval or ttl of 0 or less takes no part (and stays as it is);
// perMinute 0 or less: no budget.
func budgetIntervals(interval time.Duration, pages int, ttl time.Duration, inventoryPages int, perMinute int) (time.Duration, time.Duration) {
	if perMinute <= 0 {
		return interval, ttl
	}
	rate := 0.0 // calls a minute
	if interval > 0 {
		rate += float64(pages) * float64(time.Minute) / float64(interval)
	}
	if ttl > 0 {
		rate += float64(inventoryPages) * float64(time.Minute) / float64(ttl)
	}
	s := rate / float64(perMinute)
	if s <= 1 {
		return interval, ttl
	}
	return stretchBy(interval, s), stretchBy(ttl, s)
}

// stretchBy is d times s (s > 1) rounded up to the millisecond (within the
// float's error, a nanosecond: 30 s times 3.2 is 96 s), so the budget holds.
func stretchBy(d time.Duration, s float64) time.Duration {
	if d <= 0 {
		return d
	}
	ms := math.Ceil(float64(d)*s/float64(time.Millisecond) - 1e-6)
	return max(d, time.Duration(ms)*time.Millisecond)
}

// intervals works out the listing interval (zero: no listing) and the
// inventory age now in force, reporting through Options.OnListInterval when
// they differ from the last ones.
func (c *Client) intervals() (list, inventory time.Duration) {
	pages, inventoryPages := c.budget.round(), c.budget.inventoryRound()
	list, inventory = budgetIntervals(max(c.o.ListInterval, 0), pages, c.o.InventoryTTL, inventoryPages, c.o.ListBudget)
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	prev, prevInventory, worked := c.budget.interval, c.budget.inventTTL, c.budget.worked
	c.budget.interval, c.budget.inventTTL, c.budget.worked = list, inventory, true
	if (!worked || list != prev || inventory != prevInventory) && c.o.OnListInterval != nil {
		// Under the lock, so that changes are reported in order.
		c.o.OnListInterval(ListIntervalChange{Account: c.o.Account, Region: c.o.Region,
			Interval: list, Previous: prev, Pages: pages,
			InventoryInterval: inventory, PreviousInventoryInterval: prevInventory, InventoryPages: inventoryPages})
	}
	return list, inventory
}

// listInterval is the interval between listing rounds now (zero: no listing).
func (c *Client) listInterval() time.Duration {
	list, _ := c.intervals()
	return list
}

// inventoryTTL is the oldest VPC, subnet and route-table listing (and by-ID
// check of a group the user names) a request takes when it asks for nothing
// fresher: Options.InventoryTTL, stretched by the read budget in the same
// proportion as the listing interval, since its refreshes count in the budget
// too. A request that asks for fresh data (WithFresh, WithFreshSince,
// WithMaxAge) still gets it: only this default age is stretched.
func (c *Client) inventoryTTL() time.Duration {
	_, inventory := c.intervals()
	return inventory
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
