// Package chaos is vpce-controller's chaos suite. Run starts the manager as its
// own process against a local control plane and ec2sim (through test/e2e),
// injects faults (InternalError on a share of all calls, throttling, an
// eventual-consistency window, latency), creates, edits and deletes a mix of
// GatewayEndpoint and InterfaceEndpoint objects in random order while killing
// the manager with SIGKILL at random moments, and afterwards checks and prints
// the invariants the controller promises:
//
//   - exactly one endpoint per live object (by its vpce.dev/owner-uid tag);
//   - every live object Ready and matching AWS (endpoint available, route
//     tables or subnets, tags, managed security group);
//   - no object stuck: every deletion finishes within a bound;
//   - once everything is deleted, no endpoint, managed security group or
//     endpoint network interface is left.
//
// Everything random derives from one seed, printed first, so a run can be
// replayed. `make chaos` runs the full suite through test/cmd/chaos; chaos_test.go
// runs a reduced one inside `make test`.
//
// Test harness (under test/): the manager never imports it.
package chaos
