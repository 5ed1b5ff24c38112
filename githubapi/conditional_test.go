package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// versioned serves one JSON document per path with an ETag of its version, answering
// 304 to a matching If-None-Match.
type versioned struct {
	mu       sync.Mutex
	version  int
	noETag   bool
	body     string // "" gives {"v": version}
	requests []string
}

func (v *versioned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.requests = append(v.requests, r.Header.Get("If-None-Match"))
	if r.URL.Path != "/doc" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
		return
	}
	etag := fmt.Sprintf(`W/"v%d"`, v.version)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !v.noETag {
		w.Header().Set("ETag", etag)
	}
	body := v.body
	if body == "" {
		body = fmt.Sprintf(`{"v":%d}`, v.version)
	}
	fmt.Fprint(w, body)
}

func (v *versioned) set(f func(*versioned)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f(v)
}

func TestGetJSON(t *testing.T) {
	srv := &versioned{version: 1}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := NewClient(ClientOptions{BaseURL: ts.URL, HTTPClient: &http.Client{Transport: NewTransport(TransportOptions{RequestsPerSecond: 1000})}})
	if err != nil {
		t.Fatal(err)
	}
	type doc struct{ V int }
	steps := []struct {
		name        string
		change      func(*versioned)
		forget      bool
		path        string
		wantChanged bool
		wantV       int // the value left in v, which starts as -1
		wantSent    string
		wantErr     string
	}{
		{name: "first request is unconditional", wantChanged: true, wantV: 1, wantSent: ""},
		{name: "unchanged: 304 leaves v alone", wantChanged: false, wantV: -1, wantSent: `W/"v1"`},
		{name: "changed", change: func(v *versioned) { v.version = 2 }, wantChanged: true, wantV: 2, wantSent: `W/"v1"`},
		{name: "unchanged again", wantV: -1, wantSent: `W/"v2"`},
		{name: "forgotten: unconditional", forget: true, wantChanged: true, wantV: 2, wantSent: ""},
		{name: "undecodable", change: func(v *versioned) { v.version, v.body = 3, "[" }, wantV: -1, wantSent: `W/"v2"`, wantErr: "decoding answer"},
		{name: "after a failed decode: unconditional", change: func(v *versioned) { v.body = "" }, wantChanged: true, wantV: 3, wantSent: ""},
		{name: "no ETag: nothing to send next time", change: func(v *versioned) { v.version, v.noETag = 4, true }, wantChanged: true, wantV: 4, wantSent: `W/"v3"`},
		{name: "unconditional without ETag", wantChanged: true, wantV: 4, wantSent: ""},
		{name: "not found", path: "missing", wantV: -1, wantSent: "", wantErr: "404 Not Found"},
	}
	for _, st := range steps {
		if st.change != nil {
			srv.set(st.change)
		}
		path := "doc"
		if st.path != "" {
			path = st.path
		}
		if st.forget {
			c.ForgetETag(path)
		}
		v := doc{V: -1}
		changed, err := c.GetJSON(context.Background(), "/doc", path, &v)
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) {
				t.Fatalf("%s: err %v, want %q", st.name, err, st.wantErr)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if changed != st.wantChanged || v.V != st.wantV {
			t.Errorf("%s: changed %v, v %d; want %v, %d", st.name, changed, v.V, st.wantChanged, st.wantV)
		}
		srv.set(func(s *versioned) {
			if sent := s.requests[len(s.requests)-1]; sent != st.wantSent {
				t.Errorf("%s: sent If-None-Match %q, want %q", st.name, sent, st.wantSent)
			}
		})
	}
	var se *StatusError
	_, err = c.GetJSON(context.Background(), "/doc", "missing", new(doc))
	if !errors.As(err, &se) || !IsNotAvailable(err) {
		t.Errorf("a 404 is %T %v, want a *StatusError that is not available", err, err)
	}
}
