package collector

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// series returns the values of one metric the exporter serves, keyed by the values of
// labels joined with "|".
func series(e *Exporter, name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	ch := make(chan prometheus.Metric, 1024)
	go func() { e.Collect(ch); close(ch) }()
	for m := range ch {
		if !strings.Contains(m.Desc().String(), `"`+name+`"`) {
			continue
		}
		pb := metricPB(m)
		var values []string
		for _, want := range labels {
			for _, l := range pb.GetLabel() {
				if l.GetName() == want {
					values = append(values, l.GetValue())
				}
			}
		}
		v := pb.GetGauge().GetValue() + pb.GetCounter().GetValue()
		out[strings.Join(values, "|")] += v
	}
	return out
}

func diff(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", k, got[k], want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want no series", k, got[k]))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("%s: %d series differ from the simulator's ground truth, e.g. %v", what, len(diffs), diffs[:min(5, len(diffs))])
	}
}

// TestDependabotRiskMatchesGroundTruth checks the EPSS bands, patch availability,
// dependency relationship and top advisories against the simulator's alerts, which carry
// EPSS in both of GitHub's shapes (and null), patched and unpatched advisories.
func TestDependabotRiskMatchesGroundTruth(t *testing.T) {
	r := newRig(t, 1500)
	r.run(t)
	epss, patch, relationship := map[string]float64{}, map[string]float64{}, map[string]float64{}
	advisories := map[string]map[string]float64{}
	var noEPSS, unpatched int
	for _, a := range r.sim.DependabotAlerts(rigOrg) {
		if a.State != "open" {
			continue
		}
		for _, band := range []string{"0.001", "0.01", "0.1"} {
			epss[a.Severity+"|"+band] += 0
		}
		epss[a.Severity+"|0.001"] += b2f(a.EPSSPercentage >= 0.001)
		epss[a.Severity+"|0.01"] += b2f(a.EPSSPercentage >= 0.01)
		epss[a.Severity+"|0.1"] += b2f(a.EPSSPercentage >= 0.1)
		patch[a.Severity+"|true"] += b2f(a.Patched)
		patch[a.Severity+"|false"] += b2f(!a.Patched)
		for _, rel := range []string{"direct", "transitive", "unknown"} {
			relationship[a.Severity+"|"+rel] += b2f(a.Relationship == rel)
		}
		if advisories[a.GHSA] == nil {
			advisories[a.GHSA] = map[string]float64{}
		}
		advisories[a.GHSA][a.Severity]++
		noEPSS += int(b2f(a.EPSSPercentage < 0))
		unpatched += int(b2f(!a.Patched))
	}
	if noEPSS == 0 || unpatched == 0 {
		t.Fatalf("the simulator should serve open alerts without EPSS (%d) and without a patch (%d)", noEPSS, unpatched)
	}
	diff(t, "by EPSS", series(r.exporter, "github_dependabot_open_alerts_by_epss", "severity", "epss"), epss)
	diff(t, "by patch", series(r.exporter, "github_dependabot_open_alerts_by_patch", "severity", "patched"), patch)
	diff(t, "by relationship", series(r.exporter, "github_dependabot_open_alerts_by_relationship", "severity", "relationship"), relationship)

	ghsas := slices.Collect(maps.Keys(advisories))
	total := func(g string) (n float64) {
		for _, v := range advisories[g] {
			n += v
		}
		return n
	}
	slices.SortFunc(ghsas, func(a, b string) int { return cmp.Or(cmp.Compare(total(b), total(a)), cmp.Compare(a, b)) })
	top := func(n int) map[string]float64 {
		out := map[string]float64{}
		for _, g := range ghsas[:n] {
			for severity, count := range advisories[g] {
				out[g+"|"+severity] = count
			}
		}
		return out
	}
	diff(t, "top advisories", series(r.exporter, "github_dependabot_top_advisory_open_alerts", "ghsa_id", "severity"), top(10))

	three, err := New(Config{Client: r.gh, Orgs: []string{rigOrg}, Sources: []string{"dependabot"}, Now: r.expClock.now, TopAdvisories: 3})
	if err != nil {
		t.Fatal(err)
	}
	three.Run(context.Background())
	diff(t, "top 3 advisories", series(three, "github_dependabot_top_advisory_open_alerts", "ghsa_id", "severity"), top(3))
}

// TestSecretExposureMatchesGroundTruth checks the exposed alerts per repository and the
// bypass counter against the simulator, then that the counter survives a restart and
// does not go down when bypassed alerts vanish with their repository.
func TestSecretExposureMatchesGroundTruth(t *testing.T) {
	r := newRig(t, 50)
	state := filepath.Join(t.TempDir(), "state")
	r.exporter = r.newExporter(t, state)
	r.run(t)
	want, bypassed := secretTruth(r.sim.SecretScanningAlerts(rigOrg))
	diff(t, "exposed", series(r.exporter, "github_secret_scanning_exposed_alerts", "repository", "exposure"), want)
	if bypassed == 0 {
		t.Fatal("the simulator should serve bypassed secrets")
	}
	diff(t, "bypasses", series(r.exporter, "github_secret_scanning_push_protection_bypasses_total", "org"), map[string]float64{rigOrg: bypassed})

	// The repository with the most bypassed alerts goes; a restarted exporter still counts them.
	byRepo := map[string]int{}
	for _, a := range r.sim.SecretScanningAlerts(rigOrg) {
		if a.PushProtectionBypassed {
			byRepo[a.Repo]++
		}
	}
	gone := slices.MaxFunc(slices.Collect(maps.Keys(byRepo)), func(a, b string) int { return cmp.Compare(byRepo[a], byRepo[b]) })
	r.sim.DeleteRepositoryAlerts(rigOrg, gone)
	r.exporter = r.newExporter(t, state)
	diff(t, "bypasses after a restart", series(r.exporter, "github_secret_scanning_push_protection_bypasses_total", "org"), map[string]float64{rigOrg: bypassed})
	r.expClock.add(25 * time.Hour) // the next walk is a full one, which drops the repository's alerts
	r.run(t)
	want, _ = secretTruth(r.sim.SecretScanningAlerts(rigOrg))
	diff(t, "exposed after the deletion", series(r.exporter, "github_secret_scanning_exposed_alerts", "repository", "exposure"), want)
	diff(t, "bypasses after the deletion", series(r.exporter, "github_secret_scanning_push_protection_bypasses_total", "org"), map[string]float64{rigOrg: bypassed})
}

// secretTruth returns the exposed open alerts per repository and exposure (every
// exposure of a repository with open alerts), and how many alerts bypassed push protection.
func secretTruth(alerts []githubsim.SecretScanningAlert) (map[string]float64, float64) {
	want := map[string]float64{}
	var bypassed float64
	for _, a := range alerts {
		bypassed += b2f(a.PushProtectionBypassed)
		if a.State != "open" {
			continue
		}
		want[a.Repo+"|push_protection_bypassed"] += b2f(a.PushProtectionBypassed)
		want[a.Repo+"|publicly_leaked"] += b2f(a.PubliclyLeaked)
		want[a.Repo+"|multi_repo"] += b2f(a.MultiRepo)
	}
	return want, bypassed
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestEPSSShapes decodes security_advisory.epss in the shapes GitHub sends and the
// broken ones a server might.
func TestEPSSShapes(t *testing.T) {
	tests := []struct {
		json string
		want float64
	}{
		{`{"epss": {"percentage": 0.00045, "percentile": "0.16001e0"}}`, 0.00045},
		{`{"epss": [{"percentage": 0.2, "percentile": 0.9}]}`, 0.2},
		{`{"epss": [{"percentage": 0.01}, {"percentage": 0.3}]}`, 0.3},
		{`{"epss": {"percentage": "0.05"}}`, 0.05},
		{`{"epss": null}`, -1},
		{`{}`, -1},
		{`{"epss": []}`, -1},
		{`{"epss": "high"}`, -1},
		{`{"epss": {"percentage": 42}}`, -1}, // not a probability
		{`{"epss": [{"percentage": true}]}`, -1},
	}
	for _, tt := range tests {
		var adv struct {
			EPSS *epssScore `json:"epss"`
		}
		if err := json.Unmarshal([]byte(tt.json), &adv); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if got := adv.EPSS.value(); got != tt.want {
			t.Errorf("%s: EPSS %v, want %v", tt.json, got, tt.want)
		}
	}
}

// TestBypasserNeverKept checks that who bypassed push protection reaches neither the
// state file nor /metrics, though the simulator sends it for every bypassed alert.
func TestBypasserNeverKept(t *testing.T) {
	r := newRig(t, 10)
	state := filepath.Join(t.TempDir(), "state")
	r.exporter = r.newExporter(t, state)
	r.run(t)
	body, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.exporter)
	var exposition strings.Builder
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		exposition.WriteString(mf.String())
	}
	raw := r.rawSecretAlerts(t)
	logins := map[string]bool{}
	for _, a := range raw {
		if a.By != nil {
			logins[a.By.Login] = true
		}
	}
	if len(logins) == 0 {
		t.Fatal("the simulator should name who bypassed push protection")
	}
	for login := range logins {
		if bytes.Contains(body, []byte(login)) || strings.Contains(exposition.String(), login) {
			t.Errorf("the bypasser %q is kept", login)
		}
	}
}

type rawSecretAlert struct {
	By *struct {
		Login string `json:"login"`
	} `json:"push_protection_bypassed_by"`
}

// rawSecretAlerts reads the simulator's secret scanning listing as GitHub serves it.
func (r *simRig) rawSecretAlerts(t *testing.T) []rawSecretAlert {
	t.Helper()
	var all []rawSecretAlert
	err := r.gh.WalkPages(context.Background(), "/orgs/{org}/secret-scanning/alerts", "orgs/"+rigOrg+"/secret-scanning/alerts?per_page=100&after=",
		func(string) (githubapi.Validator, bool) { return githubapi.Validator{}, false },
		func(p *githubapi.Page) error {
			var page []rawSecretAlert
			if err := json.NewDecoder(p.Body).Decode(&page); err != nil {
				return err
			}
			all = append(all, page...)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
