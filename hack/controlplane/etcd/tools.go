//go:build tools

// Package etcd pins the etcd version that the envtest suites run against.
package etcd

import _ "go.etcd.io/etcd/server/v3"
