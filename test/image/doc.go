// Package image checks the container image that `make image` builds (hack/image)
// the way a platform team would before deploying it: the config runs /manager as
// 65532:65532, the OCI labels name the source, revision and version, the layers
// hold no shell or package manager but the CA roots AWS chains to, the tarball
// loads as `docker load` and `crane push` read it, the binary in the layer is
// static and prints its version and commit, and the manager starts from the
// image's file system mounted read-only, as the nonroot user, against a real
// kube-apiserver.
//
// Test harness (under test/): the manager never imports it.
package image
