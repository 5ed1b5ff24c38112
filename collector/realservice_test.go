package collector

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// worldRig is an exporter of every alert family and the inventory of one organization
// on the simulated GitHub, with clocks of its own for the server and the exporter.
type worldRig struct {
	sim                *githubsim.Server
	exporter           *Exporter
	simClock, expClock *clock
	afterServe         atomic.Pointer[func(*http.Request)] // called after each response
}

const worldOrg = "world-org"

func newWorldRig(t *testing.T, cfg githubsim.Config, walks Walks) *worldRig {
	t.Helper()
	start := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	r := &worldRig{simClock: &clock{t: start}, expClock: &clock{t: start}}
	cfg.Seed, cfg.Now = 11, r.simClock.now
	if cfg.Orgs == nil {
		cfg.Orgs = []githubsim.OrgSpec{{Login: worldOrg, Repos: 20, CodeScanning: 700, Dependabot: 900, SecretScanning: 150, GenericSecretScanning: 90}}
	}
	r.sim = githubsim.New(cfg)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.sim.ServeHTTP(w, req)
		if f := r.afterServe.Load(); f != nil {
			(*f)(req)
		}
	}))
	t.Cleanup(srv.Close)
	c, _ := clientsFor(t, srv.URL+cfg.PathPrefix+"/", worldOrg)
	c.Sources = []string{"repositories", "code_scanning", "dependabot", "secret_scanning"}
	c.Now, c.Walks = r.expClock.now, walks
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	r.exporter = e
	return r
}

// run collects once and returns the requests GitHub counts and the 304s, which it does not.
func (r *worldRig) run(t *testing.T) (counted, notModified int) {
	t.Helper()
	before := r.sim.Stats()
	r.exporter.Run(context.Background())
	after := r.sim.Stats()
	for _, st := range r.exporter.Status() {
		if !st.Success {
			t.Fatalf("%s failed: %s", st.Collector, st.LastError)
		}
	}
	notModified = after.ByStatus[http.StatusNotModified] - before.ByStatus[http.StatusNotModified]
	return after.Requests - before.Requests - notModified, notModified
}

// later moves both clocks on.
func (r *worldRig) later(d time.Duration) { r.simClock.add(d); r.expClock.add(d) }

// series returns the non-zero series of the named metrics as name{labels} → value.
func (r *worldRig) series(names ...string) map[string]float64 {
	out := map[string]float64{}
	ch := make(chan prometheus.Metric, 1024)
	go func() { r.exporter.Collect(ch); close(ch) }()
	for m := range ch {
		desc := m.Desc().String()
		for _, name := range names {
			if !strings.Contains(desc, `"`+name+`"`) {
				continue
			}
			pb := metricPB(m)
			var labels []string
			for _, l := range pb.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			if v := pb.GetGauge().GetValue(); v != 0 {
				out[name+"{"+strings.Join(labels, ",")+"}"] = v
			}
		}
	}
	return out
}

func key(name string, labels ...string) string {
	var pairs []string
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, labels[i]+"="+labels[i+1])
	}
	sort.Strings(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// truth is every alert-count series and github_repository_info as the simulator's
// ground truth says.
func (r *worldRig) truth() map[string]float64 {
	want := map[string]float64{}
	for _, a := range r.sim.CodeScanningAlerts(worldOrg) {
		want[key("github_code_scanning_alerts", "org", worldOrg, "repository", a.Repo, "tool", a.Tool,
			"severity", firstNonEmpty(a.SecuritySeverity, firstNonEmpty(a.RuleSeverity, "none")), "state", firstNonEmpty(a.State, "unknown"))]++
	}
	for _, a := range r.sim.DependabotAlerts(worldOrg) {
		want[key("github_dependabot_alerts", "org", worldOrg, "repository", a.Repo, "ecosystem", a.Ecosystem,
			"scope", firstNonEmpty(a.Scope, "unknown"), "severity", a.Severity, "state", a.State)]++
	}
	for _, a := range r.sim.SecretScanningAlerts(worldOrg) {
		resolution, kind := a.Resolution, kindDefault
		if a.State == "open" {
			resolution = ""
		}
		if a.Generic {
			kind = kindGeneric
		}
		want[key("github_secret_scanning_alerts", "org", worldOrg, "repository", a.Repo, "secret_type", a.SecretType,
			"validity", firstNonEmpty(a.Validity, "unknown"), "resolution", resolution, "kind", kind, "state", a.State)]++
	}
	for _, rp := range r.sim.Repositories(worldOrg) {
		want[key("github_repository_info", "org", worldOrg, "repository", rp.Name, "visibility", strings.ToLower(rp.Visibility),
			"archived", fmt.Sprint(rp.Archived), "fork", fmt.Sprint(rp.Fork), "language", rp.Language)] = 1
	}
	return want
}

var countMetrics = []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts", "github_repository_info"}

// check compares every alert-count series and the inventory with the ground truth.
func (r *worldRig) check(t *testing.T, when string) {
	t.Helper()
	if d := diffSeries(r.truth(), r.series(countMetrics...)); len(d) > 0 {
		t.Errorf("%s: %d series differ from the ground truth, e.g.\n%s", when, len(d), strings.Join(d[:min(8, len(d))], "\n"))
	}
}

// checkOpen compares the series of open alerts with the ground truth.
func (r *worldRig) checkOpen(t *testing.T, when string) {
	t.Helper()
	open := func(m map[string]float64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range m {
			if strings.Contains(k, "state=open") {
				out[k] = v
			}
		}
		return out
	}
	if d := diffSeries(open(r.truth()), open(r.series(countMetrics...))); len(d) > 0 {
		t.Errorf("%s: %d series of open alerts differ from the ground truth, e.g.\n%s", when, len(d), strings.Join(d[:min(8, len(d))], "\n"))
	}
}

func diffSeries(want, got map[string]float64) []string {
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: got %v, want none", k, v))
		}
	}
	sort.Strings(d)
	return d
}

// TestNoSecretLiteralReachesTheExporter: every secret scanning request asks for
// hide_secret=true, on github.com and on an Enterprise Server, in full walks,
// incremental walks and open-alert refreshes.
func TestNoSecretLiteralReachesTheExporter(t *testing.T) {
	for name, cfg := range map[string]githubsim.Config{
		"github.com":                      {},
		"Enterprise Server":               {PathPrefix: "/api/v3"},
		"Enterprise Server ignoring sort": {PathPrefix: "/api/v3", IgnoreSortUpdated: true},
	} {
		t.Run(name, func(t *testing.T) {
			r := newWorldRig(t, cfg, Walks{})
			r.run(t)
			for range 3 {
				r.later(40 * time.Minute)
				r.sim.Step(20)
				r.run(t)
			}
			st := r.sim.Stats()
			if st.ByEndpoint["/orgs/{org}/secret-scanning/alerts"] < 8 {
				t.Fatalf("only %d secret scanning requests", st.ByEndpoint["/orgs/{org}/secret-scanning/alerts"])
			}
			if st.SecretLiterals != 0 {
				t.Errorf("the simulator served %d secret literals; want 0", st.SecretLiterals)
			}
			r.check(t, "after the runs")
		})
	}
}

// TestGenericSecretsAreCountedApart: with generic secrets present, the family equals the
// ground truth series for series, and kind="default" equals the summary views' count.
func TestGenericSecretsAreCountedApart(t *testing.T) {
	r := newWorldRig(t, githubsim.Config{}, Walks{})
	r.run(t)
	r.check(t, "first run")
	r.later(20 * time.Minute)
	r.sim.Step(60)
	r.run(t)
	r.check(t, "incremental run")

	summary, exported := 0.0, 0.0
	for _, a := range r.sim.SecretScanningAlerts(worldOrg) {
		if !a.Generic && a.State == "open" {
			summary++
		}
	}
	for k, v := range r.series("github_secret_scanning_alerts") {
		if strings.Contains(k, "kind="+kindDefault) && strings.Contains(k, "state=open") {
			exported += v
		}
	}
	if summary == 0 || exported != summary {
		t.Errorf(`open alerts with kind="default": %v; the summary views count %v`, exported, summary)
	}

	off := newWorldRig(t, githubsim.Config{}, Walks{GenericSecretTypes: []string{}})
	off.run(t)
	for k := range off.series("github_secret_scanning_alerts") {
		if strings.Contains(k, "kind="+kindGeneric) {
			t.Fatalf("generic walk turned off, yet %s", k)
		}
	}
}

// TestRepositoriesDeletedTransferredRenamed: no alert's updated_at moves, yet the next
// collection equals the ground truth, and the following full walk changes nothing.
func TestRepositoriesDeletedTransferredRenamed(t *testing.T) {
	r := newWorldRig(t, githubsim.Config{}, Walks{})
	r.run(t)
	repos := r.sim.Repos(worldOrg)
	for _, op := range []bool{
		r.sim.DeleteRepository(worldOrg, repos[0]),
		r.sim.TransferRepository(worldOrg, repos[1], "someone-else"),
		r.sim.RenameRepository(worldOrg, repos[2], repos[2]+"-renamed"),
	} {
		if !op {
			t.Fatal("a repository operation failed")
		}
	}
	r.later(15 * time.Minute)
	r.run(t)
	r.check(t, "next collection")
	for k := range r.series(countMetrics...) {
		for _, gone := range repos[:3] {
			if strings.Contains(k, "repository="+gone+",") || strings.HasSuffix(k, "repository="+gone+"}") {
				t.Errorf("a series of %s is still served: %s", gone, k)
			}
		}
	}
	before := r.series(append(countMetrics, "github_alerts_oldest_open_timestamp_seconds")...)
	r.later(25 * time.Hour)
	r.run(t) // a full walk
	if d := diffSeries(before, r.series(append(countMetrics, "github_alerts_oldest_open_timestamp_seconds")...)); len(d) > 0 {
		t.Errorf("the full walk changed %d series, e.g.\n%s", len(d), strings.Join(d[:min(8, len(d))], "\n"))
	}
}

// TestLabelsThatChangeWithoutUpdatedAt: reclassified advisories, new dependency scopes
// and rule severities show on the open alerts within one open-refresh interval, and on
// the closed ones at the next full walk; a run in which nothing changed costs no
// counted request.
func TestLabelsThatChangeWithoutUpdatedAt(t *testing.T) {
	r := newWorldRig(t, githubsim.Config{}, Walks{OpenRefresh: time.Hour})
	r.run(t)
	r.later(61 * time.Minute)
	counted, _ := r.run(t) // the first refresh reads the open alerts' pages once
	if counted == 0 {
		t.Fatal("the first refresh read nothing")
	}
	r.check(t, "after the first refresh")

	if r.sim.ReclassifyAdvisories(4) == 0 || r.sim.ChangeDependencyScopes(worldOrg, 6) == 0 || r.sim.ChangeRuleSeverities(worldOrg, 3) == 0 {
		t.Fatal("nothing reclassified")
	}
	r.later(30 * time.Minute)
	r.run(t) // within the interval: no refresh, the change may not show yet
	if d := diffSeries(r.truth(), r.series(countMetrics...)); len(d) == 0 {
		t.Fatal("the reclassification showed without a refresh: the test shows nothing")
	}
	r.later(31 * time.Minute)
	r.run(t)
	r.checkOpen(t, "one interval after the reclassification")

	r.later(61 * time.Minute) // nothing changed: a refresh of 304s only
	counted, notModified := r.run(t)
	set := r.exporter.targets[worldOrg]
	openPages := 0
	for _, key := range []string{"code_scanning", "dependabot", "secret_scanning", genericSecretsKey} {
		for u := range set.alerts[key].Pages {
			if strings.Contains(u, "state=open") {
				openPages++
			}
		}
	}
	// The inventory is GraphQL (counted); every listing's updated-first head and every
	// open page answer 304.
	if counted != 1 || notModified != 4+openPages {
		t.Errorf("nothing changed: %d counted requests and %d 304s; want 1 (the inventory) and %d", counted, notModified, 4+openPages)
	}
	r.checkOpen(t, "after a run with nothing changed")

	r.later(24 * time.Hour) // the full walk: the closed alerts follow too
	r.run(t)
	r.check(t, "after the next full walk")
}

// TestServerIgnoringSort: an Enterprise Server that ignores sort=updated is detected from
// the pages, walked in full, and said so; the numbers stay right.
func TestServerIgnoringSort(t *testing.T) {
	r := newWorldRig(t, githubsim.Config{PathPrefix: "/api/v3", IgnoreSortUpdated: true}, Walks{})
	r.run(t)
	for range 3 {
		r.later(15 * time.Minute)
		r.sim.Step(40)
		r.run(t)
		r.check(t, "a run after changes")
	}
	got := r.series("github_exporter_incremental_walks_disabled")
	for _, c := range []string{"code_scanning", "dependabot", "secret_scanning"} {
		if got[key("github_exporter_incremental_walks_disabled", "org", worldOrg, "collector", c)] != 1 {
			t.Errorf("%s: incremental walks not reported disabled: %v", c, got)
		}
	}

	sorted := newWorldRig(t, githubsim.Config{PathPrefix: "/api/v3"}, Walks{})
	sorted.run(t)
	sorted.later(15 * time.Minute)
	sorted.sim.Step(40)
	sorted.run(t)
	if got := sorted.series("github_exporter_incremental_walks_disabled"); len(got) != 0 {
		t.Errorf("a server that sorts: %v", got)
	}
}

// TestAlertsVanishingDuringAFullWalk deletes a repository's alerts after the first page
// of the first full walk: with page numbers the later pages would shift forward and
// hide alerts that were there all along; with cursor links none is missed.
func TestAlertsVanishingDuringAFullWalk(t *testing.T) {
	r := newWorldRig(t, githubsim.Config{}, Walks{})
	all := r.sim.CodeScanningAlerts(worldOrg)
	oldest := all[0] // its repository has alerts on the first page of the oldest-first walk
	for _, a := range all {
		if a.CreatedAt.Before(oldest.CreatedAt) {
			oldest = a
		}
	}
	victim := oldest.Repo
	var once sync.Once
	hook := func(req *http.Request) {
		if strings.Contains(req.URL.Path, "code-scanning") && strings.Contains(req.URL.RawQuery, "sort=created") {
			once.Do(func() { r.sim.DeleteRepositoryAlerts(worldOrg, victim) })
		}
	}
	r.afterServe.Store(&hook)
	r.run(t)
	r.afterServe.Store(nil)
	got := r.series("github_code_scanning_alerts")
	for k, v := range r.truth() {
		if strings.HasPrefix(k, "github_code_scanning_alerts{") && got[k] < v {
			t.Errorf("%s: %v counted, but %v were in the listing all along", k, got[k], v)
		}
	}
}

// TestOpenRefreshCountsOnlyChangedPages: an alert that closes moves the cursors of every
// later page of the open listing; the refresh goes on with the pages as they were cut
// last time, so it counts the pages that changed, not all those after them.
func TestOpenRefreshCountsOnlyChangedPages(t *testing.T) {
	r := newWorldRig(t, githubsim.Config{Orgs: []githubsim.OrgSpec{{Login: worldOrg, Repos: 30, Dependabot: 8000}}},
		Walks{OpenRefresh: time.Hour, GenericSecretTypes: []string{}})
	r.run(t)
	r.later(61 * time.Minute)
	r.run(t) // the first refresh: every open page, once
	open := 0
	for u := range r.exporter.targets[worldOrg].alerts["dependabot"].Pages {
		if strings.Contains(u, "state=open") {
			open++
		}
	}
	var openAlerts []githubsim.DependabotAlert
	for _, a := range r.sim.DependabotAlerts(worldOrg) {
		if a.State == "open" {
			openAlerts = append(openAlerts, a)
		}
	}
	sort.Slice(openAlerts, func(i, j int) bool { return openAlerts[i].CreatedAt.Before(openAlerts[j].CreatedAt) })
	r.later(61 * time.Minute)
	for _, i := range []int{50, 1050, 2050} { // on the 1st, 11th and 21st open page
		if !r.sim.FixDependabotAlert(worldOrg, openAlerts[i].Repo, openAlerts[i].Number) {
			t.Fatal("no alert fixed")
		}
	}
	counted, _ := r.run(t)
	// The inventory, the updated-first head (and the page after it), and for each fixed
	// alert at most the page it is on and the one after.
	if limit := 1 + 2 + 2*3; counted > limit || open < 20 {
		t.Errorf("refresh after 3 alerts were fixed: %d counted requests of %d open pages; want at most %d", counted, open, limit)
	}
	r.checkOpen(t, "after the refresh")
}
