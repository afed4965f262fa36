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

// unlimitedV1 is the value cgroup v1 reports for "no limit" (a page-rounded
// math.MaxInt64), or more.
const unlimitedV1 = int64(1) << 62

// ContainerMemoryLimit reads the memory limit of the cgroup the process runs in
// from the cgroup filesystem mounted at root (normally /sys/fs/cgroup): cgroup v2's
// memory.max, else cgroup v1's memory/memory.limit_in_bytes. It returns 0 when
// there is no limit or no cgroup file to read.
func ContainerMemoryLimit(root string) (int64, error) {
	if data, err := os.ReadFile(filepath.Join(root, "memory.max")); err == nil {
		v := strings.TrimSpace(string(data))
		if v == "max" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading %s: %q is not a number of bytes", filepath.Join(root, "memory.max"), v)
		}
		return n, nil
	}
	path := filepath.Join(root, "memory", "memory.limit_in_bytes")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil // neither file: no cgroup limit we can see
	}
	v := strings.TrimSpace(string(data))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %q is not a number of bytes", path, v)
	}
	if n >= unlimitedV1 {
		return 0, nil
	}
	return n, nil
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

// SetMemoryLimit sets the Go runtime's soft memory limit to ratio × the
// container's memory limit read under cgroupRoot, unless GOMEMLIMIT is set in the
// environment (getenv), which the runtime already applied, or ratio is 0 (off).
// Near the limit the garbage collector works harder instead of letting the heap
// grow past what the container may use.
func SetMemoryLimit(cgroupRoot string, ratio float64, getenv func(string) string) (MemoryLimit, error) {
	if getenv("GOMEMLIMIT") != "" {
		return MemoryLimit{Bytes: debug.SetMemoryLimit(-1), Source: "GOMEMLIMIT"}, nil
	}
	if ratio <= 0 {
		return MemoryLimit{Source: "off"}, nil
	}
	if ratio > 1 {
		return MemoryLimit{}, fmt.Errorf("--memory-limit-ratio %g: must be between 0 (off) and 1", ratio)
	}
	limit, err := ContainerMemoryLimit(cgroupRoot)
	if err != nil || limit == 0 {
		return MemoryLimit{Source: "none"}, err
	}
	soft := int64(math.Floor(float64(limit) * ratio))
	debug.SetMemoryLimit(soft)
	return MemoryLimit{Bytes: soft, Source: "cgroup"}, nil
}
