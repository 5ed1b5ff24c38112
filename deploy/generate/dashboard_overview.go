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
		WithPanel(newStat("Open code scanning alerts",
			"Open code scanning alerts by security severity. As on GitHub's security overview, alerts without a security severity (only error, warning or note) are not counted here; the repository dashboard shows them.",
			7, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			OverrideByName("critical", []dashboard.DynamicConfigValue{fixedColor("dark-red")}).
			OverrideByName("high", []dashboard.DynamicConfigValue{fixedColor("red")}).
			OverrideByName("medium", []dashboard.DynamicConfigValue{fixedColor("orange")}).
			OverrideByName("low", []dashboard.DynamicConfigValue{fixedColor("yellow")}).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or vector(0)`, "critical")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="high"}) or vector(0)`, "high")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="medium"}) or vector(0)`, "medium")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", state="open", severity="low"}) or vector(0)`, "low"))).
		WithPanel(newStat("Open Dependabot alerts",
			"Open Dependabot alerts by advisory severity.",
			7, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			OverrideByName("critical", []dashboard.DynamicConfigValue{fixedColor("dark-red")}).
			OverrideByName("high", []dashboard.DynamicConfigValue{fixedColor("red")}).
			OverrideByName("medium", []dashboard.DynamicConfigValue{fixedColor("orange")}).
			OverrideByName("low", []dashboard.DynamicConfigValue{fixedColor("yellow")}).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or vector(0)`, "critical")).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="high"}) or vector(0)`, "high")).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="medium"}) or vector(0)`, "medium")).
			WithTarget(instant(`sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state="open", severity="low"}) or vector(0)`, "low"))).
		WithPanel(newStat("Open secret scanning alerts",
			"Open secret scanning alerts by validity: active secrets still work and must be revoked first; unknown means GitHub could not check (or does not check that type).",
			6, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			OverrideByName("active", []dashboard.DynamicConfigValue{fixedColor("dark-red")}).
			OverrideByName("unknown", []dashboard.DynamicConfigValue{fixedColor("text")}).
			OverrideByName("inactive", []dashboard.DynamicConfigValue{fixedColor("green")}).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="active"}) or vector(0)`, "active")).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="unknown"}) or vector(0)`, "unknown")).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", validity="inactive"}) or vector(0)`, "inactive"))).
		WithPanel(dataAge(`org=~"$org"`)).
		WithPanel(newTimeseries("Open alerts by family",
			"Open alerts over time per family (code scanning: security severities only, as on GitHub). A family with no such open alerts shows 0 while its collector reports, and no data when it does not. From the recording rules of alerts/github-security.recording.rules.yml (load them with the alerting rules).",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum(org_repository_severity_state:github_code_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity=~"critical|high|medium|low"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="code_scanning"})`, "code scanning")).
			WithTarget(series(`sum(org_repository_severity_state:github_dependabot_alerts:sum{org=~"$org", repository=~"$repository", state="open"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="dependabot"})`, "Dependabot")).
			WithTarget(series(`sum(org_repository_validity_state:github_secret_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="secret_scanning"})`, "secret scanning"))).
		WithPanel(newTimeseries("Open critical and high alerts, active secrets",
			"The alerts to fix first: open critical and high code scanning and Dependabot alerts, and open secret scanning alerts whose secret is still active. A family with no such open alerts shows 0 while its collector reports, and no data when it does not. From the recording rules of alerts/github-security.recording.rules.yml (load them with the alerting rules).",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum(org_repository_severity_state:github_code_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="code_scanning"})`, "code scanning critical")).
			WithTarget(series(`sum(org_repository_severity_state:github_code_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="high"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="code_scanning"})`, "code scanning high")).
			WithTarget(series(`sum(org_repository_severity_state:github_dependabot_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="critical"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="dependabot"})`, "Dependabot critical")).
			WithTarget(series(`sum(org_repository_severity_state:github_dependabot_alerts:sum{org=~"$org", repository=~"$repository", state="open", severity="high"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="dependabot"})`, "Dependabot high")).
			WithTarget(series(`sum(org_repository_validity_state:github_secret_scanning_alerts:sum{org=~"$org", repository=~"$repository", state="open", validity="active"}) or on() sum(0 * github_exporter_collection_success{org=~"$org", collector="secret_scanning"})`, "active secrets"))).
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
    or 0 * sum(github_exporter_collection_success{org=~"$org", collector="code_scanning"} offset 1d)
    or sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low"})
    or vector(0)
  ),
  0
)`, "new code scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"}) or vector(0))
  - (
      sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org=~"$org", collector="dependabot"} offset 1d)
    or sum(github_dependabot_alerts{org=~"$org", repository=~"$repository"})
    or vector(0)
  ),
  0
)`, "new Dependabot")).
			WithTarget(series(`clamp_min(
  (sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"}) or vector(0))
  - (
      sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org=~"$org", collector="secret_scanning"} offset 1d)
    or sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository"})
    or vector(0)
  ),
  0
)`, "new secret scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low", state!="open"}) or vector(0))
  - (
      sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low", state!="open"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org=~"$org", collector="code_scanning"} offset 1d)
    or sum(github_code_scanning_alerts{org=~"$org", repository=~"$repository", severity=~"critical|high|medium|low", state!="open"})
    or vector(0)
  ),
  0
)`, "closed code scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state!="open"}) or vector(0))
  - (
      sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state!="open"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org=~"$org", collector="dependabot"} offset 1d)
    or sum(github_dependabot_alerts{org=~"$org", repository=~"$repository", state!="open"})
    or vector(0)
  ),
  0
)`, "closed Dependabot")).
			WithTarget(series(`clamp_min(
  (sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state!="open"}) or vector(0))
  - (
      sum(github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state!="open"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org=~"$org", collector="secret_scanning"} offset 1d)
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
			"Mean time from creation to fixing, dismissal or resolution of the closed alerts the exporter has a record of, false positives left out, by family and severity (from the github_alerts_time_to_remediate_seconds histogram, rebuilt on each collection: all closed alerts, not a period). Per organization: the repository selection does not apply.",
			8, 9).
			Unit(unitSeconds).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sort_desc(
    sum by (family, severity) (github_alerts_time_to_remediate_seconds_sum{org=~"$org"})
  /
    sum by (family, severity) (github_alerts_time_to_remediate_seconds_count{org=~"$org"})
)`, "{{family}} {{severity}}"))).
		WithPanel(newBarGauge("Open alerts by age",
			"Open alerts of all families older than each bound of the github_alerts_open_age_seconds histogram (age counts from the alert's creation). Per organization: the repository selection does not apply.",
			8, 9).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"86400([.]0)?"})`, "older than 1 day")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"604800([.]0)?"})`, "older than 7 days")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"2[.]592e[+]06"})`, "older than 30 days")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"7[.]776e[+]06"})`, "older than 90 days")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"1[.]5552e[+]07"})`, "older than 180 days")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"3[.]1536e[+]07"})`, "older than 1 year")).
			WithTarget(instant(`sum(github_alerts_open_age_seconds_count{org=~"$org"})
- sum(github_alerts_open_age_seconds_bucket{org=~"$org", le=~"6[.]3072e[+]07"})`, "older than 2 years"))).
		WithPanel(newTimeseries("Open alert age by family (median and 90th percentile)",
			"Median and 90th percentile age of the open alerts per family, estimated from the github_alerts_open_age_seconds histogram (buckets 1, 7, 30, 90, 180, 365 and 730 days; values in between are interpolated). Per organization: the repository selection does not apply.",
			12, 8).
			FillOpacity(10).
			Unit(unitSeconds).
			Min(0).
			WithTarget(series(`histogram_quantile(0.5,
  sum by (family, le) (github_alerts_open_age_seconds_bucket{org=~"$org"})
)`, "p50 {{family}}")).
			WithTarget(series(`histogram_quantile(0.9,
  sum by (family, le) (github_alerts_open_age_seconds_bucket{org=~"$org"})
)`, "p90 {{family}}"))).
		WithPanel(newTimeseries("Open alerts past their SLA over time",
			"Open alerts older than the SLA of their severity, per family, over time. Per organization: the repository selection does not apply.",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum by (family) (github_alerts_sla_breached{org=~"$org"})`, "{{family}}"))).
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
