// Package e2e runs vpce-controller the way users run it: the manager, ec2sim
// and a local control plane (kube-apiserver and etcd, through bin/localcp) as
// separate processes on loopback. The demo, the benchmark and the chaos suite
// build on it.
//
// Binaries come from <repo>/bin; Build makes them when missing or stale. Every
// process writes its output to a log file in the directory the caller names,
// so a failure can be read afterwards.
//
// Test harness (under test/): the manager never imports it.
package e2e
