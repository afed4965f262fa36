// Package endpoint is the reconcile contract shared by GatewayEndpoint and
// InterfaceEndpoint: resolve the spec against AWS, find (or adopt, or create) the
// endpoint, plan the minimal changes with a pure function, apply them with the fewest
// EC2 calls, and report what AWS looks like. It knows nothing of Kubernetes clients;
// the controllers translate objects into a Request and an Outcome back into status.
package endpoint
