package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

func TestNewestByTool(t *testing.T) {
	unix := func(s string) int64 {
		t.Helper()
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at.Unix()
	}
	tests := []struct {
		name, page string
		want       toolTimes
	}{
		{"empty", `[]`, toolTimes{}},
		{"newest per tool, in any order", `[
 {"ref":"refs/heads/main","created_at":"2026-02-01T00:00:00Z","tool":{"name":"CodeQL"}},
 {"ref":"refs/heads/main","created_at":"2026-02-03T00:00:00Z","tool":{"name":"Trivy"}},
 {"ref":"refs/heads/main","created_at":"2026-02-02T00:00:00Z","tool":{"name":"CodeQL"}}
]`, toolTimes{"CodeQL": unix("2026-02-02T00:00:00Z"), "Trivy": unix("2026-02-03T00:00:00Z")}},
		{"pull requests left out", `[
 {"ref":"refs/pull/12/merge","created_at":"2026-02-05T00:00:00Z","tool":{"name":"CodeQL"}},
 {"ref":"refs/pull/13/head","created_at":"2026-02-05T00:00:00Z","tool":{"name":"Semgrep"}},
 {"ref":"refs/heads/main","created_at":"2026-02-01T00:00:00Z","tool":{"name":"CodeQL"}}
]`, toolTimes{"CodeQL": unix("2026-02-01T00:00:00Z")}},
		{"no tool name, no time", `[
 {"ref":"refs/heads/main","created_at":"2026-02-01T00:00:00Z","tool":{"name":null}},
 {"ref":"refs/heads/main","created_at":"not a time","tool":{"name":"CodeQL"}}
]`, toolTimes{"unknown": unix("2026-02-01T00:00:00Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page []codeScanningAnalysis
			if err := json.Unmarshal([]byte(tt.page), &page); err != nil {
				t.Fatal(err)
			}
			if got := newestByTool(page); !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

const lastAnalysisHeader = `
# HELP github_code_scanning_last_analysis_timestamp_seconds Creation time of the newest code scanning analysis of a branch of the repository by tool, pull requests left out, refreshed on its own schedule.
# TYPE github_code_scanning_last_analysis_timestamp_seconds gauge
`

// wantLastAnalyses is the freshness metric as the simulator's ground truth says.
func wantLastAnalyses(sim *githubsim.Server, orgs ...string) string {
	newest := map[string]int64{}
	for _, org := range orgs {
		for _, a := range sim.CodeScanningAnalyses(org) {
			if !a.Default {
				continue
			}
			k := fmt.Sprintf("github_code_scanning_last_analysis_timestamp_seconds{org=%q,repository=%q,tool=%q}", org, a.Repo, a.Tool)
			newest[k] = max(newest[k], a.CreatedAt.Unix())
		}
	}
	var b strings.Builder
	b.WriteString(lastAnalysisHeader)
	for k, v := range newest {
		fmt.Fprintf(&b, "%s %d\n", k, v)
	}
	return b.String()
}

// analysesRig is an Exporter collecting the inventory and the analyses of a simulator.
type analysesRig struct {
	sim   *githubsim.Server
	clock *clock
	e     *Exporter
	reg   *prometheus.Registry
}

func newAnalysesRig(t *testing.T, orgs ...githubsim.OrgSpec) *analysesRig {
	t.Helper()
	c := &clock{t: inventoryNow}
	sim := githubsim.New(githubsim.Config{Seed: 9, Orgs: orgs, Now: c.now})
	var logins []string
	for _, o := range orgs {
		logins = append(logins, o.Login)
	}
	cfg, reg := clientsFor(t, serveGitHub(t, sim), logins...)
	cfg.Sources = []string{inventorySource}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	return &analysesRig{sim: sim, clock: c, e: e, reg: reg}
}

// run collects the analyses and returns the answers the simulator gave meanwhile.
func (r *analysesRig) run() (ok, notModified, notFound int) {
	before := r.sim.Stats()
	r.e.RunSource(context.Background(), AnalysesSource)
	after := r.sim.Stats()
	return after.ByStatus[http.StatusOK] - before.ByStatus[http.StatusOK],
		after.ByStatus[http.StatusNotModified] - before.ByStatus[http.StatusNotModified],
		after.ByStatus[http.StatusNotFound] - before.ByStatus[http.StatusNotFound]
}

func TestCodeScanningAnalysesConditional(t *testing.T) {
	r := newAnalysesRig(t,
		githubsim.OrgSpec{Login: "acme", Repos: 20, CodeScanning: 300},
		githubsim.OrgSpec{Login: "acme-labs", Repos: 6, CodeScanning: 40})
	withAnalyses, without := 0, 0
	for _, org := range []string{"acme", "acme-labs"} {
		has := map[string]bool{}
		for _, a := range r.sim.CodeScanningAnalyses(org) {
			has[a.Repo] = true
		}
		withAnalyses += len(has)
		without += len(r.sim.Repos(org)) - len(has)
	}
	if without == 0 {
		t.Fatal("every simulated repository has analyses: the 404 case is not covered")
	}
	check := func(step string, wantOK, wantNotModified int) {
		t.Helper()
		ok, notModified, notFound := r.run()
		if ok != wantOK || notModified != wantNotModified || notFound != without {
			t.Errorf("%s: %d answers 200, %d 304, %d 404; want %d, %d, %d", step, ok, notModified, notFound, wantOK, wantNotModified, without)
		}
		if err := testutil.CollectAndCompare(r.e, strings.NewReader(wantLastAnalyses(r.sim, "acme", "acme-labs")),
			"github_code_scanning_last_analysis_timestamp_seconds"); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
	check("first run", withAnalyses, 0)
	remaining := coreRemaining(t, r.reg)
	check("nothing changed", 0, withAnalyses)
	if now := coreRemaining(t, r.reg); remaining-now != float64(without) {
		t.Errorf("rate limit went from %v to %v: only the %d 404s may count, not the 304s", remaining, now, without)
	}

	r.clock.add(time.Hour)
	r.sim.Step(30)
	changed := 0
	for _, org := range []string{"acme", "acme-labs"} {
		repos := map[string]bool{}
		for _, a := range r.sim.CodeScanningAnalyses(org) {
			if a.CreatedAt.Equal(r.clock.now()) {
				repos[a.Repo] = true
			}
		}
		changed += len(repos)
	}
	if changed == 0 {
		t.Fatal("Step added no analysis")
	}
	check("after new analyses", changed, withAnalyses-changed)
	lint(t, r.e)
}

// coreRemaining is github_exporter_rate_limit_remaining{resource="core"} of reg.
func coreRemaining(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if f.GetName() == "github_exporter_rate_limit_remaining" && m.GetLabel()[0].GetValue() == "core" {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatal("no github_exporter_rate_limit_remaining{resource=\"core\"}")
	return 0
}

func TestCodeScanningAnalysesNotAvailable(t *testing.T) {
	tests := []struct {
		name          string
		inventory     bool
		unavailable   int // status of every repository's answer; 0: none
		wantSuccess   float64
		wantAvailable float64
		wantSeries    bool
	}{
		{"served", true, 0, 1, 1, true},
		{"code scanning off everywhere", true, http.StatusForbidden, 0, 0, false},
		{"no inventory yet", false, 0, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := githubsim.New(githubsim.Config{Seed: 9, Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 5, CodeScanning: 50}}})
			if tt.unavailable != 0 {
				sim.SetUnavailable("acme", githubsim.FamilyCodeScanning, tt.unavailable, "Advanced Security must be enabled for this repository to use code scanning.")
			}
			cfg, _ := clientsFor(t, serveGitHub(t, sim), "acme")
			cfg.Sources = []string{inventorySource}
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.inventory {
				e.Run(context.Background())
			}
			e.RunSource(context.Background(), AnalysesSource)
			inventoryRan := ""
			if tt.inventory {
				inventoryRan = "\n" + `github_exporter_collection_success{collector="repositories",org="acme"} 1`
			}
			want := fmt.Sprintf(`
# HELP github_exporter_collection_success Whether the last collection of the source for the organization succeeded (1) or not (0).
# TYPE github_exporter_collection_success gauge
github_exporter_collection_success{collector="code_scanning_analyses",org="acme"} %v%s
# HELP github_exporter_source_available Whether GitHub serves the source for the organization (1), or answered that it is not enabled or not permitted (0).
# TYPE github_exporter_source_available gauge
github_exporter_source_available{collector="code_scanning_analyses",org="acme"} %v%s
`, tt.wantSuccess, inventoryRan, tt.wantAvailable, strings.ReplaceAll(inventoryRan, "collection_success", "source_available"))
			if err := testutil.CollectAndCompare(e, strings.NewReader(want), "github_exporter_collection_success", "github_exporter_source_available"); err != nil {
				t.Error(err)
			}
			if n := testutil.CollectAndCount(e, "github_code_scanning_last_analysis_timestamp_seconds"); (n > 0) != tt.wantSeries {
				t.Errorf("%d series, want some: %v", n, tt.wantSeries)
			}
		})
	}
}

func TestCodeScanningAnalysesOffByDefault(t *testing.T) {
	for _, name := range DefaultSources() {
		if name == AnalysesSource {
			t.Fatalf("%s is a default source: it costs a request per repository", AnalysesSource)
		}
	}
}
