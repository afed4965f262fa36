#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy (the version pinned in
# hack/tools/helm/go.mod) into bin/helm, for the chart tests. The built binary is
# also kept in a per-user cache outside the clone, so a fresh clone on the same
# machine (as CI uses) copies it instead of rebuilding.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mod="$root/hack/tools/helm"
HELM_VERSION=$(cd "$mod" && go list -m -f '{{.Version}}' helm.sh/helm/v3)
# Like helm's own Makefile: the default Kubernetes version of `helm template` and of
# the lint deprecation checks follows the client-go helm is built with (v0.N.x is 1.N).
CLIENT_GO=$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/client-go)
KUBE_MINOR=$(echo "$CLIENT_GO" | cut -d. -f2)
dest="$root/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vpce-controller/helm-${HELM_VERSION}-$(go env GOOS)-$(go env GOARCH)"
stamp="helm ${HELM_VERSION} kube 1.${KUBE_MINOR}"

have() { [ -x "$1/helm" ] && [ "$(cat "$1/HELM_VERSION" 2>/dev/null)" = "$stamp" ]; }

if have "$dest"; then
  echo "helm: $stamp already in bin/helm"
  exit 0
fi
mkdir -p "$dest"
if ! have "$cache"; then
  mkdir -p "$cache"
  echo "helm: building $HELM_VERSION from the Go module proxy (about a minute)"
  (cd "$mod" && go build -trimpath \
    -ldflags "-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${KUBE_MINOR} \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${KUBE_MINOR}" \
    -o "$cache/helm" helm.sh/helm/v3/cmd/helm)
  echo "$stamp" > "$cache/HELM_VERSION"
fi
cp "$cache/helm" "$cache/HELM_VERSION" "$dest/"
echo "helm: $stamp installed in bin/helm"
