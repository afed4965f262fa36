// Package endpoint is the reconcile contract shared by every endpoint kind:
// resolve the spec against AWS, find (or adopt, or create) the resource, plan the
// minimal changes with a pure function, apply them with the fewest EC2 calls,
// and report what AWS looks like. It knows nothing of Kubernetes clients; the
// controllers translate objects into a Request and an Outcome back into status.
//
// The engine is written once, by phase: engine.go (the flow and resolve),
// find.go (find and adopt), create.go and intent.go (create with a recorded
// intent and one ClientToken), update.go (plan and apply), report.go, delete.go,
// securitygroup.go (the managed security group). What differs per kind is an
// adapter (adapter.go): gateway.go and interface.go, which share the VPC
// endpoint API of vpce.go.
package endpoint
