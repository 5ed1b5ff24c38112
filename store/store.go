// Package store keeps the exporter's state in a file so that a restarted exporter serves
// its last numbers at once. It owns the file format's envelope (magic, version, checksum)
// and atomic replacement; what goes inside is the caller's.
package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// magic starts every state file; a file without it is not ours.
var magic = []byte("GHSECEXP")

const headerLen = 8 + 4 + 8 + 4 // magic, version, payload length, CRC-32C

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrNotExist is returned by Load when there is no state file yet.
var ErrNotExist = errors.New("no state file")

// File is a state file of a given format version.
type File struct {
	Path    string
	Version uint32
	// Older are earlier versions Load accepts too: the caller reads their payload
	// (Save always writes Version).
	Older []uint32
	// Now is a test hook for the name of a set-aside file; default time.Now.
	Now func() time.Time
}

// Save replaces the file atomically: the payload is written to a temporary file in the
// same directory, synced, and renamed over the old one.
func (f *File) Save(payload []byte) error {
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	header := make([]byte, headerLen)
	copy(header, magic)
	binary.BigEndian.PutUint32(header[8:], f.Version)
	binary.BigEndian.PutUint64(header[12:], uint64(len(payload)))
	binary.BigEndian.PutUint32(header[20:], crc32.Checksum(payload, castagnoli))
	if _, err := tmp.Write(append(header, payload...)); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename itself durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Load returns the payload of the file. A missing file is ErrNotExist. A file that is
// not a state file, has another version, or fails its checksum is renamed aside (the
// returned error says where) so that it is neither used nor overwritten. A version in
// Older is loaded like the current one.
func (f *File) Load() ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	payload, problem := f.check(b)
	if problem == "" {
		return payload, nil
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	aside := fmt.Sprintf("%s.%s.%s", f.Path, problem, now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(f.Path, aside); err != nil {
		return nil, fmt.Errorf("state file %s is %s and could not be set aside: %w", f.Path, problem, err)
	}
	return nil, fmt.Errorf("state file %s is %s: set aside as %s, starting afresh", f.Path, problem, aside)
}

// Read returns the payload of the file like Load, but never renames it: for readers of
// another process's state file (the backfill subcommand), which must leave it alone.
func (f *File) Read() ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	payload, problem := f.check(b)
	if problem != "" {
		return nil, fmt.Errorf("state file %s is %s: not read", f.Path, problem)
	}
	return payload, nil
}

// check returns the payload, or a one-word problem.
func (f *File) check(b []byte) ([]byte, string) {
	if len(b) < headerLen || !bytes.Equal(b[:8], magic) {
		return nil, "foreign"
	}
	if v := binary.BigEndian.Uint32(b[8:]); v != f.Version && !slices.Contains(f.Older, v) {
		return nil, fmt.Sprintf("version-%d", v)
	}
	n := binary.BigEndian.Uint64(b[12:])
	payload := b[headerLen:]
	if uint64(len(payload)) != n || crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(b[20:]) {
		return nil, "corrupt"
	}
	return payload, ""
}
