package collector

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// sample is one scraped series: its value, and whether it may never decrease (a counter
// or a part of a histogram).
type sample struct {
	value      float64
	cumulative bool
}

// scrape gathers c through a pedantic registry and flattens every series to
// name{labels} → sample; histograms give their _bucket, _sum and _count series.
func scrape(t *testing.T, c prometheus.Collector) map[string]sample {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sample{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := labelString(m.GetLabel())
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[f.GetName()+labels] = sample{m.GetCounter().GetValue(), true}
			case dto.MetricType_GAUGE:
				out[f.GetName()+labels] = sample{m.GetGauge().GetValue(), false}
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out[f.GetName()+"_sum"+labels] = sample{h.GetSampleSum(), true}
				out[f.GetName()+"_count"+labels] = sample{float64(h.GetSampleCount()), true}
				for _, b := range h.GetBucket() {
					out[fmt.Sprintf("%s_bucket%s{le=%g}", f.GetName(), labels, b.GetUpperBound())] = sample{float64(b.GetCumulativeCount()), true}
				}
			}
		}
	}
	return out
}

func labelString(pairs []*dto.LabelPair) string {
	var parts []string
	for _, p := range pairs {
		parts = append(parts, fmt.Sprintf("%s=%q", p.GetName(), p.GetValue()))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// checkMonotonic fails for any counter or histogram series of prev that is lower, or
// gone, in cur: Prometheus would read either as a reset.
func checkMonotonic(t *testing.T, when string, prev, cur map[string]sample) {
	t.Helper()
	for k, p := range prev {
		if !p.cumulative {
			continue
		}
		c, ok := cur[k]
		switch {
		case !ok:
			t.Errorf("%s: %s went away (was %g)", when, k, p.value)
		case c.value < p.value:
			t.Errorf("%s: %s decreased from %g to %g", when, k, p.value, c.value)
		}
	}
}

// scriptedGitHub serves one page per organization listing, replaced by the test
// between runs.
type scriptedGitHub struct {
	mu     sync.Mutex
	bodies map[string]string
}

func (g *scriptedGitHub) set(path string, alerts ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bodies[path] = "[" + strings.Join(alerts, ",") + "]"
}

func (g *scriptedGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	body, ok := g.bodies[r.URL.Path]
	g.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		body = `{"message":"Not Found"}`
	}
	_, _ = w.Write([]byte(body))
}

// jsonTime is a JSON timestamp, or null for "".
func jsonTime(s string) string {
	if s == "" {
		return "null"
	}
	return `"` + s + `"`
}

func jsonString(s string) string {
	if s == "" {
		return "null"
	}
	return fmt.Sprintf("%q", s)
}

// csJSON is a high-severity CodeQL alert of repository api (id 10).
func csJSON(number int, state, created, updated, fixed, dismissed, reason string) string {
	return fmt.Sprintf(`{"number":%d,"state":%q,"rule":{"severity":"error","security_severity_level":"high"},"tool":{"name":"CodeQL"},`+
		`"repository":{"id":10,"name":"api"},"created_at":%s,"updated_at":%s,"fixed_at":%s,"dismissed_at":%s,"dismissed_reason":%s}`,
		number, state, jsonTime(created), jsonTime(updated), jsonTime(fixed), jsonTime(dismissed), jsonString(reason))
}

// depJSON is a critical npm alert of repository web (id 20).
func depJSON(number int, state, created, updated, fixed, autoDismissed string) string {
	return fmt.Sprintf(`{"number":%d,"state":%q,"dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":"critical"},`+
		`"repository":{"id":20,"name":"web"},"created_at":%s,"updated_at":%s,"fixed_at":%s,"dismissed_at":null,"auto_dismissed_at":%s,"dismissed_reason":null}`,
		number, state, jsonTime(created), jsonTime(updated), jsonTime(fixed), jsonTime(autoDismissed))
}

// TestRemediationAcrossReintroductions walks a scripted history of code scanning and
// Dependabot alerts: fixed, reintroduced and fixed or dismissed again, dismissed as false
// positives, auto-dismissed at creation, reopened and closed again between two runs, a
// repository's alerts gone, and a restart on the state file. After every run no counter
// or histogram series decreases; at the end the counters and the mean time to remediate
// over the runs (the README's increase(_sum) / increase(_count)) equal values computed by
// hand from the script.
func TestRemediationAcrossReintroductions(t *testing.T) {
	gh := &scriptedGitHub{bodies: map[string]string{}}
	srv := httptest.NewServer(gh)
	t.Cleanup(srv.Close)
	client, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL + "/",
		HTTPClient: &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{RequestsPerSecond: 1000})}})
	if err != nil {
		t.Fatal(err)
	}
	now := at("2026-11-01T00:00:00Z").Time
	state := filepath.Join(t.TempDir(), "state")
	start := func() *Exporter {
		e, err := New(Config{Client: client, Orgs: []string{"acme"}, Sources: []string{"code_scanning", "dependabot"},
			StatePath: state, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := start()
	var scrapes []map[string]sample
	run := func(day string) {
		t.Helper()
		now = at(day).Time
		e.Run(context.Background())
		for _, st := range e.Status() {
			if !st.Success {
				t.Fatalf("%s: %s failed: %s", day, st.Collector, st.LastError)
			}
		}
		cur := scrape(t, e)
		if n := len(scrapes); n > 0 {
			checkMonotonic(t, day, scrapes[n-1], cur)
		}
		scrapes = append(scrapes, cur)
	}

	// T0, the first walk. Code scanning #2 was fixed on 09-05, reintroduced and fixed
	// again on 09-20: fixed_at keeps the first fix, updated_at the last (19 days).
	gh.set(codeScanningPath,
		csJSON(1, "open", "2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z", "", "", ""),
		csJSON(2, "fixed", "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z", "2026-09-05T00:00:00Z", "", ""),
		csJSON(3, "dismissed", "2026-09-01T00:00:00Z", "2026-09-03T00:00:00Z", "", "2026-09-03T00:00:00Z", "false positive"))
	gh.set(dependabotPath,
		depJSON(1, "auto_dismissed", "2026-10-15T00:00:00Z", "2026-10-15T00:00:00Z", "", "2026-10-15T00:00:00Z"),
		depJSON(2, "open", "2026-10-20T00:00:00Z", "2026-10-20T00:00:00Z", "", ""))
	run("2026-11-01T00:00:00Z")

	// T1: cs #1 fixed (32 days); #4 new and open; #5 created and dismissed in between (2h).
	// Dependabot #2 fixed (13 days).
	gh.set(codeScanningPath,
		csJSON(1, "fixed", "2026-10-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-02T00:00:00Z", "", ""),
		csJSON(2, "fixed", "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z", "2026-09-05T00:00:00Z", "", ""),
		csJSON(3, "dismissed", "2026-09-01T00:00:00Z", "2026-09-03T00:00:00Z", "", "2026-09-03T00:00:00Z", "false positive"),
		csJSON(4, "open", "2026-11-01T12:00:00Z", "2026-11-01T12:00:00Z", "", "", ""),
		csJSON(5, "dismissed", "2026-11-01T06:00:00Z", "2026-11-01T08:00:00Z", "", "2026-11-01T08:00:00Z", "won't fix"))
	gh.set(dependabotPath,
		depJSON(1, "auto_dismissed", "2026-10-15T00:00:00Z", "2026-10-15T00:00:00Z", "", "2026-10-15T00:00:00Z"),
		depJSON(2, "fixed", "2026-10-20T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-02T00:00:00Z", ""))
	run("2026-11-02T00:00:00Z")

	// T2: cs #1 reintroduced (open, fixed_at kept); #4 dismissed (1.5 days); #5 reopened
	// and dismissed again between the runs (30 hours). Dependabot #3 auto-dismissed at creation.
	gh.set(codeScanningPath,
		csJSON(1, "open", "2026-10-01T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-02T00:00:00Z", "", ""),
		csJSON(2, "fixed", "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z", "2026-09-05T00:00:00Z", "", ""),
		csJSON(3, "dismissed", "2026-09-01T00:00:00Z", "2026-09-03T00:00:00Z", "", "2026-09-03T00:00:00Z", "false positive"),
		csJSON(4, "dismissed", "2026-11-01T12:00:00Z", "2026-11-03T00:00:00Z", "", "2026-11-03T00:00:00Z", "won't fix"),
		csJSON(5, "dismissed", "2026-11-01T06:00:00Z", "2026-11-02T12:00:00Z", "", "2026-11-02T12:00:00Z", "used in tests"))
	gh.set(dependabotPath,
		depJSON(1, "auto_dismissed", "2026-10-15T00:00:00Z", "2026-10-15T00:00:00Z", "", "2026-10-15T00:00:00Z"),
		depJSON(2, "fixed", "2026-10-20T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-02T00:00:00Z", ""),
		depJSON(3, "auto_dismissed", "2026-11-03T00:00:00Z", "2026-11-03T00:00:00Z", "", "2026-11-03T00:00:00Z"))
	run("2026-11-03T00:00:00Z")

	// T3: cs #1 dismissed while fixed_at still says 11-02 (34 days); #2 gone with its
	// repository's analyses. Dependabot #2 reintroduced.
	gh.set(codeScanningPath,
		csJSON(1, "dismissed", "2026-10-01T00:00:00Z", "2026-11-04T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-04T00:00:00Z", "used in tests"),
		csJSON(3, "dismissed", "2026-09-01T00:00:00Z", "2026-09-03T00:00:00Z", "", "2026-09-03T00:00:00Z", "false positive"),
		csJSON(4, "dismissed", "2026-11-01T12:00:00Z", "2026-11-03T00:00:00Z", "", "2026-11-03T00:00:00Z", "won't fix"),
		csJSON(5, "dismissed", "2026-11-01T06:00:00Z", "2026-11-02T12:00:00Z", "", "2026-11-02T12:00:00Z", "used in tests"))
	gh.set(dependabotPath,
		depJSON(1, "auto_dismissed", "2026-10-15T00:00:00Z", "2026-10-15T00:00:00Z", "", "2026-10-15T00:00:00Z"),
		depJSON(2, "open", "2026-10-20T00:00:00Z", "2026-11-04T00:00:00Z", "2026-11-02T00:00:00Z", ""),
		depJSON(3, "auto_dismissed", "2026-11-03T00:00:00Z", "2026-11-03T00:00:00Z", "", "2026-11-03T00:00:00Z"))
	run("2026-11-04T00:00:00Z")

	// A restart on the state file serves the same cumulative series before any walk.
	e = start()
	restarted := scrape(t, e)
	checkMonotonic(t, "restart", scrapes[len(scrapes)-1], restarted)

	// T4: Dependabot #2 fixed again; fixed_at keeps 11-02, updated_at says 11-05 (16 days).
	gh.set(dependabotPath,
		depJSON(1, "auto_dismissed", "2026-10-15T00:00:00Z", "2026-10-15T00:00:00Z", "", "2026-10-15T00:00:00Z"),
		depJSON(2, "fixed", "2026-10-20T00:00:00Z", "2026-11-05T00:00:00Z", "2026-11-02T00:00:00Z", ""),
		depJSON(3, "auto_dismissed", "2026-11-03T00:00:00Z", "2026-11-03T00:00:00Z", "", "2026-11-03T00:00:00Z"))
	run("2026-11-05T00:00:00Z")

	first, last := scrapes[0], scrapes[len(scrapes)-1]
	const cs, dep = `{family="code_scanning",org="acme",severity="high"}`, `{family="dependabot",org="acme",severity="critical"}`
	value := func(m map[string]sample, k string) float64 { return m[k].value }
	if got := value(first, "github_alerts_time_to_remediate_seconds_sum"+cs); got != 19*day {
		t.Errorf("first walk: code scanning remediation sum %g, want 19 days (%g): the last fix, not fixed_at", got, 19*day)
	}
	// Remediations after the first walk, in seconds: code scanning 32d, 2h, 1.5d, 30h, 34d;
	// Dependabot 13d and 16d. The false positive and the auto-dismissals are left out.
	csSum, depSum := 32*day+7200+1.5*day+30*3600+34*day, 13*day+16*day
	mttr := func(keys ...string) float64 {
		var sum, count float64
		for _, k := range keys {
			sum += value(last, "github_alerts_time_to_remediate_seconds_sum"+k) - value(first, "github_alerts_time_to_remediate_seconds_sum"+k)
			count += value(last, "github_alerts_time_to_remediate_seconds_count"+k) - value(first, "github_alerts_time_to_remediate_seconds_count"+k)
		}
		return sum / count
	}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"code scanning MTTR", mttr(cs), csSum / 5},
		{"Dependabot MTTR", mttr(dep), depSum / 2},
		{"MTTR of both", mttr(cs, dep), (csSum + depSum) / 7},
	} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s over the runs: %g s, want %g s", c.name, c.got, c.want)
		}
	}

	want := map[string]float64{
		"github_alerts_opened_total" + cs:   5,
		"github_alerts_reopened_total" + cs: 2, // #1 reintroduced, #5 reopened between runs
		`github_alerts_closed_total{family="code_scanning",org="acme",reason="fixed",severity="high"}`:          2,
		`github_alerts_closed_total{family="code_scanning",org="acme",reason="false_positive",severity="high"}`: 1,
		`github_alerts_closed_total{family="code_scanning",org="acme",reason="wont_fix",severity="high"}`:       2,
		`github_alerts_closed_total{family="code_scanning",org="acme",reason="used_in_tests",severity="high"}`:  2,
		"github_alerts_time_to_remediate_seconds_count" + cs:                                                    6,
		"github_alerts_opened_total" + dep:   3,
		"github_alerts_reopened_total" + dep: 1,
		`github_alerts_closed_total{family="dependabot",org="acme",reason="auto_dismissed",severity="critical"}`: 2,
		`github_alerts_closed_total{family="dependabot",org="acme",reason="fixed",severity="critical"}`:          2,
		"github_alerts_time_to_remediate_seconds_count" + dep:                                                    2,
	}
	for k, v := range want {
		if got := value(last, k); got != v {
			t.Errorf("%s = %g, want %g", k, got, v)
		}
	}
	for k, s := range last {
		if strings.HasPrefix(k, "github_alerts_closed_total") || strings.HasPrefix(k, "github_alerts_opened_total") || strings.HasPrefix(k, "github_alerts_reopened_total") {
			if _, ok := want[k]; !ok && s.value != 0 {
				t.Errorf("unexpected %s = %g", k, s.value)
			}
		}
	}
}
