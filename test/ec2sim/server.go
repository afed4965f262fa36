// Package ec2sim is an in-memory emulator of the EC2 Query API for VPCs,
// subnets, route tables, security groups, VPC endpoints and EC2 Instance
// Connect Endpoints, with AWS's state transitions, errors and throttling and
// an admin API for injecting faults.
//
// Test harness (under test/): the manager never imports it.
package ec2sim

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values select the defaults.
type Options struct {
	Region        string        // the default region (unsigned requests, the fixture, the Go API); default "us-east-1"
	StateDelay    time.Duration // pending->available for interface endpoints and after ModifyVpcEndpoint; default 2s
	DeletedLinger time.Duration // how long a deleted endpoint is still listed as "deleted"; default 2s
	ENILinger     time.Duration // how long the network interfaces of an interface endpoint remain after it is "deleted"; default DeletedLinger
	TimeScale     float64       // divides all delays and multiplies throttle refill rates; default 1
	// CallLog, when set, receives one line per EC2 call: the time, account,
	// region, action and outcome ("ok", "throttled" or the error code).
	CallLog  io.Writer
	Throttle bool  // enable AWS token buckets (in every account)
	Fixture  bool  // load the demo world at start, in every account (and in each region when first used)
	Seed     int64 // seed of IDs and fault rates; 0 picks one from the clock
	Clock    Clock // source of time for delays, transitions, throttle refills, latency and credential expiry; default the wall clock

	// Accounts lists the emulated AWS accounts (12-digit IDs); the first is
	// the default account. Requests act in the account of their access key
	// (accounts.go): a listed account ID as access key, or temporary
	// credentials AssumeRole issued; any other key answers AuthFailure. Empty:
	// one default account, 123456789012, and any access key works (a 12-digit
	// key acts in that account, created on first use).
	Accounts []string
	// Roles are IAM roles to create at start (see Role); New panics when one
	// is invalid.
	Roles []Role

	// ConsistencyWindow, when positive, turns eventual consistency on (see
	// Consistency): changes are seen late, for up to this long.
	ConsistencyWindow time.Duration
	// ConsistencyJitter makes each resource lag a random share of the window.
	ConsistencyJitter bool

	// Authorizer, when set, is asked before every EC2 action called with an
	// account's own keys (not a role's temporary credentials, which are
	// evaluated against the role's policy): once for each existing resource
	// the action targets (with that resource's tags) or once with nil tags
	// when it targets none; and, during a call, once for each dependent action
	// the call turns out to need, named in full
	// ("route53:AssociateVPCWithHostedZone" with HostedZoneId, for
	// CreateVpcEndpoint with private DNS). An error answers
	// UnauthorizedOperation.
	Authorizer func(action string, params url.Values, resourceTags map[string]string) error
}

// Server is the emulator: the value New returns serves every account and
// region on one address (an http.Handler) and its methods act on the whole
// emulator. Account and Region return views of one account in one region,
// of the same type, whose methods act on that account (faults, counters,
// consistency, throttling, IAM) or that region of it (fixture, services).
// It is safe for concurrent use.
//
// Internally each account and region is a cell: a Server with its own world
// and throttle buckets, sharing the lock, clock and ID generator of the
// root. EC2 actions run on the cell of their caller's account and region.
type Server struct {
	mu    *sync.Mutex // shared by the root and every cell
	root  *Server     // the emulator; root.root == root
	opts  Options     // a cell's Region is its region
	clock Clock
	rng   *rand.Rand // shared: IDs are unique across accounts and regions

	// Cells only.
	acct    *account // the account the cell belongs to
	w       *world
	buckets map[string]*bucket
	fixture *Fixture
	// lagRng draws each resource's share of the consistency window when
	// jitter is on.
	lagRng *rand.Rand
	// caller is who signed the call under way (set under mu by call).
	caller *principal

	// The root only.
	reg *registry
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

// New returns a Server with the given options. It panics when
// Options.Accounts or Options.Roles are invalid.
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
		mu:    &sync.Mutex{},
		opts:  opts,
		clock: opts.Clock,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	s.root = s
	s.reg = newRegistry(s, seed)
	ids := opts.Accounts
	if len(ids) == 0 {
		ids = []string{defaultAccountID}
	} else {
		s.reg.strict = true
	}
	for _, id := range ids {
		if err := s.reg.addAccount(id); err != nil {
			panic("ec2sim: Options.Accounts: " + err.Error())
		}
	}
	for _, r := range opts.Roles {
		if err := s.PutRole(r); err != nil {
			panic("ec2sim: Options.Roles: " + err.Error())
		}
	}
	return s
}

// ServeHTTP answers EC2 Query requests (form-encoded POST or GET) in the
// account and region of their credentials, STS Query requests
// (Version=2011-06-15) and, under /_sim/, the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	root := s.root
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		root.serveAdmin(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		root.mu.Lock()
		id := root.newRequestID()
		root.mu.Unlock()
		writeError(w, id, errf("MalformedQueryString", "%v", err))
		return
	}
	p := params{r.Form}
	cred := credentialOf(r)
	if isSTS(p, cred) {
		root.serveSTS(w, p, cred)
		return
	}
	action := p.str("Action")
	cell, caller, authErr := root.route(cred)
	if authErr != nil && cell == nil {
		root.mu.Lock()
		id := root.newRequestID()
		root.mu.Unlock()
		writeError(w, id, authErr)
		return
	}
	body, requestID, apiErr := cell.call(action, p, caller, authErr)
	if apiErr != nil {
		writeError(w, requestID, apiErr)
		return
	}
	writeResult(w, action, requestID, body)
}

// call runs one action for caller: injected latency and faults, throttling,
// the caller's IAM policy, DryRun, then the handler; every call is counted
// in the cell's account. A lost response is counted "lostResponse" when the
// call took effect. A credential error (expired credentials) is counted and
// answered before anything else.
func (s *Server) call(action string, p params, caller *principal, credErr *apiError) (any, string, *apiError) {
	if credErr != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.count(action, credErr)
		return nil, s.newRequestID(), credErr
	}
	s.mu.Lock()
	latency, fault, lost := s.pickFault(action)
	s.mu.Unlock()
	if latency > 0 {
		s.clock.Sleep(latency)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller = caller
	defer func() { s.caller = nil }()
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

// authorize asks the caller's authorizer (authorizerFor) about each
// existing resource the action targets, or once with nil tags when it
// targets none (creates).
func (s *Server) authorize(action string, p params) *apiError {
	auth := s.authorizerFor()
	if auth == nil {
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
		if err := auth(action, p.v, tags); err != nil {
			return errf("UnauthorizedOperation", "You are not authorized to perform this operation. %v", err)
		}
	}
	return nil
}

// now is the emulator's current time, from its clock.
func (s *Server) now() time.Time { return s.clock.Now() }

// authorizeDependent asks the caller's authorizer for a dependent action a
// call needs once the handler knows it does.
func (s *Server) authorizeDependent(action string, params url.Values) *apiError {
	auth := s.authorizerFor()
	if auth == nil {
		return nil
	}
	if err := auth(action, params, nil); err != nil {
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
