package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/dashboards"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

const backfillJob = "github-security-exporter"

// TestBackfillIntoPrometheus runs the exporter on the simulated GitHub (alerts created
// and closed over two years) with --storage.path, writes a year of history from its
// state with the backfill subcommand, imports it with promtool into a Prometheus that
// then scrapes the exporter live, and checks that the open counts and flow counters 30,
// 90 and 300 days ago are what the simulator's alerts say was open then, that the live
// scrape continues the same series, and that every trend panel of the overview
// dashboard returns data for every day of the past year.
func TestBackfillIntoPrometheus(t *testing.T) {
	for _, name := range []string{"prometheus", "promtool"} {
		program(t, name)
	}
	const org = "history-org"
	sim := githubsim.New(githubsim.Config{Seed: 4, Orgs: []githubsim.OrgSpec{{Login: org, Repos: 8, CodeScanning: 300, Dependabot: 400, SecretScanning: 60}}})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	exp := start(t, []string{"GITHUB_TOKEN=" + token}, "--github.org="+org, "--github.api-url="+api.URL+"/",
		"--storage.path="+state, "--collector.schedule=@every 1h", "--github.requests-per-second=500")
	exp.waitReady(t, 2*time.Minute)
	waitFile(t, state)

	// The backfill ends at the last whole day: before Prometheus's first scrape of the
	// exporter, so the imported past and the live samples do not overlap.
	stateBefore, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "history.om")
	common := []string{"backfill", "--days=365", "--step=24h", "--end=" + time.Now().UTC().Format(time.RFC3339),
		"--label=job=" + backfillJob, "--label=instance=" + exp.addr}
	out, err := exec.Command(binary, append(common, "--storage.path="+state, "--output="+file)...).CombinedOutput()
	if err != nil {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
	// The same past from GitHub, with the exporter's flags instead of its state.
	fromGitHub := filepath.Join(dir, "history-github.om")
	cmd := exec.Command(binary, append(common, "--github.org="+org, "--github.api-url="+api.URL+"/", "--output="+fromGitHub)...)
	cmd.Env = append(os.Environ(), "GITHUB_TOKEN="+token)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("backfill from GitHub: %v\n%s", err, out)
	}
	a, errA := os.ReadFile(file)
	b, errB := os.ReadFile(fromGitHub)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("the backfill from the state (%d bytes, %v) and from GitHub (%d bytes, %v) differ", len(a), errA, len(b), errB)
	}
	// Read only: the running exporter's state is as it left it (its next run is in an hour).
	if stateAfter, err := os.ReadFile(state); err != nil || !bytes.Equal(stateAfter, stateBefore) {
		t.Errorf("the backfill changed the exporter's state file (%v)", err)
	}
	tsdb := filepath.Join(dir, "data")
	mustRun(t, nil, "promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=1458h", file, tsdb)

	prom := startHistoryPrometheus(t, dir, tsdb, exp.addr)
	now := time.Now()
	for _, days := range []int{30, 90, 300} {
		at := now.Add(-time.Duration(days) * 24 * time.Hour).Truncate(24 * time.Hour)
		want := openThen(sim, org, at)
		for _, expr := range slices.Sorted(maps.Keys(want)) {
			got, w := queryValue(t, prom, expr, at), want[expr]
			if got != w {
				t.Errorf("%d days ago (%s): %s = %v, want %v from the simulator's alerts", days, at.Format(time.DateOnly), expr, got, w)
			}
			t.Logf("%d days ago: %s = %v (simulator: %v)", days, expr, got, w)
		}
	}
	// The live scrape continues the same series: now, the counts are those of today.
	for expr, w := range openThen(sim, org, now) {
		if !strings.Contains(expr, "_total") { // the live flow counters are built by the collector itself
			if got := queryValue(t, prom, expr, time.Now()); got != w {
				t.Errorf("now: %s = %v, want %v", expr, got, w)
			}
		}
	}
	checkTrendPanels(t, prom, now, exp.addr)
}

// openThen is the ground truth at a time: open alerts per family, Dependabot alerts
// opened and fixed up to then, as the PromQL expressions that should return them.
func openThen(sim *githubsim.Server, org string, at time.Time) map[string]float64 {
	open := func(created time.Time, closed ...*time.Time) bool {
		if created.After(at) {
			return false
		}
		for _, c := range closed {
			if c != nil && !c.After(at) {
				return false
			}
		}
		return true
	}
	want := map[string]float64{}
	const (
		code    = `sum(github_code_scanning_alerts{state="open"})`
		dep     = `sum(github_dependabot_alerts{state="open"})`
		secrets = `sum(github_secret_scanning_alerts{state="open"})`
		opened  = `sum(github_alerts_opened_total{family="dependabot"})`
		fixed   = `sum(github_alerts_closed_total{family="dependabot", reason="fixed"})`
	)
	for _, a := range sim.CodeScanningAlerts(org) {
		if a.State != "" && open(a.CreatedAt, lastClosed(a.State, a.UpdatedAt, a.FixedAt, a.DismissedAt)) {
			want[code]++
		}
	}
	for _, a := range sim.DependabotAlerts(org) {
		last := lastClosed(a.State, a.UpdatedAt, a.FixedAt, a.DismissedAt, a.AutoDismissedAt)
		if open(a.CreatedAt, last) {
			want[dep]++
		}
		if !a.CreatedAt.After(at) {
			want[opened]++
		}
		if a.State == "fixed" && !last.After(at) {
			want[fixed]++
		}
	}
	for _, a := range sim.SecretScanningAlerts(org) {
		if open(a.CreatedAt, a.ResolvedAt) {
			want[secrets]++
		}
	}
	return want
}

// waitFile waits until the exporter has saved its state after the first collection.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no state file %s after the first collection", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startHistoryPrometheus runs Prometheus on the imported blocks, keeping them (the
// default retention of 15 days would delete them at once), scraping the exporter.
func startHistoryPrometheus(t *testing.T, dir, tsdb, target string) *promClient {
	t.Helper()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets: [%q]\n", backfillJob, target)
	file := writeFile(t, filepath.Join(dir, "prometheus.yml"), []byte(cfg))
	addr := freeAddr(t)
	p := startProcess(t, "prometheus", "--config.file="+file, "--storage.tsdb.path="+tsdb,
		"--storage.tsdb.retention.time=800d", "--web.listen-address="+addr)
	p.waitOK(t, "http://"+addr+"/-/ready", 2*time.Minute)
	prom := newPromClient(addr)
	deadline := time.Now().Add(time.Minute)
	for {
		s, err := prom.query(`github_dependabot_alerts`)
		if err == nil && hasData(s) {
			return prom
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus does not scrape the exporter (%v, %v); logs:\n%s", s, err, tail(p.Logs()))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// queryValue runs an instant query at a time and returns its one value (NaN when empty).
// The time keeps its milliseconds: "now" truncated to the second can fall before the
// first live sample.
func queryValue(t *testing.T, prom *promClient, expr string, at time.Time) float64 {
	t.Helper()
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := prom.get("/api/v1/query", url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}, &data); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if len(data.Result) != 1 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(fmt.Sprint(data.Result[0].Value[1]), 64)
	return v
}

// checkTrendPanels runs the queries of every time series panel of the overview
// dashboard over the past year, one point a day, and requires each panel to have data at
// every point.
func checkTrendPanels(t *testing.T, prom *promClient, now time.Time, instance string) {
	t.Helper()
	raw, err := dashboards.FS.ReadFile("security-overview.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []trendPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"job": backfillJob, "instance": instance, "org": ".*", "repository": ".*"}
	for k, v := range dashboards.BuiltinVars {
		vars[k] = v
	}
	end := now.Truncate(24 * time.Hour)
	start := end.Add(-364 * 24 * time.Hour)
	steps := 365
	panels := 0
	for _, p := range flatten(d.Panels) {
		if p.Type != "timeseries" {
			continue
		}
		panels++
		covered := make([]bool, steps)
		for _, target := range p.Targets {
			expr, err := dashboards.Substitute(target.Expr, vars)
			if err != nil {
				t.Fatal(err)
			}
			var data struct {
				Result []struct {
					Values [][2]any `json:"values"`
				} `json:"result"`
			}
			params := url.Values{"query": {expr}, "start": {strconv.FormatInt(start.Unix(), 10)},
				"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"86400"}}
			if err := prom.get("/api/v1/query_range", params, &data); err != nil {
				t.Fatalf("panel %q: %s: %v", p.Title, expr, err)
			}
			for _, series := range data.Result {
				for _, v := range series.Values {
					ts, _ := v[0].(float64)
					if i := int((int64(ts) - start.Unix()) / 86400); i >= 0 && i < steps && fmt.Sprint(v[1]) != "NaN" {
						covered[i] = true
					}
				}
			}
		}
		var missing []string
		for i, ok := range covered {
			if !ok {
				missing = append(missing, start.Add(time.Duration(i)*24*time.Hour).Format(time.DateOnly))
			}
		}
		if len(missing) > 0 {
			t.Errorf("trend panel %q has no data on %d of %d days of the past year, e.g. %v", p.Title, len(missing), steps, missing[:min(5, len(missing))])
		}
	}
	if panels == 0 {
		t.Fatal("the overview dashboard has no time series panels")
	}
	t.Logf("%d trend panels checked over %d days", panels, steps)
}

type trendPanel struct {
	Type, Title string
	Targets     []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []trendPanel `json:"panels"` // of a collapsed row
}

func flatten(panels []trendPanel) []trendPanel {
	var out []trendPanel
	for _, p := range panels {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}
