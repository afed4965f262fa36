// Command image builds the manager's container image without a Docker daemon, a
// registry or a base image: only the Go toolchain and modules from the Go module
// proxy. `make image` runs it (go run ./hack/image); it writes a tarball in the
// `docker save` format, which `docker load`, `crane push` and `podman load` accept.
//
// The image is two layers on nothing (FROM scratch):
//   - base: /etc/passwd and /etc/group with the nonroot user (65532) and its home,
//     /etc/nsswitch.conf, an empty /tmp, and the Mozilla CA roots
//     (golang.org/x/crypto/x509roots/fallback, pinned in go.mod) as
//     /etc/ssl/certs/ca-certificates.crt, the file Go's TLS reads on Linux;
//   - manager: /manager, built by hack/build-manager.sh (static, -trimpath, the
//     version and commit stamped), owned by root and not writable by the user.
//
// The config runs /manager as 65532:65532 from / and carries the OCI labels
// (title, description, source, revision, version, created). File times are the
// Unix epoch and the image's creation time is the commit's, so the same commit
// gives the same image digest.
//
// This is tooling: the manager never imports it (test/layout checks).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	var (
		out      = flag.String("o", "bin/image.tar", "Tarball to write (docker save format).")
		tag      = flag.String("tag", "vpce-controller:dev", "Name and tag recorded in the tarball (what `docker load` tags the image as).")
		platform = flag.String("platform", "linux/"+runtime.GOARCH, "Platform of the image, os/arch[/variant]; only linux.")
		source   = flag.String("source", "https://github.com/vpce-dev/vpce-controller", "Repository URL for the org.opencontainers.image.source label.")
	)
	flag.Parse()
	if err := run(*out, *tag, *platform, *source); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(out, tag, platformSpec, source string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	platform, err := parsePlatform(platformSpec)
	if err != nil {
		return err
	}
	stamp, err := readStamp(root)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "vpce-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	binary := filepath.Join(tmp, "manager")
	if err := buildManager(root, binary, platform, stamp); err != nil {
		return err
	}
	img, err := assemble(spec{
		binary:   binary,
		platform: platform,
		stamp:    stamp,
		source:   source,
	})
	if err != nil {
		return err
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	digest, size, err := writeTarball(img, tag, out)
	if err != nil {
		return err
	}
	fmt.Printf("image: %s (%s, %s, commit %s) written to %s: %s, %.1f MiB\n",
		tag, platform, stamp.version, stamp.commit, out, digest, float64(size)/(1<<20))
	return nil
}

// stamp is what identifies the build: hack/build-manager.sh stamps version and
// commit into the binary, and the image carries the same values as labels.
type stamp struct {
	version string
	commit  string
	created time.Time
}

// readStamp asks hack/build-manager.sh for the version, commit and commit time,
// so the labels always agree with what the binary prints.
func readStamp(root string) (stamp, error) {
	ask := func(what string) (string, error) {
		cmd := exec.Command(filepath.Join(root, "hack", "build-manager.sh"), what)
		cmd.Dir = root
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("hack/build-manager.sh %s: %w", what, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	var s stamp
	var err error
	if s.version, err = ask("version"); err != nil {
		return s, err
	}
	if s.commit, err = ask("commit"); err != nil {
		return s, err
	}
	date, err := ask("date")
	if err != nil {
		return s, err
	}
	secs, err := strconv.ParseInt(date, 10, 64)
	if err != nil {
		return s, fmt.Errorf("hack/build-manager.sh date printed %q, want Unix seconds", date)
	}
	s.created = time.Unix(secs, 0).UTC()
	return s, nil
}

// buildManager runs hack/build-manager.sh for the image's platform, passing the
// stamp so the binary and the labels cannot disagree.
func buildManager(root, binary string, p v1.Platform, s stamp) error {
	cmd := exec.Command(filepath.Join(root, "hack", "build-manager.sh"), binary)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+p.OS, "GOARCH="+p.Architecture, "VERSION="+s.version, "COMMIT="+s.commit)
	if p.Architecture == "arm" && p.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hack/build-manager.sh: %w", err)
	}
	return nil
}

// parsePlatform accepts os/arch[/variant]; the manager image is Linux only.
func parsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return v1.Platform{}, err
	}
	if p.OS != "linux" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want linux/ARCH[/VARIANT], for example linux/amd64 or linux/arm64", s)
	}
	return *p, nil
}

// repoRoot is the directory of the module's go.mod, from the go command, so the
// builder works from any directory inside the repository.
func repoRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := string(bytes.TrimSpace(b))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run inside the vpce-controller repository (no go.mod found)")
	}
	return filepath.Dir(gomod), nil
}
