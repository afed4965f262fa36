package ec2sim

import (
	"maps"
	"slices"
)

// clone methods copy a resource for a consistency version: the copy shares
// nothing the world changes in place (slices, maps, rules lists).

func (v *vpc) clone() any {
	c := *v
	return &c
}

func (sn *subnet) clone() any {
	c := *sn
	return &c
}

func (rt *routeTable) clone() any {
	c := *rt
	c.routes = slices.Clone(rt.routes)
	c.assocs = slices.Clone(rt.assocs)
	return &c
}

func (g *securityGroup) clone() any {
	c := *g
	c.ingress = slices.Clone(g.ingress)
	c.egress = slices.Clone(g.egress)
	return &c
}

func (n *eni) clone() any {
	c := *n
	c.groups = slices.Clone(n.groups)
	return &c
}

func (e *endpoint) clone() any {
	c := *e
	c.routeTables = slices.Clone(e.routeTables)
	c.subnets = slices.Clone(e.subnets)
	c.groups = slices.Clone(e.groups)
	c.enis = maps.Clone(e.enis)
	return &c
}

func (ice *iceEndpoint) clone() any {
	c := *ice
	c.groups = slices.Clone(ice.groups)
	return &c
}
