package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
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

// TestRemediationMetrics checks the histograms and SLA breaches against values computed
// by hand for a small set of Dependabot alerts, observed at 2026-11-21T00:00:00Z.
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
		{key: alertKey{2, 2}, labels: []string{"web", "pip", "runtime", "critical", "fixed"}, severity: "critical", created: at("2026-11-01T00:00:00Z"), updated: at("2026-11-04T00:00:00Z"), closed: at("2026-11-04T00:00:00Z")},
		// dismissed critical after 12 hours
		{key: alertKey{2, 3}, labels: []string{"web", "pip", "runtime", "critical", "dismissed"}, severity: "critical", created: at("2026-11-01T00:00:00Z"), updated: at("2026-11-01T12:00:00Z"), closed: at("2026-11-01T12:00:00Z")},
		// dismissed as inaccurate (a false positive): not in time to remediate
		{key: alertKey{2, 4}, labels: []string{"web", "pip", "runtime", "critical", "dismissed"}, severity: "critical", created: at("2026-01-01T00:00:00Z"), updated: at("2026-06-01T00:00:00Z"), closed: at("2026-06-01T00:00:00Z"), falsePositive: true},
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
	// Open critical ages 10d and 2d: 864000 + 172800 = 1036800; open high 40d = 3456000.
	// Remediated critical: 3d and 12h = 259200 + 43200 = 302400.
	want := `
# HELP github_alerts_open_age_seconds Age of the open alerts (now minus creation) by alert family and severity, refreshed on schedule.
# TYPE github_alerts_open_age_seconds histogram
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="86400"} 0
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="604800"} 1
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="2.592e+06"} 2
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="7.776e+06"} 2
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="1.5552e+07"} 2
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="3.1536e+07"} 2
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="6.3072e+07"} 2
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="critical",le="+Inf"} 2
github_alerts_open_age_seconds_sum{family="dependabot",org="acme",severity="critical"} 1.0368e+06
github_alerts_open_age_seconds_count{family="dependabot",org="acme",severity="critical"} 2
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="86400"} 0
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="604800"} 0
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="2.592e+06"} 0
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="7.776e+06"} 1
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="1.5552e+07"} 1
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="3.1536e+07"} 1
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="6.3072e+07"} 1
github_alerts_open_age_seconds_bucket{family="dependabot",org="acme",severity="high",le="+Inf"} 1
github_alerts_open_age_seconds_sum{family="dependabot",org="acme",severity="high"} 3.456e+06
github_alerts_open_age_seconds_count{family="dependabot",org="acme",severity="high"} 1
# HELP github_alerts_time_to_remediate_seconds Time from creation to fixing, dismissal or resolution of the closed alerts, false positives left out, by alert family and severity, refreshed on schedule.
# TYPE github_alerts_time_to_remediate_seconds histogram
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="3600"} 0
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="86400"} 1
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="604800"} 2
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="2.592e+06"} 2
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="7.776e+06"} 2
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="1.5552e+07"} 2
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="3.1536e+07"} 2
github_alerts_time_to_remediate_seconds_bucket{family="dependabot",org="acme",severity="critical",le="+Inf"} 2
github_alerts_time_to_remediate_seconds_sum{family="dependabot",org="acme",severity="critical"} 302400
github_alerts_time_to_remediate_seconds_count{family="dependabot",org="acme",severity="critical"} 2
# HELP github_alerts_sla_breached Open alerts older than the SLA of their severity, by alert family and severity, refreshed on schedule.
# TYPE github_alerts_sla_breached gauge
github_alerts_sla_breached{family="dependabot",org="acme",severity="critical"} 1
github_alerts_sla_breached{family="dependabot",org="acme",severity="high"} 1
github_alerts_sla_breached{family="dependabot",org="acme",severity="low"} 0
github_alerts_sla_breached{family="dependabot",org="acme",severity="medium"} 0
# HELP github_exporter_tracked_alerts Alerts the exporter keeps a record of, by organization and collector.
# TYPE github_exporter_tracked_alerts gauge
github_exporter_tracked_alerts{collector="dependabot",org="acme"} 6
`
	names := []string{"github_alerts_open_age_seconds", "github_alerts_time_to_remediate_seconds", "github_alerts_sla_breached", "github_exporter_tracked_alerts"}
	if err := testutil.CollectAndCompare(constMetrics(got), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(constMetrics(got)); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

func TestSecretScanningSLA(t *testing.T) {
	now := at("2026-11-21T00:00:00Z").Time
	s := newAlertSet()
	for i, created := range []string{"2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z"} {
		if err := s.put(alertFields{key: alertKey{1, int64(i + 1)}, labels: []string{"infra", "aws_access_key_id", "active", "", "open"}, created: at(created), updated: at(created)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.metrics(familySpec{name: "secret_scanning", desc: secretScanningAlertsDesc, labels: 5}, &Target{Org: "acme"}, SLA{"secret": 7 * 24 * time.Hour, "critical": time.Hour}, now)
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
