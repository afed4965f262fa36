package awsclient

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseThrottle(t *testing.T) {
	got, err := ParseThrottle("CreateVpcEndpoint=3:40, describe=200:1000")
	if err != nil {
		t.Fatal(err)
	}
	if got["CreateVpcEndpoint"] != (Bucket{3, 40}) || got["describe"] != (Bucket{200, 1000}) {
		t.Fatalf("parsed %v", got)
	}
	for _, bad := range []string{"CreateVpcEndpoint", "X=1", "X=a:1", "X=1:0", "=1:1", "X=-1:2"} {
		if _, err := ParseThrottle(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBucketsFollowAWSDefaults(t *testing.T) {
	th := NewThrottle(nil)
	for action, want := range map[string]Bucket{
		"DescribeVpcEndpoints": describeBucket, "CreateVpcEndpoint": endpointBucket, "ModifyVpcEndpoint": endpointBucket,
		"DeleteVpcEndpoints": endpointBucket, "CreateTags": tagBucket, "AuthorizeSecurityGroupIngress": mutatingBucket,
	} {
		if _, b := th.bucketFor(action); b != want {
			t.Errorf("%s: %v, want %v", action, b, want)
		}
	}
	// The endpoint writes share one bucket.
	if th.limiter("CreateVpcEndpoint") != th.limiter("DeleteVpcEndpoints") {
		t.Error("CreateVpcEndpoint and DeleteVpcEndpoints do not share a bucket")
	}
	// An override of one action gives it a bucket of its own.
	th = NewThrottle(map[string]Bucket{"CreateVpcEndpoint": {1, 1}})
	if th.limiter("CreateVpcEndpoint") == th.limiter("ModifyVpcEndpoint") {
		t.Error("overridden action still shares its bucket")
	}
}

func TestThrottleWaitsForTokens(t *testing.T) {
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 20, Burst: 2}})
	var waited time.Duration
	th.OnWait = func(_ string, d time.Duration) { waited += d }
	start := time.Now()
	for i := 0; i < 4; i++ {
		if err := th.Wait(context.Background(), "CreateVpcEndpoint"); err != nil {
			t.Fatal(err)
		}
	}
	// 2 from the burst, 2 more at 20/s: at least about 100 ms. There is no
	// upper bound, which would measure the machine's speed; the bucket's size
	// is checked instead.
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Fatalf("4 calls took %v", el)
	}
	if l := th.limiter("CreateVpcEndpoint"); float64(l.Limit()) != 20 || l.Burst() != 2 {
		t.Fatalf("bucket %v/%d, want 20/2", l.Limit(), l.Burst())
	}
	if waited < 80*time.Millisecond {
		t.Fatalf("OnWait saw %v", waited)
	}
}

func TestThrottlingShrinksTheBucketAndSuccessRestoresIt(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(nil)
	th.Now = func() time.Time { return now }
	// A lone refusal: AWS's bucket was a moment behind ours. Our tokens are
	// dropped, the rate stays.
	th.Throttled("CreateVpcEndpoint")
	if r := th.Rate("ModifyVpcEndpoint"); r != 0.3 {
		t.Fatalf("rate after a lone throttle %v, want 0.3", r)
	}
	if left := th.limiter("CreateVpcEndpoint").TokensAt(now); left > 0.01 {
		t.Fatalf("%.2f tokens left after AWS said its bucket was empty, want 0", left)
	}
	// Another within ten tokens' time (33 s): AWS's bucket is slower than ours.
	now = now.Add(20 * time.Second)
	th.Throttled("CreateVpcEndpoint")
	if r := th.Rate("ModifyVpcEndpoint"); r != 0.15 {
		t.Fatalf("rate after a second throttle %v, want 0.15", r)
	}
	for i := 0; i < 10; i++ {
		th.Throttled("CreateVpcEndpoint")
	}
	if r := th.Rate("CreateVpcEndpoint"); r < 0.03-1e-9 {
		t.Fatalf("rate %v fell below a tenth", r)
	}
	for i := 0; i < 200; i++ {
		th.Succeeded("CreateVpcEndpoint")
	}
	if r := th.Rate("CreateVpcEndpoint"); r != 0.3 {
		t.Fatalf("rate %v not restored to 0.3", r)
	}
}

func TestOnlyMaxWaitersWaitOthersAreQueued(t *testing.T) {
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 1, Burst: 1}})
	th.MaxWaiters = 2
	ctx := context.Background()
	if err := th.Wait(ctx, "CreateVpcEndpoint"); err != nil { // the burst token
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() { done <- th.Wait(ctx, "CreateVpcEndpoint") }()
	}
	// Wait (on a condition, not a sleep) until both are waiting.
	for deadline := time.Now().Add(30 * time.Second); th.limiter("CreateVpcEndpoint").waiting.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the two callers never started waiting")
		}
	}
	err := th.Wait(ctx, "ModifyVpcEndpoint")
	var q *QueuedError
	if !errors.As(err, &q) || q.RetryAfter < time.Second {
		t.Fatalf("third caller: %v, want a QueuedError to come back in >= 1s", err)
	}
	for i := 0; i < 2; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestASlowedBucketQueuesInsteadOfHoldingAWorker: once AWS throttles an account
// and region anyway, its bucket runs at a fraction of its rate, and a caller
// would wait many tokens' worth of the configured rate for its turn: holding a
// reconcile worker that long lets one throttled account and region take every
// worker from the others. A caller whose token is further off than MaxWaiters
// tokens at the configured rate is queued at once instead, to come back when
// its token is due, even though fewer than MaxWaiters wait.
func TestASlowedBucketQueuesInsteadOfHoldingAWorker(t *testing.T) {
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 1, Burst: 1}})
	th.MaxWaiters = 8
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Second)
	defer cancel()
	if err := th.Wait(ctx, "CreateVpcEndpoint"); err != nil { // the burst token
		t.Fatal(err)
	}
	for range 5 {
		th.Throttled("CreateVpcEndpoint") // 1 (a lone refusal) → 0.5 → 0.25 → 0.125 → 0.1 (a tenth)
	}
	// The next token is 10 s away: more than 8 tokens at the configured 1/s.
	err := th.Wait(ctx, "CreateVpcEndpoint")
	var q *QueuedError
	if !errors.As(err, &q) || q.RetryAfter < 8*time.Second {
		t.Fatalf("caller behind a slowed bucket: %v, want a QueuedError to come back when its token is due (~10s)", err)
	}
	// Being queued took no token: the caller that comes back first gets it.
	if got := th.limiter("CreateVpcEndpoint").TokensAt(time.Now().Add(10 * time.Second)); got < 0.9 {
		t.Fatalf("%.2f tokens 10 s on: the queued caller's reservation was kept", got)
	}
}

// TestCallersSentAwayKeepTheirPlace: a named caller the throttle sends away (to
// free its worker) gets the token it was given when it comes back, even if
// others asked meanwhile: turned-away callers are served in the order they
// first asked, and no token goes unused while they are away.
func TestCallersSentAwayKeepTheirPlace(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 1, Burst: 1}})
	th.MaxWaiters = -1 // nobody holds a worker: every caller without a free token is queued
	th.Now = func() time.Time { return now }
	ask := func(caller string) error {
		return th.Wait(WithCaller(context.Background(), caller), "CreateVpcEndpoint")
	}
	retryAfter := func(caller string) time.Duration {
		t.Helper()
		var q *QueuedError
		if err := ask(caller); !errors.As(err, &q) {
			t.Fatalf("%s: %v, want a QueuedError", caller, err)
		}
		return q.RetryAfter
	}
	if err := ask("a"); err != nil { // the burst token
		t.Fatal(err)
	}
	if got := retryAfter("b"); got != time.Second {
		t.Fatalf("b comes back after %v, want 1s", got)
	}
	if got := retryAfter("c"); got != 2*time.Second {
		t.Fatalf("c comes back after %v, want 2s", got)
	}
	// b comes back early (a watch event): still 1 s to go, and its place is kept.
	now = now.Add(500 * time.Millisecond)
	if got := retryAfter("b"); got != 500*time.Millisecond {
		t.Fatalf("b, back early, comes back after %v, want 500ms", got)
	}
	// At 1 s a newcomer asks before b is back: it queues behind c, not ahead of b.
	now = now.Add(500 * time.Millisecond)
	if got := retryAfter("d"); got != 2*time.Second {
		t.Fatalf("d comes back after %v, want 2s (behind c)", got)
	}
	if err := ask("b"); err != nil {
		t.Fatalf("b back at its token: %v", err)
	}
	// c comes back late (its worker was busy): its token waited for it.
	now = now.Add(2 * time.Second)
	if err := ask("c"); err != nil {
		t.Fatalf("c back late: %v", err)
	}
	if err := ask("d"); err != nil {
		t.Fatalf("d back at its token: %v", err)
	}
	// Every token from the start to now went to a caller, none was lost.
	if got := th.limiter("CreateVpcEndpoint").TokensAt(now); got < -0.01 || got > 0.01 {
		t.Fatalf("%.2f tokens left at %v, want 0: a token went unused or twice", got, now)
	}
	// A ticket nobody comes back for expires, and its caller asks anew.
	if got := retryAfter("e"); got != time.Second {
		t.Fatalf("e comes back after %v, want 1s", got)
	}
	now = now.Add(ticketGrace + time.Minute)
	if err := ask("e"); err != nil {
		t.Fatalf("e, back after its ticket expired, with tokens free: %v", err)
	}
}

// TestLateCallersLeaveOnePerToken: callers that come back late for their
// reserved tokens (their workers were busy) must not call together: AWS's
// bucket holds only its burst, and refuses the rest.
func TestLateCallersLeaveOnePerToken(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 20, Burst: 2}})
	th.MaxWaiters = -1
	th.Now = func() time.Time { return now }
	ask := func(caller string) error {
		return th.Wait(WithCaller(context.Background(), caller), "CreateVpcEndpoint")
	}
	callers := []string{"a", "b", "c", "d", "e", "f"}
	queued := 0
	for _, c := range callers {
		var q *QueuedError
		if err := ask(c); errors.As(err, &q) {
			queued++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if queued != 4 {
		t.Fatalf("%d callers queued, want 4 (2 from the burst)", queued)
	}
	// All come back at once, a second late by the throttle's clock.
	now = now.Add(time.Second)
	start := time.Now()
	done := make(chan error, len(callers))
	for _, c := range callers[2:] {
		go func() { done <- ask(c) }()
	}
	for range callers[2:] {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// 4 calls right after 2, at 20 a second: at least 3 tokens' time (150 ms)
	// before the last leaves. A lower bound only: no test measures speed.
	if el := time.Since(start); el < 140*time.Millisecond {
		t.Fatalf("4 late callers left within %v: more at once than the burst of 2", el)
	}
}

// TestCallersBackForTokensOfASlowedBucketDoNotHoldWorkers: AWS throttled an
// account and region, so its bucket, and the pace at which calls leave it, run
// at a tenth of their rate. A caller back for its reserved token would wait
// about 10 s for its call to leave: it is sent away instead (a worker freed for
// other accounts' objects), keeping its token for when its call can leave.
func TestCallersBackForTokensOfASlowedBucketDoNotHoldWorkers(t *testing.T) {
	now := time.Now()
	released := now // the release bucket's clock: it stays put while b is away
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 1, Burst: 1}})
	th.Now = func() time.Time { return now }
	th.RealNow = func() time.Time { return released }
	ask := func(ctx context.Context, caller string) error {
		return th.Wait(WithCaller(ctx, caller), "CreateVpcEndpoint")
	}
	if err := ask(context.Background(), "a"); err != nil { // the burst token
		t.Fatal(err)
	}
	for range 5 {
		th.Throttled("CreateVpcEndpoint") // 1 (a lone refusal) → 0.5 → 0.25 → 0.125 → 0.1 (a tenth)
	}
	var q *QueuedError
	if err := ask(context.Background(), "b"); !errors.As(err, &q) {
		t.Fatalf("b behind a slowed bucket: %v, want a QueuedError", err)
	}
	// b comes back when its token is due, by the throttle's clock; its call
	// could leave only about 10 s later.
	now = now.Add(q.RetryAfter)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := ask(ctx, "b")
	if !errors.As(err, &q) || q.RetryAfter <= 8*time.Second {
		t.Fatalf("b back for its token, its call about 10 s from leaving: %v, want a QueuedError to come back then (its worker is not held)", err)
	}
	if _, ok := th.limiter("CreateVpcEndpoint").ticket("b", now); !ok {
		t.Fatal("b was sent away without its token: it would queue behind every caller that asked since")
	}
}

// TestCallersQueuedWhileAWSThrottledAreNotParkedBehindNewcomers: tickets given
// while AWS's throttling slowed the bucket lie far ahead; once the rate is back,
// their callers come back early enough to be served at the restored pace, not
// at the times the slowed rate gave them while the bucket stands idle.
func TestCallersQueuedWhileAWSThrottledAreNotParkedBehindNewcomers(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(map[string]Bucket{"vpc-endpoint-writes": {Rate: 1, Burst: 1}})
	th.MaxWaiters = -1
	th.Now = func() time.Time { return now }
	th.RealNow = th.Now
	ask := func(caller string) error {
		return th.Wait(WithCaller(context.Background(), caller), "CreateVpcEndpoint")
	}
	if err := ask("first"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ { // AWS refuses again and again: down to a tenth of the rate
		th.Throttled("CreateVpcEndpoint")
	}
	if got := th.Rate("CreateVpcEndpoint"); got > 0.11 {
		t.Fatalf("rate %.2f after repeated throttling, want a tenth", got)
	}
	var last time.Duration
	for i := 0; i < 100; i++ { // queued at the slowed rate: the last ticket ~1,000 s away
		var q *QueuedError
		if err := ask(fmt.Sprintf("c%d", i)); !errors.As(err, &q) {
			t.Fatalf("c%d: %v, want a QueuedError", i, err)
		}
		last = q.RetryAfter
	}
	for th.Rate("CreateVpcEndpoint") < 1 { // AWS's throttling passes
		th.Succeeded("CreateVpcEndpoint")
	}
	// The last caller comes back when told; it must be served long before the
	// ~1,000 s the slowed rate gave it, at the restored rate's pace (the 100
	// tokens owed take 100 s at 1 a second).
	waited := time.Duration(0)
	for visits := 0; ; visits++ {
		var q *QueuedError
		err := ask("c99")
		if err == nil {
			break
		}
		if !errors.As(err, &q) || visits > 10 {
			t.Fatalf("c99 after %d visits: %v", visits, err)
		}
		now = now.Add(q.RetryAfter)
		waited += q.RetryAfter
	}
	if waited > last*6/10 {
		t.Fatalf("c99 was served after %v, its slowed ticket was for %v: parked while the bucket was free", waited, last)
	}
	t.Logf("ticket for %v, served after %v", last, waited)
}
