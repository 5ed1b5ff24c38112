package githubsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed "now" of most tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testOrgID = 6811672

// testOrgs is small enough to walk quickly and large enough for many pages.
func testOrgs() []OrgSpec {
	return []OrgSpec{
		{Login: "octo-org", ID: testOrgID, Repos: 12, CodeScanning: 230, Dependabot: 310, SecretScanning: 75},
		{Login: "other-org", Repos: 3, CodeScanning: 20, SecretScanning: 5},
	}
}

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sim is a simulator behind an httptest server, with a client for it.
type sim struct {
	t     testing.TB
	s     *Server
	ts    *httptest.Server
	clock *clock
	token string
}

func newSim(t testing.TB, cfg Config) *sim {
	t.Helper()
	c := &clock{t: testNow}
	if cfg.Orgs == nil {
		cfg.Orgs = testOrgs()
	}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	s := New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &sim{t: t, s: s, ts: ts, clock: c, token: "test-token"}
}

// url makes an absolute URL of a path; absolute URLs pass unchanged.
func (m *sim) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return m.ts.URL + path
}

// get sends an authenticated GET (token "" sends none) with extra headers.
func (m *sim) get(path string, header ...string) (*http.Response, []byte) {
	m.t.Helper()
	req, err := http.NewRequest(http.MethodGet, m.url(path), nil)
	if err != nil {
		m.t.Fatal(err)
	}
	if m.token != "" {
		req.Header.Set("Authorization", "Bearer "+m.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := m.ts.Client().Do(req)
	if err != nil {
		m.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatalf("reading %s: %v", path, err)
	}
	return resp, body
}

// getOK is get that requires a 200 and decodes the alert array.
func (m *sim) getOK(path string) (*http.Response, []map[string]any) {
	m.t.Helper()
	resp, body := m.get(path)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("GET %s: %s: %.300s", path, resp.Status, body)
	}
	var alerts []map[string]any
	if err := json.Unmarshal(body, &alerts); err != nil {
		m.t.Fatalf("GET %s: decoding: %v", path, err)
	}
	return resp, alerts
}

// walkResult is what following rel="next" from a first URL produced.
type walkResult struct {
	alerts []map[string]any
	urls   []string // every URL requested, the first one included
}

// walk follows rel="next" links verbatim until there is none.
func (m *sim) walk(first string) walkResult {
	m.t.Helper()
	var w walkResult
	for u := first; u != ""; {
		if len(w.urls) > 10000 {
			m.t.Fatalf("walk from %s does not end", first)
		}
		w.urls = append(w.urls, u)
		resp, page := m.getOK(u)
		w.alerts = append(w.alerts, page...)
		u = links(m.t, resp.Header)["next"]
	}
	return w
}

var linkRE = regexp.MustCompile(`<([^>]*)>; rel="([a-z]+)"`)

// links parses a Link header into rel → URL, checking its syntax.
func links(t testing.TB, h http.Header) map[string]string {
	t.Helper()
	out := map[string]string{}
	v := h.Get("Link")
	if v == "" {
		return out
	}
	for _, part := range strings.Split(v, ", ") {
		m := linkRE.FindStringSubmatch(part)
		if m == nil || m[0] != part {
			t.Fatalf("malformed Link entry %q in %q", part, v)
		}
		out[m[2]] = m[1]
	}
	return out
}

// alertID identifies an alert in a served body: repository/number.
func alertID(a map[string]any) string {
	return fmt.Sprintf("%s/%v", a["repository"].(map[string]any)["name"], a["number"])
}

func ids[A any](alerts []A, id func(A) string) map[string]int {
	out := map[string]int{}
	for _, a := range alerts {
		out[id(a)]++
	}
	return out
}

func csID(a CodeScanningAlert) string   { return fmt.Sprintf("%s/%d", a.Repo, a.Number) }
func depID(a DependabotAlert) string    { return fmt.Sprintf("%s/%d", a.Repo, a.Number) }
func ssID(a SecretScanningAlert) string { return fmt.Sprintf("%s/%d", a.Repo, a.Number) }
func servedID(a map[string]any) string  { return alertID(a) }
func truthIDs(m *sim, family, org string) map[string]int {
	switch family {
	case "code-scanning":
		return ids(m.s.CodeScanningAlerts(org), csID)
	case "dependabot":
		return ids(m.s.DependabotAlerts(org), depID)
	case "secret-scanning":
		return ids(m.s.SecretScanningAlerts(org), ssID)
	}
	panic(family)
}

// sameSet reports the differences between two id multisets.
func sameSet(t testing.TB, got, want map[string]int) {
	t.Helper()
	for id, n := range got {
		if n != 1 {
			t.Errorf("alert %s served %d times", id, n)
		}
		if want[id] == 0 {
			t.Errorf("alert %s served but not in the ground truth", id)
		}
	}
	for id := range want {
		if got[id] == 0 {
			t.Errorf("alert %s of the ground truth never served", id)
		}
	}
}

func decodeError(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}
