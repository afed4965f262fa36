package ec2cache

import (
	"context"
	"time"
)

type maxAgeKey struct{}

// WithMaxAge asks the cache to serve this context's reads from snapshots no older
// than d (refreshing them if needed).
func WithMaxAge(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxAgeKey{}, d)
}

// maxAge returns the freshness a request asks for, or def.
func maxAge(ctx context.Context, def time.Duration) time.Duration {
	if d, ok := ctx.Value(maxAgeKey{}).(time.Duration); ok && d < def {
		return d
	}
	return def
}

// stableAge is the age accepted for data that changes rarely and whose change the
// controller notices as a failure first (endpoint services, prefix lists, VPC DNS
// attributes): def, unless the request forces a refresh (WithMaxAge 0), as the
// engine does before reporting a problem.
func stableAge(ctx context.Context, def time.Duration) time.Duration {
	if d, ok := ctx.Value(maxAgeKey{}).(time.Duration); ok && d == 0 {
		return 0
	}
	return def
}

// Kinds names kinds of data a request may need fresh.
type Kinds uint8

const (
	// Endpoints are the owned VPC endpoints (and what is read by ID).
	Endpoints Kinds = 1 << iota
	// Groups are the owned security groups (and groups read by ID).
	Groups
	// Inventory is VPCs, subnets and route tables.
	Inventory
	// All is every kind.
	All = Endpoints | Groups | Inventory
)

type freshKey struct{}

// WithFresh asks the cache to serve this context's reads of the given kinds from
// data read within the shared freshness window (Options.Spacing; a second without
// one): data a read made for another request moments ago serves this one too, and
// when there is none, the next read serves every request waiting.
func WithFresh(ctx context.Context, kinds Kinds) context.Context {
	prev, _ := ctx.Value(freshKey{}).(Kinds)
	return context.WithValue(ctx, freshKey{}, prev|kinds)
}

type freshSinceKey struct{}

// WithFreshSince is WithFresh for a request acting on a spec first seen at
// since: besides data read within the freshness window, it accepts data whose
// read started after since, however old (within the usual TTLs). A listing made
// after the spec was written already shows what the spec names, so objects that
// wait for their turn (behind AWS's write limits) do not each ask for a new one.
func WithFreshSince(ctx context.Context, kinds Kinds, since time.Time) context.Context {
	ctx = WithFresh(ctx, kinds)
	if since.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, freshSinceKey{}, since)
}

// freshSince returns the time WithFreshSince gave, or zero.
func freshSince(ctx context.Context) time.Time {
	t, _ := ctx.Value(freshSinceKey{}).(time.Time)
	return t
}

// fresh reports whether ctx asks for fresh data of kind k.
func fresh(ctx context.Context, k Kinds) bool {
	v, _ := ctx.Value(freshKey{}).(Kinds)
	return v&k != 0
}

// patient reports whether a read of kind k for this request may wait for the
// longer confirmation window (Options.ConfirmSpacing): the request asks for no
// fresh data (WithFresh, WithMaxAge), so the read only confirms the
// controller's own writes or follows AWS's work on an endpoint.
func patient(ctx context.Context, k Kinds) bool {
	if fresh(ctx, k) {
		return false
	}
	_, asked := ctx.Value(maxAgeKey{}).(time.Duration)
	return !asked
}

// freshWindow is the age WithFresh accepts.
func freshWindow(spacing time.Duration) time.Duration {
	if spacing > 0 {
		return spacing
	}
	return time.Second
}
