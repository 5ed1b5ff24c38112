package githubapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileTokenRotation rewrites the token file while requests go out, the
// ways it happens: in place (a file on a host), and as Kubernetes updates a
// mounted Secret (a new directory behind the ..data symlink). Each new
// token is used from the next request on; a file that is briefly empty keeps
// the last good token; no token reaches the log.
func TestFileTokenRotation(t *testing.T) {
	const (
		tokenA = "ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		tokenB = "ghp_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
		tokenC = "ghp_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
	)
	dir := t.TempDir()
	// Kubernetes' layout: token -> ..data/token, ..data -> ..<timestamp>/.
	write := func(name, content string, at time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil { // as if written later
			t.Fatal(err)
		}
	}
	swapData := func(target string) {
		t.Helper()
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(-time.Hour)
	write("..2026_1/token", tokenA+"\n", start)
	swapData("..2026_1")
	if err := os.Symlink(filepath.Join("..data", "token"), filepath.Join(dir, "token")); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	src, err := NewFileToken(filepath.Join(dir, "token"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := newFakeGitHub(t)
	srv.on("/x", reply{body: `[]`}, reply{body: `[]`}, reply{body: `[]`}, reply{body: `[]`}, reply{body: `[]`})
	client := &http.Client{Transport: &TokenTransport{Source: src}}
	send := func() string {
		t.Helper()
		resp, err := client.Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		reqs := srv.requests()
		return strings.TrimPrefix(reqs[len(reqs)-1].header.Get("Authorization"), "Bearer ")
	}

	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"first token", func() {}, tokenA},
		{"rewritten in place", func() { write("..2026_1/token", tokenB, start.Add(time.Minute)) }, tokenB},
		{"Secret updated (..data swapped)", func() {
			write("..2026_2/token", tokenC, start.Add(2*time.Minute))
			swapData("..2026_2")
		}, tokenC},
		{"emptied mid-update", func() { write("..2026_2/token", "", start.Add(3*time.Minute)) }, tokenC},
		{"unchanged file", func() {}, tokenC},
	}
	for _, s := range steps {
		s.change()
		if got := send(); got != s.want {
			t.Errorf("%s: request sent token %q, want %q", s.name, got, s.want)
		}
	}
	if !strings.Contains(logs.String(), "keeping the previous github token") {
		t.Errorf("the empty token file was not logged:\n%s", logs.String())
	}
	for _, tok := range []string{tokenA, tokenB, tokenC, "AAAAAAAA", "BBBBBBBB", "CCCCCCCC"} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the log carries (part of) a token:\n%s", logs.String())
		}
	}
}

func TestFileTokenErrorsHideTheContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	const secret = "ghp_s3cret part"
	if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewFileToken(p, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("NewFileToken(token with a space) = %v, want an error without the content", err)
	}
	if _, err := NewFileToken(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("NewFileToken accepted a missing file")
	}
}
