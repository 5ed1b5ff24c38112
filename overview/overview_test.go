package overview

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

var now = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

var (
	codeScanning = prometheus.NewDesc("github_code_scanning_alerts", "h",
		[]string{"org", "repository", "tool", "severity", "state"}, nil)
	dependabot = prometheus.NewDesc("github_dependabot_alerts", "h",
		[]string{"org", "repository", "ecosystem", "scope", "severity", "state"}, nil)
	secretScanning = prometheus.NewDesc("github_secret_scanning_alerts", "h",
		[]string{"org", "repository", "secret_type", "validity", "resolution", "state"}, nil)
	oldestOpen = prometheus.NewDesc("github_alerts_oldest_open_timestamp_seconds", "h",
		[]string{"org", "repository", "family", "severity"}, nil)
	repositoryInfo = prometheus.NewDesc("github_repository_info", "h",
		[]string{"org", "repository", "visibility", "archived", "fork", "language"}, nil)
)

func cs(org, repo, severity, state string, v float64) prometheus.Metric {
	return prometheus.MustNewConstMetric(codeScanning, prometheus.GaugeValue, v, org, repo, "CodeQL", severity, state)
}

func dep(org, repo, severity, state string, v float64) prometheus.Metric {
	return prometheus.MustNewConstMetric(dependabot, prometheus.GaugeValue, v, org, repo, "npm", "runtime", severity, state)
}

func secret(org, repo, validity, state string, v float64) prometheus.Metric {
	resolution := ""
	if state != "open" {
		resolution = "revoked"
	}
	return prometheus.MustNewConstMetric(secretScanning, prometheus.GaugeValue, v, org, repo, "github_pat", validity, resolution, state)
}

func info(org, repo string) prometheus.Metric {
	return prometheus.MustNewConstMetric(repositoryInfo, prometheus.GaugeValue, 1, org, repo, "private", "false", "false", "Go")
}

// constMetrics is a collector of fixed metrics, as the exporter's snapshot is.
type constMetrics []prometheus.Metric

func (c constMetrics) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }
func (c constMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

func ok(org, name string) collector.SourceStatus {
	return collector.SourceStatus{Org: org, Collector: name, Ran: true, Success: true, Available: true,
		LastSuccess: now.Add(-3 * time.Minute), Duration: 2400 * time.Millisecond}
}

func allOK(org string) []collector.SourceStatus {
	return []collector.SourceStatus{ok(org, "code_scanning"), ok(org, "dependabot"), ok(org, "secret_scanning")}
}

// count renders the element the page shows a number in.
func cell(key, n string) string { return `data-count="` + key + `">` + n + `<` }

func TestPage(t *testing.T) {
	tests := []struct {
		name     string
		metrics  []prometheus.Metric
		status   []collector.SourceStatus
		want     []string // substrings of the page
		inOrder  []string // substrings that must appear in this order
		notWant  []string
		gatherer func(prometheus.Gatherer) prometheus.Gatherer
	}{{
		name: "open alerts by family and severity",
		metrics: []prometheus.Metric{
			cs("acme", "api", "critical", "open", 2), cs("acme", "web", "high", "open", 3),
			cs("acme", "api", "high", "open", 1), cs("acme", "api", "error", "open", 1),
			cs("acme", "api", "note", "open", 2), cs("acme", "web", "none", "open", 1), cs("acme", "web", "warning", "open", 1),
			cs("acme", "api", "critical", "fixed", 40), cs("acme", "api", "low", "dismissed", 7),
			dep("acme", "api", "critical", "open", 1), dep("acme", "web", "medium", "open", 1234),
			dep("acme", "web", "low", "auto_dismissed", 9),
			secret("acme", "api", "active", "open", 2), secret("acme", "web", "unknown", "open", 1),
			secret("acme", "web", "inactive", "resolved", 5),
		},
		status: allOK("acme"),
		want: []string{
			cell("acme/code_scanning/open", "11"), cell("acme/code_scanning/critical", "2"),
			cell("acme/code_scanning/high", "4"), cell("acme/code_scanning/medium", "0"),
			cell("acme/code_scanning/low", "0"), cell("acme/code_scanning/other", "5"),
			cell("acme/dependabot/open", "1,235"), cell("acme/dependabot/critical", "1"),
			cell("acme/dependabot/medium", "1,234"), cell("acme/dependabot/low", "0"),
			cell("acme/secret_scanning/open", "3"), cell("acme/secret_scanning/active", "2"),
			cell("acme/secret_scanning/inactive", "0"), cell("acme/secret_scanning/unknown", "1"),
			cell("acme/all/open", "1,249"), "2 repositories have open alerts", "collectors ok",
		},
		notWant: []string{`data-count="acme/dependabot/other"`, "No collection has finished yet"},
	}, {
		name: "top repositories, most open alerts first, ties by name",
		metrics: func() []prometheus.Metric {
			var ms []prometheus.Metric
			for i := 1; i <= 12; i++ {
				ms = append(ms, cs("acme", "repo-"+strconv.Itoa(i), "high", "open", float64(i)))
			}
			return append(ms, dep("acme", "repo-3", "low", "open", 20), secret("acme", "repo-3", "active", "open", 1),
				dep("acme", "a-tie", "low", "open", 12), cs("acme", "empty", "high", "open", 0))
		}(),
		status: allOK("acme"),
		inOrder: []string{
			`<tr data-repo="repo-3"><td class="rank">1</td><td class="repo">repo-3</td><td class="num strong">24</td><td class="num">3</td><td class="num">20</td><td class="num">1</td></tr>`,
			`data-repo="a-tie"`, `data-repo="repo-12"`, `data-repo="repo-11"`, `data-repo="repo-10"`,
			`data-repo="repo-9"`, `data-repo="repo-8"`, `data-repo="repo-7"`, `data-repo="repo-6"`,
			`<tr data-repo="repo-5"><td class="rank">10</td>`, "and 3 more repositories with open alerts",
		},
		want:    []string{"13 repositories have open alerts"},
		notWant: []string{`data-repo="repo-4"`, `data-repo="empty"`, `data-repo="repo-1"`},
	}, {
		name:    "collector rows",
		metrics: []prometheus.Metric{cs("acme", "api", "high", "open", 1)},
		status: []collector.SourceStatus{
			ok("acme", "code_scanning"),
			{Org: "acme", Collector: "dependabot", Ran: true, Available: true, LastSuccess: now.Add(-50 * time.Hour),
				Duration: 350 * time.Millisecond, Failures: 3, LastError: "listing dependabot alerts of acme: 502 Bad Gateway"},
			{Org: "acme", Collector: "secret_scanning", Ran: true, Duration: 90 * time.Millisecond, LastError: "403 secret scanning is disabled"},
		},
		inOrder: []string{
			`<tr data-collector="code_scanning">`, `<span class="pill ok">ok</span>`, "3 min ago", "<small>2025-03-14 11:57:00 UTC</small>",
			`>2.4s<`, `>0<`, `<span class="muted">none</span>`,
			`<tr data-collector="dependabot">`, `<span class="pill failing">failing</span>`, "2 days ago", "2025-03-12 10:00:00 UTC",
			`>350ms<`, `>3<`, "listing dependabot alerts of acme: 502 Bad Gateway",
			`<tr data-collector="secret_scanning">`, `<span class="pill unavailable">not available</span>`, "never", `>90ms<`,
			"403 secret scanning is disabled",
		},
		want: []string{"2 failing collectors", `<span class="pill failing">last collection failed</span>`,
			`<span class="pill unavailable">not available</span>`},
	}, {
		name:    "a source not collected yet",
		metrics: []prometheus.Metric{cs("acme", "api", "high", "open", 1)},
		status:  []collector.SourceStatus{ok("acme", "code_scanning")},
		want: []string{`<span class="pill pending">not collected yet</span>`, cell("acme/dependabot/open", "–"),
			cell("acme/dependabot/critical", "–"), cell("acme/code_scanning/open", "1"), cell("acme/all/open", "1")},
		notWant: []string{"first collection running", "<meta http-equiv"},
	}, {
		name: "an organization whose alerts are not collected yet",
		status: []collector.SourceStatus{{Org: "acme", Collector: "repositories", Ran: true, Available: true,
			Failures: 1, LastError: "listing repositories: 502"}},
		want: []string{"first collection running", `<meta http-equiv="refresh" content="10">`, "Not collected yet.",
			cell("acme/code_scanning/open", "–"), `<tr data-collector="repositories">`, "listing repositories: 502"},
		notWant: []string{`data-count="acme/all/open"`, "No open alerts.", "No collection has finished yet"},
	}, {
		name: "hostile repository name and error are escaped",
		metrics: []prometheus.Metric{
			cs("acme", `<script>alert("repo")</script>`, "high", "open", 1),
		},
		status: []collector.SourceStatus{{Org: "acme", Collector: "code_scanning", Ran: true, Available: true,
			LastError: `<script>alert('err')</script><img src=x onerror=alert(1)>`}},
		want: []string{
			`<td class="repo">&lt;script&gt;alert(&#34;repo&#34;)&lt;/script&gt;</td>`,
			`&lt;script&gt;alert(&#39;err&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;`,
		},
		notWant: []string{"<script", "<img"},
	}, {
		name: "empty state before the first collection",
		want: []string{"No collection has finished yet", `<meta http-equiv="refresh" content="10">`,
			`<a href="/metrics">Metrics</a>`, `<a href="/-/ready">Ready</a>`},
		notWant: []string{`<section class="org"`},
	}, {
		name: "explicit zeros and the repository inventory",
		metrics: []prometheus.Metric{
			cs("acme", "api", "high", "open", 2), cs("acme", "web", "", "open", 0), dep("acme", "web", "", "open", 0),
			info("acme", "api"), info("acme", "web"), info("acme", "docs"),
		},
		status:  allOK("acme"),
		want:    []string{"1 of 3 repositories have open alerts", cell("acme/all/open", "2")},
		notWant: []string{`data-repo="web"`, "<meta http-equiv"},
	}, {
		name:    "no open alerts",
		metrics: []prometheus.Metric{cs("acme", "api", "high", "fixed", 2)},
		status:  allOK("acme"),
		want:    []string{"No open alerts.", cell("acme/all/open", "0")},
	}, {
		name: "organizations in configuration order, then the others by name",
		metrics: []prometheus.Metric{
			cs("zeta", "api", "high", "open", 1), cs("alpha", "api", "high", "open", 1), cs("extra", "x", "low", "open", 1),
			prometheus.MustNewConstMetric(oldestOpen, prometheus.GaugeValue, float64(now.Add(-400*24*time.Hour).Unix()), "zeta", "api", "code_scanning", "high"),
			prometheus.MustNewConstMetric(oldestOpen, prometheus.GaugeValue, float64(now.Add(-5*24*time.Hour).Unix()), "zeta", "web", "code_scanning", "low"),
		},
		status:  append(allOK("zeta"), allOK("alpha")...),
		inOrder: []string{`id="org-zeta"`, "Oldest open alert: 400 days", `id="org-alpha"`, `id="org-extra"`},
	}, {
		name:    "a gathering error is shown with what was gathered",
		metrics: []prometheus.Metric{cs("acme", "api", "high", "open", 1)},
		status:  allOK("acme"),
		gatherer: func(g prometheus.Gatherer) prometheus.Gatherer {
			return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
				mfs, _ := g.Gather()
				return mfs, errors.New("collector xyz failed")
			})
		},
		want: []string{"Some metrics could not be gathered: collector xyz failed", cell("acme/all/open", "1")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(constMetrics(tt.metrics))
			var g prometheus.Gatherer = reg
			if tt.gatherer != nil {
				g = tt.gatherer(reg)
			}
			body := render(t, g, tt.status)
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("page holds %q", s)
				}
			}
			rest := body
			for _, s := range tt.inOrder {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Errorf("page lacks %q after the previous ones", s)
					continue
				}
				rest = rest[i+len(s):]
			}
			for _, s := range []string{"<script", "<img", "<link", ` src="`, "@import", "url("} {
				if strings.Contains(body, s) {
					t.Errorf("page loads something: holds %q", s)
				}
			}
			if t.Failed() {
				_, b, _ := strings.Cut(body, "<body>")
				t.Logf("page:\n%s", b)
			}
		})
	}
}

func newHandler(g prometheus.Gatherer, status []collector.SourceStatus) http.Handler {
	h := New(g, func() []collector.SourceStatus { return status }, Options{
		Name: "github-security-exporter", Version: "1.2.3",
		Links: []Link{{Text: "Ready", Address: "/-/ready"}},
	}).(*handler)
	h.now = func() time.Time { return now }
	return h
}

func render(t *testing.T, g prometheus.Gatherer, status []collector.SourceStatus) string {
	t.Helper()
	rec := httptest.NewRecorder()
	newHandler(g, status).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / answered %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func TestRoutes(t *testing.T) {
	h := newHandler(prometheus.NewRegistry(), nil)
	tests := []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodGet, "/?refresh=1", http.StatusOK},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/index.html", http.StatusNotFound},
		{http.MethodGet, "/metricz", http.StatusNotFound},
		{http.MethodGet, "/favicon.ico", http.StatusNotFound},
		{http.MethodGet, "/org/acme", http.StatusNotFound},
		{http.MethodGet, "/-/unknown", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.code {
				t.Fatalf("answered %d, want %d", rec.Code, tt.code)
			}
			if tt.code != http.StatusOK {
				return
			}
			for header, want := range map[string]string{
				"Content-Type":  "text/html; charset=utf-8",
				"Cache-Control": "no-store",
				// Spelled out, not the production constant: a weakened policy must fail here.
				// No scripts, no frames, nothing loaded from anywhere; inline styles only.
				"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
			} {
				if got := rec.Header().Get(header); got != want {
					t.Errorf("%s: %q, want %q", header, got, want)
				}
			}
			body, _ := io.ReadAll(rec.Body)
			if !strings.HasPrefix(string(body), "<!DOCTYPE html>") {
				t.Errorf("body does not start with a doctype: %.60q", body)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := count(in); got != want {
			t.Errorf("count(%v) = %q, want %q", in, got, want)
		}
	}
}
