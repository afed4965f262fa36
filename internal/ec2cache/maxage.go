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

type freshKey struct{}

// WithFresh asks the cache to serve this context's reads from data read within
// the shared freshness window (Options.Spacing; a second without one): data a
// read made for another request moments ago serves this one too, and when there
// is none, the next read serves every request waiting.
func WithFresh(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshKey{}, true)
}

// freshWindow is the age WithFresh accepts.
func freshWindow(spacing time.Duration) time.Duration {
	if spacing > 0 {
		return spacing
	}
	return time.Second
}
