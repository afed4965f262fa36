package manager

import (
	"fmt"
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

	got, err := SetMemoryLimit(root, nil, 0.9, 0, noEnv)
	if err != nil || got.Source != "cgroup" || got.Bytes != 241591910 || debug.SetMemoryLimit(-1) != 241591910 {
		t.Fatalf("90%% of 256 MiB: %+v %v (runtime %d)", got, err, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(prev)
	if got, _ := SetMemoryLimit(root, nil, 0, 0, noEnv); got.Source != "off" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("ratio 0 must leave the limit alone: %+v", got)
	}
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	}
	if got, _ := SetMemoryLimit(root, nil, 0.9, 0, env); got.Source != "GOMEMLIMIT" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("GOMEMLIMIT in the environment must win: %+v", got)
	}
	if got, _ := SetMemoryLimit(t.TempDir(), nil, 0.9, 0, noEnv); got.Source != "none" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("no container limit: %+v", got)
	}
	if _, err := SetMemoryLimit(root, nil, 1.5, 0, noEnv); err == nil {
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

// Under a small limit the binary's own pages (about 30 MiB of code and
// read-only data) must fit next to the heap: at 64 MiB, 90% left them 6 MiB
// and the manager spent its time reading them back from disk. Under a large
// limit the ratio decides; never below 60% of it.
func TestSetMemoryLimitLeavesRoomForTheBinary(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		limitMiB, binaryMiB, wantMiB int64
	}{
		{limitMiB: 80, binaryMiB: 30, wantMiB: 50},
		{limitMiB: 64, binaryMiB: 37, wantMiB: 38},
		{limitMiB: 1024, binaryMiB: 30, wantMiB: 921},
		{limitMiB: 256, binaryMiB: 30, wantMiB: 226},
	} {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "memory.max"), fmt.Sprint(tc.limitMiB<<20))
		got, err := SetMemoryLimit(root, nil, 0.9, tc.binaryMiB<<20, noEnv)
		if err != nil || got.Bytes>>20 != tc.wantMiB || debug.SetMemoryLimit(-1) != got.Bytes {
			t.Errorf("limit %d MiB, binary %d MiB: got %+v %v; want %d MiB", tc.limitMiB, tc.binaryMiB, got, err, tc.wantMiB)
		}
	}
}

func TestBinaryMappedBytes(t *testing.T) {
	maps := `00400000-01c00000 r-xp 00000000 fe:00 123 /bin/manager
01c00000-03400000 r--p 01800000 fe:00 123 /bin/manager
03400000-03500000 rw-p 03000000 fe:00 123 /bin/manager
03500000-03600000 rw-p 00000000 00:00 0
c000000000-c004000000 rw-p 00000000 00:00 0
7f0000000000-7f0000100000 r-xp 00000000 fe:00 9 /lib/libc.so
7ffd0000-7ffd1000 r--p 00000000 00:00 0 [vvar]
`
	if got, want := BinaryMappedBytes([]byte(maps), "/bin/manager"), int64(0x1800000+0x1800000+0x100000); got != want {
		t.Fatalf("got %d, want %d", got, want)
	}
	// The running test binary maps some of itself.
	self, _ := os.ReadFile("/proc/self/maps")
	exe, _ := os.Executable()
	if BinaryMappedBytes(self, exe) <= 0 {
		t.Fatalf("no mapping of %s in /proc/self/maps", exe)
	}
}
