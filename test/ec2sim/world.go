package ec2sim

import (
	"sort"
	"time"
)

// world is the emulated account's state in one region.
type world struct {
	seq         int64
	vpcs        map[string]*vpc
	subnets     map[string]*subnet
	routeTables map[string]*routeTable
	groups      map[string]*securityGroup
	enis        map[string]*eni
	endpoints   map[string]*endpoint
	ices        map[string]*iceEndpoint
	services    []*service
	tags        map[string]map[string]string // resource ID -> key -> value
	tokens      map[string]clientTokenUse    // CreateVpcEndpoint ClientToken -> use
	lingering   []lingeringENI               // interfaces of deleted endpoints, by removal time
	// hist is what reads see while eventual consistency is on: kind prefix
	// -> resource ID -> versions (consistency.go); nil when it is off.
	hist map[string]map[string]*history
}

func newWorld(s *Server) *world {
	return &world{
		vpcs:        map[string]*vpc{},
		subnets:     map[string]*subnet{},
		routeTables: map[string]*routeTable{},
		groups:      map[string]*securityGroup{},
		enis:        map[string]*eni{},
		endpoints:   map[string]*endpoint{},
		ices:        map[string]*iceEndpoint{},
		services:    catalogue(s.opts.Region),
		tags:        map[string]map[string]string{},
		tokens:      map[string]clientTokenUse{},
	}
}

// next returns the next creation sequence number; describe calls list
// resources in creation order and paginate on it.
func (w *world) next() int64 {
	w.seq++
	return w.seq
}

// ordered is a resource with a creation sequence number.
type ordered interface{ order() int64 }

// sorted returns the map's values in creation order.
func sorted[T ordered](m map[string]T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order() < out[j].order() })
	return out
}

// advance applies every state transition whose time has come.
func (s *Server) advance() {
	now := s.now()
	for _, e := range sorted(s.w.endpoints) {
		s.advanceEndpoint(e, now)
	}
	for _, ice := range sorted(s.w.ices) {
		s.advanceICE(ice, now)
	}
	s.removeLingeringENIs(now)
}

// timestamp formats t as EC2 does in XML.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
