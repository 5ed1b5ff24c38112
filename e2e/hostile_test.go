package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// hostileToken is shaped like a classic personal access token; no 8-byte piece of it may
// appear in the log, on /metrics or on the overview page.
const hostileToken = "ghp_h0st1leT0kenAbCdEfGhIjKlMnOpQrStUv12"

// hostileCase is one broken or hostile behaviour of the server.
type hostileCase struct {
	name      string
	faults    []githubsim.Fault
	failing   []string // collectors the fault makes fail
	endpoint  string   // route template whose requests per faulted run are bounded ("" none)
	stateFile bool     // the state file cannot be saved during the fault
}

// TestHostileGitHub runs the exporter against the simulated GitHub serving each hostile
// behaviour in turn and checks, per case: success=0 for the collectors hit while the
// fault lasts and their last good counts kept; every other source still collected; the
// requests of a faulted run bounded; after the server heals, success=1 within two
// scheduled runs and the counts exactly those before the fault; and no piece of the
// token in the log, on /metrics or on /.
func TestHostileGitHub(t *testing.T) {
	many := 1 << 30 // a fault that lasts until ClearFaults
	cases := []hostileCase{
		{name: "far-future rate-limit reset", failing: []string{"dependabot"}, endpoint: "/orgs/{org}/dependabot/alerts",
			faults: []githubsim.Fault{{Path: "dependabot/alerts", Kind: githubsim.FarFutureReset, Times: many}}},
		{name: "endless empty pages", failing: []string{"dependabot"}, endpoint: "/orgs/{org}/dependabot/alerts",
			faults: []githubsim.Fault{{Path: "dependabot/alerts", Kind: githubsim.EndlessEmptyPages, Times: many}}},
		{name: "endless pages of new alerts", failing: []string{"code_scanning"}, endpoint: "/orgs/{org}/code-scanning/alerts",
			faults: []githubsim.Fault{{Path: "code-scanning/alerts", Kind: githubsim.EndlessNewAlerts, Times: many}}},
		{name: "endless graphql connection", failing: []string{"repositories"}, endpoint: "/graphql",
			faults: []githubsim.Fault{{Path: "/graphql", Kind: githubsim.EndlessGraphQL, Times: many}}},
		{name: "graphql body trickles", failing: []string{"repositories"}, endpoint: "/graphql",
			faults: []githubsim.Fault{{Path: "/graphql", Kind: githubsim.TrickleBody, Times: many}}},
		{name: "response headers never come", failing: []string{"secret_scanning"}, endpoint: "/orgs/{org}/secret-scanning/alerts",
			faults: []githubsim.Fault{{Path: "secret-scanning/alerts", Kind: githubsim.SlowHeaders, Delay: 5 * time.Second, Times: many}}},
		{name: "null and trailing garbage", failing: []string{"dependabot", "secret_scanning_patterns", "code_security_configurations"},
			faults: []githubsim.Fault{
				{Path: "dependabot/alerts", Kind: githubsim.TrailingGarbage, Times: many},
				{Path: "pattern-configurations", Kind: githubsim.NullBody, Times: many},
				{Path: "code-security/configurations", Kind: githubsim.NullBody, Times: many},
			}},
		{name: "null elements", failing: []string{"secret_scanning"},
			faults: []githubsim.Fault{{Path: "secret-scanning/alerts", Kind: githubsim.NullElements, Times: many}}},
		{name: "token echoed in every error channel", failing: []string{"repositories", "dependabot", "code_scanning"},
			faults: []githubsim.Fault{
				{Path: "/graphql", Kind: githubsim.EchoInMessage, Times: many},
				{Path: "dependabot/alerts", Kind: githubsim.EchoInMessage, Times: many},
				{Path: "code-scanning/alerts", Kind: githubsim.EchoInLink, Times: many},
			}},
		{name: "unusable rate-limit headers", failing: []string{"dependabot"}, endpoint: "/orgs/{org}/dependabot/alerts",
			faults: []githubsim.Fault{{Path: "dependabot/alerts", Kind: githubsim.UnusableRateLimit, Times: many}}},
		{name: "state file cannot be saved", stateFile: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runHostile(t, tc) })
	}
}

func runHostile(t *testing.T, tc hostileCase) {
	const org = "hostile"
	sim := githubsim.New(githubsim.Config{Seed: 31, Orgs: []githubsim.OrgSpec{
		{Login: org, Repos: 8, CodeScanning: 230, Dependabot: 260, SecretScanning: 120},
	}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	state := filepath.Join(t.TempDir(), "state")
	e := start(t, []string{"GITHUB_TOKEN=" + hostileToken},
		"--github.api-url="+srv.URL+"/", "--github.org="+org, "--collector.schedule=@every 2s",
		"--github.requests-per-second=500", "--github.max-retries=1", "--github.timeout=1s",
		"--collector.max-wait=5s", "--storage.path="+state)
	e.waitReady(t, time.Minute)
	sources := []string{"repositories", "code_scanning", "dependabot", "secret_scanning", "secret_scanning_patterns", "code_security_configurations"}
	success := func(series map[string]float64, c string) float64 {
		return series[seriesKey("github_exporter_collection_success", map[string]string{"org": org, "collector": c})]
	}
	lastOK := func(series map[string]float64, c string) float64 {
		return series[seriesKey("github_exporter_last_success_timestamp_seconds", map[string]string{"org": org, "collector": c})]
	}
	failures := func(series map[string]float64, c string) float64 {
		return series[seriesKey("github_exporter_collection_failures_total", map[string]string{"org": org, "collector": c})]
	}
	before := e.waitFor(t, time.Minute, "every source collected and the state saved", func(s map[string]float64) bool {
		if s["github_exporter_state_last_save_timestamp_seconds{}"] == 0 {
			return false
		}
		for _, c := range sources {
			if success(s, c) != 1 {
				return false
			}
		}
		return true
	})
	perRun := sim.Stats().ByEndpoint[tc.endpoint] // the first run's requests of the endpoint: one clean run
	kept := countSeries(before)

	// The fault: the collectors hit fail, their counts stay, the others go on.
	runs0, stats0 := sim.Stats().ByEndpoint["/graphql"], sim.Stats()
	for _, f := range tc.faults {
		sim.InjectFault(f)
	}
	blocker := filepath.Join(state, "keep")
	if tc.stateFile {
		if err := os.Remove(state); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(blocker, 0o755); err != nil { // a non-empty directory: rename onto it fails
			t.Fatal(err)
		}
	}
	during := e.waitFor(t, time.Minute, "a collection under the fault", func(s map[string]float64) bool {
		for _, c := range tc.failing {
			if failures(s, c) <= failures(before, c) {
				return false
			}
		}
		if tc.stateFile {
			return s["github_exporter_state_save_failures_total{}"] >= 1
		}
		return true
	})
	// Wait for one more run to end, so that every source ran under the fault.
	during = e.waitFor(t, time.Minute, "the other sources collected under the fault", func(s map[string]float64) bool {
		for _, c := range sources {
			if !contains(tc.failing, c) && lastOK(s, c) <= lastOK(during, c) {
				return false
			}
		}
		return true
	})
	for _, c := range sources {
		want := 1.0
		if contains(tc.failing, c) {
			want = 0
		}
		if got := success(during, c); got != want {
			t.Errorf("under the fault, collection_success{collector=%q} = %v, want %v", c, got, want)
		}
	}
	if got := countSeries(during); !equalCounts(got, kept) {
		t.Errorf("alert counts changed under the fault:\n%s", strings.Join(diff(kept, got, 10), "\n"))
	}
	if tc.endpoint != "" {
		runs := sim.Stats().ByEndpoint["/graphql"] - runs0 + 1
		used := sim.Stats().ByEndpoint[tc.endpoint] - stats0.ByEndpoint[tc.endpoint]
		// A walk may take four times the pages of the last full walk plus 100, and retries.
		if bound := runs * (4*perRun + 100 + 2); used > bound {
			t.Errorf("%d requests of %s in %d runs under the fault, want at most %d", used, tc.endpoint, runs, bound)
		}
	}
	checkNoToken(t, e, hostileToken) // the overview shows the last errors while they last

	if tc.stateFile && during["github_exporter_state_last_save_timestamp_seconds{}"] != before["github_exporter_state_last_save_timestamp_seconds{}"] {
		t.Error("github_exporter_state_last_save_timestamp_seconds moved while saves failed")
	}

	// The server heals: success within two scheduled runs, the counts exactly as before.
	sim.ClearFaults()
	if tc.stateFile {
		if err := os.RemoveAll(state); err != nil {
			t.Fatal(err)
		}
	}
	healedAt := sim.Stats().ByEndpoint["/graphql"]
	after := e.waitFor(t, time.Minute, "recovery", func(s map[string]float64) bool {
		for _, c := range sources {
			if success(s, c) != 1 || lastOK(s, c) <= lastOK(during, c) {
				return false
			}
		}
		return !tc.stateFile || s["github_exporter_state_last_save_timestamp_seconds{}"] > during["github_exporter_state_last_save_timestamp_seconds{}"]
	})
	if runs := sim.Stats().ByEndpoint["/graphql"] - healedAt; runs > 2 {
		t.Errorf("recovered after %d runs that started once the server healed, want at most 2", runs)
	}
	if got := countSeries(after); !equalCounts(got, kept) {
		t.Errorf("alert counts after recovery differ from those before the fault:\n%s", strings.Join(diff(kept, got, 10), "\n"))
	}
	if tc.stateFile && after["github_exporter_state_save_failures_total{}"] < 1 {
		t.Error("github_exporter_state_save_failures_total went down after recovery")
	}
	checkNoToken(t, e, hostileToken)
}

// checkNoToken scans the log, /metrics and / for any 8-byte piece of token.
func checkNoToken(t *testing.T, e *exporter, token string) {
	t.Helper()
	_, metrics := e.scrape(t)
	resp, err := http.Get("http://" + e.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for name, text := range map[string]string{"log": e.Logs(), "/metrics": metrics, "/": string(page)} {
		for i := 0; i+8 <= len(token); i++ {
			if piece := token[i : i+8]; strings.Contains(text, piece) {
				t.Errorf("%s holds %q, a piece of the token", name, piece)
				break
			}
		}
	}
}

// countSeries are the alert count families.
func countSeries(series map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts",
		"github_secret_scanning_pattern_alerts", "github_code_security_configuration_repositories", "github_repository_info"} {
		for k, v := range family(series, name) {
			out[k] = v
		}
	}
	return out
}

func equalCounts(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
