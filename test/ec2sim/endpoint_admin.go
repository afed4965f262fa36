package ec2sim

import (
	"fmt"
	"strings"
)

// FailEndpoint puts an endpoint in state "failed" with LastError {code,
// message}, as AWS reports an endpoint it could not provision. It can then
// only be deleted.
func (s *Server) FailEndpoint(id, code, message string) error {
	return s.SetEndpointState(id, stateFailed, code, message)
}

// SetEndpointState puts an endpoint in one of the states EC2 reports
// (pendingAcceptance, pending, available, deleting, deleted, rejected,
// failed, expired, partial; matched without regard to case and stored as
// EC2 spells it on the wire), with a LastError when code is not empty. The
// state holds until a call or the next transition changes it.
func (s *Server) SetEndpointState(id, state, code, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s = s.cellWithEndpoint(id)
	s.advance()
	e, ok := s.w.endpoints[id] // AWS's side sees it at once
	if !ok {
		return fmt.Errorf("%s: %s", kindEndpoint.notFound, kindEndpoint.notFoundErr(id).Message)
	}
	canonical := ""
	for _, st := range endpointStates {
		if strings.EqualFold(st, state) {
			canonical = st
		}
	}
	if canonical == "" {
		return fmt.Errorf("unknown endpoint state %q; EC2 reports %s", state, strings.Join(endpointStates, ", "))
	}
	now := s.now()
	e.state, e.lastErr = canonical, nil
	if code != "" {
		e.lastErr = &lastError{Code: code, Message: message}
	}
	switch canonical {
	case statePending, stateDeleting:
		e.until = now.Add(s.delay(s.opts.StateDelay))
	case stateDeleted:
		e.until = now.Add(s.delay(s.opts.DeletedLinger))
	}
	s.record(now)
	return nil
}

// cellWithEndpoint returns the cell that holds an endpoint (IDs are unique
// across accounts and regions), or the view's home cell when none does. The
// caller holds s.mu.
func (s *Server) cellWithEndpoint(id string) *Server {
	for _, c := range s.allCells() {
		if _, ok := c.w.endpoints[id]; ok {
			return c
		}
	}
	return s.home()
}
