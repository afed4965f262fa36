package manager

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestContainerMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    int64
		wantErr bool
	}{
		{name: "cgroup v2 limit", files: map[string]string{"memory.max": "268435456\n"}, want: 256 << 20},
		{name: "cgroup v2 without a limit", files: map[string]string{"memory.max": "max\n"}, want: 0},
		{name: "cgroup v1 limit", files: map[string]string{"memory/memory.limit_in_bytes": "134217728\n"}, want: 128 << 20},
		{name: "cgroup v1 without a limit", files: map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n"}, want: 0},
		{name: "v2 wins over v1", files: map[string]string{"memory.max": "1048576", "memory/memory.limit_in_bytes": "2097152"}, want: 1 << 20},
		{name: "no cgroup files", files: nil, want: 0},
		{name: "garbage", files: map[string]string{"memory.max": "lots"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for p, c := range tc.files {
				writeFile(t, filepath.Join(root, p), c)
			}
			got, err := ContainerMemoryLimit(root, nil)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("got %d, %v; want %d (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "memory.max"), "268435456")
	noEnv := func(string) string { return "" }

	got, err := SetMemoryLimit(root, nil, 0.9, noEnv)
	if err != nil || got.Source != "cgroup" || got.Bytes != 241591910 || debug.SetMemoryLimit(-1) != 241591910 {
		t.Fatalf("90%% of 256 MiB: %+v %v (runtime %d)", got, err, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(prev)
	if got, _ := SetMemoryLimit(root, nil, 0, noEnv); got.Source != "off" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("ratio 0 must leave the limit alone: %+v", got)
	}
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	}
	if got, _ := SetMemoryLimit(root, nil, 0.9, env); got.Source != "GOMEMLIMIT" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("GOMEMLIMIT in the environment must win: %+v", got)
	}
	if got, _ := SetMemoryLimit(t.TempDir(), nil, 0.9, noEnv); got.Source != "none" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("no container limit: %+v", got)
	}
	if _, err := SetMemoryLimit(root, nil, 1.5, noEnv); err == nil {
		t.Fatal("a ratio above 1 must be refused")
	}
}

// A process in a child cgroup without a cgroup namespace (the bench's manager,
// a pod on a node without cgroupns) sees the whole hierarchy: its limit is in
// the directory /proc/self/cgroup names, or in an ancestor's.
func TestContainerMemoryLimitOwnCgroup(t *testing.T) {
	const hybrid = "9:name=systemd:/\n4:memory:/process_api/abc/bench\n3:cpu,cpuacct:/\n0::/\n"
	const v2 = "0::/kubepods/pod1/ctr\n"
	for _, tc := range []struct {
		name, self string
		files      map[string]string
		want       int64
	}{
		{name: "v1 own cgroup", self: hybrid, files: map[string]string{
			"memory/memory.limit_in_bytes":                       "9223372036854771712",
			"memory/process_api/abc/memory.limit_in_bytes":       "9223372036854771712",
			"memory/process_api/abc/bench/memory.limit_in_bytes": "67108864\n",
		}, want: 64 << 20},
		{name: "v1 parent's limit is smaller", self: hybrid, files: map[string]string{
			"memory/process_api/memory.limit_in_bytes":           "33554432",
			"memory/process_api/abc/bench/memory.limit_in_bytes": "67108864",
		}, want: 32 << 20},
		{name: "v1 namespaced: own cgroup is the mount's root", self: hybrid, files: map[string]string{
			"memory/memory.limit_in_bytes": "134217728",
		}, want: 128 << 20},
		{name: "v1 memory line wins over the unified line", self: hybrid, files: map[string]string{
			"memory.max": "1048576",
			"memory/process_api/abc/bench/memory.limit_in_bytes": "67108864",
		}, want: 64 << 20},
		{name: "v2 own cgroup", self: v2, files: map[string]string{
			"kubepods/memory.max":          "max",
			"kubepods/pod1/memory.max":     "536870912",
			"kubepods/pod1/ctr/memory.max": "268435456",
		}, want: 256 << 20},
		{name: "v2 pod limit only", self: v2, files: map[string]string{
			"kubepods/pod1/memory.max":     "536870912",
			"kubepods/pod1/ctr/memory.max": "max",
		}, want: 512 << 20},
		{name: "v2 no limit anywhere", self: v2, files: map[string]string{
			"kubepods/pod1/ctr/memory.max": "max",
		}, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for p, c := range tc.files {
				writeFile(t, filepath.Join(root, p), c)
			}
			got, err := ContainerMemoryLimit(root, []byte(tc.self))
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestParseProcCgroup(t *testing.T) {
	v2, v1 := ParseProcCgroup([]byte("4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/user.slice\n"))
	if v2 != "/user.slice" || v1 != "/process_api/abc" {
		t.Fatalf("got v2 %q, v1 %q", v2, v1)
	}
	if v2, v1 := ParseProcCgroup(nil); v2 != "" || v1 != "" {
		t.Fatalf("nothing: got v2 %q, v1 %q", v2, v1)
	}
}
