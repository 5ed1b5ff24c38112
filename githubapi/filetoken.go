package githubapi

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// TokenSource gives the token for the next request.
type TokenSource interface {
	Token() string
}

// FileToken is a token kept in a file (a mounted Kubernetes Secret, say) and
// read again whenever the file changes, so that a rotated token is used from
// the next request on without a restart. It notices an update in place as
// well as Kubernetes' swap of the Secret's ..data symlink (another file
// behind the same path). A new content that is not a usable token is logged
// (never its content) and the last good token kept. Safe for concurrent use.
type FileToken struct {
	path   string
	logger *slog.Logger

	mu    sync.Mutex
	token string
	seen  os.FileInfo // of the file the token was read from
}

// NewFileToken reads the token in path. Its errors name the file, never its content.
func NewFileToken(path string, logger *slog.Logger) (*FileToken, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &FileToken{path: path, logger: logger}
	info, token, err := readToken(path)
	if err != nil {
		return nil, err
	}
	f.token, f.seen = token, info
	return f, nil
}

// Token returns the file's token, reading the file again if it changed since.
func (f *FileToken) Token() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, err := os.Stat(f.path)
	if err != nil || sameFile(info, f.seen) {
		return f.token // a missing file mid-rotation: keep the last good token
	}
	info, token, err := readToken(f.path)
	if err != nil {
		f.logger.Warn("keeping the previous github token", "err", err)
		f.seen = info // do not warn again until the file changes again
		return f.token
	}
	f.token, f.seen = token, info
	f.logger.Info("github token file changed: using the new token", "file", f.path)
	return f.token
}

func sameFile(a, b os.FileInfo) bool {
	return b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// readToken reads and checks a token file.
func readToken(path string) (os.FileInfo, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading the token file: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return info, "", fmt.Errorf("reading the token file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	switch {
	case token == "":
		return info, "", fmt.Errorf("the token file %s is empty", path)
	case strings.ContainsAny(token, " \t\r\n"):
		return info, "", errors.New("the token file " + path + " holds white space inside the token")
	}
	return info, token, nil
}
