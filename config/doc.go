// Package config holds the kustomize manifests that install vpce-controller
// (crd, rbac, manager, default) and the example endpoints (samples). Its only Go
// code is tests that keep those manifests least-privileged and renderable.
package config
