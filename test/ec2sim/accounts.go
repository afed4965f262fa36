package ec2sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"sort"
)

// defaultAccountID is the account of a server without Options.Accounts.
const defaultAccountID = "123456789012"

// accountIDPattern is the form of an AWS account ID.
var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// regionPattern is the form of an AWS region name (us-east-1, us-gov-west-1).
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// registry is the root's table of accounts and of the temporary credentials
// STS issued.
type registry struct {
	root *Server
	seed uint64
	// strict is set when Options.Accounts lists the accounts: other access
	// keys are refused.
	strict   bool
	accounts map[string]*account
	order    []string            // account IDs in creation order; order[0] is the default account
	sessions map[string]*session // temporary credentials by access key ID
	// services are the PrivateLink services the root added for every
	// account, by region; cells created later get them too.
	services map[string][]*service
	cells    int // cells created so far
	// template holds the settings an account starts with: Options', then
	// what the emulator's own methods set for every account (faults,
	// consistency, throttling, IAM policy), so an account created later (a
	// new 12-digit key) gets them too. It has no cells.
	template *account
}

// account is one emulated AWS account: what is per account rather than per
// region (faults, counters, consistency, throttling on or off, IAM) and its
// cells, one per region used.
type account struct {
	id          string
	cells       map[string]*Server // by region
	faults      []*faultState
	counters    map[string]map[string]int // EC2 action -> outcome -> calls
	stsCounters map[string]map[string]int // STS action -> outcome -> calls made with this account's credentials
	consistency Consistency
	throttle    bool
	// authorizer is Options.Authorizer; policy, when set (SetIAMPolicy),
	// replaces it. Both apply to calls made with the account's own keys.
	authorizer func(action string, params url.Values, resourceTags map[string]string) error
	policy     *iamPolicy
	roles      map[string]*role
}

func newRegistry(root *Server, seed uint64) *registry {
	o := root.opts
	return &registry{
		root:     root,
		seed:     seed,
		accounts: map[string]*account{},
		sessions: map[string]*session{},
		services: map[string][]*service{},
		template: &account{
			consistency: Consistency{Window: max(o.ConsistencyWindow, 0), Jitter: o.ConsistencyJitter},
			throttle:    o.Throttle,
			authorizer:  o.Authorizer,
		},
	}
}

// addAccount creates an account with the root's settings and its cell in
// the default region (with the fixture when Options.Fixture is set).
func (r *registry) addAccount(id string) error {
	if !accountIDPattern.MatchString(id) {
		return fmt.Errorf("account ID %q is not 12 digits", id)
	}
	if r.accounts[id] != nil {
		return fmt.Errorf("account %s is listed twice", id)
	}
	t := r.template
	a := &account{
		id:          id,
		cells:       map[string]*Server{},
		counters:    map[string]map[string]int{},
		stsCounters: map[string]map[string]int{},
		faults:      slices.Clone(t.faults),
		consistency: t.consistency,
		throttle:    t.throttle,
		authorizer:  t.authorizer,
		policy:      t.policy,
		roles:       map[string]*role{},
	}
	r.accounts[id] = a
	r.order = append(r.order, id)
	r.cell(a, r.root.opts.Region)
	return nil
}

// account returns an account, creating it on first use on a server without
// Options.Accounts; nil when it is not an account of this server.
func (r *registry) account(id string) *account {
	if a := r.accounts[id]; a != nil {
		return a
	}
	if r.strict || !accountIDPattern.MatchString(id) {
		return nil
	}
	if err := r.addAccount(id); err != nil {
		return nil
	}
	return r.accounts[id]
}

// defaultAccount is the first account.
func (r *registry) defaultAccount() *account { return r.accounts[r.order[0]] }

// cell returns the account's cell in a region, creating it on first use: a
// fresh world with the region's service catalogue and zones, and the
// fixture when Options.Fixture is set.
func (r *registry) cell(a *account, region string) *Server {
	if c := a.cells[region]; c != nil {
		return c
	}
	root := r.root
	opts := root.opts
	opts.Region = region
	lagSeed := r.seed ^ 0x5851f42d4c957f2d
	if r.cells > 0 {
		// Every cell but the first draws its own lags, so a cell's
		// consistency jitter does not depend on calls in another.
		h := fnv.New64a()
		h.Write([]byte(a.id + "/" + region))
		lagSeed ^= h.Sum64()
	}
	c := &Server{
		mu:      root.mu,
		root:    root,
		opts:    opts,
		clock:   root.clock,
		rng:     root.rng,
		acct:    a,
		buckets: map[string]*bucket{},
		lagRng:  rand.New(rand.NewPCG(lagSeed, r.seed)),
	}
	c.w = newWorld(c)
	for _, sv := range r.services[region] {
		c.w.services = append(c.w.services, sv.copyFor(int64(len(c.w.services)+1)))
	}
	a.cells[region] = c
	r.cells++
	c.applyConsistency()
	if opts.Fixture {
		c.loadFixture()
	}
	return c
}

// cellsSorted returns an account's cells, by region name.
func (a *account) cellsSorted() []*Server {
	regions := make([]string, 0, len(a.cells))
	for region := range a.cells {
		regions = append(regions, region)
	}
	sort.Strings(regions)
	out := make([]*Server, len(regions))
	for i, region := range regions {
		out[i] = a.cells[region]
	}
	return out
}

// isRoot reports whether s is the emulator rather than a view of one
// account and region.
func (s *Server) isRoot() bool { return s.root == s }

// scopeAccounts returns the accounts a method of s acts on: every account
// for the root, the view's own account otherwise. The caller holds s.mu.
func (s *Server) scopeAccounts() []*account {
	if !s.isRoot() {
		return []*account{s.acct}
	}
	r := s.reg
	out := make([]*account, len(r.order))
	for i, id := range r.order {
		out[i] = r.accounts[id]
	}
	return out
}

// settingsScope is scopeAccounts plus, for the emulator, the template of
// accounts created later: what a setting of the emulator applies to. The
// caller holds s.mu.
func (s *Server) settingsScope() []*account {
	if !s.isRoot() {
		return []*account{s.acct}
	}
	return append(s.scopeAccounts(), s.reg.template)
}

// allCells returns every cell of the emulator. The caller holds s.mu.
func (s *Server) allCells() []*Server {
	var out []*Server
	for _, a := range s.root.scopeAccounts() {
		out = append(out, a.cellsSorted()...)
	}
	return out
}

// home returns the cell a method of s acts on for region-level state: the
// view itself, or the default account's cell in the default region for the
// root. The caller holds s.mu.
func (s *Server) home() *Server {
	if !s.isRoot() {
		return s
	}
	return s.reg.cell(s.reg.defaultAccount(), s.opts.Region)
}

// Account returns a view of one account in the region of s (the default
// region for the value New returns): its methods act on that account
// (faults, counters, consistency, throttling, IAM policy, roles) and that
// region of it (LoadFixture, AddEndpointService, DrainBuckets). On a server
// without Options.Accounts any 12-digit ID names an account, created on
// first use; otherwise Account panics for an ID that is not listed.
func (s *Server) Account(id string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.root.reg.account(id)
	if a == nil {
		panic(fmt.Sprintf("ec2sim: %q is not an account of this server (Options.Accounts: %v)", id, s.root.reg.order))
	}
	return s.root.reg.cell(a, s.opts.Region)
}

// Region returns a view of the same account (the default account for the
// value New returns) in another region, whose world, service catalogue and
// zones are that region's. It panics for a name that is not a region's.
func (s *Server) Region(region string) *Server {
	if !regionPattern.MatchString(region) {
		panic(fmt.Sprintf("ec2sim: %q is not a region name", region))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct
	if s.isRoot() {
		a = s.reg.defaultAccount()
	}
	return s.root.reg.cell(a, region)
}

// AccountID returns the account of a view, or the default account (the
// first of Options.Accounts, else 123456789012) for the value New returns.
func (s *Server) AccountID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isRoot() {
		return s.reg.order[0]
	}
	return s.acct.id
}

// Accounts returns the IDs of the emulator's accounts, the default first.
func (s *Server) Accounts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.root.reg.order)
}

// accountID is the account of a cell, the owner of every resource in it.
func (s *Server) accountID() string { return s.acct.id }
