package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The user the manager runs as: distroless's nonroot, which the chart's
// securityContext (runAsUser 65532) and the Dockerfile use too.
const (
	nonrootUID = 65532
	nonrootGID = 65532
)

// Paths in the image.
const (
	managerPath  = "/manager"
	caBundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// epoch is the modification time of every file, so layers depend only on content.
var epoch = time.Unix(0, 0).UTC()

// entry is one file or directory of a layer.
type entry struct {
	name     string // without the leading slash
	mode     int64
	uid, gid int
	dir      bool
	body     []byte
}

// baseLayer holds what every process needs from the file system, and nothing to
// run but the manager: no shell, no package manager, no libc.
func baseLayer(caBundle []byte) (v1.Layer, error) {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	return layer([]entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		// Go's resolver reads it for the order of /etc/hosts and DNS.
		{name: "etc/nsswitch.conf", mode: 0o644, body: []byte("hosts: files dns\n")},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: caBundlePath[1:], mode: 0o644, body: caBundle},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, uid: nonrootUID, gid: nonrootGID, dir: true},
		// Conventional; the manager writes nothing, so a read-only root file system
		// (the chart's default) needs no emptyDir here.
		{name: "tmp/", mode: 0o1777, dir: true},
	})
}

// managerLayer holds the binary, owned by root so the nonroot user cannot
// replace it.
func managerLayer(binary string) (v1.Layer, error) {
	body, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	return layer([]entry{{name: managerPath[1:], mode: 0o755, body: body}})
}

// layer writes entries into an uncompressed tar and wraps it as a gzip layer
// that is compressed once and cached.
func layer(entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: epoch,
			Format:  tar.FormatPAX,
		}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithCompressedCaching)
}
