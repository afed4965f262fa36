package ec2cache

import (
	"sync"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// Regional hands out EC2 clients per region.
type Regional interface {
	ForRegion(region string) awsclient.EC2
	DefaultRegion() string
}

// Source hands out one caching client per region.
type Source struct {
	next Regional
	o    Options
	mu   sync.Mutex
	by   map[string]*Client
}

// NewSource wraps a per-region client factory.
func NewSource(next Regional, o Options) *Source {
	return &Source{next: next, o: o, by: map[string]*Client{}}
}

// DefaultRegion is the region used when an object names none.
func (s *Source) DefaultRegion() string { return s.next.DefaultRegion() }

// ForRegion returns the caching client of a region.
func (s *Source) ForRegion(region string) awsclient.EC2 {
	if region == "" {
		region = s.next.DefaultRegion()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.by[region]
	if !ok {
		o := s.o
		o.Region = region
		c = New(s.next.ForRegion(region), o)
		s.by[region] = c
	}
	return c
}

// Clients returns the caching clients handed out so far.
func (s *Source) Clients() []*Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Client, 0, len(s.by))
	for _, c := range s.by {
		out = append(out, c)
	}
	return out
}
