package manager

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultMemoryLimitRatio is the share of the container's memory limit the Go
// runtime aims to stay under (GOMEMLIMIT): the rest is left for memory the Go
// heap does not count (stacks, the runtime's own, the binary).
const DefaultMemoryLimitRatio = 0.9

// minMemoryLimitShare is the least share of the container's limit given to
// the Go runtime however big the binary: 1,000 objects under a 64 MiB limit
// converged at their bound with 60% (twice the CPU of no limit, a few major
// faults), and with half of it the garbage collector ran all the time (four
// times the CPU) and the binary's pages were still read again.
const minMemoryLimitShare = 0.6

// unlimitedV1 is the value cgroup v1 reports for "no limit" (a page-rounded
// math.MaxInt64), or more.
const unlimitedV1 = int64(1) << 62

// ContainerMemoryLimit reads the memory limit of the cgroup the process runs in
// (procSelfCgroup is the content of /proc/self/cgroup) from the cgroup
// filesystem mounted at root (normally /sys/fs/cgroup): cgroup v2's memory.max,
// else cgroup v1's memory.limit_in_bytes under root/memory. The process's own
// cgroup and each of its ancestors up to root are read (the smallest limit
// applies), so it works with a cgroup namespace (the container's cgroup is the
// mount's root) and without one (a pod's cgroup is a subdirectory). It returns 0
// when there is no limit or no cgroup file to read.
func ContainerMemoryLimit(root string, procSelfCgroup []byte) (int64, error) {
	v2Path, v1Path := ParseProcCgroup(procSelfCgroup)
	if v1Path == "" { // no memory controller on cgroup v1: cgroup v2 first
		if limit, found, err := smallestLimit(root, v2Path, "memory.max"); found || err != nil {
			return limit, err
		}
	}
	limit, _, err := smallestLimit(filepath.Join(root, "memory"), v1Path, "memory.limit_in_bytes")
	return limit, err
}

// ParseProcCgroup returns the process's cgroup v2 path (the "0::" line) and its
// cgroup v1 memory controller's path (the line whose controllers include
// "memory"), each empty when /proc/self/cgroup's content has no such line.
func ParseProcCgroup(procSelfCgroup []byte) (v2Path, v1MemoryPath string) {
	for _, line := range strings.Split(string(procSelfCgroup), "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2Path = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				v1MemoryPath = parts[2]
			}
		}
	}
	return v2Path, v1MemoryPath
}

// smallestLimit reads file in the directory cgroupPath names under mount and in
// each of its ancestors up to mount itself, skipping directories that do not
// exist (the path of another cgroup namespace), and returns the smallest limit
// (0: none) and whether any file was read.
func smallestLimit(mount, cgroupPath, file string) (limit int64, found bool, err error) {
	dir := filepath.Join(mount, filepath.Clean("/"+cgroupPath))
	for {
		if n, ok, err := readLimit(filepath.Join(dir, file)); err != nil {
			return 0, found, err
		} else if ok {
			found = true
			if n > 0 && (limit == 0 || n < limit) {
				limit = n
			}
		}
		if dir == filepath.Clean(mount) {
			return limit, found, nil
		}
		dir = filepath.Dir(dir)
	}
}

// readLimit reads one cgroup limit file: cgroup v2's "max" and cgroup v1's
// page-rounded math.MaxInt64 are no limit (0). ok is false when the file does
// not exist.
func readLimit(path string) (n int64, ok bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false, nil
	}
	v := strings.TrimSpace(string(data))
	if v == "max" {
		return 0, true, nil
	}
	n, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("reading %s: %q is not a number of bytes", path, v)
	}
	if n >= unlimitedV1 {
		return 0, true, nil
	}
	return n, true, nil
}

// MemoryLimit is what SetMemoryLimit decided.
type MemoryLimit struct {
	// Bytes is the soft limit set (GOMEMLIMIT), 0 when none was set.
	Bytes int64
	// Source says where it came from: "GOMEMLIMIT" (the environment, left as it
	// is), "cgroup" (a ratio of the container's limit), "off" or "none" (no
	// container limit).
	Source string
}

// SetMemoryLimit sets the Go runtime's soft memory limit from the memory limit
// of the process's cgroup (procSelfCgroup: the content of /proc/self/cgroup)
// read under cgroupRoot: ratio × the limit, but no more than the limit less
// binaryBytes (the pages of the manager's own binary, which the container's
// limit counts too: with too little room left for them the kernel reads them
// from disk again and again), and no less than minMemoryLimitShare of the limit. GOMEMLIMIT set in the environment
// (getenv), which the runtime already applied, wins; ratio 0 turns it off.
// Near the limit the garbage collector works harder instead of letting the heap
// grow past what the container may use.
func SetMemoryLimit(cgroupRoot string, procSelfCgroup []byte, ratio float64, binaryBytes int64, getenv func(string) string) (MemoryLimit, error) {
	if getenv("GOMEMLIMIT") != "" {
		return MemoryLimit{Bytes: debug.SetMemoryLimit(-1), Source: "GOMEMLIMIT"}, nil
	}
	if ratio <= 0 {
		return MemoryLimit{Source: "off"}, nil
	}
	if ratio > 1 {
		return MemoryLimit{}, fmt.Errorf("--memory-limit-ratio %g: must be between 0 (off) and 1", ratio)
	}
	limit, err := ContainerMemoryLimit(cgroupRoot, procSelfCgroup)
	if err != nil || limit == 0 {
		return MemoryLimit{Source: "none"}, err
	}
	soft := max(min(int64(math.Floor(float64(limit)*ratio)), limit-binaryBytes), int64(math.Floor(float64(limit)*minMemoryLimitShare)))
	debug.SetMemoryLimit(soft)
	return MemoryLimit{Bytes: soft, Source: "cgroup"}, nil
}

// BinaryMappedBytes sums the sizes of the process's mappings of its own
// executable exe (code, read-only data) in procSelfMaps, the content of
// /proc/self/maps: what the binary's pages may take of a container's memory.
func BinaryMappedBytes(procSelfMaps []byte, exe string) int64 {
	var n int64
	for _, line := range strings.Split(string(procSelfMaps), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[5] != exe {
			continue
		}
		start, end, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(start, 16, 64)
		b, err2 := strconv.ParseUint(end, 16, 64)
		if err1 == nil && err2 == nil && b > a {
			n += int64(b - a)
		}
	}
	return n
}
