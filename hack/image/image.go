package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// spec is everything the image is made of.
type spec struct {
	binary   string
	platform v1.Platform
	stamp    stamp
	source   string
}

// labels are the OCI annotations of the image config. No licenses label: the
// repository does not state a license yet.
func labels(s spec) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "vpce-controller",
		"org.opencontainers.image.description": "Keeps AWS VPC endpoints converged to GatewayEndpoint and InterfaceEndpoint objects.",
		"org.opencontainers.image.source":      s.source,
		"org.opencontainers.image.revision":    s.stamp.commit,
		"org.opencontainers.image.version":     s.stamp.version,
		"org.opencontainers.image.created":     s.stamp.created.Format(time.RFC3339),
	}
}

// assemble builds the image: the base layer, the manager layer and a config
// that runs /manager as the nonroot user.
func assemble(s spec) (v1.Image, error) {
	certs, n, err := caBundlePEM()
	if err != nil {
		return nil, err
	}
	base, err := baseLayer(certs)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	manager, err := managerLayer(s.binary)
	if err != nil {
		return nil, fmt.Errorf("manager layer: %w", err)
	}
	created := v1.Time{Time: s.stamp.created}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: s.platform.Architecture,
		OS:           s.platform.OS,
		Variant:      s.platform.Variant,
		Created:      created,
		Config: v1.Config{
			User:       strconv.Itoa(nonrootUID) + ":" + strconv.Itoa(nonrootGID),
			Entrypoint: []string{managerPath},
			WorkingDir: "/",
			Labels:     labels(s),
		},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{
			Created:   created,
			CreatedBy: "hack/image: base",
			Comment:   fmt.Sprintf("nonroot user 65532, %d CA roots from golang.org/x/crypto/x509roots/fallback at %s", n, caBundlePath),
		}},
		mutate.Addendum{Layer: manager, History: v1.History{
			Created:   created,
			CreatedBy: "hack/image: manager",
			Comment:   fmt.Sprintf("%s %s (commit %s), built by hack/build-manager.sh", managerPath, s.stamp.version, s.stamp.commit),
		}},
	)
}

// writeTarball writes img tagged as tag to path (through a temporary file, so a
// failed build never leaves half a tarball) and returns the image's digest and
// the tarball's size.
func writeTarball(img v1.Image, tag, path string) (v1.Hash, int64, error) {
	ref, err := name.NewTag(tag)
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("tag %q: %w", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return v1.Hash{}, 0, err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return v1.Hash{}, 0, err
	}
	info, err := os.Stat(tmp)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return v1.Hash{}, 0, err
	}
	return digest, info.Size(), nil
}
