// Package memlimit sets the Go runtime's soft memory limit (GOMEMLIMIT) from the
// container's cgroup memory limit, so that the garbage collector works harder before
// the kernel's OOM killer steps in.
package memlimit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Ratio is the share of the cgroup limit given to the Go heap and runtime: the rest is
// for what the runtime does not account (stacks of threads in C, page cache of the state file).
const Ratio = 0.9

// cgroupFiles are where cgroup v2 and v1 keep a container's memory limit.
var cgroupFiles = []string{"memory.max", "memory/memory.limit_in_bytes"}

// Limit returns the memory limit of the cgroup under root (normally /sys/fs/cgroup),
// 0 when there is none.
func Limit(root string) (int64, error) {
	for _, name := range cgroupFiles {
		b, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		v := strings.TrimSpace(string(b))
		if v == "max" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing %s: %w", name, err)
		}
		if n >= 1<<62 { // cgroup v1 says "unlimited" with a huge number
			return 0, nil
		}
		return n, nil
	}
	return 0, nil
}

// Set applies the limit: explicit (bytes) when not 0, else GOMEMLIMIT when the
// environment sets it (the runtime has applied it), else Ratio of the cgroup limit under
// root. It returns the limit now in force (0: none) and where it came from.
func Set(explicit int64, root string) (int64, string, error) {
	switch {
	case explicit > 0:
		debug.SetMemoryLimit(explicit)
		return explicit, "flag", nil
	case os.Getenv("GOMEMLIMIT") != "":
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT", nil
	}
	limit, err := Limit(root)
	if err != nil || limit == 0 {
		return 0, "", err
	}
	limit = int64(float64(limit) * Ratio)
	debug.SetMemoryLimit(limit)
	return limit, "cgroup", nil
}
