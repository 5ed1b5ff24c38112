package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveLoad(t *testing.T) {
	f := &File{Path: filepath.Join(t.TempDir(), "state"), Version: 3}
	if _, err := f.Load(); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Load of no file = %v, want ErrNotExist", err)
	}
	for _, payload := range []string{"first", "", strings.Repeat("x", 1<<20)} {
		if err := f.Save([]byte(payload)); err != nil {
			t.Fatal(err)
		}
		got, err := f.Load()
		if err != nil || string(got) != payload {
			t.Fatalf("Load = %d bytes, %v; want %d bytes", len(got), err, len(payload))
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(f.Path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestBadFilesAreSetAside(t *testing.T) {
	good := func(t *testing.T, path string) []byte {
		f := &File{Path: path, Version: 1}
		if err := f.Save([]byte("records")); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return b
	}
	tests := []struct {
		name    string
		corrupt func(b []byte) []byte
		version uint32
		problem string
	}{
		{"flipped payload byte", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, 1, "corrupt"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-2] }, 1, "corrupt"},
		{"truncated header", func(b []byte) []byte { return b[:5] }, 1, "foreign"},
		{"someone else's file", func([]byte) []byte { return []byte(`{"json": true}`) }, 1, "foreign"},
		{"empty", func([]byte) []byte { return nil }, 1, "foreign"},
		{"other version", func(b []byte) []byte { return b }, 2, "version-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state")
			if err := os.WriteFile(path, tt.corrupt(good(t, path)), 0o600); err != nil {
				t.Fatal(err)
			}
			f := &File{Path: path, Version: tt.version, Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }}
			payload, err := f.Load()
			if err == nil || payload != nil {
				t.Fatalf("Load = %q, %v; want an error", payload, err)
			}
			aside := path + "." + tt.problem + ".20261121T120000Z"
			if !strings.Contains(err.Error(), aside) {
				t.Errorf("error %q does not name %s", err, aside)
			}
			if _, err := os.Stat(aside); err != nil {
				t.Errorf("not set aside: %v", err)
			}
			if _, err := f.Load(); !errors.Is(err, ErrNotExist) {
				t.Errorf("after setting aside, Load = %v, want ErrNotExist", err)
			}
		})
	}
}

func TestSaveIntoMissingDirectoryFails(t *testing.T) {
	f := &File{Path: filepath.Join(t.TempDir(), "nope", "state"), Version: 1}
	if err := f.Save([]byte("x")); err == nil {
		t.Fatal("no error")
	}
}

// TestOlderVersions: a file of a version in Older is loaded, one of another version is
// set aside; Save writes the current version.
func TestOlderVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := (&File{Path: path, Version: 1}).Save([]byte("v1")); err != nil {
		t.Fatal(err)
	}
	f := &File{Path: path, Version: 2, Older: []uint32{1}}
	if got, err := f.Load(); err != nil || string(got) != "v1" {
		t.Fatalf("Load of a version 1 file = %q, %v", got, err)
	}
	if err := f.Save([]byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, err := (&File{Path: path, Version: 2}).Load(); err != nil || string(got) != "v2" {
		t.Fatalf("Load after Save = %q, %v; want version 2", got, err)
	}
	if _, err := (&File{Path: path, Version: 3, Older: []uint32{1}}).Load(); err == nil {
		t.Fatal("a version 2 file loaded as version 3 accepting only 1")
	}
}
