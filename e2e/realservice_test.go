package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// secretSeries is github_secret_scanning_alerts of org as the ground truth says, with
// the inventory's explicit zeros.
func secretSeries(sim *githubsim.Server, org string) map[string]float64 {
	want := family(expected(sim, org), "github_secret_scanning_alerts")
	for k, v := range family(expectedZeros(sim, org, func(githubsim.Repository) bool { return true }), "github_secret_scanning_alerts") {
		want[k] = v
	}
	return want
}

// TestSecretScanningWithoutLiteralsAndWithGenericTypes runs the binary, with its default
// flags, against github.com and an Enterprise Server whose organizations have generic
// secrets: the simulator serves no secret literal on any request the exporter makes, the
// family equals the ground truth series for series, and kind="default" equals the count
// of GitHub's summary views.
func TestSecretScanningWithoutLiteralsAndWithGenericTypes(t *testing.T) {
	for _, tt := range []struct{ name, prefix string }{{"github.com", ""}, {"Enterprise Server", "/api/v3"}} {
		t.Run(tt.name, func(t *testing.T) {
			const org = "secret-org"
			sim := githubsim.New(githubsim.Config{Seed: 81, PathPrefix: tt.prefix, Orgs: []githubsim.OrgSpec{{
				Login: org, Repos: 15, CodeScanning: 100, Dependabot: 100, SecretScanning: 450, GenericSecretScanning: 260,
			}}})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			e := start(t, []string{"GITHUB_TOKEN=" + token},
				"--github.org="+org, "--github.api-url="+srv.URL+tt.prefix+"/",
				"--collector.schedule=@every 2s", "--github.requests-per-second=200")
			e.waitReady(t, 2*time.Minute)
			first := sim.Stats().ByEndpoint["/orgs/{org}/secret-scanning/alerts"]
			sim.Step(30)
			want := secretSeries(sim, org)
			series := e.waitFor(t, time.Minute, "an incremental run with the changes", func(s map[string]float64) bool {
				return len(diff(want, family(s, "github_secret_scanning_alerts"), 1)) == 0
			})
			st := sim.Stats()
			if n := st.ByEndpoint["/orgs/{org}/secret-scanning/alerts"]; n <= first || first < 8 {
				t.Fatalf("secret scanning requests: %d in the first collection, %d in all; want more after it", first, n)
			}
			if st.SecretLiterals != 0 {
				t.Errorf("the simulator served %d secret literals to the exporter; want 0", st.SecretLiterals)
			}
			summary, exported := 0.0, 0.0
			for _, a := range sim.SecretScanningAlerts(org) {
				if !a.Generic && a.State == "open" {
					summary++
				}
			}
			for k, v := range family(series, "github_secret_scanning_alerts") {
				if strings.Contains(k, `kind="default"`) && strings.Contains(k, `state="open"`) {
					exported += v
				}
			}
			if summary == 0 || exported != summary {
				t.Errorf(`open alerts with kind="default": %v; GitHub's summary views count %v`, exported, summary)
			}
		})
	}
}

// TestServerIgnoringSortIsWalkedInFull runs the binary against an Enterprise Server that
// ignores sort=updated: the exporter finds it out from the pages, says so in
// github_exporter_incremental_walks_disabled, and its numbers follow the changes.
func TestServerIgnoringSortIsWalkedInFull(t *testing.T) {
	const org = "unsorted-org"
	sim := githubsim.New(githubsim.Config{Seed: 82, PathPrefix: "/api/v3", IgnoreSortUpdated: true, Orgs: []githubsim.OrgSpec{{
		Login: org, Repos: 20, CodeScanning: 900, Dependabot: 700, SecretScanning: 200,
	}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+org, "--github.api-url="+srv.URL+"/api/v3/",
		"--collector.schedule=@every 2s", "--github.requests-per-second=500")
	e.waitReady(t, 2*time.Minute)
	sim.Step(60)
	want := expected(sim, org)
	for k, v := range expectedZeros(sim, org, func(githubsim.Repository) bool { return true }) {
		want[k] = v
	}
	counts := func(s map[string]float64) map[string]float64 {
		got := map[string]float64{}
		for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts"} {
			for k, v := range family(s, name) {
				got[k] = v
			}
		}
		return got
	}
	series := e.waitFor(t, time.Minute, "the changes counted", func(s map[string]float64) bool {
		return len(diff(want, counts(s), 1)) == 0
	})
	for _, c := range []string{"code_scanning", "dependabot", "secret_scanning"} {
		k := seriesKey("github_exporter_incremental_walks_disabled", map[string]string{"org": org, "collector": c})
		if series[k] != 1 {
			t.Errorf("%s = %v; want 1", k, series[k])
		}
	}
	if !strings.Contains(e.Logs(), "not in updated_at order") {
		t.Errorf("no log line says the listing is walked in full; logs:\n%s", tail(e.Logs()))
	}
}

// TestRepositoriesRenamedDeletedTransferred runs the binary while a repository is renamed,
// another deleted and a third transferred away, no alert's updated_at moving: the next
// collection's series equal the ground truth, github_repository_info and the explicit
// zeros included.
func TestRepositoriesRenamedDeletedTransferred(t *testing.T) {
	const org = "moving-org"
	sim := githubsim.New(githubsim.Config{Seed: 83, Orgs: []githubsim.OrgSpec{{
		Login: org, Repos: 18, CodeScanning: 600, Dependabot: 700, SecretScanning: 150, GenericSecretScanning: 60,
	}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+org, "--github.api-url="+srv.URL+"/",
		"--collector.schedule=@every 2s", "--github.requests-per-second=500")
	e.waitReady(t, 2*time.Minute)
	repos := sim.Repos(org)
	if !sim.RenameRepository(org, repos[0], repos[0]+"-next") || !sim.DeleteRepository(org, repos[1]) ||
		!sim.TransferRepository(org, repos[2], "another-owner") {
		t.Fatal("a repository operation failed")
	}
	all := func(githubsim.Repository) bool { return true }
	want := expected(sim, org)
	for k, v := range expectedZeros(sim, org, all) {
		want[k] = v
	}
	for k, v := range expectedInventory(sim, org, all) {
		want[k] = v
	}
	names := []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts", "github_repository_info"}
	e.waitFor(t, time.Minute, "the series of the repositories as they are now", func(s map[string]float64) bool {
		got := map[string]float64{}
		for _, name := range names {
			for k, v := range family(s, name) {
				got[k] = v
			}
		}
		return len(diff(want, got, 1)) == 0
	})
}
