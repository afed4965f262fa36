package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// memCgroup is a memory cgroup the benchmark makes for the manager, so that it
// runs under a memory limit as in a pod: the kernel reclaims the binary's clean
// pages under the limit, and anonymous memory over it is an OOM kill.
type memCgroup struct {
	dir string
	v2  bool
}

// newMemCgroup makes a child memory cgroup named name, with a limit of limit
// bytes, of the cgroup this process runs in (procSelfCgroup: the content of
// /proc/self/cgroup), in the cgroup filesystem mounted at root (normally
// /sys/fs/cgroup): under cgroup v1 when the memory controller is there, else
// under cgroup v2. It fails when the machine does not allow it (not root, no
// memory controller, cgroup v2's rule that a cgroup with processes has no
// controllers for its children).
func newMemCgroup(root string, procSelfCgroup []byte, name string, limit int64) (*memCgroup, error) {
	v2Path, v1Path := manager.ParseProcCgroup(procSelfCgroup)
	cg := &memCgroup{}
	var parent string
	switch {
	case v1Path != "":
		parent = filepath.Join(root, "memory", filepath.Clean("/"+v1Path))
	case v2Path != "":
		cg.v2 = true
		parent = filepath.Join(root, filepath.Clean("/"+v2Path))
		ctl, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
		if err != nil {
			return nil, fmt.Errorf("cgroup v2 %s: %w", parent, err)
		}
		if !strings.Contains(" "+string(ctl)+" ", " memory ") {
			if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+memory"), 0o644); err != nil {
				return nil, fmt.Errorf("cgroup v2 %s: enabling the memory controller for its children: %w", parent, err)
			}
		}
	default:
		return nil, fmt.Errorf("no memory cgroup in /proc/self/cgroup")
	}
	cg.dir = filepath.Join(parent, name)
	if err := os.Mkdir(cg.dir, 0o755); err != nil {
		return nil, fmt.Errorf("making cgroup %s: %w", cg.dir, err)
	}
	limitFile := "memory.limit_in_bytes"
	if cg.v2 {
		limitFile = "memory.max"
	}
	if err := cg.write(limitFile, strconv.FormatInt(limit, 10)); err != nil {
		_ = cg.remove()
		return nil, err
	}
	if cg.v2 {
		_ = cg.write("memory.swap.max", "0") // no swap to spill into, as a pod
	} else {
		// Charges made before the process is moved in follow it.
		_ = cg.write("memory.move_charge_at_immigrate", "3")
	}
	return cg, nil
}

// String names the cgroup and its version, for the results.
func (cg *memCgroup) String() string {
	if cg.v2 {
		return "cgroup v2 " + cg.dir
	}
	return "cgroup v1 " + cg.dir
}

func (cg *memCgroup) write(file, value string) error {
	if err := os.WriteFile(filepath.Join(cg.dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("cgroup %s: writing %s: %w", cg.dir, file, err)
	}
	return nil
}

func (cg *memCgroup) readInt(file string) (int64, error) {
	data, err := os.ReadFile(filepath.Join(cg.dir, file))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}

// keyed reads a cgroup file of "key value" lines (memory.stat,
// memory.oom_control, memory.events) and returns key's value.
func (cg *memCgroup) keyed(file, key string) (int64, error) {
	data, err := os.ReadFile(filepath.Join(cg.dir, file))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("cgroup %s: no %s in %s", cg.dir, key, file)
}

// cgroupUsage is a reading of the cgroup's memory figures.
type cgroupUsage struct {
	// PeakBytes is the highest usage since the cgroup was made (v1
	// memory.max_usage_in_bytes, v2 memory.peak): anonymous and page cache,
	// the binary's pages included.
	PeakBytes int64
	// WorkingSetBytes is usage minus inactive file pages, as the kubelet
	// computes a container's working set (what its eviction looks at).
	WorkingSetBytes int64
	// OOMKills counts the processes the kernel killed for the limit.
	OOMKills int64
}

// usage reads the cgroup's figures.
func (cg *memCgroup) usage() (cgroupUsage, error) {
	var u cgroupUsage
	var err error
	usageFile, peakFile, oomFile, inactive := "memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.oom_control", "total_inactive_file"
	if cg.v2 {
		usageFile, peakFile, oomFile, inactive = "memory.current", "memory.peak", "memory.events", "inactive_file"
	}
	if u.PeakBytes, err = cg.readInt(peakFile); err != nil {
		return u, err
	}
	if u.OOMKills, err = cg.keyed(oomFile, "oom_kill"); err != nil {
		return u, err
	}
	now, err := cg.readInt(usageFile)
	if err != nil {
		return u, err
	}
	in, err := cg.keyed("memory.stat", inactive)
	if err != nil {
		return u, err
	}
	u.WorkingSetBytes = max(0, now-in)
	return u, nil
}

// remove kills whatever still runs in the cgroup and removes it.
func (cg *memCgroup) remove() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(cg.dir, "cgroup.procs"))
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		err := os.Remove(cg.dir)
		if err == nil || os.IsNotExist(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("removing cgroup %s: %w", cg.dir, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dropPageCache writes the file's dirty pages and asks the kernel to drop its
// pages from the page cache, so that the next process to read them (the
// manager, faulting in its own binary) is charged for them in its memory
// cgroup, as a container is for its image's files. Without it the pages stay
// charged to whoever wrote or read them first (go build, an earlier run) and a
// cgroup's usage leaves the binary out.
func dropPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	const fadvDontNeed = 4 // POSIX_FADV_DONTNEED
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); errno != 0 {
		return errno
	}
	return nil
}
