package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

const token = "ghp_e2eSecretTokenThatMustNeverLeak0000"

// expected computes, from the simulator's own records and the mapping the issue states,
// every alert-count series the exporter must serve for org.
func expected(sim *githubsim.Server, org string) map[string]float64 {
	want := map[string]float64{}
	for _, a := range sim.CodeScanningAlerts(org) {
		severity := firstOf(a.SecuritySeverity, a.RuleSeverity, "none")
		want[seriesKey("github_code_scanning_alerts", map[string]string{
			"org": org, "repository": a.Repo, "tool": firstOf(a.Tool, "unknown"),
			"severity": severity, "state": firstOf(a.State, "unknown"),
		})]++
	}
	for _, a := range sim.DependabotAlerts(org) {
		severity := strings.ToLower(a.Severity)
		if severity == "moderate" {
			severity = "medium"
		}
		want[seriesKey("github_dependabot_alerts", map[string]string{
			"org": org, "repository": a.Repo, "ecosystem": a.Ecosystem,
			"scope": firstOf(a.Scope, "unknown"), "severity": severity, "state": a.State,
		})]++
	}
	for _, a := range sim.SecretScanningAlerts(org) {
		resolution, kind := a.Resolution, "default"
		if a.State == "open" {
			resolution = ""
		}
		if a.Generic {
			kind = "generic"
		}
		want[seriesKey("github_secret_scanning_alerts", map[string]string{
			"org": org, "repository": a.Repo, "secret_type": a.SecretType,
			"validity": firstOf(a.Validity, "unknown"), "resolution": resolution, "kind": kind, "state": a.State,
		})]++
	}
	return want
}

// expectedOldest computes github_alerts_oldest_open_timestamp_seconds for org.
func expectedOldest(sim *githubsim.Server, org string) map[string]float64 {
	want := map[string]float64{}
	observe := func(repo, family, severity string, created time.Time) {
		k := seriesKey("github_alerts_oldest_open_timestamp_seconds", map[string]string{
			"org": org, "repository": repo, "family": family, "severity": severity,
		})
		if cur, ok := want[k]; !ok || float64(created.Unix()) < cur {
			want[k] = float64(created.Unix())
		}
	}
	for _, a := range sim.CodeScanningAlerts(org) {
		if a.State == "open" {
			observe(a.Repo, "code_scanning", firstOf(a.SecuritySeverity, a.RuleSeverity, "none"), a.CreatedAt)
		}
	}
	for _, a := range sim.DependabotAlerts(org) {
		if a.State == "open" {
			observe(a.Repo, "dependabot", a.Severity, a.CreatedAt)
		}
	}
	for _, a := range sim.SecretScanningAlerts(org) {
		if a.State == "open" {
			observe(a.Repo, "secret_scanning", "", a.CreatedAt)
		}
	}
	return want
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// TestCollectsEveryAlertThroughFaults walks an Enterprise Server style API of a large
// organization while the server answers with a secondary rate limit and a 502 mid-walk,
// and checks every exported series against the simulator's ground truth.
func TestCollectsEveryAlertThroughFaults(t *testing.T) {
	const org = "e2e-org"
	sim := githubsim.New(githubsim.Config{
		Seed:       7,
		PathPrefix: "/api/v3",
		Orgs: []githubsim.OrgSpec{{
			Login: org, Repos: 60, CodeScanning: 2600, Dependabot: 2100, SecretScanning: 700,
		}},
	})
	sim.InjectFault(githubsim.Fault{Path: "dependabot", After: 5, Kind: githubsim.SecondaryRateLimit, RetryAfter: 1})
	sim.InjectFault(githubsim.Fault{Path: "code-scanning", After: 10, Kind: githubsim.BadGateway})
	sim.InjectFault(githubsim.Fault{Path: "secret-scanning", After: 3, Kind: githubsim.TooManyRequests, RetryAfter: 1})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+org,
		"--github.api-url="+srv.URL+"/api/v3/",
		"--collector.schedule=@every 1h",
		"--github.requests-per-second=200",
		"--log.level=debug",
	)
	e.waitReady(t, 3*time.Minute)
	series, body := e.scrape(t)

	want := expected(sim, org)
	for k, v := range expectedZeros(sim, org, func(githubsim.Repository) bool { return true }) {
		want[k] = v // the inventory's explicit zeros (inventory_test.go)
	}
	if total := len(sim.CodeScanningAlerts(org)) + len(sim.DependabotAlerts(org)) + len(sim.SecretScanningAlerts(org)); total < 5000 {
		t.Fatalf("simulated organization too small: %d alerts", total)
	}
	got := map[string]float64{}
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts"} {
		for k, v := range family(series, name) {
			got[k] = v
		}
	}
	if d := diff(want, got, 20); len(d) > 0 {
		t.Errorf("alert counts differ from the simulator's ground truth:\n%s", strings.Join(d, "\n"))
	}
	if d := diff(expectedOldest(sim, org), family(series, "github_alerts_oldest_open_timestamp_seconds"), 20); len(d) > 0 {
		t.Errorf("oldest open alert times differ:\n%s", strings.Join(d, "\n"))
	}

	for _, c := range []string{"code_scanning", "dependabot", "secret_scanning"} {
		labels := map[string]string{"org": org, "collector": c}
		if v := series[seriesKey("github_exporter_collection_success", labels)]; v != 1 {
			t.Errorf("collection_success{collector=%q} = %v, want 1", c, v)
		}
		if v := series[seriesKey("github_exporter_last_success_timestamp_seconds", labels)]; v < float64(time.Now().Add(-10*time.Minute).Unix()) {
			t.Errorf("last_success_timestamp_seconds{collector=%q} = %v, not recent", c, v)
		}
	}
	pages := func(n int) float64 { return float64((n + 99) / 100) }
	// A first full walk reads every page and, per listing, the head of the listing sorted
	// by update for the high-water mark of later incremental walks. Secret scanning has
	// two listings: the default one and the generic types' (empty here: one page).
	wantPages := pages(len(sim.CodeScanningAlerts(org))) + pages(len(sim.DependabotAlerts(org))) + pages(len(sim.SecretScanningAlerts(org))) + 3 + 2
	var ok200 float64
	for k, v := range family(series, "github_exporter_api_requests_total") {
		if strings.Contains(k, `code="200"`) && strings.Contains(k, `/alerts"`) { // the alert listings' pages only
			ok200 += v
		}
	}
	if ok200 != wantPages {
		t.Errorf("successful requests = %v, want exactly one per page and one per family: %v", ok200, wantPages)
	}
	for code, min := range map[string]float64{"403": 1, "429": 1, "502": 1} {
		var n float64
		for k, v := range family(series, "github_exporter_api_requests_total") {
			if strings.Contains(k, `code="`+code+`"`) {
				n += v
			}
		}
		if n < min {
			t.Errorf("api_requests_total{code=%q} = %v, want at least %v", code, n, min)
		}
	}
	for _, reason := range []string{"secondary_rate_limit", "server_error"} {
		var n float64
		for k, v := range family(series, "github_exporter_api_retries_total") {
			if strings.Contains(k, `reason="`+reason+`"`) {
				n += v
			}
		}
		if n < 1 {
			t.Errorf("no retries counted for reason %s", reason)
		}
	}
	if v, ok := series[seriesKey("github_exporter_rate_limit_remaining", map[string]string{"resource": "core"})]; !ok || v <= 0 || v >= 5000 {
		t.Errorf("rate_limit_remaining{resource=core} = %v (present %v), want the simulator's budget after the walk", v, ok)
	}
	if strings.Contains(body, token) || strings.Contains(e.Logs(), token) {
		t.Error("the token appears in the metrics or the logs")
	}
}
