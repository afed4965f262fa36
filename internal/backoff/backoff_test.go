package backoff

import (
	"testing"
	"time"

	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

func TestTerminalFailuresGrowToTheCapAndResetOnSuccess(t *testing.T) {
	tr := NewTracker(DefaultPolicy)
	var last time.Duration
	for i := 0; i < 12; i++ {
		d := tr.Failure("a", awserr.Terminal)
		if d < 12*time.Second {
			t.Fatalf("attempt %d: terminal retry after %v: a hot loop", i, d)
		}
		if i > 0 && i < 4 && d <= last {
			t.Fatalf("attempt %d: interval did not grow (%v after %v)", i, d, last)
		}
		if d > 12*time.Minute {
			t.Fatalf("attempt %d: %v beyond the cap", i, d)
		}
		last = d
	}
	tr.Success("a")
	if d := tr.Failure("a", awserr.Terminal); d > 18*time.Second {
		t.Fatalf("after success the interval should restart, got %v", d)
	}
}

func TestRetryableIsFasterThanTerminal(t *testing.T) {
	tr := NewTracker(DefaultPolicy)
	if r, term := tr.Failure("r", awserr.Retryable), tr.Failure("t", awserr.Terminal); r >= term {
		t.Fatalf("retryable %v not faster than terminal %v", r, term)
	}
}

func TestPollGrowsSlowly(t *testing.T) {
	tr := NewTracker(DefaultPolicy)
	first := tr.Poll("p", time.Second)
	tr.Poll("p", time.Second)
	third := tr.Poll("p", time.Second)
	if first > 1200*time.Millisecond || third < 1600*time.Millisecond {
		t.Fatalf("poll intervals %v .. %v", first, third)
	}
}
