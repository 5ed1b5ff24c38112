package githubapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// etagServer serves three pages with ETags and answers 304 when If-None-Match matches;
// changed lists the pages whose content changed since the ETags were taken.
func etagServer(t *testing.T, changed map[string]bool, requests *[]string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if page == "" {
			page = "1"
		}
		*requests = append(*requests, page+" "+r.Header.Get("If-None-Match"))
		etag := `"p` + page + `"`
		if changed[page] {
			etag = `"p` + page + `-new"`
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		if page != "3" {
			next := map[string]string{"1": "2", "2": "3"}[page]
			w.Header().Set("Link", fmt.Sprintf(`<%s/x?page=%s>; rel="next"`, srv.URL, next))
		}
		fmt.Fprintf(w, `["page %s"]`, page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWalkPagesConditional(t *testing.T) {
	var requests []string
	srv := etagServer(t, map[string]bool{"2": true}, &requests)
	c, err := NewClient(ClientOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// What a first walk would have remembered.
	cache := map[string]Validator{
		srv.URL + "/x":        {ETag: `"p1"`, Next: srv.URL + "/x?page=2"},
		srv.URL + "/x?page=2": {ETag: `"p2"`, Next: srv.URL + "/x?page=3"},
		srv.URL + "/x?page=3": {ETag: `"p3"`},
	}
	var got []string
	err = c.WalkPages(context.Background(), "/x", "x", func(u string) (Validator, bool) {
		v, ok := cache[u]
		return v, ok
	}, func(p *Page) error {
		if p.NotModified {
			got = append(got, "304 "+p.ETag)
			return nil
		}
		b, _ := io.ReadAll(p.Body)
		got = append(got, string(b)+" "+p.ETag)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `304 "p1"|["page 2"] "p2-new"|304 "p3"`
	if strings.Join(got, "|") != want {
		t.Errorf("pages = %s, want %s", strings.Join(got, "|"), want)
	}
	if r := strings.Join(requests, "|"); r != `1 "p1"|2 "p2"|3 "p3"` {
		t.Errorf("requests = %s: each page must be asked for with its ETag", r)
	}
}

func TestWalkPagesStop(t *testing.T) {
	var requests []string
	srv := etagServer(t, nil, &requests)
	c, err := NewClient(ClientOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	err = c.WalkPages(context.Background(), "/x", "x", nil, func(*Page) error {
		pages++
		return ErrStop
	})
	if err != nil || pages != 1 || len(requests) != 1 {
		t.Fatalf("err %v, %d pages, %d requests; want a clean stop after one", err, pages, len(requests))
	}
}

func TestWalkPagesUnexpected304(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = c.WalkPages(context.Background(), "/x", "x", nil, func(*Page) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "unconditional") {
		t.Fatalf("err = %v, want an error for a 304 nobody asked for", err)
	}
}
