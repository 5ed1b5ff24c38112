package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCommonHeaders(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	for _, path := range []string{
		"/orgs/octo-org/code-scanning/alerts", "/orgs/octo-org/dependabot/alerts", "/orgs/octo-org/secret-scanning/alerts",
		"/orgs/octo-org/nothing-here", "/orgs/nope/dependabot/alerts", "/orgs/octo-org/dependabot/alerts?page=2",
	} {
		resp, _ := m.get(path)
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset", "X-GitHub-Request-Id"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: no %s", path, h)
			}
		}
		if got := resp.Header.Get("X-RateLimit-Resource"); got != "core" {
			t.Errorf("%s: x-ratelimit-resource %q", path, got)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("%s: content-type %q", path, got)
		}
	}
}

func TestRateLimitBudget(t *testing.T) {
	m := newSim(t, Config{Seed: 1, RateLimit: 3})
	reset := testNow.Add(time.Hour).Unix()
	for i := 1; i <= 3; i++ {
		resp, _ := m.getOK("/orgs/octo-org/dependabot/alerts?per_page=1")
		want := map[string]string{
			"X-RateLimit-Limit": "3", "X-RateLimit-Used": strconv.Itoa(i), "X-RateLimit-Remaining": strconv.Itoa(3 - i),
			"X-RateLimit-Reset": strconv.FormatInt(reset, 10),
		}
		for h, v := range want {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("request %d: %s = %s, want %s", i, h, got, v)
			}
		}
	}
	resp, body := m.get("/orgs/octo-org/dependabot/alerts?per_page=1")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("exhausted budget: %s remaining %s", resp.Status, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if msg := decodeError(t, body)["message"].(string); !strings.HasPrefix(msg, "API rate limit exceeded for ") {
		t.Errorf("message %q", msg)
	}
	if strings.Contains(string(body), m.token) {
		t.Error("the error body echoes the token")
	}
	if got := m.s.Stats().RateLimited; got != 1 {
		t.Errorf("Stats().RateLimited = %d, want 1", got)
	}

	other := *m
	other.token = "another-token"
	if resp, _ := other.get("/orgs/octo-org/dependabot/alerts?per_page=1"); resp.StatusCode != http.StatusOK {
		t.Errorf("another token: %s; budgets are per token", resp.Status)
	}

	m.clock.Add(time.Hour)
	resp, _ = m.getOK("/orgs/octo-org/dependabot/alerts?per_page=1")
	if resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the reset: remaining %s, want 2", resp.Header.Get("X-RateLimit-Remaining"))
	}
}

func TestAuthentication(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	tests := []struct {
		authorization string
		status        int
		message       string
	}{
		{"", http.StatusUnauthorized, "Requires authentication"},
		{"Bearer ", http.StatusUnauthorized, "Bad credentials"},
		{"Basic dXNlcjpwYXNz", http.StatusUnauthorized, "Bad credentials"},
		{"Bearer ghp_anything", http.StatusOK, ""},
		{"token ghs_installation", http.StatusOK, ""},
		{"bearer lower-case-scheme", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.authorization, func(t *testing.T) {
			anon := *m
			anon.token = ""
			var hdr []string
			if tt.authorization != "" {
				hdr = []string{"Authorization", tt.authorization}
			}
			resp, body := anon.get("/orgs/octo-org/secret-scanning/alerts?per_page=1", hdr...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %s, want %d", resp.Status, tt.status)
			}
			if tt.message == "" {
				return
			}
			if e := decodeError(t, body); e["message"] != tt.message {
				t.Errorf("message %v, want %q", e["message"], tt.message)
			}
			if resp.Header.Get("X-RateLimit-Limit") != strconv.Itoa(anonymousLimit) {
				t.Errorf("unauthenticated limit %s", resp.Header.Get("X-RateLimit-Limit"))
			}
		})
	}
}

func TestConditionalRequestsAreFree(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	resp, _ := m.getOK("/orgs/octo-org/code-scanning/alerts?per_page=5")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again, body := m.get("/orgs/octo-org/code-scanning/alerts?per_page=5", "If-None-Match", etag)
	if again.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("conditional request: %s with %d bytes, want 304", again.Status, len(body))
	}
	if again.Header.Get("X-RateLimit-Used") != resp.Header.Get("X-RateLimit-Used") {
		t.Errorf("304 charged: used %s then %s", resp.Header.Get("X-RateLimit-Used"), again.Header.Get("X-RateLimit-Used"))
	}
	m.s.Step(200)
	if changed, _ := m.get("/orgs/octo-org/code-scanning/alerts?per_page=5", "If-None-Match", etag); changed.StatusCode != http.StatusOK {
		t.Errorf("after changes: %s, want 200", changed.Status)
	}
}

func TestStats(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	w := m.walk("/orgs/octo-org/dependabot/alerts?per_page=100")
	m.get("/orgs/octo-org/nothing")
	m.get("/orgs/octo-org/dependabot/alerts?page=2")
	st := m.s.Stats()
	pages := len(w.urls)
	want := Stats{
		Requests:   pages + 2,
		ByStatus:   map[int]int{200: pages, 404: 1, 400: 1},
		ByEndpoint: map[string]int{"/orgs/{org}/dependabot/alerts": pages + 1, "unknown": 1},
	}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("Stats() = %+v, want %+v", st, want)
	}
}

func TestRateLimitWindow(t *testing.T) {
	m := newSim(t, Config{Seed: 1, RateLimit: 3, RateLimitWindow: 5 * time.Second})
	resp, _ := m.getOK("/orgs/octo-org/dependabot/alerts?per_page=1")
	if got, want := resp.Header.Get("X-RateLimit-Reset"), strconv.FormatInt(testNow.Add(5*time.Second).Unix(), 10); got != want {
		t.Errorf("x-ratelimit-reset %s, want %s: the window's end", got, want)
	}
}
