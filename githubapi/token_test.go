package githubapi

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

const testToken = "ghp_s3cretT0kenValue"

func TestTokenTransport(t *testing.T) {
	srv := newFakeGitHub(t, reply{status: 500}, reply{body: `[1]`, header: next("{base}/organizations/1/a?after=x")}, reply{body: `[2]`})
	var logs bytes.Buffer
	clock := newFakeClock()
	tr := testTransport(clock, TransportOptions{
		Base:   &TokenTransport{Token: testToken},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WalkJSON(t.Context(), c, "/orgs/{org}/a", "orgs/acme/a", func([]int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("request %d: Authorization = %q", i, got)
		}
	}
	if !strings.Contains(logs.String(), "retrying github request") {
		t.Errorf("no retry logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), "Authorization") {
		t.Errorf("logs carry the token or the header: %s", logs.String())
	}

	// The caller's request is not modified.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := (&TokenTransport{Token: testToken}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.Header.Get("Authorization") != "" {
		t.Error("TokenTransport set the header on the caller's request")
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	other := newFakeGitHub(t, reply{body: `[]`})
	closed := newFakeGitHub(t)
	closed.Close()
	tests := []struct {
		name    string
		base    string
		replies []reply
	}{
		{name: "403 not enabled", replies: []reply{{status: 403, body: notEnabled}}},
		{name: "hostile retry-after", replies: []reply{{status: 429, header: map[string]string{"Retry-After": "999999999"}}}},
		{name: "next link to another host", replies: []reply{{body: `[]`, header: next(other.URL + "/x")}}},
		{name: "network errors", replies: []reply{{hangup: true}}},
		{name: "connection refused", base: closed.URL},
		{name: "bad JSON", replies: []reply{{body: `{"token":"` + testToken + `"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGitHub(t, tt.replies...)
			base := srv.URL
			if tt.base != "" {
				base = tt.base
			}
			var logs bytes.Buffer
			tr := testTransport(newFakeClock(), TransportOptions{
				Base:       &TokenTransport{Token: testToken, Base: &http.Transport{DisableKeepAlives: true}},
				MaxRetries: 1,
				Logger:     slog.New(slog.NewTextHandler(&logs, nil)),
			})
			c, err := NewClient(ClientOptions{BaseURL: base, HTTPClient: &http.Client{Transport: tr}})
			if err != nil {
				t.Fatal(err)
			}
			err = WalkJSON(t.Context(), c, "/orgs/{org}/a", "orgs/acme/a", func([]struct{}) error { return nil })
			if err == nil {
				t.Fatal("want an error")
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), testToken) && tt.name != "bad JSON" {
					t.Errorf("error carries the token: %v", e)
				}
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("logs carry the token: %s", logs.String())
			}
			if n := len(other.requests()); n != 0 {
				t.Errorf("the other host got %d requests", n)
			}
		})
	}
}
