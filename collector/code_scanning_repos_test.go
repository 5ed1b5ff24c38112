package collector

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// wantCodeScanning is github_code_scanning_alerts as the simulator's ground truth says:
// severities as the server sends them (Enterprise Server 2.22 sends no security
// severity), and with the inventory an explicit 0 for repositories without open alerts.
func wantCodeScanning(sim *githubsim.Server, org string, ghes222 bool) string {
	counts := map[string]int{}
	open := map[string]bool{}
	for _, a := range sim.CodeScanningAlerts(org) {
		severity := valueOr(a.RuleSeverity, "none")
		if !ghes222 {
			severity = valueOr(a.SecuritySeverity, severity)
		}
		counts[fmt.Sprintf("{org=%q,repository=%q,severity=%q,state=%q,tool=%q}", org, a.Repo, severity, valueOr(a.State, "unknown"), a.Tool)]++
		open[a.Repo] = open[a.Repo] || a.State == "open"
	}
	var b strings.Builder
	b.WriteString(`
# HELP github_code_scanning_alerts Code scanning alerts on the default branches of the organization's repositories by tool, severity and state, refreshed on schedule.
# TYPE github_code_scanning_alerts gauge
`)
	for k, n := range counts {
		fmt.Fprintf(&b, "github_code_scanning_alerts%s %d\n", k, n)
	}
	for _, r := range sim.Repos(org) {
		if !open[r] {
			fmt.Fprintf(&b, "github_code_scanning_alerts{org=%q,repository=%q,severity=\"\",state=\"open\",tool=\"\"} 0\n", org, r)
		}
	}
	return b.String()
}

func TestCodeScanningPerRepositoryFallback(t *testing.T) {
	const perRepo = "/repos/{owner}/{repo}/code-scanning/alerts"
	tests := []struct {
		name          string
		enterprise    string
		inventory     bool
		unavailable   int  // SetUnavailable status for code scanning; 0: none
		wantCounts    bool // and success
		wantAvailable bool
		perRepo       bool // per-repository requests expected
	}{
		{"Enterprise Server 2.22 walks every repository", githubsim.Enterprise222, true, 0, true, true, true},
		{"github.com uses the organization listing", "", true, 0, true, true, false},
		{"no inventory: not available", githubsim.Enterprise222, false, 0, false, false, false},
		{"every repository refused: not available", githubsim.Enterprise222, true, http.StatusNotFound, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := githubsim.New(githubsim.Config{
				Seed: 4, Enterprise: tt.enterprise, PathPrefix: "/api/v3",
				Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 12, CodeScanning: 450}},
				Now:  func() time.Time { return inventoryNow },
			})
			if tt.unavailable != 0 {
				sim.SetUnavailable("acme", githubsim.FamilyCodeScanning, tt.unavailable, "Not Found")
			}
			cfg, _ := clientsFor(t, serveGitHub(t, sim)+"api/v3/", "acme")
			cfg.Sources = []string{"code_scanning"}
			if tt.inventory {
				cfg.Sources = append(cfg.Sources, inventorySource)
			}
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e.Run(context.Background())
			for _, st := range e.Status() {
				if st.Collector == "code_scanning" && (st.Available != tt.wantAvailable || st.Success != tt.wantCounts) {
					t.Errorf("available %v, success %v (%s); want %v, %v", st.Available, st.Success, st.LastError, tt.wantAvailable, tt.wantCounts)
				}
			}
			if tt.wantCounts {
				if err := testutil.CollectAndCompare(e, strings.NewReader(wantCodeScanning(sim, "acme", tt.enterprise != "")), "github_code_scanning_alerts"); err != nil {
					t.Error(err)
				}
			} else if n := testutil.CollectAndCount(e, "github_code_scanning_alerts"); n != 0 {
				t.Errorf("%d code scanning series from an unavailable source", n)
			}
			if n := sim.Stats().ByEndpoint[perRepo]; (n > 0) != tt.perRepo {
				t.Errorf("%d per-repository requests; want some: %v", n, tt.perRepo)
			}
			lint(t, e)
		})
	}
}

// valueOr is v, or def when v is empty.
func valueOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
