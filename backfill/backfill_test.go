package backfill

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// collected returns the simulator and the histories of one collection of it.
func collected(t testing.TB) (*githubsim.Server, []*collector.History) {
	t.Helper()
	sim := githubsim.New(githubsim.Config{Seed: 3, Now: func() time.Time { return now },
		Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 12, CodeScanning: 400, Dependabot: 500, SecretScanning: 150}}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{
		Transport: githubapi.NewTransport(githubapi.TransportOptions{
			Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}, RequestsPerSecond: 10000}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := collector.New(collector.Config{Client: gh, Orgs: []string{"acme"},
		Sources: []string{"code_scanning", "dependabot", "secret_scanning"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	for _, st := range e.Status() {
		if !st.Success {
			t.Fatalf("collection failed: %+v", st)
		}
	}
	return sim, e.Histories()
}

// sums adds up the samples of a metric whose labels contain every one of match, per
// timestamp.
func sums(t *testing.T, om []byte, metric string, match ...string) map[int64]float64 {
	t.Helper()
	out := map[int64]float64{}
	sc := bufio.NewScanner(bytes.NewReader(om))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(line, m)
		}
		if !ok {
			continue
		}
		fields := strings.Fields(line[strings.LastIndex(line, "}")+1:])
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		ts, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			t.Fatalf("bad timestamp in %q", line)
		}
		out[ts] += v
	}
	return out
}

// openAt counts the alerts the simulator says were open at a time: created by then and
// not yet closed.
// lastClosed is when a closed alert was closed for the last time: fixed_at keeps the
// first fix of an alert fixed, reintroduced and fixed again, while updated_at moves on
// every state change. nil while open.
func lastClosed(state string, updated time.Time, closed ...*time.Time) *time.Time {
	if state == "open" || state == "" {
		return nil
	}
	last := updated
	for _, c := range closed {
		if c != nil && c.After(last) {
			last = *c
		}
	}
	return &last
}

// openAt: an alert is open from its creation to its last closing. What GitHub's fields
// cannot tell, and the backfill cannot know, is the time between a first fix and a
// reintroduction: such an alert counts as open throughout (README, "backfill").
func openAt(at time.Time, created time.Time, closed ...*time.Time) bool {
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

// TestBackfillMatchesGroundTruth writes a year, one sample a day, and checks the open
// counts of each family and the flow counters 30, 90 and 300 days ago against the
// simulator's alerts, whose creation and closing times span two years.
func TestBackfillMatchesGroundTruth(t *testing.T) {
	sim, histories := collected(t)
	var buf bytes.Buffer
	opts := Options{Days: 365, Step: 24 * time.Hour, End: now}
	if err := Write(&buf, histories, opts); err != nil {
		t.Fatal(err)
	}
	om := buf.Bytes()
	if !bytes.HasSuffix(om, []byte("# EOF\n")) {
		t.Fatal("the file does not end with # EOF")
	}
	code := sums(t, om, "github_code_scanning_alerts", `state="open"`)
	dep := sums(t, om, "github_dependabot_alerts", `state="open"`)
	sec := sums(t, om, "github_secret_scanning_alerts", `state="open"`)
	opened := sums(t, om, "github_alerts_opened_total", `family="dependabot"`)
	fixed := sums(t, om, "github_alerts_closed_total", `family="dependabot"`, `reason="fixed"`)
	for _, days := range []int{30, 90, 300} {
		at := now.Add(-time.Duration(days) * 24 * time.Hour).Truncate(24 * time.Hour)
		var wantCode, wantDep, wantSec, wantOpened, wantFixed float64
		for _, a := range sim.CodeScanningAlerts("acme") {
			// An alert GitHub sends without a state keeps that state throughout.
			if a.State != "" && openAt(at, a.CreatedAt, lastClosed(a.State, a.UpdatedAt, a.FixedAt, a.DismissedAt)) {
				wantCode++
			}
		}
		for _, a := range sim.DependabotAlerts("acme") {
			last := lastClosed(a.State, a.UpdatedAt, a.FixedAt, a.DismissedAt, a.AutoDismissedAt)
			if openAt(at, a.CreatedAt, last) {
				wantDep++
			}
			if !a.CreatedAt.After(at) {
				wantOpened++
			}
			if a.State == "fixed" && !last.After(at) {
				wantFixed++
			}
		}
		for _, a := range sim.SecretScanningAlerts("acme") {
			if openAt(at, a.CreatedAt, a.ResolvedAt) {
				wantSec++
			}
		}
		if wantDep == 0 || wantFixed == 0 {
			t.Fatalf("%d days ago: the simulator should have open and fixed alerts", days)
		}
		ts := at.Unix()
		for _, c := range []struct {
			what      string
			got, want float64
		}{
			{"open code scanning alerts", code[ts], wantCode},
			{"open Dependabot alerts", dep[ts], wantDep},
			{"open secret scanning alerts", sec[ts], wantSec},
			{"Dependabot alerts opened", opened[ts], wantOpened},
			{"Dependabot alerts fixed", fixed[ts], wantFixed},
		} {
			if c.got != c.want {
				t.Errorf("%d days ago: %s: got %v, want %v", days, c.what, c.got, c.want)
			}
		}
	}
}

// TestTimes checks that samples fall on multiples of the step, within the days asked for.
func TestTimes(t *testing.T) {
	times := Options{Days: 2, Step: time.Hour, End: time.Date(2026, 11, 21, 12, 30, 0, 0, time.UTC)}.Times()
	first, last := times[0], times[len(times)-1]
	if want := time.Date(2026, 11, 19, 13, 0, 0, 0, time.UTC); !first.Equal(want) {
		t.Errorf("first sample at %s, want %s", first, want)
	}
	if want := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC); !last.Equal(want) {
		t.Errorf("last sample at %s, want %s", last, want)
	}
	if len(times) != 48 {
		t.Errorf("%d samples, want 48", len(times))
	}
}

// benchDays is the history BenchmarkWrite writes.
const benchDays = 365

// BenchmarkWrite measures a year of hourly history of one organization of 12
// repositories and 1,050 alerts: time, allocations and the bytes written.
func BenchmarkWrite(b *testing.B) {
	_, histories := collected(b)
	var size int64
	for b.Loop() {
		n := &countingWriter{}
		if err := Write(n, histories, Options{Days: benchDays, Step: time.Hour, End: now}); err != nil {
			b.Fatal(err)
		}
		size = n.n
	}
	b.ReportMetric(float64(size), "bytes/file")
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return io.Discard.Write(p)
}
