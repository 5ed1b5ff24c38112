package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// overview is dashboards/security-overview.json: what is open across the
// organizations, how it changes and where to act first.
func overview() *dashboard.DashboardBuilder {
	return newDashboard("ghsec-overview", "GitHub security / Overview",
		"Open GitHub code scanning, Dependabot and secret scanning alerts across organizations: what is open, how it changes, where to act first. Numbers come from github-security-exporter, refreshed on its schedule.",
		"now-30d", "5m", variables{
			orgDescription:        "GitHub organizations the exporter collects.",
			repositoryDescription: "Repositories with code scanning, Dependabot or secret scanning alerts in the selected organizations.",
			repositoryQuery:       alertsRepositories,
		}).
		WithPanel(colored(newStat("Open code scanning alerts",
			"Open code scanning alerts by security severity. As on GitHub's security overview, alerts without a security severity (only error, warning or note) are not counted here; the repository dashboard shows them.",
			7, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")), severityColors).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or vector(0)`, "critical")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="high"}) or vector(0)`, "high")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="medium"}) or vector(0)`, "medium")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="low"}) or vector(0)`, "low"))).
		WithPanel(colored(newStat("Open Dependabot alerts",
			"Open Dependabot alerts by advisory severity.",
			7, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")), severityColors).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or vector(0)`, "critical")).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="high"}) or vector(0)`, "high")).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="medium"}) or vector(0)`, "medium")).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="low"}) or vector(0)`, "low"))).
		WithPanel(colored(newStat("Open secret scanning alerts",
			"Open secret scanning alerts by validity: active secrets still work and must be revoked first; unknown means GitHub could not check (or does not check that type).",
			6, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")), validityColors).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="active"}) or vector(0)`, "active")).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="unknown"}) or vector(0)`, "unknown")).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="inactive"}) or vector(0)`, "inactive"))).
		WithPanel(dataAge(`org=~"$org"`)).
		WithPanel(newTimeseries("Open alerts by family",
			"Open alerts over time per family (code scanning: security severities only, as on GitHub). A family with no such open alerts shows 0 while the exporter has any alert of it (open or closed), and no data when it has none. From the recording rules of alerts/github-security.recording.rules.yml (load them with the alerting rules); where they have no samples yet (before they were loaded, or a backfilled past), from the raw counts.",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum(org_repository_severity_state:github_code_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity=~"critical|high|medium|low"}) or on() sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity=~"critical|high|medium|low"}) or on() 0 * sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository"})`, "code scanning")).
			WithTarget(series(`sum(org_repository_severity_state:github_dependabot_alerts:sum{org=~"$org", repository=~"$repository", state="open"}) or on() sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open"}) or on() 0 * sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"})`, "Dependabot")).
			WithTarget(series(`sum(org_repository_validity_state:github_secret_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open"}) or on() sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open"}) or on() 0 * sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"})`, "secret scanning"))).
		WithPanel(newTimeseries("Open critical and high alerts, active secrets",
			"The alerts to fix first: open critical and high code scanning and Dependabot alerts, and open secret scanning alerts whose secret is still active. A family with no such open alerts shows 0 while the exporter has any alert of it (open or closed), and no data when it has none. From the recording rules of alerts/github-security.recording.rules.yml (load them with the alerting rules); where they have no samples yet (before they were loaded, or a backfilled past), from the raw counts.",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum(org_repository_severity_state:github_code_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or on() sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or on() 0 * sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository"})`, "code scanning critical")).
			WithTarget(series(`sum(org_repository_severity_state:github_code_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="high"}) or on() sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="high"}) or on() 0 * sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository"})`, "code scanning high")).
			WithTarget(series(`sum(org_repository_severity_state:github_dependabot_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or on() sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or on() 0 * sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"})`, "Dependabot critical")).
			WithTarget(series(`sum(org_repository_severity_state:github_dependabot_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="high"}) or on() sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="high"}) or on() 0 * sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"})`, "Dependabot high")).
			WithTarget(series(`sum(org_repository_validity_state:github_secret_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", validity="active"}) or on() sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="active"}) or on() 0 * sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"})`, "active secrets"))).
		WithPanel(newTimeseries("New vs. closed alerts per day",
			"Alerts created (up) and closed (down) per day, by family. Derived from the exporter's counts: new = day-over-day rise of all alerts (open and closed), closed = rise of the fixed, dismissed and resolved ones. Each bar covers the 24 hours before it. Counts cannot tell individual alerts apart, so an alert reopened and closed again within a day is not seen; alerts of deleted repositories lower the numbers. Days before the exporter's first collection show 0.",
			24, 9).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Stacking(common.NewStackingConfigBuilder().Group("A").Mode(common.StackingModeNormal)).
			Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).ShowLegend(true).Calcs([]string{"sum"})).
			Interval("1d").
			Unit(unitShort).
			OverrideByRegexp("^closed .*", []dashboard.DynamicConfigValue{negativeY()}).
			WithTarget(series(`clamp_min(
  (sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low"}) or vector(0))
  - (
      sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low"} offset 1d)
    or 0 * sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low"})
    or vector(0)
  ),
  0
)`, "new code scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"}) or vector(0))
  - (
      sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or 0 * sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"})
    or vector(0)
  ),
  0
)`, "new Dependabot")).
			WithTarget(series(`clamp_min(
  (sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"}) or vector(0))
  - (
      sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or 0 * sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"})
    or vector(0)
  ),
  0
)`, "new secret scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low", state!="open"}) or vector(0))
  - (
      sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low", state!="open"} offset 1d)
    or 0 * sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low", state!="open"})
    or vector(0)
  ),
  0
)`, "closed code scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state!="open"}) or vector(0))
  - (
      sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state!="open"} offset 1d)
    or 0 * sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state!="open"})
    or vector(0)
  ),
  0
)`, "closed Dependabot")).
			WithTarget(series(`clamp_min(
  (sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state!="open"}) or vector(0))
  - (
      sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state!="open"} offset 1d)
    or 0 * sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state!="open"})
    or vector(0)
  ),
  0
)`, "closed secret scanning"))).
		WithPanel(newBarGauge("Top 10 repositories by open critical and high alerts",
			"Repositories with the most open critical and high code scanning and Dependabot alerts together. Click a bar for the repository dashboard.",
			12, 10).
			DataLinks([]cog.Builder[dashboard.DashboardLink]{dashboard.NewDashboardLinkBuilder("Repository dashboard").Url("/d/ghsec-repository/github-security-repository?${datasource:queryparam}&var-org=${__field.labels.org}&var-repository=${__field.labels.repository}&${__url_time_range}")}).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("orange", step{10, "red"})).
			WithTarget(instant(`sort_desc(
  topk(10,
    sum by (org, repository) (
         github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity=~"critical|high"}
      or github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity=~"critical|high"}
    )
  )
)`, "{{org}}/{{repository}}"))).
		WithPanel(newTable("Oldest open critical alerts",
			"Repositories whose oldest open critical alert (per family) has been open the longest; the age counts from the alert's original creation. Dependabot alerts older than 7 days raise an alert.",
			12, 10).
			SortBy(sortBy("Open for", true)).
			WithTransformation(columns([]column{{"org", "Organization"}, {"repository", "Repository"}, {"family", "Family"}, {"Value", "Open for"}}, "instance", "job", "severity")).
			NoValue("0").
			Thresholds(thresholds("text")).
			OverrideByName("Open for", []dashboard.DynamicConfigValue{unit(unitSeconds)}).
			OverrideByName("Repository", []dashboard.DynamicConfigValue{repositoryLink()}).
			WithTarget(tableQuery(`topk(20,
  time() - github_alerts_oldest_open_timestamp_seconds{org=~"$org", repository=~"$repository", severity="critical"}
)`))).
		WithPanel(newTable("Secret types with active secrets",
			"Secret types with open alerts whose secret is still active, and in how many repositories.",
			8, 8).
			SortBy(sortBy("Active secrets", true)).
			WithTransformation(merge()).
			WithTransformation(columns([]column{{"secret_type", "Secret type"}, {"Value #A", "Active secrets"}, {"Value #B", "Repositories"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`sum by (secret_type) (github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="active"})`)).
			WithTarget(tableQuery(`count by (secret_type) (
  sum by (org, repository, secret_type) (
    github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="active"}
  )
)`))).
		WithPanel(newBarGauge("Open Dependabot alerts by ecosystem",
			"Package ecosystems with the most open Dependabot alerts (top 10).",
			8, 8).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("orange")).
			WithTarget(instant(`sort_desc(
  topk(10, sum by (ecosystem) (github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", ecosystem!=""}))
)`, "{{ecosystem}}"))).
		WithPanel(newTable("Code scanning tools",
			"Code scanning tools with their open alerts (all severities, including alerts without a security severity), open critical and high alerts, and the repositories that have any alert from the tool.",
			8, 8).
			SortBy(sortBy("Open", true)).
			WithTransformation(merge()).
			WithTransformation(columns([]column{{"tool", "Tool"}, {"Value #A", "Open"}, {"Value #B", "Open critical/high"}, {"Value #C", "Repositories"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`sum by (tool) (github_code_scanning_alerts{org=~"$org", repository=~"$repository", tool!="", state="open"})`)).
			WithTarget(tableQuery(`sum by (tool) (github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity=~"critical|high"})`)).
			WithTarget(tableQuery(`count by (tool) (
  sum by (org, repository, tool) (github_code_scanning_alerts{org=~"$org", repository=~"$repository", tool!=""})
)`))).
		WithRow(newRow("Remediation")).
		WithPanel(newBarGauge("Open alerts past their SLA",
			"Open alerts older than the SLA of their severity, by family and severity (the exporter's --sla.<severity>-days: by default critical 7, high 30, medium 90, low 180 days; secret scanning, which has no severity, 7 days). Per organization: the repository selection does not apply. GitHubAlertsSLABreached fires for critical and high.",
			8, 9).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("green", step{1, "red"})).
			WithTarget(instant(`sort_desc(
  sum by (family, severity) (github_alerts_sla_breached{org=~"$org"})
)`, "{{family}} {{severity}}"))).
		WithPanel(newBarGauge("Mean time to remediate",
			"Mean time from creation to the last closing of the alerts fixed, dismissed or resolved in the dashboard's time range (false positives and auto-dismissals left out), by family and severity, from the cumulative github_alerts_time_to_remediate_seconds histogram. The bars marked \"since first walk\" are the mean over every remediation the exporter has seen since its state began (on its first walk: every closed alert it found), so the panel has data when nothing was remediated in the range. Per organization: the repository selection does not apply.",
			8, 9).
			Unit(unitSeconds).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sort_desc(
    sum by (family, severity) (increase(github_alerts_time_to_remediate_seconds_sum{org=~"$org"}[$__range]))
  /
    sum by (family, severity) (increase(github_alerts_time_to_remediate_seconds_count{org=~"$org"}[$__range]))
)`, "{{family}} {{severity}}")).
			WithTarget(instant(`sort_desc(
    sum by (family, severity) (github_alerts_time_to_remediate_seconds_sum{org=~"$org"})
  /
    sum by (family, severity) (github_alerts_time_to_remediate_seconds_count{org=~"$org"})
)`, "{{family}} {{severity}} since first walk"))).
		WithPanel(newBarGauge("Open alerts by age",
			"Open alerts of all families older than each bound of the github_alerts_open_by_age gauge (open alerts at most max_age seconds old; age counts from the alert's creation): all open alerts (max_age=\"+Inf\") minus those at most that old. Per organization: the repository selection does not apply.",
			8, 9).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="86400"})`, "older than 1 day")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="604800"})`, "older than 7 days")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="2592000"})`, "older than 30 days")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="7776000"})`, "older than 90 days")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="15552000"})`, "older than 180 days")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="31536000"})`, "older than 1 year")).
			WithTarget(instant(`sum(github_alerts_open_by_age{org=~"$org", max_age="+Inf"})
- sum(github_alerts_open_by_age{org=~"$org", max_age="63072000"})`, "older than 2 years"))).
		WithPanel(newTimeseries("Open alert age by family (median and 90th percentile)",
			"Median and 90th percentile age of the open alerts per family, estimated from the cumulative github_alerts_open_by_age gauge read as a histogram (its max_age bounds 1, 7, 30, 90, 180, 365 and 730 days become le; values in between are interpolated). Per organization: the repository selection does not apply.",
			12, 8).
			FillOpacity(10).
			Unit(unitSeconds).
			Min(0).
			WithTarget(series(`histogram_quantile(0.5,
  sum by (family, le) (label_replace(github_alerts_open_by_age{org=~"$org"}, "le", "$1", "max_age", "(.*)"))
)`, "p50 {{family}}")).
			WithTarget(series(`histogram_quantile(0.9,
  sum by (family, le) (label_replace(github_alerts_open_by_age{org=~"$org"}, "le", "$1", "max_age", "(.*)"))
)`, "p90 {{family}}"))).
		WithPanel(newTimeseries("Open alerts past their SLA over time",
			"Open alerts older than the SLA of their severity, per family, over time. Per organization: the repository selection does not apply.",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum by (family) (github_alerts_sla_breached{org=~"$org"})`, "{{family}}"))).
		WithRow(newRow("Alert flow")).
		WithPanel(newTimeseries("Alert activity per day",
			"Alerts opened (up) and closed (down) per day, by family, from the flow counters github_alerts_opened_total and github_alerts_closed_total: every change the exporter saw, reopenings and webhook deliveries included (the counters are kept in the state file; the exporter's first walk counts what it found, which shows as its first sample, not as activity). Each bar covers the 24 hours before it; a day without a sample a day earlier (the first day of the history) shows 0. Per organization: the repository selection does not apply.",
			24, 9).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Stacking(common.NewStackingConfigBuilder().Group("A").Mode(common.StackingModeNormal)).
			Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).ShowLegend(true).Calcs([]string{"sum"})).
			Interval("1d").
			Unit(unitShort).
			WithTarget(series(`sum by (family) (increase(github_alerts_opened_total{org=~"$org"}[1d]))
or
0 * sum by (family) (github_alerts_opened_total{org=~"$org"})`, "new {{family}}")).
			WithTarget(series(`-sum by (family) (increase(github_alerts_closed_total{org=~"$org"}[1d]))
or
0 * sum by (family) (github_alerts_closed_total{org=~"$org"})`, "closed {{family}}"))).
		WithPanel(newStat("Net resolve rate",
			"Alerts closed minus alerts reopened, as a share of the alerts opened, in the dashboard's time range: above 100% the backlog shrinks, below it grows. No value when no alert was opened in the range. Per organization: the repository selection does not apply.",
			6, 6).
			Unit(unitRatio).
			Thresholds(thresholds("red", step{0.8, "orange"}, step{1, "green"})).
			WithTarget(instant(`(
    sum(increase(github_alerts_closed_total{org=~"$org"}[$__range]))
  -
    sum(increase(github_alerts_reopened_total{org=~"$org"}[$__range]))
)
/
  sum(increase(github_alerts_opened_total{org=~"$org"}[$__range]))`, "net resolve rate"))).
		WithPanel(newStat("Reopened",
			"Alerts closed and then opened again in the dashboard's time range, by family (github_alerts_reopened_total). Per organization: the repository selection does not apply.",
			6, 6).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum by (family) (increase(github_alerts_reopened_total{org=~"$org"}[$__range]))`, "{{family}}"))).
		WithPanel(newStat("Auto-dismissed Dependabot alerts",
			"Dependabot alerts closed by GitHub's auto-triage rules (auto_dismissed) in the dashboard's time range: not fixed, only hidden; check the rules if this grows. Per organization: the repository selection does not apply.",
			6, 6).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum(increase(github_alerts_closed_total{org=~"$org", family="dependabot", reason="auto_dismissed"}[$__range]))`, "auto-dismissed"))).
		WithPanel(newBarGauge("Dismissal reasons",
			"Alerts closed without a fix in the dashboard's time range, by family and reason (the dismissed reason or resolution; auto_dismissed for Dependabot's auto-triage rules). Per organization: the repository selection does not apply.",
			6, 6).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("orange")).
			WithTarget(instant(`sort_desc(
  sum by (family, reason) (increase(github_alerts_closed_total{org=~"$org", reason!="fixed"}[$__range]))
)`, "{{family}} {{reason}}"))).
		WithRow(newRow("Dependabot risk")).
		WithPanel(newBarGauge("Open Dependabot alerts by EPSS",
			"Open Dependabot alerts whose advisory's EPSS score (probability of exploitation in the next 30 days) is at least each band: 0.1%, 1% and 10%. The bands are cumulative: an alert at 15% counts in all three. Per organization: the repository selection does not apply.",
			6, 8).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("orange")).
			WithTarget(instant(`sum by (epss) (github_dependabot_open_alerts_by_epss{org=~"$org"})`, "EPSS at least {{epss}}"))).
		WithPanel(newStat("Fixable Dependabot alerts",
			"Share of the open Dependabot alerts whose vulnerability has a patched version: an upgrade fixes them. Per organization: the repository selection does not apply.",
			4, 8).
			Unit(unitRatio).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum(github_dependabot_open_alerts_by_patch{org=~"$org", patched="true"})
/
sum(github_dependabot_open_alerts_by_patch{org=~"$org"})`, "fixable"))).
		WithPanel(newBarGauge("Open Dependabot alerts by relationship",
			"Open Dependabot alerts by the vulnerable dependency's relationship to the project: direct, transitive, or unknown where GitHub does not say. Per organization: the repository selection does not apply.",
			5, 8).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("orange")).
			WithTarget(instant(`sum by (relationship) (github_dependabot_open_alerts_by_relationship{org=~"$org"})`, "{{relationship}}"))).
		WithPanel(newTable("Top advisories",
			"The advisories with the most open Dependabot alerts (the exporter keeps the top --collector.dependabot.top-advisories per organization), with their severity. Per organization: the repository selection does not apply.",
			9, 8).
			SortBy(sortBy("Open alerts", true)).
			WithTransformation(columns([]column{{"ghsa_id", "Advisory"}, {"severity", "Severity"}, {"Value", "Open alerts"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`topk(10, sum by (ghsa_id, severity) (github_dependabot_top_advisory_open_alerts{org=~"$org"}))`))).
		WithRow(dashboard.NewRowBuilder("Coverage").Collapsed(true).
			WithPanel(uncoveredRepositories(6, 10)).
			WithPanel(newTable("Code scanning tools per repository (fewest first)",
				"Every repository of the inventory (github_repository_info) with the number of code scanning tools that have reported an alert (any state) or, with --collector.code-scanning-analyses, an analysis. Repositories with 0 have no code scanning at all and come first; archived repositories and forks are marked. Click a repository for its dashboard. The dashboard GitHub security / Secret scanning and coverage has more.",
				18, 10).
				SortBy(sortBy("Code scanning tools", false)).
				WithTransformation(columns([]column{{"org", "Organization"}, {"repository", "Repository"}, {"Value", "Code scanning tools"}, {"visibility", "Visibility"}, {"language", "Language"}, {"archived", "Archived"}, {"fork", "Fork"}})).
				NoValue("0").
				Thresholds(thresholds("text")).
				OverrideByName("Code scanning tools", []dashboard.DynamicConfigValue{thresholdsProp("red", step{1, "green"}), colorText()}).
				OverrideByName("Repository", []dashboard.DynamicConfigValue{repositoryLink()}).
				WithTarget(tableQuery(`(
    count by (org, repository) (
        group by (org, repository, tool) (github_code_scanning_alerts{org=~"$org", repository=~"$repository", tool!=""})
      or
        group by (org, repository, tool) (github_code_scanning_last_analysis_timestamp_seconds{org=~"$org", repository=~"$repository"})
    )
  or on (org, repository)
    0 * group by (org, repository) (github_repository_info{org=~"$org", repository=~"$repository"})
)
* on (org, repository) group_left (visibility, archived, fork, language)
  max by (org, repository, visibility, archived, fork, language) (
    label_replace(github_repository_info{org=~"$org", repository=~"$repository"}, "language", "(none)", "language", "")
  )`))))
}
