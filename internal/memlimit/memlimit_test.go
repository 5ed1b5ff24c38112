package memlimit

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestLimit(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                int64
		err                 bool
	}{
		{"cgroup v2", "memory.max", "268435456\n", 256 << 20, false},
		{"cgroup v2 unlimited", "memory.max", "max\n", 0, false},
		{"cgroup v1", "memory/memory.limit_in_bytes", "536870912\n", 512 << 20, false},
		{"cgroup v1 unlimited", "memory/memory.limit_in_bytes", "9223372036854771712\n", 0, false},
		{"no cgroup", "", "", 0, false},
		{"garbage", "memory.max", "lots\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.file != "" {
				path := filepath.Join(root, tt.file)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Limit(root)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("Limit = %d, %v; want %d, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestSetFromCgroup(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "memory.max"), []byte("1000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, from, err := Set(0, root)
	if err != nil || from != "cgroup" || got != 900_000_000 || debug.SetMemoryLimit(-1) != 900_000_000 {
		t.Errorf("Set = %d, %q, %v; runtime limit %d; want 900000000 from the cgroup", got, from, err, debug.SetMemoryLimit(-1))
	}
	if got, from, _ := Set(123<<20, root); got != 123<<20 || from != "flag" || debug.SetMemoryLimit(-1) != 123<<20 {
		t.Errorf("explicit limit: Set = %d, %q; runtime %d", got, from, debug.SetMemoryLimit(-1))
	}
}
