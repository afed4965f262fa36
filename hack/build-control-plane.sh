#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into bin/k8s/, the
# directory that envtest reads through KUBEBUILDER_ASSETS. Built binaries are
# also kept in a per-user cache outside the clone, so a fresh clone on the same
# machine (as CI uses) copies them instead of rebuilding.
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/bin/k8s"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vpce-controller/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"
stamp="kube-apiserver ${KUBE_VERSION} etcd ${ETCD_VERSION}"

have() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ] && [ "$(cat "$1/VERSION" 2>/dev/null)" = "$stamp" ]; }

if have "$dest"; then
  echo "control plane: $stamp already in bin/k8s"
  exit 0
fi
mkdir -p "$dest"
if ! have "$cache"; then
  mkdir -p "$cache"
  echo "control plane: building etcd $ETCD_VERSION (under a minute)"
  (cd "$root/hack/controlplane/etcd" && go build -trimpath -o "$cache/etcd" go.etcd.io/etcd/server/v3)
  echo "control plane: building kube-apiserver $KUBE_VERSION (about 5 minutes on 2 cores)"
  (cd "$root/hack/controlplane/kube-apiserver" && go build -trimpath -ldflags "-X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" -o "$cache/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  echo "$stamp" > "$cache/VERSION"
fi
cp "$cache/etcd" "$cache/kube-apiserver" "$cache/VERSION" "$dest/"
echo "control plane: $stamp installed in bin/k8s"
