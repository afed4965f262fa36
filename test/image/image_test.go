package image_test

import (
	"archive/tar"
	"crypto/x509"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestConfigRunsTheManagerAsNonroot(t *testing.T) {
	c := imageConf.Config
	if c.User != "65532:65532" {
		t.Errorf("User = %q, want 65532:65532 (distroless nonroot; the chart's runAsUser)", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/manager"}) || len(c.Cmd) != 0 {
		t.Errorf("Entrypoint %q Cmd %q, want [/manager] and no Cmd (the chart passes flags as args)", c.Entrypoint, c.Cmd)
	}
	if imageConf.OS != "linux" || imageConf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s (make image defaults to this machine's arch)", imageConf.OS, imageConf.Architecture, runtime.GOARCH)
	}
}

func TestLabelsNameSourceRevisionAndVersion(t *testing.T) {
	labels := imageConf.Config.Labels
	wantCommit := "unknown"
	if inGit() {
		wantCommit = git(t, "rev-parse", "HEAD")
	}
	want := map[string]string{
		"org.opencontainers.image.title":    "vpce-controller",
		"org.opencontainers.image.source":   "https://github.com/vpce-dev/vpce-controller",
		"org.opencontainers.image.revision": wantCommit,
		"org.opencontainers.image.version":  stamped(t, "version"),
	}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	created, err := time.Parse(time.RFC3339, labels["org.opencontainers.image.created"])
	if err != nil {
		t.Fatalf("label org.opencontainers.image.created: %v", err)
	}
	if !created.Equal(imageConf.Created.Time) {
		t.Errorf("created label %s, config created %s: want the same (the commit time)", created, imageConf.Created.Time)
	}
}

// The whole file system, so anything added to the image is a decision a reviewer sees.
var wantFiles = map[string]struct {
	mode     os.FileMode
	uid, gid int
}{
	"etc":                               {os.ModeDir | 0o755, 0, 0},
	"etc/group":                         {0o644, 0, 0},
	"etc/nsswitch.conf":                 {0o644, 0, 0},
	"etc/passwd":                        {0o644, 0, 0},
	"etc/ssl":                           {os.ModeDir | 0o755, 0, 0},
	"etc/ssl/certs":                     {os.ModeDir | 0o755, 0, 0},
	"etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0},
	"home":                              {os.ModeDir | 0o755, 0, 0},
	"home/nonroot":                      {os.ModeDir | 0o700, 65532, 65532},
	"manager":                           {0o755, 0, 0},
	"tmp":                               {os.ModeDir | os.ModeSticky | 0o777, 0, 0},
}

func TestLayersHoldOnlyTheManagerUsersAndCARoots(t *testing.T) {
	for name, hdr := range files {
		base := filepath.Base(name)
		for _, forbidden := range []string{"sh", "bash", "dash", "ash", "zsh", "busybox", "apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm"} {
			if base == forbidden {
				t.Errorf("the image holds /%s: no shell or package manager may ship", name)
			}
		}
		want, ok := wantFiles[name]
		if !ok {
			t.Errorf("unexpected /%s in the image (mode %v)", name, hdr.FileInfo().Mode())
			continue
		}
		if got := hdr.FileInfo().Mode(); got != want.mode || hdr.Uid != want.uid || hdr.Gid != want.gid {
			t.Errorf("/%s: mode %v owner %d:%d, want %v %d:%d", name, got, hdr.Uid, hdr.Gid, want.mode, want.uid, want.gid)
		}
	}
	for name := range wantFiles {
		if files[name] == nil {
			t.Errorf("/%s is missing from the image", name)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(passwd), "\nnonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user 65532:\n%s", passwd)
	}
}

func TestCABundleHoldsTheRootsAWSChainsTo(t *testing.T) {
	bundle, err := os.ReadFile(filepath.Join(rootfs, "etc/ssl/certs/ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	// Parse it as Go's crypto/x509 parses the system roots on Linux.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bundle) {
		t.Fatal("no certificate parses in /etc/ssl/certs/ca-certificates.crt")
	}
	bySubject := map[string]*x509.Certificate{}
	n := 0
	for rest := bundle; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			t.Fatalf("PEM block %d is a %s, want CERTIFICATE", n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
		bySubject[cert.Subject.CommonName] = cert
		n++
	}
	if n < 100 {
		t.Errorf("%d roots, want the Mozilla bundle (over 100)", n)
	}
	// AWS service endpoints chain to Amazon Trust Services' roots, cross-signed by Starfield.
	for _, cn := range []string{"Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4", "Starfield Services Root Certificate Authority - G2"} {
		cert := bySubject[cn]
		if cert == nil {
			t.Errorf("the bundle lacks %q, which AWS endpoints chain to", cn)
			continue
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
			t.Errorf("%q does not verify against the bundle: %v", cn, err)
		}
	}
}

func TestManagerInTheLayerIsStaticAndPrintsItsBuild(t *testing.T) {
	binary := filepath.Join(rootfs, "manager")
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("/manager has an ELF interpreter: it is dynamically linked, but the image has no libc")
		}
	}
	f.Close()
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		t.Fatalf("/manager --version: %v", err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		got[k] = v
	}
	labels := imageConf.Config.Labels
	want := map[string]string{
		"version":  labels["org.opencontainers.image.version"],
		"commit":   labels["org.opencontainers.image.revision"],
		"go":       runtime.Version(),
		"platform": "linux/" + runtime.GOARCH,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("/manager --version: %s = %q, want %q\n%s", k, got[k], v, out)
		}
	}
	if !regexp.MustCompile(`^(unknown|[0-9a-f]{40})$`).MatchString(got["commit"]) {
		t.Errorf("commit %q is not a full git commit", got["commit"])
	}
}

func TestTarballLoadsAsDockerLoadAndCranePushReadIt(t *testing.T) {
	// docker load reads manifest.json: the config, the tags and the layers, in order.
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	entries := tarEntries(t, tarPath)
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 1 || !slices.Equal(manifest[0].RepoTags, []string{imageTag}) || len(manifest[0].Layers) != 2 {
		t.Fatalf("manifest.json = %+v, want one image tagged %s with two layers", manifest, imageTag)
	}
	for _, name := range append([]string{manifest[0].Config}, manifest[0].Layers...) {
		if _, ok := entries[name]; !ok {
			t.Errorf("manifest.json names %s, which the tarball lacks", name)
		}
	}

	// crane push PATH REF is crane.Load then a registry write: push to a registry
	// on loopback and pull it back.
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	ref := strings.TrimPrefix(reg.URL, "http://") + "/vpce-controller:test"
	loaded, err := crane.Load(tarPath)
	if err != nil {
		t.Fatalf("crane.Load: %v", err)
	}
	if err := crane.Push(loaded, ref, crane.Insecure); err != nil {
		t.Fatalf("crane push: %v", err)
	}
	pulled, err := crane.Pull(ref, crane.Insecure)
	if err != nil {
		t.Fatalf("crane pull: %v", err)
	}
	wantDigest, _ := img.Digest()
	gotDigest, err := pulled.Digest()
	if err != nil || gotDigest != wantDigest {
		t.Errorf("pulled digest %v (%v), want the tarball's %v", gotDigest, err, wantDigest)
	}
	cfg, err := pulled.ConfigFile()
	if err != nil || cfg.Config.User != "65532:65532" {
		t.Errorf("pulled config user %v (%v), want 65532:65532", cfg, err)
	}
}

func TestSameCommitGivesTheSameImage(t *testing.T) {
	again := filepath.Join(t.TempDir(), "image.tar")
	if err := makeImage(again); err != nil {
		t.Fatal(err)
	}
	second, err := tarball.ImageFromPath(again, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := img.Digest()
	if d, err := second.Digest(); err != nil || d != first {
		t.Errorf("second make image gave %v (%v), the first %v: the build is not reproducible", d, err, first)
	}
}

// tarEntries reads the regular files of a tarball into memory (small ones only
// matter here; layers are read too, which is fine at this size).
func tarEntries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = b
	}
}
