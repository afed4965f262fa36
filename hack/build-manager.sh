#!/usr/bin/env bash
# The one definition of how the manager binary is built. `make build`, `make image`
# (through hack/image) and the Dockerfile all run this script, so every manager is
# the same static binary stamped the same way:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X <version>=... -X <commit>=..."
#
# Usage:
#   hack/build-manager.sh OUT     build the manager (package .) into OUT
#   hack/build-manager.sh version print the version it stamps
#   hack/build-manager.sh commit  print the commit it stamps
#   hack/build-manager.sh date    print the commit time (Unix seconds), for
#                                 reproducible image timestamps
#
# VERSION, COMMIT and SOURCE_DATE_EPOCH from the environment win when set and not
# empty (the Dockerfile passes them as build arguments: its context has no .git).
# Otherwise they come from git: `git describe --tags --dirty` (v0.0.0-<commit> when
# no v* tag exists yet), `git rev-parse HEAD` and the commit time; outside a git
# checkout they fall back to v0.0.0-dev, unknown and 0. GOOS and GOARCH pick the
# platform as for go build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Where -X writes: internal/version reads these two variables.
readonly version_pkg=github.com/vpce-dev/vpce-controller/internal/version

in_git() { git rev-parse --is-inside-work-tree >/dev/null 2>&1; }

version() {
  if [ -n "${VERSION:-}" ]; then echo "$VERSION"; return; fi
  if ! in_git; then echo v0.0.0-dev; return; fi
  local d
  d=$(git describe --tags --match 'v[0-9]*' --always --dirty --abbrev=12)
  case "$d" in
    v[0-9]*) echo "$d" ;;
    *) echo "v0.0.0-$d" ;; # no release tag yet: a SemVer pre-release naming the commit
  esac
}

commit() {
  if [ -n "${COMMIT:-}" ]; then echo "$COMMIT"; return; fi
  if in_git; then git rev-parse HEAD; else echo unknown; fi
}

source_date() {
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then echo "$SOURCE_DATE_EPOCH"; return; fi
  if in_git; then git log -1 --format=%ct; else echo 0; fi
}

case "${1:-}" in
  version) version ;;
  commit) commit ;;
  date) source_date ;;
  "" | -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    [ -n "${1:-}" ] || exit 2
    ;;
  *)
    out=$1
    v=$(version)
    c=$(commit)
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X ${version_pkg}.version=${v} -X ${version_pkg}.commit=${c}" \
      -o "$out" .
    echo "manager: ${v} (commit ${c}) built into ${out} for $(go env GOOS)/$(go env GOARCH)"
    ;;
esac
