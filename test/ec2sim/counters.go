package ec2sim

// count records a call's outcome: "ok", "throttled" or the error code.
// The caller holds s.mu.
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
	if s.counters[action] == nil {
		s.counters[action] = map[string]int{}
	}
	s.counters[action][outcome]++
}

// Counters returns a copy of the call counts: action -> outcome -> calls.
func (s *Server) Counters() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]int, len(s.counters))
	for action, outcomes := range s.counters {
		out[action] = make(map[string]int, len(outcomes))
		for k, v := range outcomes {
			out[action][k] = v
		}
	}
	return out
}

// ResetCounters sets every count back to zero.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters = map[string]map[string]int{}
}
