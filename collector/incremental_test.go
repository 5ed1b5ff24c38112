package collector

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// clock is a settable time for the simulator or the exporter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// simRig is an exporter of Dependabot alerts on the simulated GitHub.
type simRig struct {
	gh         *githubapi.Client
	sim        *githubsim.Server
	exporter   *Exporter
	simClock   *clock
	expClock   *clock
	afterServe atomic.Pointer[func(r *http.Request)] // called after each response
}

const rigOrg = "rig-org"

func newRig(t *testing.T, alerts int) *simRig { return newLaggingRig(t, alerts, 0) }

// newLaggingRig is newRig on a simulator whose sort=updated listings show each change
// only after a lag of up to lag (githubsim.Config.ListingLag).
func newLaggingRig(t *testing.T, alerts int, lag time.Duration) *simRig {
	t.Helper()
	start := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	r := &simRig{simClock: &clock{t: start}, expClock: &clock{t: start}}
	r.sim = githubsim.New(githubsim.Config{Seed: 5, Now: r.simClock.now, ListingLag: lag,
		Orgs: []githubsim.OrgSpec{{Login: rigOrg, Repos: 25, Dependabot: alerts, SecretScanning: 120}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.sim.ServeHTTP(w, req)
		if f := r.afterServe.Load(); f != nil {
			(*f)(req)
		}
	}))
	t.Cleanup(srv.Close)
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{
		Transport: githubapi.NewTransport(githubapi.TransportOptions{
			Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}, RequestsPerSecond: 10000}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.gh = gh
	r.exporter = r.newExporter(t, "")
	return r
}

// newExporter returns an exporter of the rig's organization keeping its state in state.
func (r *simRig) newExporter(t *testing.T, state string) *Exporter {
	t.Helper()
	e, err := New(Config{Client: r.gh, Orgs: []string{rigOrg}, Sources: []string{"dependabot", "secret_scanning"}, Now: r.expClock.now, StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run collects once and returns the requests it made that count against the rate limit
// and those answered 304 (which do not).
func (r *simRig) run(t *testing.T) (counted, notModified int) {
	t.Helper()
	before := r.sim.Stats()
	r.exporter.Run(context.Background())
	after := r.sim.Stats()
	if st := r.exporter.Status(); len(st) != 2 || !st[0].Success || !st[1].Success {
		t.Fatalf("collection failed: %+v", st)
	}
	notModified = after.ByStatus[304] - before.ByStatus[304]
	return after.Requests - before.Requests - notModified, notModified
}

// check compares the exported Dependabot counts with the simulator's ground truth.
func (r *simRig) check(t *testing.T) {
	t.Helper()
	want := map[string]float64{}
	for _, a := range r.sim.DependabotAlerts(rigOrg) {
		want[strings.Join([]string{a.Repo, a.Ecosystem, firstNonEmpty(a.Scope, "unknown"), a.Severity, a.State}, "|")]++
	}
	got := map[string]float64{}
	ch := make(chan prometheus.Metric, 1024)
	go func() { r.exporter.Collect(ch); close(ch) }()
	for m := range ch {
		if !strings.Contains(m.Desc().String(), `"github_dependabot_alerts"`) {
			continue
		}
		var labels []string
		pb := metricPB(m)
		for _, name := range []string{"repository", "ecosystem", "scope", "severity", "state"} {
			for _, l := range pb.GetLabel() {
				if l.GetName() == name {
					labels = append(labels, l.GetValue())
				}
			}
		}
		if v := pb.GetGauge().GetValue(); v != 0 {
			got[strings.Join(labels, "|")] = v
		}
	}
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%d series differ from the ground truth, e.g. %v", len(diffs), diffs[:min(5, len(diffs))])
	}
}

func firstNonEmpty(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func pages(n int) int { return (n + 99) / 100 }

func TestIncrementalCollection(t *testing.T) {
	r := newRig(t, 2345)
	counted, _ := r.run(t)
	if want := pages(2345) + 1 + pages(120) + 1 + 2; counted != want {
		t.Errorf("first full walk made %d counted requests, want %d (every page and the head of the updated-first listing, of each listing: the generic secrets' is empty)", counted, want)
	}
	r.check(t)

	r.expClock.add(15 * time.Minute)
	counted, notModified := r.run(t)
	if counted != 0 || notModified != 3 {
		t.Errorf("nothing changed: %d counted requests and %d 304s, want 0 and 3 (one per listing)", counted, notModified)
	}
	r.check(t)

	r.simClock.add(15 * time.Minute)
	r.sim.Step(23) // 1% of the alerts change
	r.expClock.add(15 * time.Minute)
	if counted, _ = r.run(t); counted < 1 || counted > 3 {
		t.Errorf("1%% changed: %d counted requests, want 1 to 3 (the changes fit on a page per family)", counted)
	}
	r.check(t)

	// A day later a full walk runs again; pages unchanged since the last one cost nothing.
	r.simClock.add(time.Minute)
	r.sim.Step(5)
	r.expClock.add(25 * time.Hour)
	counted, notModified = r.run(t)
	if counted+notModified != pages(len(r.sim.DependabotAlerts(rigOrg)))+1+pages(len(r.sim.SecretScanningAlerts(rigOrg)))+1+2 || counted == 0 {
		t.Errorf("second full walk: %d counted and %d 304s, want one request per page and the head", counted, notModified)
	}
	r.check(t)
}

// TestTiesOnUpdatedAt changes 250 alerts at one instant: they share updated_at across
// three pages, and the walk must not stop inside the tie.
func TestTiesOnUpdatedAt(t *testing.T) {
	r := newRig(t, 1200)
	r.run(t)
	r.simClock.add(time.Hour)
	r.sim.Step(250)
	r.expClock.add(time.Hour)
	if counted, _ := r.run(t); counted < 3 {
		t.Errorf("read %d pages, want at least the 3 holding the tied changes", counted)
	}
	r.check(t)
}

// TestClockSkew runs the simulated server's clock hours off the exporter's: only the
// server's timestamps decide where an incremental walk stops.
func TestClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-3 * time.Hour, 3 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			r := newRig(t, 800)
			r.simClock.add(skew)
			r.run(t)
			for i := 0; i < 3; i++ {
				r.simClock.add(10 * time.Minute)
				r.sim.Step(30)
				r.expClock.add(10 * time.Minute)
				r.run(t)
				r.check(t)
			}
		})
	}
}

// TestAlertChangingDuringWalk changes alerts right after the first page of a walk is
// served: that walk may miss them, the next one must not.
func TestAlertChangingDuringWalk(t *testing.T) {
	for _, walk := range []string{"full", "incremental"} {
		t.Run(walk, func(t *testing.T) {
			r := newRig(t, 1500)
			if walk == "incremental" {
				r.run(t)
				r.simClock.add(time.Minute)
				r.sim.Step(150)
				r.expClock.add(time.Minute)
			}
			var once sync.Once
			hook := func(*http.Request) {
				once.Do(func() {
					r.simClock.add(time.Second)
					r.sim.Step(40)
				})
			}
			r.afterServe.Store(&hook)
			r.run(t)
			r.afterServe.Store(nil)
			r.expClock.add(time.Minute)
			r.run(t)
			r.check(t)
		})
	}
}

// TestFullWalkDropsVanishedAlerts deletes a repository's alerts: no updated_at changes,
// so incremental walks cannot see it; the next full walk drops them.
func TestFullWalkDropsVanishedAlerts(t *testing.T) {
	r := newRig(t, 1000)
	r.run(t)
	repo := r.sim.DependabotAlerts(rigOrg)[0].Repo
	if n := r.sim.DeleteRepositoryAlerts(rigOrg, repo); n == 0 {
		t.Fatal("nothing deleted")
	}
	r.expClock.add(25 * time.Hour)
	r.run(t)
	r.check(t)
	for _, s := range r.exporter.targets[rigOrg].alerts["dependabot"].Tuples {
		if s.repository() == repo && r.exporter.targets[rigOrg].alerts["dependabot"].countTuple(s) > 0 {
			t.Fatalf("records of the deleted repository %s survived the full walk", repo)
		}
	}
}

// TestFailedIncrementalWalkKeepsRecords breaks a page mid-walk: the last good counts stay,
// and the next run catches up.
func TestFailedIncrementalWalkKeepsRecords(t *testing.T) {
	r := newRig(t, 900)
	r.run(t)
	r.simClock.add(time.Minute)
	r.sim.Step(300)
	r.sim.InjectFault(githubsim.Fault{Path: "dependabot", After: 1, Kind: githubsim.MalformedJSON})
	r.expClock.add(time.Minute)
	r.exporter.Run(context.Background())
	if st := r.exporter.Status(); st[0].Collector != "dependabot" || st[0].Success {
		t.Fatal("a malformed page did not fail the walk")
	}
	r.expClock.add(time.Minute)
	r.run(t)
	r.check(t)
}

// countTuple counts the records of a tuple .
func (s *alertSet) countTuple(t labelTuple) int {
	n := 0
	for _, r := range s.Records {
		if tu := s.Tuples[r.Tuple]; tupleKey(tu.Values, tu.Severity) == tupleKey(t.Values, t.Severity) {
			n++
		}
	}
	return n
}

func metricPB(m prometheus.Metric) *dto.Metric {
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		panic(err)
	}
	return &pb
}

// TestUnchangedFullWalksCostNothing runs full walks back to back over unchanged data:
// after the first, every page (the head of the updated-first listing included) must be
// answered 304, walk after walk. A full walk that dropped the validators of its 304
// pages, or the head's, would pay for them again at the next one.
func TestUnchangedFullWalksCostNothing(t *testing.T) {
	r := newRig(t, 345)
	first, _ := r.run(t)
	pagesPerWalk := pages(345) + 1 + pages(120) + 1 + 2 // the generic secrets' listing is empty: its head and one page
	if first != pagesPerWalk {
		t.Fatalf("first full walk: %d counted requests, want %d", first, pagesPerWalk)
	}
	for walk := 2; walk <= 4; walk++ {
		r.expClock.add(25 * time.Hour) // past --collector.full-walk-interval: a full walk
		counted, notModified := r.run(t)
		if counted != 0 || notModified != pagesPerWalk {
			t.Errorf("full walk %d over unchanged data: %d counted requests and %d 304s, want 0 and %d", walk, counted, notModified, pagesPerWalk)
		}
		r.check(t)
	}
}

// TestMarginCoversLateChanges runs incremental walks against listings that show each
// change only after a lag of up to two minutes, so that changes become visible out of
// order, behind the high-water mark: the default five-minute margin must still read
// every one of them, and the high-water mark must follow the newest change seen.
func TestMarginCoversLateChanges(t *testing.T) {
	r := newLaggingRig(t, 3000, 2*time.Minute)
	r.run(t)
	for round := range 8 {
		// More changes than a page: a late one lands behind the first page of the walk.
		r.sim.Step(150)
		r.simClock.add(40 * time.Second)
		r.expClock.add(40 * time.Second)
		r.run(t)
		// Every change older than the lag is visible: the mark is at least at the newest of them.
		set := r.exporter.targets[rigOrg].alerts["dependabot"]
		if visible := newestBefore(r, r.simClock.now().Add(-2*time.Minute)); set.HighWater < visible {
			t.Errorf("round %d: high-water mark %d behind %d, a change visible for a while", round, set.HighWater, visible)
		}
	}
	// Every change has become visible by now; the walk that follows must have them all.
	r.simClock.add(3 * time.Minute)
	r.expClock.add(3 * time.Minute)
	r.run(t)
	r.check(t)
}

// newestBefore is the newest updated_at not after at among the rig's Dependabot alerts.
func newestBefore(r *simRig, at time.Time) int64 {
	var newest int64
	for _, a := range r.sim.DependabotAlerts(rigOrg) {
		if u := a.UpdatedAt.Unix(); u <= at.Unix() {
			newest = max(newest, u)
		}
	}
	return newest
}
