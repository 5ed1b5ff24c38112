package collector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// GitHub's dismissal reasons and resolutions, and the reason label each is counted under
// (README, "Remediation and alert flow").
var wantReason = map[string]string{
	"false positive": "false_positive", "won't fix": "wont_fix", "used in tests": "used_in_tests",
	"fix_started": "fix_started", "inaccurate": "inaccurate", "no_bandwidth": "no_bandwidth",
	"not_used": "not_used", "tolerable_risk": "tolerable_risk",
	"false_positive": "false_positive", "wont_fix": "wont_fix", "revoked": "revoked",
	"used_in_tests": "used_in_tests", "pattern_edited": "pattern_edited", "pattern_deleted": "pattern_deleted",
}

// falsePositive are the reasons left out of time to remediate.
var falsePositive = map[string]bool{"false positive": true, "inaccurate": true, "false_positive": true}

// flowTruth are the flow counters the simulator's ground truth implies, by series.
type flowTruth map[string]float64

func (f flowTruth) add(name, family, severity, reason string) {
	if family == githubsim.FamilyCodeScanning && severity == "" {
		severity = "none"
	}
	labels := fmt.Sprintf(`{family=%q,org=%q,severity=%q}`, family, rigOrg, severity)
	if name == "github_alerts_closed_total" {
		labels = fmt.Sprintf(`{family=%q,org=%q,reason=%q,severity=%q}`, family, rigOrg, reason, severity)
	}
	f[name+labels]++
}

// firstWalk counts what the exporter's first walk finds: every alert opened, every
// closed one closed by its reason.
func (f flowTruth) firstWalk(sim *githubsim.Server) {
	for _, a := range sim.CodeScanningAlerts(rigOrg) {
		severity := firstNonEmpty(a.SecuritySeverity, a.RuleSeverity)
		f.add("github_alerts_opened_total", githubsim.FamilyCodeScanning, severity, "")
		switch a.State {
		case "fixed":
			f.add("github_alerts_closed_total", githubsim.FamilyCodeScanning, severity, "fixed")
		case "dismissed":
			f.add("github_alerts_closed_total", githubsim.FamilyCodeScanning, severity, wantReason[a.DismissedReason])
		}
	}
	for _, a := range sim.DependabotAlerts(rigOrg) {
		f.add("github_alerts_opened_total", githubsim.FamilyDependabot, a.Severity, "")
		switch a.State {
		case "fixed", "auto_dismissed":
			f.add("github_alerts_closed_total", githubsim.FamilyDependabot, a.Severity, a.State)
		case "dismissed":
			f.add("github_alerts_closed_total", githubsim.FamilyDependabot, a.Severity, wantReason[a.DismissedReason])
		}
	}
	for _, a := range sim.SecretScanningAlerts(rigOrg) {
		f.add("github_alerts_opened_total", githubsim.FamilySecretScanning, "", "")
		if a.State == "resolved" {
			f.add("github_alerts_closed_total", githubsim.FamilySecretScanning, "", wantReason[a.Resolution])
		}
	}
}

// firstRemediations sums, per family, the seconds from creation to last closing (the
// alert's last state change) of the remediated alerts a first walk finds.
func firstRemediations(sim *githubsim.Server) map[string]float64 {
	sum := map[string]float64{}
	for _, a := range sim.CodeScanningAlerts(rigOrg) {
		if a.State == "fixed" || a.State == "dismissed" && !falsePositive[a.DismissedReason] {
			sum[githubsim.FamilyCodeScanning] += a.UpdatedAt.Sub(a.CreatedAt).Seconds()
		}
	}
	for _, a := range sim.DependabotAlerts(rigOrg) {
		if a.State == "fixed" || a.State == "dismissed" && !falsePositive[a.DismissedReason] {
			sum[githubsim.FamilyDependabot] += a.UpdatedAt.Sub(a.CreatedAt).Seconds()
		}
	}
	for _, a := range sim.SecretScanningAlerts(rigOrg) {
		if a.State == "resolved" && !falsePositive[a.Resolution] {
			sum[githubsim.FamilySecretScanning] += a.UpdatedAt.Sub(a.CreatedAt).Seconds()
		}
	}
	return sum
}

// event counts one change the simulator made.
func (f flowTruth) event(e githubsim.AlertEvent) {
	switch e.Action {
	case "created":
		f.add("github_alerts_opened_total", e.Family, e.Severity, "")
	case "fixed", "auto_dismissed":
		f.add("github_alerts_closed_total", e.Family, e.Severity, e.Action)
	case "dismissed", "resolved":
		f.add("github_alerts_closed_total", e.Family, e.Severity, wantReason[e.Reason])
	case "reopened", "reintroduced", "auto_reopened":
		f.add("github_alerts_reopened_total", e.Family, e.Severity, "")
	}
}

// remediation is whether a change is a remediation, and its age in seconds.
func remediation(e githubsim.AlertEvent) (float64, bool) {
	switch {
	case e.Action == "fixed", (e.Action == "dismissed" || e.Action == "resolved") && !falsePositive[e.Reason]:
		return e.At.Sub(e.CreatedAt).Seconds(), true
	}
	return 0, false
}

// TestFlowCountersMatchTheSimulator runs the exporter over a simulated month of churn on
// all three families, one change between two runs three hours apart, with a repository's
// alerts deleted and a restart on the state file. After every run no counter or histogram
// series has decreased; at the end the flow counters equal the simulator's ground truth,
// and real Prometheus (promtool test rules) evaluates the README's MTTR and the alert
// activity over the last ten days to the values computed from the simulator's changes.
func TestFlowCountersMatchTheSimulator(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	simClock, expClock := &clock{t: start}, &clock{t: start}
	sim := githubsim.New(githubsim.Config{Seed: 21, Now: simClock.now,
		Orgs: []githubsim.OrgSpec{{Login: rigOrg, Repos: 12, CodeScanning: 300, Dependabot: 400, SecretScanning: 80}}})
	r := &simRig{sim: sim, simClock: simClock, expClock: expClock}
	r.gh = simClient(t, r)
	state := filepath.Join(t.TempDir(), "state")
	newExporter := func() *Exporter {
		e, err := New(Config{Client: r.gh, Orgs: []string{rigOrg}, Sources: []string{"code_scanning", "dependabot", "secret_scanning"},
			Now: expClock.now, StatePath: state})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := newExporter()
	truth := flowTruth{}
	truth.firstWalk(sim)
	firstSum := firstRemediations(sim)

	const runs, every = 240, 3 * time.Hour
	var scrapes []map[string]sample
	for i := 0; i <= runs; i++ {
		if i > 0 {
			simClock.add(every)
			expClock.add(every)
			sim.Step(1)
		}
		switch i {
		case 80: // a repository's alerts vanish without any updated_at moving
			repo := sim.DependabotAlerts(rigOrg)[0].Repo
			if sim.DeleteRepositoryAlerts(rigOrg, repo) == 0 {
				t.Fatal("deleted no alerts")
			}
		case 120:
			before := scrape(t, e)
			e = newExporter()
			checkMonotonic(t, "restart", before, scrape(t, e))
		}
		e.Run(t.Context())
		for _, st := range e.Status() {
			if !st.Success {
				t.Fatalf("run %d: %s failed: %s", i, st.Collector, st.LastError)
			}
		}
		cur := scrape(t, e)
		if i > 0 {
			checkMonotonic(t, fmt.Sprintf("run %d", i), scrapes[i-1], cur)
		}
		scrapes = append(scrapes, cur)
	}

	// The first walk's remediations are aged from their last closing, which for an alert
	// fixed, reintroduced and closed again is not its fixed_at.
	for family, want := range firstSum {
		var got float64
		for k, s := range scrapes[0] {
			if strings.HasPrefix(k, "github_alerts_time_to_remediate_seconds_sum{") && strings.Contains(k, fmt.Sprintf("family=%q", family)) {
				got += s.value
			}
		}
		if got != want {
			t.Errorf("first walk: %s remediation seconds %g, simulator says %g", family, got, want)
		}
	}

	events := sim.AlertEvents(rigOrg)
	for _, ev := range events {
		truth.event(ev)
	}
	last := scrapes[runs]
	checked := 0
	for k, s := range last {
		if strings.HasSuffix(strings.SplitN(k, "{", 2)[0], "_total") && strings.HasPrefix(k, "github_alerts_") {
			checked++
			if s.value != truth[k] {
				t.Errorf("%s = %g, simulator says %g", k, s.value, truth[k])
			}
		}
	}
	for k, v := range truth {
		if _, ok := last[k]; !ok {
			t.Errorf("%s missing, simulator says %g", k, v)
		}
	}
	if checked == 0 || len(events) < runs {
		t.Fatalf("%d flow series checked, %d changes", checked, len(events))
	}
	kinds := map[string]bool{}
	for _, ev := range events {
		kinds[ev.Action] = true
	}
	for _, k := range []string{"reintroduced", "reopened", "auto_dismissed", "fixed", "dismissed", "resolved"} {
		if !kinds[k] {
			t.Errorf("the simulated month has no %q change: the test proves less than it says", k)
		}
	}

	// The last ten days, on real Prometheus: changes after run 160, up to run 240.
	from, to := start.Add(160*every), start.Add(runs*every)
	var sum, count, opened, closedN, reopenedN float64
	sumBy, countBy := map[string]float64{}, map[string]float64{}
	for _, ev := range events {
		if !ev.At.After(from) || ev.At.After(to) {
			continue
		}
		switch ev.Action {
		case "created":
			opened++
		case "fixed", "dismissed", "auto_dismissed", "resolved":
			closedN++
		case "reopened", "reintroduced", "auto_reopened":
			reopenedN++
		}
		if age, ok := remediation(ev); ok {
			sum, count = sum+age, count+1
			sumBy[ev.Family] += age
			countBy[ev.Family]++
		}
	}
	if count == 0 {
		t.Fatal("no remediation in the window")
	}
	byFamily := promqlCase{expr: "sum by (family) (increase(github_alerts_time_to_remediate_seconds_sum[10d]))" +
		" / sum by (family) (increase(github_alerts_time_to_remediate_seconds_count[10d]))", samples: map[string]float64{}}
	for family, n := range countBy {
		byFamily.samples[fmt.Sprintf(`{family=%q}`, family)] = sumBy[family] / n
	}
	tests := []promqlCase{
		{"sum(increase(github_alerts_time_to_remediate_seconds_sum[10d])) / sum(increase(github_alerts_time_to_remediate_seconds_count[10d]))",
			map[string]float64{"{}": sum / count}},
		byFamily,
		{"sum(increase(github_alerts_opened_total[10d]))", map[string]float64{"{}": opened}},
		// The overview dashboard's net resolve rate over the same window.
		{"(sum(increase(github_alerts_closed_total[10d])) - sum(increase(github_alerts_reopened_total[10d]))) / sum(increase(github_alerts_opened_total[10d]))",
			map[string]float64{"{}": (closedN - reopenedN) / opened}},
	}
	if closedN == 0 || reopenedN == 0 {
		t.Fatalf("the window has %g closings and %g reopenings: the net resolve rate proves less than it says", closedN, reopenedN)
	}
	promtoolTest(t, scrapes, every, runs, tests)
}

type promqlCase struct {
	expr    string
	samples map[string]float64 // by labels
}

// promtoolTest writes the scraped counter series as promtool input series, one sample per
// run, and has promtool evaluate each expression at the last run.
func promtoolTest(t *testing.T, scrapes []map[string]sample, every time.Duration, runs int, cases []promqlCase) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (Debian package prometheus): %v", err)
	}
	var keys []string
	for k, s := range scrapes[len(scrapes)-1] {
		if s.cumulative && !strings.Contains(k, "_bucket") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "rule_files: []\nevaluation_interval: %s\ntests:\n  - interval: %s\n    input_series:\n", every, every)
	for _, k := range keys {
		values := make([]string, len(scrapes))
		for i, s := range scrapes {
			if v, ok := s[k]; ok {
				values[i] = strconv.FormatFloat(v.value, 'f', -1, 64)
			} else {
				values[i] = "_"
			}
		}
		fmt.Fprintf(&b, "      - series: '%s'\n        values: '%s'\n", k, strings.Join(values, " "))
	}
	b.WriteString("    promql_expr_test:\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "      - expr: '%s'\n        eval_time: %s\n        exp_samples:\n", c.expr, time.Duration(runs)*every)
		for labels, v := range c.samples {
			fmt.Fprintf(&b, "          - labels: '%s'\n            value: %s\n", labels, strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	file := filepath.Join(t.TempDir(), "flow.test.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "test", "rules", file).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Logf("promtool: %d expressions as computed from the simulator: %v", len(cases), cases)
}

// simClient serves r.sim on a loopback port and returns a client of it.
func simClient(t *testing.T, r *simRig) *githubapi.Client {
	t.Helper()
	srv := httptest.NewServer(r.sim)
	t.Cleanup(srv.Close)
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{
		Transport: githubapi.NewTransport(githubapi.TransportOptions{
			Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}, RequestsPerSecond: 10000}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return gh
}
