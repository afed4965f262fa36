package ec2sim

import (
	"fmt"
	"time"
)

// count records a call's outcome in the cell's account: "ok", "throttled"
// or the error code. The caller holds s.mu.
func (s *Server) count(action string, err *apiError) {
	outcome := "ok"
	switch {
	case err != nil && err.Code == "RequestLimitExceeded":
		outcome = "throttled"
	case err != nil:
		outcome = err.Code
	}
	s.countOutcome(action, outcome)
}

// countOutcome adds one call with the given outcome. The caller holds s.mu.
func (s *Server) countOutcome(action, outcome string) {
	addCount(s.acct.counters, action, outcome)
	if w := s.root.opts.CallLog; w != nil {
		fmt.Fprintf(w, "%s %s %s %s %s\n", s.clock.Now().UTC().Format(time.RFC3339Nano), s.acct.id, s.opts.Region, action, outcome)
	}
}

func addCount(counters map[string]map[string]int, action, outcome string) {
	if counters[action] == nil {
		counters[action] = map[string]int{}
	}
	counters[action][outcome]++
}

// Counters returns a copy of the EC2 call counts, action -> outcome ->
// calls: of every account for the value New returns, of the view's account
// (all its regions) otherwise.
func (s *Server) Counters() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int{}
	for _, a := range s.scopeAccounts() {
		sumCounts(out, a.counters)
	}
	return out
}

// STSCounters returns a copy of the STS call counts (AssumeRole,
// GetCallerIdentity) made with the credentials of the accounts in scope,
// action -> outcome -> calls. Counters counts EC2 calls only.
func (s *Server) STSCounters() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int{}
	for _, a := range s.scopeAccounts() {
		sumCounts(out, a.stsCounters)
	}
	return out
}

func sumCounts(into, from map[string]map[string]int) {
	for action, outcomes := range from {
		if into[action] == nil {
			into[action] = make(map[string]int, len(outcomes))
		}
		for k, v := range outcomes {
			into[action][k] += v
		}
	}
}

// ResetCounters sets every count (EC2 and STS) of the accounts in scope
// back to zero.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.scopeAccounts() {
		a.counters = map[string]map[string]int{}
		a.stsCounters = map[string]map[string]int{}
	}
}
