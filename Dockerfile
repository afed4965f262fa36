# Builds the vpce-controller manager into a distroless, non-root image, for those
# with a Docker engine:
#   make docker-build IMG=vpce-controller:dev
# `make image` builds an equivalent image without Docker (hack/image). Both build
# the binary with hack/build-manager.sh, the one definition of the build flags
# (static, -trimpath, version and commit stamped), so the binary is the same.
# The context has no .git (see .dockerignore): make docker-build passes VERSION and
# COMMIT; a bare `docker build .` stamps v0.0.0-dev and unknown.
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION
ARG COMMIT
WORKDIR /workspace

# Download modules first so source edits do not invalidate this layer.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} VERSION=${VERSION} COMMIT=${COMMIT} \
    hack/build-manager.sh /workspace/manager

FROM gcr.io/distroless/static:nonroot
ARG VERSION
ARG COMMIT
LABEL org.opencontainers.image.title="vpce-controller" \
      org.opencontainers.image.description="Keeps AWS VPC endpoints converged to GatewayEndpoint and InterfaceEndpoint objects." \
      org.opencontainers.image.source="https://github.com/vpce-dev/vpce-controller" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.version="${VERSION}"
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
