package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// expectedFreshness computes github_code_scanning_last_analysis_timestamp_seconds of org:
// per repository and tool, the newest analysis of the default branch.
func expectedFreshness(sim *githubsim.Server, org string, keep func(string) bool) map[string]float64 {
	want := map[string]float64{}
	for _, a := range sim.CodeScanningAnalyses(org) {
		if !a.Default || !keep(a.Repo) {
			continue
		}
		k := seriesKey("github_code_scanning_last_analysis_timestamp_seconds", map[string]string{"org": org, "repository": a.Repo, "tool": a.Tool})
		want[k] = max(want[k], float64(a.CreatedAt.Unix()))
	}
	return want
}

// waitFor scrapes until cond holds; the bound only keeps a broken exporter from hanging
// the suite.
func (e *exporter) waitFor(t *testing.T, bound time.Duration, what string, cond func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	for {
		series, _ := e.scrape(t)
		if cond(series) {
			return series
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: not after %s; logs:\n%s", what, bound, e.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCodeScanningFreshness turns the code scanning analyses on, on a schedule of their
// own, for two organizations, and checks every series against the simulator's ground
// truth. Repositories without analyses are left out by the repository filter, so that
// every request of the analyses is conditional: runs after the first, with nothing
// changed, must get only 304s, which GitHub does not count against the rate limit.
func TestCodeScanningFreshness(t *testing.T) {
	orgs := []githubsim.OrgSpec{
		{Login: "fresh-one", Repos: 45, CodeScanning: 900, Dependabot: 100, SecretScanning: 20},
		{Login: "fresh-two", Repos: 12, CodeScanning: 120, Dependabot: 20, SecretScanning: 5},
	}
	sim := githubsim.New(githubsim.Config{Seed: 23, PathPrefix: "/api/v3", Orgs: orgs})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	var without []string
	kept := 0
	for _, o := range orgs {
		has := map[string]bool{}
		for _, a := range sim.CodeScanningAnalyses(o.Login) {
			has[a.Repo] = true
		}
		kept += len(has)
		for _, r := range sim.Repos(o.Login) {
			if !has[r] {
				without = append(without, regexp.QuoteMeta(r))
			}
		}
	}
	if len(without) == 0 {
		t.Fatal("every simulated repository has analyses")
	}
	exclude := strings.Join(without, "|")
	keep := func(repo string) bool { return !regexp.MustCompile("^(?:" + exclude + ")$").MatchString(repo) }
	// One run asks once for each kept repository with analyses. The pattern matches names
	// in both organizations, so a name without analyses in one leaves out the other's too.
	kept = 0
	for _, o := range orgs {
		for _, r := range sim.Repos(o.Login) {
			if keep(r) {
				kept++
			}
		}
	}

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+orgs[0].Login, "--github.org="+orgs[1].Login,
		"--github.api-url="+srv.URL+"/api/v3/",
		"--collector.schedule=@every 1h",
		"--collector.code-scanning-analyses",
		"--collector.code-scanning-analyses.schedule=@every 2s",
		"--repositories.exclude="+exclude,
		"--github.requests-per-second=200",
	)
	e.waitReady(t, 3*time.Minute)
	lastSuccess := func(series map[string]float64) float64 {
		return series[seriesKey("github_exporter_last_success_timestamp_seconds", map[string]string{"org": orgs[1].Login, "collector": "code_scanning_analyses"})]
	}
	series := e.waitFor(t, time.Minute, "the first collection of the analyses", func(s map[string]float64) bool { return lastSuccess(s) > 0 })
	for _, o := range orgs {
		if d := diff(expectedFreshness(sim, o.Login, keep), ofOrg(family(series, "github_code_scanning_last_analysis_timestamp_seconds"), o.Login), 20); len(d) > 0 {
			t.Errorf("%s: freshness differs from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
		}
		labels := map[string]string{"org": o.Login, "collector": "code_scanning_analyses"}
		if v := series[seriesKey("github_exporter_collection_success", labels)]; v != 1 {
			t.Errorf("collection_success%v = %v, want 1", labels, v)
		}
	}

	// Nothing changes: the next runs cost only 304s.
	before, remaining := sim.Stats(), series[seriesKey("github_exporter_rate_limit_remaining", map[string]string{"resource": "core"})]
	first := lastSuccess(series)
	var second float64
	series = e.waitFor(t, time.Minute, "two more collections of the analyses", func(s map[string]float64) bool {
		if second == 0 && lastSuccess(s) > first {
			second = lastSuccess(s)
		}
		return second > 0 && lastSuccess(s) > second
	})
	after := sim.Stats()
	answers := map[int]int{}
	for code, n := range after.ByStatus {
		answers[code] = n - before.ByStatus[code]
	}
	if answers[http.StatusOK] != 0 || answers[http.StatusNotFound] != 0 || answers[http.StatusNotModified] < kept {
		t.Errorf("answers during runs without change: %v; want only 304s, at least %d", answers, kept)
	}
	if v := series[seriesKey("github_exporter_rate_limit_remaining", map[string]string{"resource": "core"})]; v != remaining {
		t.Errorf("rate_limit_remaining{resource=core} went from %v to %v over runs of 304s", remaining, v)
	}
	for _, o := range orgs {
		if d := diff(expectedFreshness(sim, o.Login, keep), ofOrg(family(series, "github_code_scanning_last_analysis_timestamp_seconds"), o.Login), 20); len(d) > 0 {
			t.Errorf("%s: after the 304s, freshness differs from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
		}
	}
}

// TestDemoShowsFreshness checks that --demo collects the code scanning analyses too.
func TestDemoShowsFreshness(t *testing.T) {
	e := start(t, []string{"GITHUB_TOKEN=", "GITHUB_ORGS="}, "--demo")
	e.waitReady(t, time.Minute)
	e.waitFor(t, time.Minute, "code scanning freshness in the demo", func(s map[string]float64) bool {
		return len(family(s, "github_code_scanning_last_analysis_timestamp_seconds")) > 0
	})
}
