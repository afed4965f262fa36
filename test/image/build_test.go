package image_test

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// The image every test reads, built once by TestMain with `make image`.
var (
	repoRoot  string
	tarPath   string // the tarball make image wrote
	rootfs    string // its layers, flattened and extracted
	img       v1.Image
	imageConf *v1.ConfigFile
	files     map[string]*tar.Header // path (no leading slash) -> header, in the flattened image
)

// imageTag is what the tests ask make image to tag the image as.
const imageTag = "vpce-controller:image-test"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vpce-image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	err = setup(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "image test setup:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// setup runs `make image` into dir, reads the tarball with go-containerregistry
// and extracts the flattened file system into dir/rootfs.
func setup(dir string) error {
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}
	tarPath = filepath.Join(dir, "image.tar")
	if err := makeImage(tarPath); err != nil {
		return err
	}
	if img, err = tarball.ImageFromPath(tarPath, nil); err != nil {
		return fmt.Errorf("read %s: %w", tarPath, err)
	}
	if imageConf, err = img.ConfigFile(); err != nil {
		return err
	}
	rootfs = filepath.Join(dir, "rootfs")
	files, err = extract(img, rootfs)
	return err
}

// makeImage runs `make image` as a user would, writing the tarball to out.
func makeImage(out string) error {
	cmd := exec.Command("make", "--no-print-directory", "image", "IMAGE_TAR="+out, "IMG="+imageTag)
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make image: %w\n%s", err, b)
	}
	return nil
}

// extract writes the image's flattened file system under dir, with the modes
// and (when running as root) the owners of the layers, and returns its headers.
func extract(img v1.Image, dir string) (map[string]*tar.Header, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	headers := map[string]*tar.Header{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return headers, nil
		}
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Clean("/"+hdr.Name), "/"), "/")
		if name == "" {
			continue
		}
		headers[name] = hdr
		path := filepath.Join(dir, name)
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return nil, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: unexpected entry type %q (the image has only files and directories)", hdr.Name, hdr.Typeflag)
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(path, hdr.Uid, hdr.Gid); err != nil {
				return nil, err
			}
		}
		if err := os.Chmod(path, mode.Perm()|mode&(os.ModeSticky|os.ModeSetuid|os.ModeSetgid)); err != nil {
			return nil, err
		}
	}
}

// git runs git in the repository and returns its trimmed output.
func git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// inGit reports whether the repository is a git checkout (CI's fresh clone is).
func inGit() bool {
	cmd := exec.Command("git", "rev-parse", "--is-inside-work-tree")
	cmd.Dir = repoRoot
	return cmd.Run() == nil
}

// stamped returns what hack/build-manager.sh stamps (version or commit): the
// one definition of both, which the labels and the binary must agree with.
func stamped(t *testing.T, what string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "hack", "build-manager.sh"), what)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/build-manager.sh %s: %v", what, err)
	}
	return strings.TrimSpace(string(out))
}
