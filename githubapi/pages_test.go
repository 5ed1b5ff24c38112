package githubapi

import (
	"context"
	"errors"
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

// endlessServer hands out a new cursor on every page, forever; empty pages when empty.
func endlessServer(t *testing.T, empty bool, requests *int) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*requests++
		w.Header().Set("Link", fmt.Sprintf(`<%s/x?after=c%d>; rel="next"`, srv.URL, *requests))
		if empty {
			fmt.Fprint(w, `[ ]`)
			return
		}
		fmt.Fprintf(w, `[{"number":%d},{"number":%d}]`, 2**requests, 2**requests+1)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWalkPageBudget checks that a walk following new cursors forever stops at its
// page budget with ErrTooManyPages, after exactly that many requests.
func TestWalkPageBudget(t *testing.T) {
	var requests int
	srv := endlessServer(t, false, &requests)
	c, err := NewClient(ClientOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	err = c.WalkPages(WithMaxPages(context.Background(), 25), "/x", "x", nil, func(*Page) error { pages++; return nil })
	if !errors.Is(err, ErrTooManyPages) || !strings.Contains(err.Error(), "walk cut after 25 pages") {
		t.Fatalf("WalkPages = %v, want ErrTooManyPages after 25 pages", err)
	}
	if pages != 25 || requests != 25 {
		t.Errorf("%d pages handed over after %d requests, want 25 and 25", pages, requests)
	}
}

// TestWalkEmptyPageWithNext checks that a page without items that still has a next
// link fails the walk at once: GitHub never sends one, a broken server may forever.
func TestWalkEmptyPageWithNext(t *testing.T) {
	var requests int
	srv := endlessServer(t, true, &requests)
	c, err := NewClient(ClientOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Walk(context.Background(), "/x", "x", func(io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "a page without items has a next link") {
		t.Fatalf("Walk = %v, want the empty-page error", err)
	}
	if requests != 1 {
		t.Errorf("%d requests, want 1", requests)
	}
}
