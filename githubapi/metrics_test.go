package githubapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestTransportMetrics(t *testing.T) {
	limits := func(remaining string) map[string]string {
		return map[string]string{
			"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": remaining, "X-Ratelimit-Used": "1",
			"X-Ratelimit-Reset": resetAt(10 * time.Minute), "X-Ratelimit-Resource": "core",
		}
	}
	srv := newFakeGitHub(t)
	srv.on("/orgs/acme/dependabot/alerts",
		reply{status: 403, header: map[string]string{"Retry-After": "2", "X-Ratelimit-Remaining": "4001"}, body: secondaryMessage},
		reply{header: limits("4000"), body: `[]`})
	srv.on("/orgs/acme/secret-scanning/alerts", reply{status: 404, header: limits("3999"), body: `{"message":"Not Found"}`})
	srv.on("/orgs/acme/code-scanning/alerts", reply{hangup: true})
	srv.on("/graphql", reply{header: map[string]string{
		"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4990", "X-Ratelimit-Reset": resetAt(time.Hour), "X-Ratelimit-Resource": "graphql",
	}, body: `{}`})
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	clock := newFakeClock()
	client := &http.Client{Transport: testTransport(clock, TransportOptions{Metrics: m, MaxRetries: 1, RetryBaseDelay: 3 * time.Second})}
	for _, r := range []struct{ endpoint, path string }{
		{testEndpoint, "/orgs/acme/dependabot/alerts"},
		{"/orgs/{org}/secret-scanning/alerts", "/orgs/acme/secret-scanning/alerts"},
		{"/orgs/{org}/code-scanning/alerts", "/orgs/acme/code-scanning/alerts"},
		{"graphql", "/graphql"},
	} {
		req, _ := http.NewRequestWithContext(WithEndpoint(t.Context(), r.endpoint), http.MethodGet, srv.URL+r.path, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 2 || sleeps[0] != 2*time.Second {
		t.Fatalf("waits = %v, want retry-after's 2s, then a network backoff", sleeps)
	}
	// The network backoff is random. The counter adds each wait's seconds in turn, so
	// the expected value is summed the same way: (a+b).Seconds() may differ in the last bit.
	waited := sleeps[0].Seconds() + sleeps[1].Seconds()

	want := `
# HELP github_exporter_api_requests_total HTTP requests sent to the GitHub API, by route and HTTP status code (error: no response).
# TYPE github_exporter_api_requests_total counter
github_exporter_api_requests_total{code="200",route="/orgs/{org}/dependabot/alerts"} 1
github_exporter_api_requests_total{code="403",route="/orgs/{org}/dependabot/alerts"} 1
github_exporter_api_requests_total{code="404",route="/orgs/{org}/secret-scanning/alerts"} 1
github_exporter_api_requests_total{code="error",route="/orgs/{org}/code-scanning/alerts"} 2
github_exporter_api_requests_total{code="200",route="graphql"} 1
# HELP github_exporter_api_retries_total GitHub API requests retried, by route and reason.
# TYPE github_exporter_api_retries_total counter
github_exporter_api_retries_total{reason="network",route="/orgs/{org}/code-scanning/alerts"} 1
github_exporter_api_retries_total{reason="secondary_rate_limit",route="/orgs/{org}/dependabot/alerts"} 1
# HELP github_exporter_rate_limit_remaining GitHub API requests (or points) left in the current rate-limit window, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_remaining gauge
github_exporter_rate_limit_remaining{resource="core"} 3999
github_exporter_rate_limit_remaining{resource="graphql"} 4990
# HELP github_exporter_rate_limit_limit GitHub API rate limit of the token, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_limit gauge
github_exporter_rate_limit_limit{resource="core"} 5000
github_exporter_rate_limit_limit{resource="graphql"} 5000
# HELP github_exporter_rate_limit_reset_timestamp_seconds Time at which the current GitHub API rate-limit window resets, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_reset_timestamp_seconds gauge
github_exporter_rate_limit_reset_timestamp_seconds{resource="core"} 1.7000006e+09
github_exporter_rate_limit_reset_timestamp_seconds{resource="graphql"} 1.7000036e+09
# HELP github_exporter_rate_limit_reserve Requests of each rate-limit resource the exporter leaves unspent: at or below it, it pauses until the reset (--github.rate-limit-reserve; -1: no reserve).
# TYPE github_exporter_rate_limit_reserve gauge
github_exporter_rate_limit_reserve 100
# HELP github_exporter_rate_limit_wait_seconds_total Seconds spent paused before GitHub API requests because of rate limits and retry backoff.
# TYPE github_exporter_rate_limit_wait_seconds_total counter
github_exporter_rate_limit_wait_seconds_total WAITED
# HELP github_exporter_api_backoff_seconds_total Seconds spent paused before GitHub API requests, by reason: secondary_rate_limit, primary_rate_limit, server_error, network (retry backoff) or rate_limit_reserve (waiting for the reset while the rate limit is down to the reserve).
# TYPE github_exporter_api_backoff_seconds_total counter
github_exporter_api_backoff_seconds_total{reason="network"} NETWORK
github_exporter_api_backoff_seconds_total{reason="secondary_rate_limit"} 2
`
	want = strings.Replace(want, "WAITED", strconv.FormatFloat(waited, 'g', -1, 64), 1)
	want = strings.Replace(want, "NETWORK", strconv.FormatFloat(sleeps[1].Seconds(), 'g', -1, 64), 1)
	if err := testutil.CollectAndCompare(m.requests, strings.NewReader(want), "github_exporter_api_requests_total"); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(m.remaining, strings.NewReader(want), "github_exporter_rate_limit_remaining"); err != nil {
		t.Error(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"github_exporter_api_requests_total", "github_exporter_api_retries_total", "github_exporter_rate_limit_remaining",
		"github_exporter_rate_limit_limit", "github_exporter_rate_limit_reset_timestamp_seconds",
		"github_exporter_rate_limit_reserve", "github_exporter_rate_limit_wait_seconds_total", "github_exporter_api_backoff_seconds_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.duration); n != 4 {
		t.Errorf("duration histograms for %d endpoints, want 4", n)
	}
	for _, c := range []prometheus.Collector{m.requests, m.retries, m.duration, m.limit, m.remaining, m.reset, m.waited, m.backoff} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil || len(problems) > 0 {
			t.Errorf("lint: %v %v", err, problems)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

func TestSetRateLimit(t *testing.T) {
	m := NewMetrics(nil)
	m.SetRateLimit("graphql", 5000, 4321, time.Unix(1_700_003_600, 0))
	want := `
# HELP github_exporter_rate_limit_remaining GitHub API requests (or points) left in the current rate-limit window, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_remaining gauge
github_exporter_rate_limit_remaining{resource="graphql"} 4321
# HELP github_exporter_rate_limit_limit GitHub API rate limit of the token, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_limit gauge
github_exporter_rate_limit_limit{resource="graphql"} 5000
# HELP github_exporter_rate_limit_reset_timestamp_seconds Time at which the current GitHub API rate-limit window resets, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_reset_timestamp_seconds gauge
github_exporter_rate_limit_reset_timestamp_seconds{resource="graphql"} 1.7000036e+09
`
	for name, c := range map[string]prometheus.Collector{
		"github_exporter_rate_limit_remaining":               m.remaining,
		"github_exporter_rate_limit_limit":                   m.limit,
		"github_exporter_rate_limit_reset_timestamp_seconds": m.reset,
	} {
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), name); err != nil {
			t.Error(err)
		}
	}
}

func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.SetRateLimit("core", 1, 1, time.Now()) // must not panic
	srv := newFakeGitHub(t, reply{status: 502}, reply{status: 403, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(time.Second)}}, reply{body: `[]`})
	clock := newFakeClock()
	client := &http.Client{Transport: testTransport(clock, TransportOptions{Metrics: m})}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil) // no endpoint: "unknown"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(clock.Sleeps()) != 2 {
		t.Errorf("status %d after waits %v, want 200 after 2 waits", resp.StatusCode, clock.Sleeps())
	}
}
