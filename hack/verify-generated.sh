#!/usr/bin/env bash
# Regenerates deepcopy code, CRDs, RBAC and the API reference, and fails if any of
# them changed: generated files must be committed current.
set -euo pipefail
cd "$(dirname "$0")/.."
files() {
  local dirs=()
  for d in api config/crd config/rbac docs charts/vpce-controller/crds; do [ -d "$d" ] && dirs+=("$d"); done
  find "${dirs[@]}" -type f \( -name 'zz_generated*.go' -o -name '*.yaml' -o -name 'api-reference.md' \) | sort
}
before=$(files | xargs -r sha256sum)
make -s generate manifests >/dev/null
after=$(files | xargs -r sha256sum)
if [ "$before" != "$after" ]; then
  echo "generated files were stale and have been regenerated:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  echo "commit the regenerated files (make generate manifests)" >&2
  exit 1
fi
echo "generated files are current"
