package ec2sim

import (
	"time"
)

// bucket is a token bucket: size tokens, refilled at rate per second.
type bucket struct {
	size, rate float64
	tokens     float64
	last       time.Time
}

// bucketFor names an action's throttling bucket with AWS's published sizes
// and refill rates: describe 100/20, mutating 50/5, tags 100/10 and one
// shared bucket of 4/0.3 for Create, Modify and DeleteVpcEndpoint(s).
func bucketFor(action string) (name string, size, rate float64) {
	switch {
	case action == "CreateVpcEndpoint" || action == "ModifyVpcEndpoint" || action == "DeleteVpcEndpoints":
		return "vpc-endpoint", 4, 0.3
	case action == "CreateTags" || action == "DeleteTags":
		return "tags", 100, 10
	case IsMutating(action):
		return "mutating", 50, 5
	}
	return "describe", 100, 20
}

// takeToken takes a token for the action from the cell's bucket (AWS's
// buckets are per account and region), reporting false when throttled. The
// caller holds s.mu.
func (s *Server) takeToken(action string) bool {
	if !s.acct.throttle {
		return true
	}
	name, size, rate := bucketFor(action)
	now := s.now()
	b := s.buckets[name]
	if b == nil {
		b = &bucket{size: size, rate: rate, tokens: size, last: now}
		s.buckets[name] = b
	}
	b.tokens = min(b.size, b.tokens+now.Sub(b.last).Seconds()*b.rate*s.opts.TimeScale)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// SetThrottle turns throttling on or off in every account for the value New
// returns, in the view's account otherwise; turning it on starts with full
// buckets.
func (s *Server) SetThrottle(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.settingsScope() {
		a.throttle = enabled
		for _, c := range a.cellsSorted() {
			c.buckets = map[string]*bucket{}
		}
	}
}

// DrainBuckets empties the throttle buckets of the view's account in its
// region (of every account and region for the value New returns): while
// throttling is on, calls there answer RequestLimitExceeded until the
// buckets refill at AWS's rates (times the time scale) on the emulator's
// clock. Other accounts and regions are untouched.
func (s *Server) DrainBuckets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	cells := []*Server{s}
	if s.isRoot() {
		cells = s.allCells()
	}
	now := s.now()
	for _, c := range cells {
		for _, action := range []string{"DescribeVpcs", "CreateVpc", "CreateTags", "CreateVpcEndpoint"} {
			name, size, rate := bucketFor(action)
			c.buckets[name] = &bucket{size: size, rate: rate, tokens: 0, last: now}
		}
	}
}

// setOpts changes an option of the emulator and of every cell. The caller
// holds s.mu.
func (s *Server) setOpts(set func(*Options)) {
	set(&s.root.opts)
	for _, c := range s.allCells() {
		set(&c.opts)
	}
}

// SetTimeScale sets the factor that divides state delays and multiplies
// throttle refill rates (values <= 0 mean 1), in the whole emulator.
func (s *Server) SetTimeScale(f float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f <= 0 {
		f = 1
	}
	s.setOpts(func(o *Options) { o.TimeScale = f })
}

// SetStateDelay sets the unscaled time endpoints spend pending, deleting and
// Instance Connect Endpoints spend in progress, in the whole emulator.
func (s *Server) SetStateDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setOpts(func(o *Options) { o.StateDelay = d })
}
