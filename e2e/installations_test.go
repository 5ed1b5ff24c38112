package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// orgTruth is every alert count, explicit zero and inventory series of org.
func orgTruth(sim *githubsim.Server, org string) map[string]float64 {
	all := func(githubsim.Repository) bool { return true }
	want := expected(sim, org)
	for _, m := range []map[string]float64{expectedZeros(sim, org, all), expectedInventory(sim, org, all)} {
		for k, v := range m {
			want[k] = v
		}
	}
	return want
}

func orgSeries(series map[string]float64, org string) map[string]float64 {
	got := map[string]float64{}
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts", "github_repository_info"} {
		for k, v := range ofOrg(family(series, name), org) {
			got[k] = v
		}
	}
	return got
}

func collected(series map[string]float64, org string) bool {
	for _, c := range []string{"repositories", "code_scanning", "dependabot", "secret_scanning"} {
		if series[seriesKey("github_exporter_collection_success", map[string]string{"org": org, "collector": c})] != 1 {
			return false
		}
	}
	return true
}

// TestAppInstallations runs one exporter for a GitHub App installed on three
// organizations, each installation with its own rate limit, and no installation id
// given: the exporter lists the installations and collects each organization with its
// own installation token. The first installation's budget is spent until 25 s after the
// start: the two others must be collected in full while it waits, and it after its
// reset. A fourth installation added while the exporter runs is collected at the next
// run. Every organization must match the ground truth.
func TestAppInstallations(t *testing.T) {
	key, keyFile, _ := appKey(t)
	orgs := []githubsim.OrgSpec{
		{Login: "inst-waiting", Repos: 8, CodeScanning: 150, Dependabot: 200, SecretScanning: 30},
		{Login: "inst-two", Repos: 10, CodeScanning: 250, Dependabot: 300, SecretScanning: 40},
		{Login: "inst-three", Repos: 6, CodeScanning: 90, Dependabot: 120, SecretScanning: 20},
		{Login: "inst-later", Repos: 5, CodeScanning: 60, Dependabot: 80, SecretScanning: 10},
	}
	const appID = 4242
	sim := githubsim.New(githubsim.Config{Seed: 41, Orgs: orgs, Apps: []githubsim.App{{
		ID: appID, InstallationID: 101, Orgs: []string{"inst-waiting"}, PublicKey: &key.PublicKey,
		Installations: []githubsim.Installation{{ID: 102, Org: "inst-two", RateLimit: 12500}, {ID: 103, Org: "inst-three", RateLimit: 15000}},
	}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	sim.ExhaustRateLimit(101, 25*time.Second)
	began := time.Now()

	e := start(t, nil,
		"--github.api-url="+srv.URL+"/",
		"--github.app-id=4242", "--github.app-private-key-file="+keyFile,
		"--collector.schedule=@every 15s", "--github.requests-per-second=100",
	)
	e.waitHealthy(t, time.Minute)
	series := e.waitFor(t, 2*time.Minute, "the two installations with budget collected", func(s map[string]float64) bool {
		return collected(s, "inst-two") && collected(s, "inst-three")
	})
	t.Logf("installations with budget collected %s after the start", time.Since(began).Round(time.Millisecond))
	if collected(series, "inst-waiting") {
		t.Error("the installation without budget was collected before its reset")
	}
	series = e.waitFor(t, 2*time.Minute, "the installation without budget collected after its reset", func(s map[string]float64) bool {
		return collected(s, "inst-waiting")
	})
	if waited := time.Since(began); waited < 20*time.Second {
		t.Errorf("the installation without budget was collected %s after the start, before its reset", waited)
	}
	for _, org := range []string{"inst-waiting", "inst-two", "inst-three"} {
		if d := diff(orgTruth(sim, org), orgSeries(series, org), 10); len(d) > 0 {
			t.Errorf("%s differs from the ground truth:\n%s", org, strings.Join(d, "\n"))
		}
	}
	if n := len(ofOrg(family(series, "github_exporter_collection_success"), "inst-later")); n != 0 {
		t.Errorf("inst-later, where the App is not installed, has %d health series", n)
	}

	if !sim.AddInstallation(appID, githubsim.Installation{ID: 104, Org: "inst-later"}) {
		t.Fatal("adding an installation failed")
	}
	series = e.waitFor(t, 2*time.Minute, "the installation added while running collected", func(s map[string]float64) bool {
		return collected(s, "inst-later")
	})
	if d := diff(orgTruth(sim, "inst-later"), orgSeries(series, "inst-later"), 10); len(d) > 0 {
		t.Errorf("inst-later differs from the ground truth:\n%s", strings.Join(d, "\n"))
	}
	if n := sim.Stats().InstallationTokens; n < 4 {
		t.Errorf("%d installation tokens minted, want one per installation (4)", n)
	}
}
