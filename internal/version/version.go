// Package version tells which build of the manager is running: the version and
// commit that hack/build-manager.sh stamps with -ldflags -X (make build, make
// image and the Dockerfile all build that way), else what the Go toolchain
// recorded (a plain `go build` in a git checkout), plus the Go version and the
// platform. It backs `manager --version` and the startup log.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by hack/build-manager.sh through -ldflags "-X <this package>.version=...".
// Empty when the binary was built another way.
var (
	version string
	commit  string
)

// Fallbacks when neither -ldflags nor the Go toolchain recorded a value.
const (
	// UnknownVersion is the version of a binary built without a stamp.
	UnknownVersion = "v0.0.0-dev"
	// UnknownCommit is the commit of a binary built without a stamp.
	UnknownCommit = "unknown"
)

// Info identifies a build of the manager.
type Info struct {
	// Version is the release (git describe), for example v0.3.1 or v0.3.1-4-gabc123def456-dirty.
	Version string
	// Commit is the full git commit the binary was built from.
	Commit string
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
	// Platform is GOOS/GOARCH of the binary.
	Platform string
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
}

// resolve prefers the -ldflags stamp, then the toolchain's build info (the main
// module's version, which go build derives from a v* tag, and vcs.revision), then
// the Unknown* fallbacks.
func resolve(stampedVersion, stampedCommit string, bi *debug.BuildInfo) Info {
	info := Info{
		Version:   stampedVersion,
		Commit:    stampedCommit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && info.Commit == "" {
				info.Commit = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = UnknownVersion
	}
	if info.Commit == "" {
		info.Commit = UnknownCommit
	}
	return info
}

// String is what `manager --version` prints: one "key: value" line per field,
// easy to read and to parse (`manager --version | awk '/^commit:/ {print $2}'`).
func (i Info) String() string {
	return fmt.Sprintf("version: %s\ncommit: %s\ngo: %s\nplatform: %s\n", i.Version, i.Commit, i.GoVersion, i.Platform)
}
