package awsclient

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Bucket is a token bucket: Rate tokens per second, Burst tokens at most.
type Bucket struct {
	Rate  float64
	Burst int
}

// Default buckets, after AWS's published EC2 request throttling (per account and
// region): describe calls 100 tokens refilled at 20 per second, mutating calls
// 50/5, tag calls 100/10, and the VPC endpoint writes sharing 4/0.3.
var (
	describeBucket = Bucket{Rate: 20, Burst: 100}
	mutatingBucket = Bucket{Rate: 5, Burst: 50}
	tagBucket      = Bucket{Rate: 10, Burst: 100}
	endpointBucket = Bucket{Rate: 0.3, Burst: 4}
)

// sharedBuckets names the actions that draw from one bucket.
var sharedBuckets = map[string]string{
	"CreateVpcEndpoint":  "vpc-endpoint-writes",
	"ModifyVpcEndpoint":  "vpc-endpoint-writes",
	"DeleteVpcEndpoints": "vpc-endpoint-writes",
	"CreateTags":         "tags",
	"DeleteTags":         "tags",
}

// defaultBucket returns the bucket name and size an action uses by default.
func defaultBucket(action string) (string, Bucket) {
	if name, ok := sharedBuckets[action]; ok {
		if name == "tags" {
			return name, tagBucket
		}
		return name, endpointBucket
	}
	if strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List") {
		return "describe", describeBucket
	}
	return "mutating", mutatingBucket
}

// ParseThrottle parses the --aws-api-throttle flag: comma-separated
// `Action=rate:burst` entries. An Action may also name a default bucket
// (describe, mutating, tags, vpc-endpoint-writes) to resize it for every action in it.
// An action named on its own gets a bucket of its own.
func ParseThrottle(spec string) (map[string]Bucket, error) {
	out := map[string]Bucket{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		r, b, ok2 := strings.Cut(val, ":")
		if !ok || !ok2 || name == "" {
			return nil, fmt.Errorf("--aws-api-throttle: %q is not Action=rate:burst", part)
		}
		rf, err := strconv.ParseFloat(r, 64)
		if err != nil || rf <= 0 {
			return nil, fmt.Errorf("--aws-api-throttle: %q: rate must be a positive number", part)
		}
		bi, err := strconv.Atoi(b)
		if err != nil || bi < 1 {
			return nil, fmt.Errorf("--aws-api-throttle: %q: burst must be a positive integer", part)
		}
		out[name] = Bucket{Rate: rf, Burst: bi}
	}
	return out, nil
}

// throttleMemory is, in tokens at the configured rate, how long a refusal by
// AWS is remembered: a second one within it slows the bucket.
const throttleMemory = 10

// Throttle is a client-side rate limiter per EC2 action, shared by every client of
// the manager, so the controller stays under AWS's limits instead of learning them
// from RequestLimitExceeded. A throttling error that still arrives shrinks the
// action's bucket (halving its rate, down to a tenth); successes restore it slowly.
type Throttle struct {
	// MaxWaiters is how many callers may wait for one bucket's tokens at a time;
	// others get a QueuedError at once, so workers stay free for other objects
	// (polls of endpoints AWS is provisioning) while creates queue. Zero: 8;
	// negative: none, every caller without a free token is queued.
	MaxWaiters int
	// Now is the throttle's clock; nil means time.Now. Waits sleep in real time.
	Now func() time.Time
	// RealNow is the clock the release bucket (the pace at which calls leave)
	// follows; nil means time.Now. Tests that fake Now fake it too.
	RealNow   func() time.Time
	overrides map[string]Bucket
	mu        sync.Mutex
	limiters  map[string]*adaptiveLimiter
	// OnWait, when set, is told how long a call waited for a token.
	OnWait func(action string, waited time.Duration)
}

type adaptiveLimiter struct {
	*rate.Limiter
	configured Bucket
	mu         sync.Mutex
	waiting    atomic.Int32
	// nextSlot is when the next caller turned away should come back: turned-away
	// callers are spread over future token times, a virtual queue.
	nextSlot time.Time
	// tickets are the tokens reserved for named callers sent away, by caller:
	// when each is due.
	tickets   map[string]time.Time
	lastPurge time.Time
	// release is the same bucket in real time, which every call passes on its
	// way out: callers back late for reserved tokens leave one per token, never
	// more at once than AWS's burst, which would refuse them.
	release *rate.Limiter
	// lastThrottled is when AWS last refused a call of this bucket.
	lastThrottled time.Time
}

// slot books the next free place in the virtual queue, ahead callers waiting.
func (l *adaptiveLimiter) slot(now time.Time, ahead int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The configured rate, not the current one: a rate halved by a throttling error
	// recovers within seconds, while booked places stay booked.
	interval := time.Duration(float64(time.Second) / l.configured.Rate)
	earliest := now.Add(time.Duration(ahead) * interval)
	if l.nextSlot.Before(earliest) {
		l.nextSlot = earliest
	}
	at := l.nextSlot
	l.nextSlot = at.Add(interval)
	return at.Sub(now)
}

// QueuedError says a call was not made because enough callers already wait for
// the action's bucket: the caller should come back after RetryAfter instead of
// holding a worker. Reconcilers treat it as "queued", not as a failure.
type QueuedError struct {
	Action     string
	RetryAfter time.Duration
}

func (e *QueuedError) Error() string {
	return fmt.Sprintf("%s waits for its turn at the client-side EC2 rate limit", e.Action)
}

// NewThrottle returns a throttle with AWS's default buckets and the overrides.
func NewThrottle(overrides map[string]Bucket) *Throttle {
	return &Throttle{overrides: overrides, limiters: map[string]*adaptiveLimiter{}}
}

// bucketFor returns the bucket name and size of an action, overrides applied.
func (t *Throttle) bucketFor(action string) (string, Bucket) {
	if b, ok := t.overrides[action]; ok {
		return "action:" + action, b
	}
	name, b := defaultBucket(action)
	if o, ok := t.overrides[name]; ok {
		b = o
	}
	return name, b
}

func (t *Throttle) limiter(action string) *adaptiveLimiter {
	name, b := t.bucketFor(action)
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.limiters[name]
	if !ok {
		l = &adaptiveLimiter{Limiter: rate.NewLimiter(rate.Limit(b.Rate), b.Burst), configured: b,
			release: rate.NewLimiter(rate.Limit(b.Rate), b.Burst)}
		t.limiters[name] = l
	}
	return l
}

// Wait blocks until the action may be called, or ctx ends. It returns a
// QueuedError at once, so the caller frees its worker and comes back later,
// when no token is free and either MaxWaiters callers already wait for the
// action's bucket, or the caller's token is further off than MaxWaiters tokens
// at the bucket's configured rate (AWS throttled the account and region anyway,
// and its bucket runs slower): one slow account and region never holds the
// workers other accounts and regions need.
//
// A caller named by WithCaller that is sent away keeps its place: the token it
// was given is reserved for it (a ticket) and it is told to come back when the
// token is due, so callers get tokens in the order they first asked, and no
// token goes unused while callers are away.
func (t *Throttle) Wait(ctx context.Context, action string) error {
	l := t.limiter(action)
	maxWaiters := t.MaxWaiters
	if maxWaiters == 0 {
		maxWaiters = defaultMaxWaiters
	}
	caller := callerOf(ctx)
	now := t.now()
	longest := time.Duration(max(maxWaiters, 0)) * l.interval()
	releaseWait := time.Duration(max(maxWaiters, defaultMaxWaiters)) * l.interval()
	if at, ok := l.ticket(caller, now); ok {
		delay := at.Sub(now)
		if delay > longest {
			if sooner, ok := l.soonerThan(now, delay); ok {
				// A far ticket, and the bucket runs faster than when it was given
				// (AWS's throttling passed): a token due sooner replaces it.
				d := sooner.DelayFrom(now)
				if d <= longest {
					l.useTicket(caller)
					return t.sleep(ctx, l, action, caller, d, releaseWait, sooner)
				}
				l.putTicket(caller, now, now.Add(d))
				return &QueuedError{Action: action, RetryAfter: l.revisit(d)}
			}
			return &QueuedError{Action: action, RetryAfter: l.revisit(delay)} // back early: the ticket stays
		}
		l.useTicket(caller)
		return t.sleep(ctx, l, action, caller, delay, releaseWait, nil)
	}
	n := int(l.waiting.Add(1))
	defer l.waiting.Add(-1)
	r := l.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	switch {
	case r.OK() && (delay == 0 || n <= maxWaiters && delay <= longest):
		return t.sleep(ctx, l, action, caller, delay, releaseWait, r)
	case r.OK() && caller != "":
		l.putTicket(caller, now, now.Add(delay))
		return &QueuedError{Action: action, RetryAfter: l.revisit(delay)}
	}
	// Nobody to keep a place for: come back at a place of one's own in a
	// virtual queue, so that such callers return one per token instead of all
	// at once.
	r.CancelAt(now)
	return &QueuedError{Action: action, RetryAfter: max(delay, l.slot(now, n-1))}
}

// sleep waits delay for a token (its reservation r, when there is one, is
// given back if ctx ends first), then for the release of the call. A release
// further off than releaseWait (a bucket AWS slowed, with callers back for
// their tokens one after another) sends the caller away rather than hold its
// worker: a named caller keeps the token it has as a ticket for when the
// release is due.
func (t *Throttle) sleep(ctx context.Context, l *adaptiveLimiter, action, caller string, delay, releaseWait time.Duration, r *rate.Reservation) error {
	start := time.Now()
	if delay > 0 {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			if r != nil {
				r.Cancel()
			}
			return ctx.Err()
		}
	}
	rel := l.release.ReserveN(t.realNow(), 1)
	if wait := rel.DelayFrom(t.realNow()); wait > 0 {
		if wait > releaseWait {
			rel.CancelAt(t.realNow())
			if caller != "" {
				now := t.now()
				l.putTicket(caller, now, now.Add(wait))
			}
			return &QueuedError{Action: action, RetryAfter: wait}
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			rel.CancelAt(t.realNow())
			return ctx.Err()
		}
	}
	if t.OnWait != nil {
		t.OnWait(action, time.Since(start))
	}
	return nil
}

// Throttled tells the throttle that AWS throttled an action. A lone refusal
// means AWS's bucket ran dry a moment before this one (the two started at
// different times): the tokens this one still shows are dropped, its rate is
// kept. A second refusal within throttleMemory tokens' time means AWS's bucket
// runs slower than configured (other tools spend the same account's tokens):
// the rate halves, down to a tenth, and successes restore it slowly.
func (t *Throttle) Throttled(action string) {
	l := t.limiter(action)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := t.now()
	lone := l.lastThrottled.IsZero() || now.Sub(l.lastThrottled) > throttleMemory*l.interval()
	l.lastThrottled = now
	if lone {
		if left := l.TokensAt(now); left >= 1 {
			l.ReserveN(now, int(left))
		}
		if left := l.release.TokensAt(t.realNow()); left >= 1 {
			l.release.ReserveN(t.realNow(), int(left))
		}
		return
	}
	next := float64(l.Limit()) / 2
	if floor := l.configured.Rate / 10; next < floor {
		next = floor
	}
	l.SetLimitAt(now, rate.Limit(next))
	l.release.SetLimitAt(t.realNow(), rate.Limit(next))
}

// Succeeded tells the throttle a call went through: the rate creeps back (by 5%)
// towards its configured value.
func (t *Throttle) Succeeded(action string) {
	l := t.limiter(action)
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur := float64(l.Limit()); cur < l.configured.Rate {
		l.SetLimitAt(t.now(), rate.Limit(min(l.configured.Rate, cur*1.05)))
		l.release.SetLimitAt(t.realNow(), l.Limit())
	}
}

// Rate returns an action's current rate, for tests and metrics.
func (t *Throttle) Rate(action string) float64 { return float64(t.limiter(action).Limit()) }

// Describe lists the effective buckets, for the startup log.
func (t *Throttle) Describe() string {
	names := []string{"describe", "mutating", "tags", "vpc-endpoint-writes"}
	for k := range t.overrides {
		if _, isBucket := map[string]bool{"describe": true, "mutating": true, "tags": true, "vpc-endpoint-writes": true}[k]; !isBucket {
			names = append(names, k)
		}
	}
	sort.Strings(names[4:])
	var parts []string
	for _, n := range names {
		b, ok := t.overrides[n]
		if !ok {
			switch n {
			case "describe":
				b = describeBucket
			case "mutating":
				b = mutatingBucket
			case "tags":
				b = tagBucket
			default:
				b = endpointBucket
			}
		}
		parts = append(parts, fmt.Sprintf("%s=%g:%d", n, b.Rate, b.Burst))
	}
	return strings.Join(parts, ",")
}

// Middleware returns the EC2 client option that makes every attempt (retries
// included) take a token first.
func (t *Throttle) Middleware() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("vpce-throttle", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			action := awsmiddleware.GetOperationName(ctx)
			if err := t.Wait(ctx, action); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			switch {
			case err == nil:
				t.Succeeded(action)
			case awserr.Classify(err) == awserr.Throttled:
				t.Throttled(action)
			}
			return out, md, err
		})
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return s.Finalize.Add(mw, middleware.Before)
	}
}
