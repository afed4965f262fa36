package ec2sim

import "fmt"

func (s *Server) acceptVpcEndpointConnections(p params) (any, *apiError) {
	return s.decideConnections(p, true)
}

func (s *Server) rejectVpcEndpointConnections(p params) (any, *apiError) {
	return s.decideConnections(p, false)
}

// decideConnections accepts or rejects endpoints of a PrivateLink service,
// reporting per-endpoint failures in Unsuccessful.
func (s *Server) decideConnections(p params, accept bool) (any, *apiError) {
	svcID := p.str("ServiceId")
	if svcID == "" {
		return nil, errMissingParameter("serviceId")
	}
	var sv *service
	for _, x := range s.w.services {
		if x.id == svcID {
			sv = x
		}
	}
	if sv == nil {
		return nil, errf("InvalidVpcEndpointServiceId.NotFound", "The Vpc Endpoint Service Id '%s' does not exist", svcID)
	}
	ids := p.list("VpcEndpointId")
	if len(ids) == 0 {
		return nil, errMissingParameter("vpcEndpointId")
	}
	var out xmlUnsuccessfulSet
	for _, id := range ids {
		e, err := s.findEndpoint(id)
		if err == nil && e.svc != sv {
			err = kindEndpoint.notFoundErr(id)
		}
		if err == nil {
			err = s.decide(e, accept)
		}
		if err != nil {
			out.Unsuccessful = append(out.Unsuccessful, unsuccessful(id, err))
		}
	}
	return out, nil
}

// decide moves an endpoint from pendingAcceptance to pending (accept), or to
// rejected.
func (s *Server) decide(e *endpoint, accept bool) *apiError {
	switch {
	case accept && e.state == statePendingAcceptance:
		e.state, e.until = statePending, s.now().Add(s.delay(s.opts.StateDelay))
		return nil
	case !accept && (e.state == statePendingAcceptance || e.state == statePending || e.state == stateAvailable):
		e.state = stateRejected
		return nil
	}
	verb := "rejected"
	if accept {
		verb = "accepted"
	}
	return errf("InvalidState", "The VPC endpoint %s is in state %s and cannot be %s.", e.id, e.state, verb)
}

// AcceptEndpoint accepts a pendingAcceptance endpoint, as its service's
// owner would with AcceptVpcEndpointConnections.
func (s *Server) AcceptEndpoint(endpointID string) error {
	return s.adminDecide(endpointID, true)
}

// RejectEndpoint rejects an endpoint, as its service's owner would with
// RejectVpcEndpointConnections.
func (s *Server) RejectEndpoint(endpointID string) error {
	return s.adminDecide(endpointID, false)
}

func (s *Server) adminDecide(id string, accept bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s = s.cellWithEndpoint(id)
	s.advance()
	e, ok := s.w.endpoints[id] // the service owner sees the endpoint at once
	if !ok {
		return fmt.Errorf("%s: %s", kindEndpoint.notFound, kindEndpoint.notFoundErr(id).Message)
	}
	if err := s.decide(e, accept); err != nil {
		return fmt.Errorf("%s: %s", err.Code, err.Message)
	}
	s.record(s.now())
	return nil
}
