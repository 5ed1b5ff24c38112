package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// expected222 computes the code scanning and secret scanning series of org on Enterprise
// Server 2.22, explicit zeros included: that release sends no security severity, so a
// code scanning alert counts under its rule's severity.
func expected222(sim *githubsim.Server, org string) map[string]float64 {
	want := map[string]float64{}
	for k, v := range family(expected(sim, org), "github_secret_scanning_alerts") {
		want[k] = v
	}
	for _, a := range sim.CodeScanningAlerts(org) {
		want[seriesKey("github_code_scanning_alerts", map[string]string{
			"org": org, "repository": a.Repo, "tool": a.Tool,
			"severity": firstOf(a.RuleSeverity, "none"), "state": firstOf(a.State, "unknown"),
		})]++
	}
	zeros := expectedZeros(sim, org, func(githubsim.Repository) bool { return true })
	for _, name := range []string{"github_code_scanning_alerts", "github_secret_scanning_alerts"} {
		for k, v := range family(zeros, name) {
			want[k] = v
		}
	}
	return want
}

// TestEnterpriseServer222 runs the exporter on two organizations of a GitHub Enterprise
// Server 2.22: no organization-level code scanning listing (so the exporter walks each
// repository of the GraphQL inventory), page-number pagination, that release's payloads,
// and no Dependabot alerts API. Code scanning and secret scanning must match the ground
// truth; Dependabot must be reported as not available, with no counts.
func TestEnterpriseServer222(t *testing.T) {
	orgs := []githubsim.OrgSpec{
		{Login: "ghes-one", Repos: 40, CodeScanning: 1400, Dependabot: 500, SecretScanning: 260},
		{Login: "ghes-two", Repos: 9, CodeScanning: 150, Dependabot: 80, SecretScanning: 30},
	}
	sim := githubsim.New(githubsim.Config{Seed: 22, Enterprise: githubsim.Enterprise222, Orgs: orgs})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+orgs[0].Login, "--github.org="+orgs[1].Login,
		"--github.api-url="+srv.URL+"/api/v3/", // GraphQL derived: /api/graphql
		"--collector.schedule=@every 1h",
		"--github.requests-per-second=200",
	)
	e.waitReady(t, 3*time.Minute)
	series, _ := e.scrape(t)

	for _, o := range orgs {
		got := map[string]float64{}
		for _, name := range []string{"github_code_scanning_alerts", "github_secret_scanning_alerts"} {
			for k, v := range ofOrg(family(series, name), o.Login) {
				got[k] = v
			}
		}
		if d := diff(expected222(sim, o.Login), got, 20); len(d) > 0 {
			t.Errorf("%s: series differ from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
		}
		for c, want := range map[string][2]float64{ // success, available
			"repositories": {1, 1}, "code_scanning": {1, 1}, "secret_scanning": {1, 1}, "dependabot": {0, 0},
		} {
			labels := map[string]string{"org": o.Login, "collector": c}
			success, available := series[seriesKey("github_exporter_collection_success", labels)], series[seriesKey("github_exporter_source_available", labels)]
			if success != want[0] || available != want[1] {
				t.Errorf("%s %s: collection_success %v, source_available %v; want %v, %v", o.Login, c, success, available, want[0], want[1])
			}
		}
		if n := len(ofOrg(family(series, "github_dependabot_alerts"), o.Login)); n != 0 {
			t.Errorf("%s: %d Dependabot series from a server without Dependabot alerts", o.Login, n)
		}
	}
	st := sim.Stats()
	if st.ByEndpoint["/repos/{owner}/{repo}/code-scanning/alerts"] == 0 {
		t.Error("no per-repository code scanning request")
	}
}
