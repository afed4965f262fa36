package bench

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func writeCgroupFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readCgroupFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Under cgroup v1 the child is made in the memory controller's hierarchy at
// this process's own cgroup, with the limit, and its figures are read from
// v1's files.
func TestMemCgroupV1(t *testing.T) {
	root := t.TempDir()
	writeCgroupFile(t, filepath.Join(root, "memory/process_api/abc/cgroup.procs"), "")
	cg, err := newMemCgroup(root, []byte("4:memory:/process_api/abc\n0::/\n"), "bench-1", 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "memory/process_api/abc/bench-1")
	if cg.dir != dir || cg.v2 || !strings.HasPrefix(cg.String(), "cgroup v1 ") {
		t.Fatalf("got %+v", cg)
	}
	if got := readCgroupFile(t, filepath.Join(dir, "memory.limit_in_bytes")); got != "67108864" {
		t.Fatalf("limit %q", got)
	}
	writeCgroupFile(t, filepath.Join(dir, "memory.max_usage_in_bytes"), "73400320\n")
	writeCgroupFile(t, filepath.Join(dir, "memory.usage_in_bytes"), "62914560\n")
	writeCgroupFile(t, filepath.Join(dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
	writeCgroupFile(t, filepath.Join(dir, "memory.stat"), "cache 1\ninactive_file 5\ntotal_inactive_file 10485760\n")
	u, err := cg.usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakBytes != 70<<20 || u.OOMKills != 1 || u.WorkingSetBytes != 50<<20 {
		t.Fatalf("got %+v", u)
	}
}

// Under cgroup v2 the memory controller is enabled for the children of this
// process's cgroup, and the figures are read from v2's files.
func TestMemCgroupV2(t *testing.T) {
	root := t.TempDir()
	parent := filepath.Join(root, "user.slice/job")
	writeCgroupFile(t, filepath.Join(parent, "cgroup.subtree_control"), "cpu\n")
	cg, err := newMemCgroup(root, []byte("0::/user.slice/job\n"), "bench-1", 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !cg.v2 || cg.dir != filepath.Join(parent, "bench-1") {
		t.Fatalf("got %+v", cg)
	}
	if got := readCgroupFile(t, filepath.Join(parent, "cgroup.subtree_control")); got != "+memory" {
		t.Fatalf("subtree_control %q", got)
	}
	if got := readCgroupFile(t, filepath.Join(cg.dir, "memory.max")); got != "67108864" {
		t.Fatalf("limit %q", got)
	}
	writeCgroupFile(t, filepath.Join(cg.dir, "memory.peak"), "73400320\n")
	writeCgroupFile(t, filepath.Join(cg.dir, "memory.current"), "62914560\n")
	writeCgroupFile(t, filepath.Join(cg.dir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
	writeCgroupFile(t, filepath.Join(cg.dir, "memory.stat"), "anon 1\ninactive_file 10485760\n")
	u, err := cg.usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakBytes != 70<<20 || u.OOMKills != 0 || u.WorkingSetBytes != 50<<20 {
		t.Fatalf("got %+v", u)
	}
}

// Where no memory cgroup can be made, newMemCgroup says why (the run then
// says so and sets GOMEMLIMIT only).
func TestMemCgroupUnavailable(t *testing.T) {
	if _, err := newMemCgroup(t.TempDir(), []byte("1:cpu:/\n"), "bench-1", 64<<20); err == nil {
		t.Fatal("no memory controller: want an error")
	}
	if _, err := newMemCgroup(t.TempDir(), []byte("0::/job\n"), "bench-1", 64<<20); err == nil {
		t.Fatal("cgroup v2 parent missing: want an error")
	}
}

// dropPageCache leaves none of a written file's pages in the page cache (they
// are charged to the next reader's cgroup, as a container's image files are).
func TestDropPageCache(t *testing.T) {
	// In the package's directory, not t.TempDir(): a tmpfs /tmp keeps its pages.
	dir, err := os.MkdirTemp(".", "pagecache-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "binary")
	writeCgroupFile(t, path, strings.Repeat("x", 4<<20))
	if residentPages(t, path) == 0 {
		t.Fatal("a file just written has no page in the page cache: this test shows nothing here")
	}
	if err := dropPageCache(path); err != nil {
		t.Fatal(err)
	}
	if n := residentPages(t, path); n != 0 {
		t.Fatalf("%d pages still in the page cache", n)
	}
}

// residentPages counts the file's pages in the page cache (mincore).
func residentPages(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(data)
	vec := make([]byte, (len(data)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}
