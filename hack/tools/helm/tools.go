//go:build tools

// Package helm pins the helm CLI version that `make helm` builds into bin/helm,
// for the chart tests (helm lint, helm template).
package helm

import _ "helm.sh/helm/v3/cmd/helm"
