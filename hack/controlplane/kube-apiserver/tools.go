//go:build tools

// Package kubeapiserver pins the kube-apiserver version that the envtest
// suites run against. It is a module of its own so that the controller's
// go.mod never pulls in k8s.io/kubernetes.
package kubeapiserver

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
