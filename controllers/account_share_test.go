package controllers

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// TestAnAccountHoldsAtMostHalfTheWorkersWhileOthersAreActive: reconciles of
// a throttled account's objects are slow; with every worker of a kind taken by
// them, the objects of the other accounts would wait in the queue. An account
// is held to half the workers while another account's objects are being
// reconciled (or were within the last minute); alone, it may use them all.
func TestAnAccountHoldsAtMostHalfTheWorkersWhileOthersAreActive(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newAccountShare(24)
	s.clock = clk

	// Alone, the throttled account's objects take every worker.
	for i := range 24 {
		if !s.acquire("throttled") {
			t.Fatalf("reconcile %d of a lone account was refused a worker: one account must be able to use them all", i+1)
		}
	}
	for range 24 {
		s.release("throttled")
	}

	// Another account's object is reconciled: the throttled account gets 12.
	if !s.acquire("other") {
		t.Fatal("the other account's object was refused a worker")
	}
	for i := range 12 {
		if !s.acquire("throttled") {
			t.Fatalf("reconcile %d of the throttled account was refused, within its half", i+1)
		}
	}
	if s.acquire("throttled") {
		t.Fatal("the throttled account took a 13th of 24 workers while another account's objects were being reconciled")
	}
	// The other account's objects still get workers.
	for i := range 11 {
		if !s.acquire("other") {
			t.Fatalf("reconcile %d of the other account was refused a worker", i+2)
		}
	}
	for range 12 {
		s.release("other")
	}
	// Its objects were reconciled moments ago: the share still holds.
	clk.SetTime(clk.Now().Add(30 * time.Second))
	if s.acquire("throttled") {
		t.Fatal("the throttled account took more than half the workers 30 s after another account's reconciles")
	}
	// A minute without them: the throttled account may use every worker again.
	clk.SetTime(clk.Now().Add(accountShareWindow))
	if !s.acquire("throttled") {
		t.Fatal("the throttled account, alone for a minute, was refused a worker")
	}
}
