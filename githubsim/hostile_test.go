package githubsim

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHostileFaults checks that each hostile fault serves what it says, once, and that
// the next request is served as GitHub would.
func TestHostileFaults(t *testing.T) {
	const path = "/orgs/octo-org/dependabot/alerts?per_page=5"
	tests := []struct {
		kind  FaultKind
		check func(t *testing.T, resp *http.Response, body []byte, readErr error)
	}{
		{FarFutureReset, func(t *testing.T, resp *http.Response, _ []byte, _ error) {
			reset, _ := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
			if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" || time.Unix(reset, 0).Before(testNow.Add(24*time.Hour*365)) {
				t.Errorf("status %d, remaining %q, reset %d", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"), reset)
			}
		}},
		{UnusableRateLimit, func(t *testing.T, resp *http.Response, _ []byte, _ error) {
			if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Reset") != "soon" {
				t.Errorf("status %d, reset %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Reset"))
			}
		}},
		{EndlessEmptyPages, func(t *testing.T, resp *http.Response, body []byte, _ error) {
			if string(body) != "[]" || !strings.Contains(resp.Header.Get("Link"), `after=endless-`) {
				t.Errorf("body %q, link %q", body, resp.Header.Get("Link"))
			}
		}},
		{EndlessNewAlerts, func(t *testing.T, resp *http.Response, body []byte, _ error) {
			if strings.Count(string(body), `"number"`) != 2 || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
				t.Errorf("body %q, link %q", body, resp.Header.Get("Link"))
			}
		}},
		{NullBody, func(t *testing.T, _ *http.Response, body []byte, _ error) {
			if string(body) != "null" {
				t.Errorf("body %q", body)
			}
		}},
		{TrailingGarbage, func(t *testing.T, _ *http.Response, body []byte, _ error) {
			if !strings.HasSuffix(string(body), "] GARBAGE") {
				t.Errorf("body ends %q", body[max(0, len(body)-20):])
			}
		}},
		{NullElements, func(t *testing.T, _ *http.Response, body []byte, _ error) {
			if !strings.HasPrefix(string(body), "[null,{") {
				t.Errorf("body starts %q", body[:min(len(body), 20)])
			}
		}},
		{EchoInMessage, func(t *testing.T, resp *http.Response, body []byte, _ error) {
			if resp.StatusCode != 422 || !strings.Contains(string(body), "Bearer test-token") {
				t.Errorf("status %d, body %q", resp.StatusCode, body)
			}
		}},
		{EchoInLink, func(t *testing.T, resp *http.Response, _ []byte, _ error) {
			if !strings.Contains(resp.Header.Get("Link"), "Bearer test-token") {
				t.Errorf("link %q", resp.Header.Get("Link"))
			}
		}},
		{TruncatedBody, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			if err == nil {
				t.Error("the body read to its end")
			}
		}},
		{ResetMidBody, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			if err == nil {
				t.Error("the body read to its end")
			}
		}},
		{ShortContentLength, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
				t.Errorf("read error %v, want unexpected EOF", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			m := newSim(t, Config{Seed: 1})
			m.s.InjectFault(Fault{Path: "dependabot", Kind: tt.kind})
			req, _ := http.NewRequest(http.MethodGet, m.url(path), nil)
			req.Header.Set("Authorization", "Bearer test-token")
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			tt.check(t, resp, body, readErr)
			if next, alerts := m.getOK(path); next.StatusCode != 200 || len(alerts) != 5 {
				t.Errorf("after the fault: %d, %d alerts", next.StatusCode, len(alerts))
			}
		})
	}
}

// TestRateLimitEndpoint checks GET /rate_limit: the caller's budget of each resource,
// not charged, and not subject to injected faults.
func TestRateLimitEndpoint(t *testing.T) {
	m := newSim(t, Config{Seed: 1, RateLimit: 50})
	m.getOK("/orgs/octo-org/dependabot/alerts?per_page=5")
	m.s.InjectFault(Fault{Kind: FarFutureReset, Times: 10})
	for range 2 {
		resp, body := m.get("/rate_limit")
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"core":{"limit":50,"used":1,"remaining":49`) || !strings.Contains(string(body), `"graphql":`) {
			t.Fatalf("GET /rate_limit: %d %s", resp.StatusCode, body)
		}
	}
}
