package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestResolvePrefersTheStampThenTheToolchainThenTheFallback(t *testing.T) {
	toolchain := &debug.BuildInfo{
		Main:     debug.Module{Path: "github.com/vpce-dev/vpce-controller", Version: "v0.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "feedface"}, {Key: "vcs.modified", Value: "true"}},
	}
	devel := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
	cases := []struct {
		name                       string
		stampedVersion, stampedSHA string
		bi                         *debug.BuildInfo
		wantVersion, wantCommit    string
	}{
		{"stamped by hack/build-manager.sh", "v0.3.1", "abc123", toolchain, "v0.3.1", "abc123"},
		{"plain go build in a git checkout", "", "", toolchain, "v0.2.0", "feedface"},
		{"go build without VCS stamping", "", "", devel, UnknownVersion, UnknownCommit},
		{"no build info at all", "", "", nil, UnknownVersion, UnknownCommit},
		{"stamped version only", "v0.3.1", "", toolchain, "v0.3.1", "feedface"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := resolve(tc.stampedVersion, tc.stampedSHA, tc.bi)
			if got.Version != tc.wantVersion || got.Commit != tc.wantCommit {
				t.Errorf("version %q commit %q, want %q %q", got.Version, got.Commit, tc.wantVersion, tc.wantCommit)
			}
			if got.GoVersion != runtime.Version() || got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
				t.Errorf("go %q platform %q, want the running toolchain and platform", got.GoVersion, got.Platform)
			}
		})
	}
}

func TestStringHasOneKeyValueLinePerField(t *testing.T) {
	out := Info{Version: "v1.0.0", Commit: "abc", GoVersion: "go1.26.0", Platform: "linux/arm64"}.String()
	want := "version: v1.0.0\ncommit: abc\ngo: go1.26.0\nplatform: linux/arm64\n"
	if out != want {
		t.Errorf("String() = %q, want %q", out, want)
	}
}
