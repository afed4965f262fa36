package awsclient

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// defaultMaxWaiters is how many callers may hold a worker waiting for one
// bucket's tokens when Throttle.MaxWaiters is zero: callers that wait leave
// at their token's time, while those sent away may come back late.
const defaultMaxWaiters = 8

// ticketGrace is how long past its due time a ticket is kept for a caller
// that comes back late (its worker was busy); after that its token is lost and
// the caller asks again.
const ticketGrace = 30 * time.Second

type callerKey struct{}

// WithCaller names the caller of this context's EC2 calls (an object's UID),
// so that when the throttle sends it away it keeps its place in the queue.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

func callerOf(ctx context.Context) string {
	c, _ := ctx.Value(callerKey{}).(string)
	return c
}

func (t *Throttle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// realNow is the release bucket's clock.
func (t *Throttle) realNow() time.Time {
	if t.RealNow != nil {
		return t.RealNow()
	}
	return time.Now()
}

// interval is the time between two tokens at the bucket's configured rate.
func (l *adaptiveLimiter) interval() time.Duration {
	return time.Duration(float64(time.Second) / l.configured.Rate)
}

// ticket returns when the token reserved for caller is due, if it holds one
// that has not expired.
func (l *adaptiveLimiter) ticket(caller string, now time.Time) (time.Time, bool) {
	if caller == "" {
		return time.Time{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.tickets[caller]
	if !ok {
		return time.Time{}, false
	}
	if now.Sub(at) > ticketGrace {
		delete(l.tickets, caller) // too late: the token went unused
		return time.Time{}, false
	}
	return at, true
}

// useTicket hands caller's reserved token over.
func (l *adaptiveLimiter) useTicket(caller string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.tickets, caller)
}

// putTicket reserves the token due at for caller, forgetting tickets nobody
// came back for.
func (l *adaptiveLimiter) putTicket(caller string, now, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tickets == nil {
		l.tickets = map[string]time.Time{}
	}
	if now.Sub(l.lastPurge) > ticketGrace {
		for c, due := range l.tickets {
			if now.Sub(due) > ticketGrace {
				delete(l.tickets, c)
			}
		}
		l.lastPurge = now
	}
	l.tickets[caller] = at
}

// revisitTokens is how many tokens away a ticket may be due for its caller to
// be sent away until it is due; one due later comes back halfway there (but
// not sooner than this), to see whether the bucket can serve it sooner.
const revisitTokens = 64

// revisit is when a caller whose ticket is due in delay should come back.
//
// A ticket's time was set at the bucket's rate when it was given. Given while
// AWS throttled the account (the rate halved, down to a tenth), it lies far
// beyond where the restored rate puts the end of the queue: newcomers are then
// served first, and the bucket stood idle while such callers waited for their
// old times (at N=5,000+5,000, 134 objects parked for minutes of wall time
// after every other create was done). Coming back halfway costs a caller about
// log2(delay/revisitTokens tokens) early visits.
func (l *adaptiveLimiter) revisit(delay time.Duration) time.Duration {
	horizon := revisitTokens * l.interval()
	if delay <= horizon {
		return delay
	}
	return max(horizon, delay/2)
}

// soonerThan reserves a token due sooner than delay from now, if the ticket
// is a far one (beyond the revisit horizon) and the bucket has such a token;
// otherwise it reserves nothing. Trading a ticket for it leaves the ticket's
// token unused: one token, against a caller parked for many. Near tickets are
// kept as they are: they are the queue's order (and a ticket kept for a slowed
// release must not trade a fresh token away at each return).
func (l *adaptiveLimiter) soonerThan(now time.Time, delay time.Duration) (*rate.Reservation, bool) {
	if delay <= revisitTokens*l.interval() {
		return nil, false
	}
	r := l.ReserveN(now, 1)
	if r.OK() && r.DelayFrom(now) < delay {
		return r, true
	}
	r.CancelAt(now)
	return nil, false
}
