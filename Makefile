# vpce-controller Makefile. `make help` lists the targets.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

BIN        ?= $(CURDIR)/bin
K8S_ASSETS ?= $(BIN)/k8s
export KUBEBUILDER_ASSETS := $(K8S_ASSETS)
CONTROLLER_GEN := go tool controller-gen
IMG ?= vpce-controller:dev
# make image writes the image here; IMAGE_PLATFORM=linux/arm64 cross-builds (default: this machine's arch).
IMAGE_TAR ?= $(BIN)/image.tar
IMAGE_PLATFORM ?=
TEST_FLAGS ?= -parallel 8
# Integration suites wait on real processes; give them room but keep make test well under 30 minutes.
TEST_TIMEOUT ?= 25m

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: ## Generate deepcopy code and the API reference.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	@if [ -x hack/gen-api-docs.sh ]; then hack/gen-api-docs.sh; fi

.PHONY: manifests
manifests: ## Generate CRDs and RBAC from the markers.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	go run ./hack/policy-schema -schema api/v1alpha1/policy_schema.yaml config/crd/bases/networking.vpce.dev_gatewayendpoints.yaml config/crd/bases/networking.vpce.dev_interfaceendpoints.yaml
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths=./controllers/... output:rbac:artifacts:config=config/rbac
	cp config/crd/bases/*.yaml charts/vpce-controller/crds/

.PHONY: verify-generated
verify-generated: ## Fail if generated files are stale.
	hack/verify-generated.sh

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## gofmt check and go vet (the repository and the test/monitoring module).
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "not gofmt'ed: $$unformatted" >&2; exit 1; fi
	go vet ./...
	cd test/monitoring && go vet ./...

.PHONY: build
build: ## Build the manager (as the image does: hack/build-manager.sh), ec2sim and localcp (the local control plane) into bin/.
	hack/build-manager.sh $(BIN)/manager
	go build -o $(BIN)/ec2sim ./test/cmd/ec2sim
	go build -o $(BIN)/localcp ./test/cmd/localcp

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver and etcd from source into bin/k8s (cached per user).
	hack/build-control-plane.sh

.PHONY: helm
helm: ## Build the helm CLI from the Go module proxy into bin/helm (cached per user).
	hack/build-helm.sh

##@ Test

.PHONY: test
test: verify-generated vet envtest-assets helm ## Run every test: planner tables, ec2sim and its moto conformance, envtest integration, alerts and dashboard against a scrape.
	go test $(TEST_FLAGS) -timeout $(TEST_TIMEOUT) ./...
	cd test/monitoring && go test $(TEST_FLAGS) -timeout $(TEST_TIMEOUT) ./...

.PHONY: bench
bench: envtest-assets build ## Run the scale benchmark (not part of make test).
	go run ./test/cmd/bench $(BENCH_FLAGS)

.PHONY: chaos
chaos: envtest-assets build ## Run the chaos suite: SIGKILLs and EC2 faults while objects change (CHAOS_FLAGS="-seed N" replays a run).
	go run ./test/cmd/chaos $(CHAOS_FLAGS)

##@ Demo

.PHONY: demo
demo: envtest-assets build ## Start a local control plane, ec2sim and the manager, and tell the story.
	hack/demo.sh

.PHONY: demo-down
demo-down: ## Stop what make demo started.
	hack/demo.sh down

##@ Image

.PHONY: image
image: ## Build the manager image without Docker or a registry into bin/image.tar (then: docker load -i, or crane push).
	go run ./hack/image -o $(IMAGE_TAR) -tag $(IMG) $(if $(IMAGE_PLATFORM),-platform $(IMAGE_PLATFORM))

.PHONY: docker-build
docker-build: ## Build the image with a Docker engine from the Dockerfile (the same binary: hack/build-manager.sh).
	docker build --build-arg VERSION="$$(hack/build-manager.sh version)" --build-arg COMMIT="$$(hack/build-manager.sh commit)" -t $(IMG) .
