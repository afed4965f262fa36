package ec2sim

import (
	"time"
)

// Fault injects errors, lost responses and latency into EC2 calls.
type Fault struct {
	Action  string        `json:"action"`  // an EC2 action, or "*" for all
	Code    string        `json:"code"`    // "InternalError", "Unavailable", "RequestLimitExceeded" or any AWS code; empty adds latency only (unless LostResponse)
	Rate    float64       `json:"rate"`    // probability (0..1) that a call fails, when Count is 0
	Count   int           `json:"count"`   // fail the next Count calls
	Latency time.Duration `json:"latency"` // added before each matching call is handled
	// LostResponse applies the call, then answers it with Code (default
	// InternalError, HTTP 500) as if the response had been lost on the way:
	// the SDK retries a call that already took effect.
	LostResponse bool `json:"lostResponse"`
}

// faultState is an installed fault with the calls it may still fail.
type faultState struct {
	Fault
	remaining int
}

// InjectFault installs a fault in the EC2 calls of every account for the
// value New returns (a Count is then shared: the next Count calls in any
// account), of the view's account (all its regions) otherwise; faults
// accumulate until ClearFaults.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := &faultState{Fault: f, remaining: f.Count}
	for _, a := range s.settingsScope() {
		a.faults = append(a.faults, fs)
	}
}

// ClearFaults removes every fault installed in the accounts in scope.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.settingsScope() {
		a.faults = nil
	}
}

// pickFault returns the latency to add to a call, the error it fails with
// without being applied, and the error that replaces its answer once applied
// (a lost response); at most one of the two errors is set. The caller holds
// s.mu.
func (s *Server) pickFault(action string) (latency time.Duration, fail, lost *apiError) {
	for _, f := range s.acct.faults {
		if f.Action != "*" && f.Action != action {
			continue
		}
		latency += f.Latency
		if fail != nil || lost != nil || f.Code == "" && !f.LostResponse {
			continue
		}
		fire := false
		if f.Count > 0 {
			fire = f.remaining > 0
			if fire {
				f.remaining--
			}
		} else if f.Rate > 0 {
			fire = s.rng.Float64() < f.Rate
		}
		if !fire {
			continue
		}
		code := f.Code
		if code == "" {
			code = "InternalError"
		}
		err := &apiError{Code: code, Message: defaultMessage(code), Status: statusFor(code)}
		if f.LostResponse {
			lost = err
		} else {
			fail = err
		}
	}
	return latency, fail, lost
}
