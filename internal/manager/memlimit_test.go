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
			got, err := ContainerMemoryLimit(root)
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

	got, err := SetMemoryLimit(root, 0.9, noEnv)
	if err != nil || got.Source != "cgroup" || got.Bytes != 241591910 || debug.SetMemoryLimit(-1) != 241591910 {
		t.Fatalf("90%% of 256 MiB: %+v %v (runtime %d)", got, err, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(prev)
	if got, _ := SetMemoryLimit(root, 0, noEnv); got.Source != "off" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("ratio 0 must leave the limit alone: %+v", got)
	}
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	}
	if got, _ := SetMemoryLimit(root, 0.9, env); got.Source != "GOMEMLIMIT" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("GOMEMLIMIT in the environment must win: %+v", got)
	}
	if got, _ := SetMemoryLimit(t.TempDir(), 0.9, noEnv); got.Source != "none" || debug.SetMemoryLimit(-1) != prev {
		t.Fatalf("no container limit: %+v", got)
	}
	if _, err := SetMemoryLimit(root, 1.5, noEnv); err == nil {
		t.Fatal("a ratio above 1 must be refused")
	}
}
