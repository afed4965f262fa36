package ec2sim

import (
	"slices"
)

func (s *Server) modifyVpcEndpoint(p params) (any, *apiError) {
	e, err := s.findEndpoint(p.str("VpcEndpointId"))
	if err != nil {
		return nil, err
	}
	switch {
	case e.gone() || e.state == stateRejected || e.state == stateFailed || e.state == stateExpired:
		return nil, errf("IncorrectState", "The VPC endpoint %s is in state %s and cannot be modified.", e.id, e.state)
	case e.state == statePending:
		return nil, errf("OperationInProgress", "There is an operation in progress on VPC endpoint %s. Try again after the operation completes.", e.id)
	}
	policy := e.policy
	reset, _ := p.boolean("ResetPolicy")
	switch {
	case reset && p.has("PolicyDocument"):
		return nil, errInvalidParameterCombination("The parameters PolicyDocument and ResetPolicy cannot be used together.")
	case reset:
		policy = defaultPolicy
	case p.has("PolicyDocument"):
		policy = p.str("PolicyDocument")
		if err := validatePolicy(policy); err != nil {
			return nil, err
		}
	}
	v := s.w.vpcs[e.vpcID]
	if e.typ == "Gateway" {
		err = s.modifyGateway(e, v, p)
	} else {
		err = s.modifyInterface(e, v, p)
	}
	if err != nil {
		return nil, err
	}
	e.policy = policy
	if e.typ == "Interface" && e.state == stateAvailable {
		e.state, e.until = statePending, s.now().Add(s.delay(s.opts.StateDelay))
	}
	return xmlReturn{Return: true}, nil
}

// detach validates the IDs to remove from an endpoint's current list.
func detach(e *endpoint, current, remove []string, find func(string) *apiError, what string) ([]string, *apiError) {
	for _, id := range remove {
		if err := find(id); err != nil {
			return nil, err
		}
		if !slices.Contains(current, id) {
			return nil, errInvalidParameter("The %s %s is not associated with VPC endpoint %s.", what, id, e.id)
		}
	}
	return slices.DeleteFunc(slices.Clone(current), func(id string) bool { return slices.Contains(remove, id) }), nil
}

func (s *Server) modifyGateway(e *endpoint, v *vpc, p params) *apiError {
	for _, key := range []string{"AddSubnetId", "RemoveSubnetId", "AddSecurityGroupId", "RemoveSecurityGroupId"} {
		if len(p.list(key)) > 0 {
			return errInvalidParameter("Subnets and security groups are only supported for Interface type VPC Endpoints.")
		}
	}
	if p.has("PrivateDnsEnabled") {
		return errInvalidParameter("Private DNS can only be enabled for Interface type VPC Endpoints.")
	}
	if p.has("DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint") {
		return errInboundOnlyForInterfaces()
	}
	remove := dedup(p.list("RemoveRouteTableId"))
	kept, err := detach(e, e.routeTables, remove, func(id string) *apiError {
		_, err := s.findRouteTable(id, kindEndpointRTB)
		return err
	}, "route table")
	if err != nil {
		return err
	}
	var add []string
	for _, id := range dedup(p.list("AddRouteTableId")) {
		if !slices.Contains(kept, id) {
			add = append(add, id)
		}
	}
	if err := s.checkGatewayTables(e, v, add); err != nil {
		return err
	}
	s.removeGatewayRoutes(e, remove)
	s.addGatewayRoutes(e, add)
	e.routeTables = append(kept, add...)
	return nil
}

func (s *Server) modifyInterface(e *endpoint, v *vpc, p params) *apiError {
	if len(p.list("AddRouteTableId")) > 0 || len(p.list("RemoveRouteTableId")) > 0 {
		return errInvalidParameter("Route table IDs are only supported for Gateway type VPC Endpoint.")
	}
	removeSubnets := dedup(p.list("RemoveSubnetId"))
	subnets, err := detach(e, e.subnets, removeSubnets, func(id string) *apiError {
		_, err := s.findSubnet(id, kindEndpointSubnet)
		return err
	}, "subnet")
	if err != nil {
		return err
	}
	var addSubnets []string
	for _, id := range dedup(p.list("AddSubnetId")) {
		if !slices.Contains(subnets, id) {
			addSubnets = append(addSubnets, id)
		}
	}
	subnets = append(subnets, addSubnets...)
	if err := s.checkSubnets(e, v, subnets); err != nil {
		return err
	}
	groups, err := detach(e, e.groups, dedup(p.list("RemoveSecurityGroupId")), func(id string) *apiError {
		_, err := s.findGroup(id)
		return err
	}, "security group")
	if err != nil {
		return err
	}
	for _, id := range dedup(p.list("AddSecurityGroupId")) {
		if !slices.Contains(groups, id) {
			groups = append(groups, id)
		}
	}
	if len(groups) == 0 {
		return errInvalidParameter("The VPC endpoint %s must have at least one security group.", e.id)
	}
	if err := s.checkGroups(v, groups); err != nil {
		return err
	}
	plan := *e
	if dns, ok := p.boolean("PrivateDnsEnabled"); ok {
		plan.privateDNS = dns
	}
	if err := s.applyDNSOptions(&plan, v, p); err != nil {
		return err
	}
	s.defaultInboundOnly(&plan)
	if p.has("DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint") || plan.privateDNS && !e.privateDNS {
		if err := s.checkInboundOnly(&plan, v); err != nil {
			return err
		}
	}
	if err := s.checkPrivateDNS(&plan, v); err != nil {
		return err
	}
	e.privateDNS, e.recordIPType, e.ipAddressType, e.inboundOnly = plan.privateDNS, plan.recordIPType, plan.ipAddressType, plan.inboundOnly
	for _, id := range removeSubnets {
		s.removeENI(e.enis[id])
		delete(e.enis, id)
	}
	e.subnets, e.groups = subnets, groups
	for _, id := range addSubnets {
		e.enis[id] = s.addENI(s.w.subnets[id], "VPC Endpoint Interface "+e.id, "vpc_endpoint", groups).id
	}
	for _, id := range e.enis {
		s.w.enis[id].groups = slices.Clone(groups)
	}
	return nil
}
