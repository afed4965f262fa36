// Package ec2sim is an in-memory emulator of the EC2 Query API for VPCs,
// subnets, route tables, security groups, VPC endpoints and EC2 Instance
// Connect Endpoints, with AWS's state transitions, errors and throttling and
// an admin API for injecting faults.
//
// Test harness (under test/): the manager never imports it.
package ec2sim

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values select the defaults.
type Options struct {
	Region        string        // default "us-east-1"
	StateDelay    time.Duration // pending->available for interface endpoints and after ModifyVpcEndpoint; default 2s
	DeletedLinger time.Duration // how long a deleted endpoint is still listed as "deleted"; default 2s
	ENILinger     time.Duration // how long the network interfaces of an interface endpoint remain after it is "deleted"; default DeletedLinger
	TimeScale     float64       // divides all delays and multiplies throttle refill rates; default 1
	Throttle      bool          // enable AWS token buckets
	Fixture       bool          // load the demo world at start
	Seed          int64         // seed of IDs and fault rates; 0 picks one from the clock
	Clock         Clock         // source of time for delays, transitions, throttle refills and latency; default the wall clock

	// ConsistencyWindow, when positive, turns eventual consistency on (see
	// Consistency): changes are seen late, for up to this long.
	ConsistencyWindow time.Duration
	// ConsistencyJitter makes each resource lag a random share of the window.
	ConsistencyJitter bool

	// Authorizer, when set, is asked before every EC2 action: once for each
	// existing resource the action targets (with that resource's tags) or once
	// with nil tags when it targets none; and, during a call, once for each
	// dependent action the call turns out to need, named in full
	// ("route53:AssociateVPCWithHostedZone" with HostedZoneId, for
	// CreateVpcEndpoint with private DNS). An error answers
	// UnauthorizedOperation.
	Authorizer func(action string, params url.Values, resourceTags map[string]string) error
}

// Server is the emulator. It serves the EC2 Query protocol on "/" and the
// admin JSON API on "/_sim/"; it is safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	opts     Options
	clock    Clock
	rng      *rand.Rand
	w        *world
	faults   []*faultState
	buckets  map[string]*bucket
	counters map[string]map[string]int
	fixture  *Fixture
	// consistency is the eventual-consistency setting; lagRng draws each
	// resource's share of the window when jitter is on.
	consistency Consistency
	lagRng      *rand.Rand
}

// handler implements one EC2 action against the locked server.
type handler func(s *Server, p params) (any, *apiError)

var handlers = map[string]handler{
	"CreateVpc":                        (*Server).createVpc,
	"DescribeVpcs":                     (*Server).describeVpcs,
	"DeleteVpc":                        (*Server).deleteVpc,
	"ModifyVpcAttribute":               (*Server).modifyVpcAttribute,
	"DescribeVpcAttribute":             (*Server).describeVpcAttribute,
	"CreateSubnet":                     (*Server).createSubnet,
	"DescribeSubnets":                  (*Server).describeSubnets,
	"DeleteSubnet":                     (*Server).deleteSubnet,
	"DescribeAvailabilityZones":        (*Server).describeAvailabilityZones,
	"CreateRouteTable":                 (*Server).createRouteTable,
	"DescribeRouteTables":              (*Server).describeRouteTables,
	"DeleteRouteTable":                 (*Server).deleteRouteTable,
	"AssociateRouteTable":              (*Server).associateRouteTable,
	"DisassociateRouteTable":           (*Server).disassociateRouteTable,
	"CreateSecurityGroup":              (*Server).createSecurityGroup,
	"DescribeSecurityGroups":           (*Server).describeSecurityGroups,
	"DeleteSecurityGroup":              (*Server).deleteSecurityGroup,
	"AuthorizeSecurityGroupIngress":    (*Server).authorizeIngress,
	"AuthorizeSecurityGroupEgress":     (*Server).authorizeEgress,
	"RevokeSecurityGroupIngress":       (*Server).revokeIngress,
	"RevokeSecurityGroupEgress":        (*Server).revokeEgress,
	"DescribeSecurityGroupRules":       (*Server).describeSecurityGroupRules,
	"DescribeNetworkInterfaces":        (*Server).describeNetworkInterfaces,
	"DescribePrefixLists":              (*Server).describePrefixLists,
	"DescribeVpcEndpointServices":      (*Server).describeVpcEndpointServices,
	"CreateVpcEndpoint":                (*Server).createVpcEndpoint,
	"DescribeVpcEndpoints":             (*Server).describeVpcEndpoints,
	"ModifyVpcEndpoint":                (*Server).modifyVpcEndpoint,
	"DeleteVpcEndpoints":               (*Server).deleteVpcEndpoints,
	"AcceptVpcEndpointConnections":     (*Server).acceptVpcEndpointConnections,
	"RejectVpcEndpointConnections":     (*Server).rejectVpcEndpointConnections,
	"CreateTags":                       (*Server).createTags,
	"DeleteTags":                       (*Server).deleteTags,
	"DescribeTags":                     (*Server).describeTags,
	"CreateInstanceConnectEndpoint":    (*Server).createInstanceConnectEndpoint,
	"DescribeInstanceConnectEndpoints": (*Server).describeInstanceConnectEndpoints,
	"DeleteInstanceConnectEndpoint":    (*Server).deleteInstanceConnectEndpoint,
	"ModifyInstanceConnectEndpoint":    (*Server).modifyInstanceConnectEndpoint,
}

// New returns a Server with the given options.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.StateDelay == 0 {
		opts.StateDelay = 2 * time.Second
	}
	if opts.DeletedLinger == 0 {
		opts.DeletedLinger = 2 * time.Second
	}
	if opts.ENILinger == 0 {
		opts.ENILinger = opts.DeletedLinger
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	s := &Server{
		opts:     opts,
		clock:    opts.Clock,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		lagRng:   rand.New(rand.NewPCG(seed^0x5851f42d4c957f2d, seed)),
		counters: map[string]map[string]int{},
		buckets:  map[string]*bucket{},
	}
	s.w = newWorld(s)
	s.setConsistency(Consistency{Window: opts.ConsistencyWindow, Jitter: opts.ConsistencyJitter})
	if opts.Fixture {
		s.LoadFixture()
	}
	return s
}

// ServeHTTP answers EC2 Query requests (form-encoded POST or GET) and, under
// /_sim/, the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.mu.Lock()
		id := s.newRequestID()
		s.mu.Unlock()
		writeError(w, id, errf("MalformedQueryString", "%v", err))
		return
	}
	p := params{r.Form}
	action := p.str("Action")
	body, requestID, apiErr := s.call(action, p)
	if apiErr != nil {
		writeError(w, requestID, apiErr)
		return
	}
	writeResult(w, action, requestID, body)
}

// call runs one action: injected latency and faults, throttling, the
// authorizer, DryRun, then the handler; every call is counted. A lost
// response is counted "lostResponse" when the call took effect.
func (s *Server) call(action string, p params) (any, string, *apiError) {
	s.mu.Lock()
	latency, fault, lost := s.pickFault(action)
	s.mu.Unlock()
	if latency > 0 {
		s.clock.Sleep(latency)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	requestID := s.newRequestID()
	body, err := s.dispatch(action, p, fault)
	switch {
	case lost != nil && err == nil:
		s.countOutcome(action, "lostResponse")
		return nil, requestID, lost
	case lost != nil:
		s.count(action, err)
		return nil, requestID, lost
	}
	s.count(action, err)
	return body, requestID, err
}

func (s *Server) dispatch(action string, p params, fault *apiError) (any, *apiError) {
	if fault != nil {
		return nil, fault
	}
	h, ok := handlers[action]
	if !ok {
		return nil, errf("InvalidAction", "The action %s is not valid for this web service.", action)
	}
	if !s.takeToken(action) {
		return nil, errf("RequestLimitExceeded", "Request limit exceeded.")
	}
	s.advance()
	if err := s.authorize(action, p); err != nil {
		return nil, err
	}
	if dry, _ := p.boolean("DryRun"); dry {
		return nil, errDryRun()
	}
	body, err := h(s, p)
	if IsMutating(action) {
		s.record(s.now())
	}
	return body, err
}

// authorize consults Options.Authorizer for each existing resource the
// action targets, or once with nil tags when it targets none (creates).
func (s *Server) authorize(action string, p params) *apiError {
	if s.opts.Authorizer == nil {
		return nil
	}
	var tagSets []map[string]string
	if !strings.HasPrefix(action, "Create") || action == "CreateTags" {
		var ids []string
		for _, key := range []string{"VpcEndpointId", "GroupId", "InstanceConnectEndpointId"} {
			ids = append(append(ids, p.v[key]...), p.list(key)...)
		}
		for _, id := range append(ids, p.list("ResourceId")...) {
			if tags, ok := s.w.tagsOf(id); ok {
				tagSets = append(tagSets, tags)
			}
		}
	}
	if len(tagSets) == 0 {
		tagSets = append(tagSets, nil)
	}
	for _, tags := range tagSets {
		if err := s.opts.Authorizer(action, p.v, tags); err != nil {
			return errf("UnauthorizedOperation", "You are not authorized to perform this operation. %v", err)
		}
	}
	return nil
}

// now is the emulator's current time, from its clock.
func (s *Server) now() time.Time { return s.clock.Now() }

// authorizeDependent asks the authorizer for a dependent action a call needs
// once the handler knows it does.
func (s *Server) authorizeDependent(action string, params url.Values) *apiError {
	if s.opts.Authorizer == nil {
		return nil
	}
	if err := s.opts.Authorizer(action, params, nil); err != nil {
		return errf("UnauthorizedOperation", "You are not authorized to perform this operation. %v", err)
	}
	return nil
}

// delay scales a configured delay by the time scale.
func (s *Server) delay(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.opts.TimeScale)
}

// IsMutating reports whether an EC2 action changes state (Create*, Modify*,
// Delete*, Authorize*, Revoke*, Associate*, Accept*, Reject*, …).
func IsMutating(action string) bool {
	for _, prefix := range []string{"Describe", "Get", "List", "Search"} {
		if strings.HasPrefix(action, prefix) {
			return false
		}
	}
	return action != ""
}
