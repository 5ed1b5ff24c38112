package e2e

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// alertFamilies are the alert-count families and the number of labels each has after
// org: repository first, state last.
var alertFamilies = []struct {
	name   string
	labels []string
}{
	{"github_code_scanning_alerts", []string{"repository", "tool", "severity", "state"}},
	{"github_dependabot_alerts", []string{"repository", "ecosystem", "scope", "severity", "state"}},
	{"github_secret_scanning_alerts", []string{"repository", "secret_type", "validity", "resolution", "kind", "state"}},
}

// expectedInventory computes github_repository_info of org for the repositories keep passes.
func expectedInventory(sim *githubsim.Server, org string, keep func(githubsim.Repository) bool) map[string]float64 {
	want := map[string]float64{}
	for _, r := range sim.Repositories(org) {
		if keep(r) {
			want[seriesKey("github_repository_info", map[string]string{
				"org": org, "repository": r.Name, "visibility": strings.ToLower(r.Visibility),
				"archived": strconv.FormatBool(r.Archived), "fork": strconv.FormatBool(r.Fork), "language": r.Language,
			})] = 1
		}
	}
	return want
}

// openRepos returns, per alert family, the repositories of org with an open alert.
func openRepos(sim *githubsim.Server, org string) map[string]map[string]bool {
	open := map[string]map[string]bool{}
	for _, f := range alertFamilies {
		open[f.name] = map[string]bool{}
	}
	for _, a := range sim.CodeScanningAlerts(org) {
		open["github_code_scanning_alerts"][a.Repo] = open["github_code_scanning_alerts"][a.Repo] || a.State == "open"
	}
	for _, a := range sim.DependabotAlerts(org) {
		open["github_dependabot_alerts"][a.Repo] = open["github_dependabot_alerts"][a.Repo] || a.State == "open"
	}
	for _, a := range sim.SecretScanningAlerts(org) {
		open["github_secret_scanning_alerts"][a.Repo] = open["github_secret_scanning_alerts"][a.Repo] || a.State == "open"
	}
	return open
}

// expectedZeros computes the explicit zeros of org: in each alert family, a 0 under
// state="open" and empty other labels for every kept repository without an open alert.
func expectedZeros(sim *githubsim.Server, org string, keep func(githubsim.Repository) bool) map[string]float64 {
	want := map[string]float64{}
	open := openRepos(sim, org)
	for _, r := range sim.Repositories(org) {
		for _, f := range alertFamilies {
			if !keep(r) || open[f.name][r.Name] {
				continue
			}
			labels := map[string]string{"org": org, "state": "open"}
			for _, l := range f.labels[:len(f.labels)-1] {
				labels[l] = ""
			}
			labels["repository"] = r.Name
			want[seriesKey(f.name, labels)] = 0
		}
	}
	return want
}

// onlyKept drops the series of repositories keep leaves out.
func onlyKept(series map[string]float64, repos []githubsim.Repository, keep func(githubsim.Repository) bool) map[string]float64 {
	out := map[string]float64{}
	for k, v := range series {
		dropped := false
		for _, r := range repos {
			if !keep(r) && strings.Contains(k, "repository="+strconv.Quote(r.Name)+",") {
				dropped = true
				break
			}
		}
		if !dropped {
			out[k] = v
		}
	}
	return out
}

func ofOrg(series map[string]float64, org string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range series {
		if strings.Contains(k, "org="+strconv.Quote(org)) {
			out[k] = v
		}
	}
	return out
}

// TestRepositoryInventory runs the exporter on two organizations of an Enterprise Server
// style API (so the GraphQL URL /api/graphql is derived from /api/v3/) and checks every
// github_repository_info series, every alert count and every explicit zero against the
// simulator's ground truth; then again with archived and some named repositories left out,
// which must appear in no family at all.
func TestRepositoryInventory(t *testing.T) {
	orgs := []githubsim.OrgSpec{
		{Login: "inventory-one", Repos: 140, CodeScanning: 700, Dependabot: 900, SecretScanning: 120},
		{Login: "inventory-two", Repos: 30, CodeScanning: 90, Dependabot: 150, SecretScanning: 15},
	}
	sim := githubsim.New(githubsim.Config{Seed: 11, PathPrefix: "/api/v3", Orgs: orgs})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	checkDataCoversCases(t, sim)

	const exclude = ".*-service|docs|blog"
	excluded := regexp.MustCompile("^(?:" + exclude + ")$")
	tests := []struct {
		name string
		args []string
		keep func(githubsim.Repository) bool
	}{
		{"every repository", nil, func(githubsim.Repository) bool { return true }},
		{"archived and excluded left out", []string{"--repositories.skip-archived", "--repositories.exclude=" + exclude},
			func(r githubsim.Repository) bool { return !r.Archived && !excluded.MatchString(r.Name) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			graphqlBefore := sim.Stats().ByEndpoint["/graphql"]
			args := append([]string{
				"--github.org=" + orgs[0].Login, "--github.org=" + orgs[1].Login,
				"--github.api-url=" + srv.URL + "/api/v3/",
				"--collector.schedule=@every 1h",
				"--github.requests-per-second=200",
			}, tt.args...)
			e := start(t, []string{"GITHUB_TOKEN=" + token}, args...)
			e.waitReady(t, 3*time.Minute)
			series, body := e.scrape(t)

			for _, o := range orgs {
				repos := sim.Repositories(o.Login)
				if d := diff(expectedInventory(sim, o.Login, tt.keep), ofOrg(family(series, "github_repository_info"), o.Login), 20); len(d) > 0 {
					t.Errorf("%s: github_repository_info differs from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
				}
				want := onlyKept(expected(sim, o.Login), repos, tt.keep)
				for k, v := range expectedZeros(sim, o.Login, tt.keep) {
					want[k] = v
				}
				got := map[string]float64{}
				for _, f := range alertFamilies {
					for k, v := range ofOrg(family(series, f.name), o.Login) {
						got[k] = v
					}
				}
				if d := diff(want, got, 20); len(d) > 0 {
					t.Errorf("%s: alert counts and explicit zeros differ from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
				}
				oldest := onlyKept(expectedOldest(sim, o.Login), repos, tt.keep)
				if d := diff(oldest, ofOrg(family(series, "github_alerts_oldest_open_timestamp_seconds"), o.Login), 20); len(d) > 0 {
					t.Errorf("%s: oldest open alert times differ:\n%s", o.Login, strings.Join(d, "\n"))
				}
				for _, r := range repos {
					if tt.keep(r) {
						continue
					}
					for k := range series {
						if strings.Contains(k, "org="+strconv.Quote(o.Login)) && strings.Contains(k, "repository="+strconv.Quote(r.Name)+",") {
							t.Errorf("left-out repository %s/%s in %s", o.Login, r.Name, k)
						}
					}
				}
				labels := map[string]string{"org": o.Login, "collector": "repositories"}
				if v := series[seriesKey("github_exporter_collection_success", labels)]; v != 1 {
					t.Errorf("collection_success%v = %v, want 1", labels, v)
				}
			}

			// One page per 100 repositories, a point each, on the token's graphql budget.
			pages := float64(sim.Stats().ByEndpoint["/graphql"] - graphqlBefore)
			if pages != 3 {
				t.Errorf("%v GraphQL requests, want 3 (2 pages and 1)", pages)
			}
			if v := series[seriesKey("github_exporter_api_requests_total", map[string]string{"route": "graphql", "code": "200"})]; v != pages {
				t.Errorf("api_requests_total{endpoint=graphql,code=200} = %v, want %v", v, pages)
			}
			remaining := series[seriesKey("github_exporter_rate_limit_remaining", map[string]string{"resource": "graphql"})]
			if used := float64(sim.Stats().ByEndpoint["/graphql"]); remaining != 5000-used {
				t.Errorf("rate_limit_remaining{resource=graphql} = %v, want %v", remaining, 5000-used)
			}
			if _, ok := series[seriesKey("github_exporter_rate_limit_reset_timestamp_seconds", map[string]string{"resource": "graphql"})]; !ok {
				t.Error("no rate_limit_reset_timestamp_seconds{resource=graphql}")
			}
			if strings.Contains(body, token) || strings.Contains(e.Logs(), token) {
				t.Error("the token appears in the metrics or the logs")
			}
		})
	}
}

// checkDataCoversCases makes sure the simulated organizations hold every case the test
// is about: archived repositories and excluded ones with alerts, repositories with only
// closed alerts of a family, and repositories with none.
func checkDataCoversCases(t *testing.T, sim *githubsim.Server) {
	t.Helper()
	cases := map[string]int{}
	for _, org := range sim.Orgs() {
		open := openRepos(sim, org)
		alerts := expected(sim, org)
		for _, r := range sim.Repositories(org) {
			hasAlerts := false
			for k := range alerts {
				hasAlerts = hasAlerts || strings.Contains(k, "repository="+strconv.Quote(r.Name)+",")
			}
			if r.Archived && hasAlerts {
				cases["archived with alerts"]++
			}
			if strings.HasSuffix(r.Name, "-service") && hasAlerts {
				cases["excluded with alerts"]++
			}
			if r.Fork {
				cases["fork"]++
			}
			if r.Language == "" {
				cases["no language"]++
			}
			cases[r.Visibility]++
			for _, f := range alertFamilies {
				closed := false
				for k := range family(alerts, f.name) {
					closed = closed || strings.Contains(k, "repository="+strconv.Quote(r.Name)+",")
				}
				switch {
				case closed && !open[f.name][r.Name]:
					cases["only closed alerts"]++
				case !closed:
					cases["no alerts"]++
				}
			}
		}
	}
	for _, c := range []string{"archived with alerts", "excluded with alerts", "fork", "no language", "PUBLIC", "PRIVATE", "INTERNAL", "only closed alerts", "no alerts"} {
		if cases[c] == 0 {
			t.Fatalf("the simulated organizations have no case of %q: %v", c, cases)
		}
	}
}
