package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// constMetrics adapts a slice of const metrics to a Collector for testutil.
type constMetrics []prometheus.Metric

func (m constMetrics) Describe(chan<- *prometheus.Desc) {}
func (m constMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, x := range m {
		ch <- x
	}
}

func at(s string) githubTime {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return githubTime{t}
}

// TestRemediationMetrics checks the open-age gauges, SLA breaches and the first walk's
// flow counters against values computed by hand for a small set of Dependabot alerts,
// observed at 2026-11-21T00:00:00Z.
func TestRemediationMetrics(t *testing.T) {
	now := at("2026-11-21T00:00:00Z").Time
	s := newAlertSet()
	alerts := []alertFields{
		// open critical, 10 days old: past the 7-day SLA
		{key: alertKey{1, 1}, labels: []string{"api", "npm", "runtime", "critical", "open"}, severity: "critical", created: at("2026-11-11T00:00:00Z"), updated: at("2026-11-11T00:00:00Z")},
		// open critical, 2 days old: within the SLA
		{key: alertKey{1, 2}, labels: []string{"api", "npm", "runtime", "critical", "open"}, severity: "critical", created: at("2026-11-19T00:00:00Z"), updated: at("2026-11-19T00:00:00Z")},
		// open high, 40 days old: past the 30-day SLA
		{key: alertKey{2, 1}, labels: []string{"web", "pip", "runtime", "high", "open"}, severity: "high", created: at("2026-10-12T00:00:00Z"), updated: at("2026-10-12T00:00:00Z")},
		// fixed critical after 3 days
		{key: alertKey{2, 2}, labels: []string{"web", "pip", "runtime", "critical", "fixed"}, severity: "critical", created: at("2026-11-01T00:00:00Z"), updated: at("2026-11-04T00:00:00Z"), closed: at("2026-11-04T00:00:00Z"), reason: "fixed"},
		// dismissed critical after 12 hours
		{key: alertKey{2, 3}, labels: []string{"web", "pip", "runtime", "critical", "dismissed"}, severity: "critical", created: at("2026-11-01T00:00:00Z"), updated: at("2026-11-01T12:00:00Z"), closed: at("2026-11-01T12:00:00Z"), reason: "tolerable_risk"},
		// dismissed as inaccurate (a false positive): not in time to remediate
		{key: alertKey{2, 4}, labels: []string{"web", "pip", "runtime", "critical", "dismissed"}, severity: "critical", created: at("2026-01-01T00:00:00Z"), updated: at("2026-06-01T00:00:00Z"), closed: at("2026-06-01T00:00:00Z"), reason: "inaccurate", falsePositive: true},
		// auto-dismissed at creation: a rule's, not a remediation
		{key: alertKey{2, 5}, labels: []string{"web", "npm", "development", "low", "auto_dismissed"}, severity: "low", created: at("2026-11-02T00:00:00Z"), updated: at("2026-11-02T00:00:00Z"), closed: at("2026-11-02T00:00:00Z"), reason: "auto_dismissed"},
	}
	for _, a := range alerts {
		if err := s.put(a); err != nil {
			t.Fatal(err)
		}
	}
	target := &Target{Org: "acme"}
	got, err := s.metrics(familySpec{name: "dependabot", desc: dependabotAlertsDesc, labels: 5}, target, DefaultSLA, now)
	if err != nil {
		t.Fatal(err)
	}
	// Open critical ages 10d and 2d, open high 40d. Remediated critical: 3d and 12h =
	// 259200 + 43200 = 302400 (the false positive and the auto-dismissal left out).
	want := `
# HELP github_alerts_open_by_age Open alerts whose age (now minus creation) is at most max_age seconds, by alert family and severity, refreshed on schedule.
# TYPE github_alerts_open_by_age gauge
github_alerts_open_by_age{family="dependabot",max_age="86400",org="acme",severity="critical"} 0
github_alerts_open_by_age{family="dependabot",max_age="604800",org="acme",severity="critical"} 1
github_alerts_open_by_age{family="dependabot",max_age="2592000",org="acme",severity="critical"} 2
github_alerts_open_by_age{family="dependabot",max_age="7776000",org="acme",severity="critical"} 2
github_alerts_open_by_age{family="dependabot",max_age="15552000",org="acme",severity="critical"} 2
github_alerts_open_by_age{family="dependabot",max_age="31536000",org="acme",severity="critical"} 2
github_alerts_open_by_age{family="dependabot",max_age="63072000",org="acme",severity="critical"} 2
github_alerts_open_by_age{family="dependabot",max_age="+Inf",org="acme",severity="critical"} 2
github_alerts_open_by_age{family="dependabot",max_age="86400",org="acme",severity="high"} 0
github_alerts_open_by_age{family="dependabot",max_age="604800",org="acme",severity="high"} 0
github_alerts_open_by_age{family="dependabot",max_age="2592000",org="acme",severity="high"} 0
github_alerts_open_by_age{family="dependabot",max_age="7776000",org="acme",severity="high"} 1
github_alerts_open_by_age{family="dependabot",max_age="15552000",org="acme",severity="high"} 1
github_alerts_open_by_age{family="dependabot",max_age="31536000",org="acme",severity="high"} 1
github_alerts_open_by_age{family="dependabot",max_age="63072000",org="acme",severity="high"} 1
github_alerts_open_by_age{family="dependabot",max_age="+Inf",org="acme",severity="high"} 1
# HELP github_alerts_sla_breached Open alerts older than the SLA of their severity, by alert family and severity, refreshed on schedule.
# TYPE github_alerts_sla_breached gauge
github_alerts_sla_breached{family="dependabot",org="acme",severity="critical"} 1
github_alerts_sla_breached{family="dependabot",org="acme",severity="high"} 1
github_alerts_sla_breached{family="dependabot",org="acme",severity="low"} 0
github_alerts_sla_breached{family="dependabot",org="acme",severity="medium"} 0
# HELP github_exporter_tracked_alerts Alerts the exporter keeps a record of, by organization and collector.
# TYPE github_exporter_tracked_alerts gauge
github_exporter_tracked_alerts{collector="dependabot",org="acme"} 7
`
	names := []string{"github_alerts_open_by_age", "github_alerts_sla_breached", "github_exporter_tracked_alerts"}
	if err := testutil.CollectAndCompare(constMetrics(got), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// The flow series: every documented severity and reason from zero, these counted.
	const critical = `{family="dependabot",org="acme",severity="critical"}`
	counted := map[string]float64{
		"github_alerts_opened_total" + critical:                                                                  5,
		`github_alerts_opened_total{family="dependabot",org="acme",severity="high"}`:                             1,
		`github_alerts_opened_total{family="dependabot",org="acme",severity="low"}`:                              1,
		`github_alerts_closed_total{family="dependabot",org="acme",reason="auto_dismissed",severity="low"}`:      1,
		`github_alerts_closed_total{family="dependabot",org="acme",reason="fixed",severity="critical"}`:          1,
		`github_alerts_closed_total{family="dependabot",org="acme",reason="inaccurate",severity="critical"}`:     1,
		`github_alerts_closed_total{family="dependabot",org="acme",reason="tolerable_risk",severity="critical"}`: 1,
		"github_alerts_time_to_remediate_seconds_sum" + critical:                                                 302400,
		"github_alerts_time_to_remediate_seconds_count" + critical:                                               2,
		"github_alerts_time_to_remediate_seconds_bucket" + critical + "{le=86400}":                               1,
		"github_alerts_time_to_remediate_seconds_bucket" + critical + "{le=604800}":                              2,
		"github_alerts_time_to_remediate_seconds_bucket" + critical + "{le=2.592e+06}":                           2,
	}
	series := scrape(t, constMetrics(got))
	for k, v := range counted {
		if series[k].value != v {
			t.Errorf("%s = %g, want %g", k, series[k].value, v)
		}
	}
	flow := 0
	for k, v := range series {
		if !v.cumulative {
			continue
		}
		flow++
		if _, ok := counted[k]; !ok && v.value != 0 && !strings.Contains(k, "{le=") {
			t.Errorf("%s = %g, want 0", k, v.value)
		}
	}
	// 4 severities: opened, reopened, 7 reasons, and a histogram of 7 bounds, sum and count.
	if want := 4*(1+1+7) + 4*9; flow != want {
		t.Errorf("%d flow series, want %d", flow, want)
	}
	if problems, err := lintProblems(constMetrics(got)); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

func TestSecretScanningSLA(t *testing.T) {
	now := at("2026-11-21T00:00:00Z").Time
	s := newAlertSet()
	for i, created := range []string{"2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z"} {
		if err := s.put(alertFields{key: alertKey{1, int64(i + 1)}, labels: []string{"infra", "aws_access_key_id", "active", "", "default", "open"}, created: at(created), updated: at(created)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.metrics(familySpec{name: "secret_scanning", desc: secretScanningAlertsDesc, labels: 6}, &Target{Org: "acme"}, SLA{"secret": 7 * 24 * time.Hour, "critical": time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP github_alerts_sla_breached Open alerts older than the SLA of their severity, by alert family and severity, refreshed on schedule.
# TYPE github_alerts_sla_breached gauge
github_alerts_sla_breached{family="secret_scanning",org="acme",severity=""} 1
`
	if err := testutil.CollectAndCompare(constMetrics(got), strings.NewReader(want), "github_alerts_sla_breached"); err != nil {
		t.Error(err)
	}
}

func TestAlertSetInternsTuples(t *testing.T) {
	s := newAlertSet()
	for n := int64(1); n <= 1000; n++ {
		a := alertFields{key: alertKey{7, n}, labels: []string{"api", "CodeQL", "high", "open"}, severity: "high", created: at("2026-01-01T00:00:00Z"), updated: at("2026-01-02T00:00:00Z")}
		if err := s.put(a); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.Records) != 1000 || len(s.Tuples) != 1 {
		t.Fatalf("%d records, %d tuples; want 1000 and 1", len(s.Records), len(s.Tuples))
	}
	if !s.Incremental {
		t.Fatal("alerts with updated_at made the set non-incremental")
	}
	if err := s.put(alertFields{key: alertKey{7, 1}, labels: []string{"api", "CodeQL", "high", "fixed"}, severity: "high"}); err != nil {
		t.Fatal(err)
	}
	if len(s.Records) != 1000 || len(s.Tuples) != 2 || s.Incremental {
		t.Fatalf("after a change without updated_at: %d records, %d tuples, incremental %v", len(s.Records), len(s.Tuples), s.Incremental)
	}
	if a, b := s.repoKey(0, "old-name"), s.repoKey(0, "old-name"); a >= 0 || a != b || s.repoKey(0, "other") == a || s.repoKey(42, "x") != 42 {
		t.Fatal("repository stand-in keys are not stable, negative and distinct")
	}
}

// lintProblems runs promlint over c.
func lintProblems(c prometheus.Collector) ([]promlint.Problem, error) {
	return testutil.CollectAndLint(c)
}
