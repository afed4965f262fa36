// Package testenv starts a real kube-apiserver and etcd (envtest) with the
// vpce-controller CRDs installed, for tests that need the apiserver's own
// validation, defaulting and watch behaviour.
//
// The binaries come from KUBEBUILDER_ASSETS, which defaults to <repo>/bin/k8s;
// `make envtest-assets` builds them from source. Missing binaries are an error,
// never a skip.
//
// Test harness (under test/): the manager never imports it.
package testenv
