package collector

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// clientsFor returns a Config with REST and GraphQL clients for the GitHub at base, on
// one Transport as in production, and the registry of its API-usage metrics. The
// transport neither retries nor keeps a reserve, so a spent budget fails at once.
func clientsFor(t *testing.T, base string, orgs ...string) (Config, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	metrics := githubapi.NewMetrics(reg)
	hc := &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{
		Base:              &githubapi.TokenTransport{Token: "test-token"},
		RequestsPerSecond: 1000, MaxRetries: -1, Reserve: -1, Metrics: metrics,
	})}
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: base, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	gqlURL, err := githubapi.GraphQLURL(base)
	if err != nil {
		t.Fatal(err)
	}
	gql, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: gqlURL, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Client: gh, GraphQL: gql, Metrics: metrics, Orgs: orgs}, reg
}

// serveGitHub runs h for the test and returns its base URL, with a trailing slash.
func serveGitHub(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

var inventoryNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func inventorySim(rateLimit int, orgs ...githubsim.OrgSpec) *githubsim.Server {
	return githubsim.New(githubsim.Config{Seed: 3, Orgs: orgs, RateLimit: rateLimit, Now: func() time.Time { return inventoryNow }})
}

const repositoryInfoHeader = `
# HELP github_repository_info Repositories of the organization that pass the repository filter, with visibility, archived and fork flags and primary language; always 1, refreshed on schedule.
# TYPE github_repository_info gauge
`

// wantInfo is github_repository_info as the simulator's ground truth says, for the
// repositories keep passes.
func wantInfo(sim *githubsim.Server, org string, keep func(githubsim.Repository) bool) string {
	var b strings.Builder
	b.WriteString(repositoryInfoHeader)
	for _, r := range sim.Repositories(org) {
		if keep(r) {
			fmt.Fprintf(&b, "github_repository_info{archived=%q,fork=%q,language=%q,org=%q,repository=%q,visibility=%q} 1\n",
				strconv.FormatBool(r.Archived), strconv.FormatBool(r.Fork), r.Language, org, r.Name, strings.ToLower(r.Visibility))
		}
	}
	return b.String()
}

func TestInventoryListsEveryRepository(t *testing.T) {
	sim := inventorySim(0, githubsim.OrgSpec{Login: "acme", Repos: 230, Dependabot: 50})
	cfg, reg := clientsFor(t, serveGitHub(t, sim), "acme")
	cfg.Sources = []string{"repositories"}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())

	var archived, forks, noLanguage int
	for _, r := range sim.Repositories("acme") {
		archived, forks = archived+boolInt(r.Archived), forks+boolInt(r.Fork)
		noLanguage += boolInt(r.Language == "")
	}
	if archived == 0 || forks == 0 || noLanguage == 0 {
		t.Fatalf("the simulated organization lacks a case: %d archived, %d forks, %d without language", archived, forks, noLanguage)
	}
	if err := testutil.CollectAndCompare(e, strings.NewReader(wantInfo(sim, "acme", func(githubsim.Repository) bool { return true })), "github_repository_info"); err != nil {
		t.Error(err)
	}
	if problems, err := lintProblems(e); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	// Three pages of one point each; the rateLimit object and the headers agree.
	reset := strconv.FormatInt(inventoryNow.Add(time.Hour).Unix(), 10)
	want := `
# HELP github_exporter_rate_limit_limit GitHub API rate limit of the token, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_limit gauge
github_exporter_rate_limit_limit{resource="graphql"} 5000
# HELP github_exporter_rate_limit_remaining GitHub API requests (or points) left in the current rate-limit window, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_remaining gauge
github_exporter_rate_limit_remaining{resource="graphql"} 4997
# HELP github_exporter_rate_limit_reset_timestamp_seconds Time at which the current GitHub API rate-limit window resets, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_reset_timestamp_seconds gauge
github_exporter_rate_limit_reset_timestamp_seconds{resource="graphql"} ` + reset + `
# HELP github_exporter_api_requests_total HTTP requests sent to the GitHub API, by route and HTTP status code (error: no response).
# TYPE github_exporter_api_requests_total counter
github_exporter_api_requests_total{code="200",route="graphql"} 3
`
	if err := testutil.CollectAndCompare(reg, strings.NewReader(want), "github_exporter_rate_limit_limit",
		"github_exporter_rate_limit_remaining", "github_exporter_rate_limit_reset_timestamp_seconds", "github_exporter_api_requests_total"); err != nil {
		t.Error(err)
	}
}

// The hand-made organization of the filter tests: a repository with open alerts, one
// with only closed alerts, one with none, an archived one, a fork and a scratch one.
const (
	inventoryPage = `{"data":{"organization":{"repositories":{"nodes":[
 {"name":"api","isArchived":false,"isFork":false,"visibility":"PUBLIC","primaryLanguage":{"name":"Go"}},
 {"name":"web","isArchived":false,"isFork":false,"visibility":"PRIVATE","primaryLanguage":{"name":"JavaScript"}},
 {"name":"empty","isArchived":false,"isFork":false,"visibility":"INTERNAL","primaryLanguage":null},
 {"name":"old-api","isArchived":true,"isFork":false,"visibility":"PRIVATE","primaryLanguage":{"name":"Java"}},
 {"name":"fork-lib","isArchived":false,"isFork":true,"visibility":"PUBLIC","primaryLanguage":{"name":"C#"}},
 {"name":"scratch-1","isArchived":false,"isFork":false,"visibility":"PRIVATE","primaryLanguage":{"name":"Python"}}
],"pageInfo":{"hasNextPage":false,"endCursor":"Y3Vyc29yOnYyOjY="}}},
"rateLimit":{"cost":1,"limit":5000,"remaining":4321,"resetAt":"2026-03-01T13:00:00Z"}}}`
	dependabotPage = `[
 {"number":1,"state":"open","dependency":{"package":{"ecosystem":"go"},"scope":"runtime"},"security_advisory":{"severity":"high"},"repository":{"name":"api"}},
 {"number":2,"state":"fixed","dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":"low"},"repository":{"name":"web"}},
 {"number":3,"state":"open","dependency":{"package":{"ecosystem":"maven"},"scope":"runtime"},"security_advisory":{"severity":"critical"},"repository":{"name":"old-api"}},
 {"number":4,"state":"open","dependency":{"package":{"ecosystem":"nuget"},"scope":"runtime"},"security_advisory":{"severity":"medium"},"repository":{"name":"fork-lib"}},
 {"number":5,"state":"open","dependency":{"package":{"ecosystem":"pip"},"scope":"development"},"security_advisory":{"severity":"low"},"repository":{"name":"scratch-1"}}
]`
)

// staticGitHub answers each path with its body, whatever the method; other paths get a 404.
func staticGitHub(bodies map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			body = `{"message":"Not Found"}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
}

func TestRepositoryFilter(t *testing.T) {
	const dependabotHeader = `
# HELP github_dependabot_alerts Dependabot alerts of the organization's repositories by ecosystem, dependency scope, advisory severity and state, refreshed on schedule.
# TYPE github_dependabot_alerts gauge
`
	info := map[string]string{
		"api":       `github_repository_info{archived="false",fork="false",language="Go",org="acme",repository="api",visibility="public"} 1`,
		"web":       `github_repository_info{archived="false",fork="false",language="JavaScript",org="acme",repository="web",visibility="private"} 1`,
		"empty":     `github_repository_info{archived="false",fork="false",language="",org="acme",repository="empty",visibility="internal"} 1`,
		"old-api":   `github_repository_info{archived="true",fork="false",language="Java",org="acme",repository="old-api",visibility="private"} 1`,
		"fork-lib":  `github_repository_info{archived="false",fork="true",language="C#",org="acme",repository="fork-lib",visibility="public"} 1`,
		"scratch-1": `github_repository_info{archived="false",fork="false",language="Python",org="acme",repository="scratch-1",visibility="private"} 1`,
	}
	// Repositories with no open alert get an explicit 0 under state="open"; "web" has
	// only a fixed alert, "empty" none at all.
	alerts := map[string]string{
		"api": `github_dependabot_alerts{ecosystem="go",org="acme",repository="api",scope="runtime",severity="high",state="open"} 1`,
		"web": `github_dependabot_alerts{ecosystem="npm",org="acme",repository="web",scope="runtime",severity="low",state="fixed"} 1
github_dependabot_alerts{ecosystem="",org="acme",repository="web",scope="",severity="",state="open"} 0`,
		"empty":     `github_dependabot_alerts{ecosystem="",org="acme",repository="empty",scope="",severity="",state="open"} 0`,
		"old-api":   `github_dependabot_alerts{ecosystem="maven",org="acme",repository="old-api",scope="runtime",severity="critical",state="open"} 1`,
		"fork-lib":  `github_dependabot_alerts{ecosystem="nuget",org="acme",repository="fork-lib",scope="runtime",severity="medium",state="open"} 1`,
		"scratch-1": `github_dependabot_alerts{ecosystem="pip",org="acme",repository="scratch-1",scope="development",severity="low",state="open"} 1`,
	}
	anchored := func(expr string) *regexp.Regexp { return regexp.MustCompile("^(?:" + expr + ")$") }
	tests := []struct {
		name   string
		filter RepoFilter
		kept   []string
	}{
		{"no filter", RepoFilter{}, []string{"api", "web", "empty", "old-api", "fork-lib", "scratch-1"}},
		{"skip archived", RepoFilter{SkipArchived: true}, []string{"api", "web", "empty", "fork-lib", "scratch-1"}},
		{"skip forks", RepoFilter{SkipForks: true}, []string{"api", "web", "empty", "old-api", "scratch-1"}},
		{"exclude", RepoFilter{Exclude: anchored("scratch-.*|fork-lib")}, []string{"api", "web", "empty", "old-api"}},
		{"include and exclude", RepoFilter{Include: anchored(".*api|web"), Exclude: anchored("old-.*")}, []string{"api", "web"}},
		{"everything left out", RepoFilter{Include: anchored("nothing")}, nil},
	}
	base := serveGitHub(t, staticGitHub(map[string]string{"/graphql": inventoryPage, dependabotPath: dependabotPage}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := clientsFor(t, base, "acme")
			cfg.Sources, cfg.Filter = []string{"dependabot", "repositories"}, tt.filter
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e.Run(context.Background())
			var want strings.Builder
			for _, part := range []struct {
				header string
				rows   map[string]string
			}{{repositoryInfoHeader, info}, {dependabotHeader, alerts}} {
				if len(tt.kept) > 0 {
					want.WriteString(part.header)
				}
				for _, repo := range tt.kept {
					want.WriteString(part.rows[repo] + "\n")
				}
			}
			if err := testutil.CollectAndCompare(e, strings.NewReader(want.String()), "github_repository_info", "github_dependabot_alerts"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestInventoryCursorLoop(t *testing.T) {
	var requests atomic.Int32
	page := strings.Replace(inventoryPage, `"hasNextPage":false`, `"hasNextPage":true`, 1)
	base := serveGitHub(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte(page))
	}))
	cfg, _ := clientsFor(t, base, "acme")
	cfg.Sources = []string{"repositories"}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	st := e.Status()
	if len(st) != 1 || st[0].Success || !strings.Contains(st[0].LastError, "pagination loop") {
		t.Fatalf("status %+v, want a failed collection naming the pagination loop", st)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2: the first page and the one whose cursor came back", n)
	}
}

// TestInventoryErrors checks how GitHub's GraphQL failures are reported: an organization
// that cannot be seen and a token without the permission are "not available"; a spent
// budget is a failure that keeps the last good inventory.
func TestInventoryErrors(t *testing.T) {
	tests := []struct {
		name      string
		org       string
		prepare   func(*githubsim.Server)
		noGraphQL bool
		available bool
		err       string
	}{
		{name: "unknown organization", org: "nope", err: "NOT_FOUND: Could not resolve to an Organization with the login of 'nope'."},
		{
			name: "not permitted", org: "acme",
			prepare: func(s *githubsim.Server) {
				s.SetUnavailable("acme", githubsim.FamilyRepositories, http.StatusForbidden, "Resource not accessible by integration")
			},
			err: "FORBIDDEN: Resource not accessible by integration",
		},
		{name: "no GraphQL client", org: "acme", noGraphQL: true, available: true, err: "no GraphQL client is configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := inventorySim(0, githubsim.OrgSpec{Login: "acme", Repos: 5})
			if tt.prepare != nil {
				tt.prepare(sim)
			}
			cfg, _ := clientsFor(t, serveGitHub(t, sim), tt.org)
			cfg.Sources = []string{"repositories"}
			if tt.noGraphQL {
				cfg.GraphQL = nil
			}
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e.Run(context.Background())
			st := e.Status()
			if len(st) != 1 || st[0].Success || st[0].Available != tt.available || !strings.Contains(st[0].LastError, tt.err) {
				t.Fatalf("status %+v, want success false, available %v, error saying %q", st, tt.available, tt.err)
			}
			if n := testutil.CollectAndCount(e, "github_repository_info"); n != 0 {
				t.Errorf("%d info series after a failure", n)
			}
		})
	}
}

func TestRateLimitedInventoryKeepsLastGood(t *testing.T) {
	// 150 repositories are two pages: the first run spends 2 of 3 points, the second
	// gets its first page and then RATE_LIMITED.
	sim := inventorySim(3, githubsim.OrgSpec{Login: "acme", Repos: 150, Dependabot: 40})
	cfg, reg := clientsFor(t, serveGitHub(t, sim), "acme")
	cfg.Sources = []string{"repositories", "dependabot"}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	info := wantInfo(sim, "acme", func(githubsim.Repository) bool { return true })
	if err := testutil.CollectAndCompare(e, strings.NewReader(info), "github_repository_info"); err != nil {
		t.Fatalf("first run: %v", err)
	}
	zeros := testutil.CollectAndCount(e, "github_dependabot_alerts")

	e.Run(context.Background())
	for _, st := range e.Status() {
		if st.Collector == "repositories" && (st.Success || !st.Available || st.Failures != 1 ||
			!strings.Contains(st.LastError, "RATE_LIMITED: API rate limit exceeded for user ID")) {
			t.Fatalf("status %+v, want a failure saying RATE_LIMITED", st)
		}
	}
	if err := testutil.CollectAndCompare(e, strings.NewReader(info), "github_repository_info"); err != nil {
		t.Errorf("the last good inventory is gone: %v", err)
	}
	if n := testutil.CollectAndCount(e, "github_dependabot_alerts"); n != zeros {
		t.Errorf("%d dependabot series after the failed inventory, want %d: the explicit zeros of the last good one stay", n, zeros)
	}
	// RATE_LIMITED comes with x-ratelimit-remaining: 0; REST spent 2 of its own 3.
	remaining := `
# HELP github_exporter_rate_limit_remaining GitHub API requests (or points) left in the current rate-limit window, by resource, as last reported by GitHub.
# TYPE github_exporter_rate_limit_remaining gauge
github_exporter_rate_limit_remaining{resource="core"} 1
github_exporter_rate_limit_remaining{resource="graphql"} 0
`
	if err := testutil.CollectAndCompare(reg, strings.NewReader(remaining), "github_exporter_rate_limit_remaining"); err != nil {
		t.Error(err)
	}
}
