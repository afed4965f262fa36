#!/usr/bin/env bash
# Writes docs/api-reference.md from the API types: generates the CRDs from
# api/v1alpha1 into a temporary directory (so the reference follows the types even
# before `make manifests` rewrites config/crd/bases; hack/policy-schema adds the
# policy document's schema as `make manifests` does), then turns their schemas into
# markdown with hack/gen-api-docs. `make generate` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go tool controller-gen crd paths=./api/... output:crd:artifacts:config="$tmp"
# Only the kinds with spec.policy (AWSAccount has none).
go run ./hack/policy-schema -schema api/v1alpha1/policy_schema.yaml "$tmp"/networking.vpce.dev_gatewayendpoints.yaml "$tmp"/networking.vpce.dev_interfaceendpoints.yaml
mkdir -p docs
go run ./hack/gen-api-docs -crds "$tmp" -out docs/api-reference.md
