package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// repository is dashboards/repository-detail.json: everything about one repository.
func repository() *dashboard.DashboardBuilder {
	return newDashboard("ghsec-repository", "GitHub security / Repository",
		"Everything github-security-exporter knows about one repository: open and closed code scanning, Dependabot and secret scanning alerts, their trend and age.",
		"now-30d", "5m", variables{
			orgDescription:        "GitHub organization of the repository.",
			repositoryDescription: "Repository with code scanning, Dependabot or secret scanning alerts.",
			repositoryQuery:       `label_values({__name__=~"github_code_scanning_alerts|github_dependabot_alerts|github_secret_scanning_alerts", org="$org"}, repository)`,
			single:                true, // repository names are unique only within an organization
		}).
		WithPanel(colored(newStat("Open code scanning alerts",
			"Open code scanning alerts by severity: the four security severities, and the alerts that have only a rule severity (error, warning, note), which GitHub's security overview leaves out.",
			7, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")), severityColors).
			WithTarget(instant(`sum(github_code_scanning_alerts{org="$org", repository="$repository", state="open", severity="critical"}) or vector(0)`, "critical")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org="$org", repository="$repository", state="open", severity="high"}) or vector(0)`, "high")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org="$org", repository="$repository", state="open", severity="medium"}) or vector(0)`, "medium")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org="$org", repository="$repository", state="open", severity="low"}) or vector(0)`, "low")).
			WithTarget(instant(`sum(github_code_scanning_alerts{org="$org", repository="$repository", state="open", severity!~"critical|high|medium|low"}) or vector(0)`, "other"))).
		WithPanel(colored(newStat("Open Dependabot alerts",
			"Open Dependabot alerts by advisory severity.",
			7, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")), severityColors).
			WithTarget(instant(`sum(github_dependabot_alerts{org="$org", repository="$repository", state="open", severity="critical"}) or vector(0)`, "critical")).
			WithTarget(instant(`sum(github_dependabot_alerts{org="$org", repository="$repository", state="open", severity="high"}) or vector(0)`, "high")).
			WithTarget(instant(`sum(github_dependabot_alerts{org="$org", repository="$repository", state="open", severity="medium"}) or vector(0)`, "medium")).
			WithTarget(instant(`sum(github_dependabot_alerts{org="$org", repository="$repository", state="open", severity="low"}) or vector(0)`, "low"))).
		WithPanel(colored(newStat("Open secret scanning alerts",
			"Open secret scanning alerts by validity: active secrets still work and must be revoked first.",
			6, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")), validityColors).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org="$org", repository="$repository", state="open", validity="active"}) or vector(0)`, "active")).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org="$org", repository="$repository", state="open", validity="unknown"}) or vector(0)`, "unknown")).
			WithTarget(instant(`sum(github_secret_scanning_alerts{org="$org", repository="$repository", state="open", validity="inactive"}) or vector(0)`, "inactive"))).
		WithPanel(dataAge(`org="$org"`)).
		WithPanel(colored(newTimeseries("Open code scanning alerts by severity",
			"Open code scanning alerts over time per severity (security severity, or rule severity when the alert has none).",
			8, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0), severityColors).
			OverrideByName("error", []dashboard.DynamicConfigValue{fixedColor("red")}).
			OverrideByName("warning", []dashboard.DynamicConfigValue{fixedColor("orange")}).
			OverrideByName("note", []dashboard.DynamicConfigValue{fixedColor("blue")}).
			WithTarget(series(`sum by (severity) (github_code_scanning_alerts{org="$org", repository="$repository", state="open"})`, "{{severity}}"))).
		WithPanel(colored(newTimeseries("Open Dependabot alerts by severity",
			"Open Dependabot alerts over time per advisory severity.",
			8, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0), severityColors).
			WithTarget(series(`sum by (severity) (github_dependabot_alerts{org="$org", repository="$repository", state="open"})`, "{{severity}}"))).
		WithPanel(colored(newTimeseries("Open secret scanning alerts by validity",
			"Open secret scanning alerts over time per validity.",
			8, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0), validityColors).
			WithTarget(series(`sum by (validity) (github_secret_scanning_alerts{org="$org", repository="$repository", state="open"})`, "{{validity}}"))).
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
  (sum(github_code_scanning_alerts{org="$org", repository="$repository"}) or vector(0))
  - (
      sum(github_code_scanning_alerts{org="$org", repository="$repository"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org="$org", collector="code_scanning"} offset 1d)
    or sum(github_code_scanning_alerts{org="$org", repository="$repository"})
    or vector(0)
  ),
  0
)`, "new code scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_dependabot_alerts{org="$org", repository="$repository"}) or vector(0))
  - (
      sum(github_dependabot_alerts{org="$org", repository="$repository"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org="$org", collector="dependabot"} offset 1d)
    or sum(github_dependabot_alerts{org="$org", repository="$repository"})
    or vector(0)
  ),
  0
)`, "new Dependabot")).
			WithTarget(series(`clamp_min(
  (sum(github_secret_scanning_alerts{org="$org", repository="$repository"}) or vector(0))
  - (
      sum(github_secret_scanning_alerts{org="$org", repository="$repository"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org="$org", collector="secret_scanning"} offset 1d)
    or sum(github_secret_scanning_alerts{org="$org", repository="$repository"})
    or vector(0)
  ),
  0
)`, "new secret scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_code_scanning_alerts{org="$org", repository="$repository", state!="open"}) or vector(0))
  - (
      sum(github_code_scanning_alerts{org="$org", repository="$repository", state!="open"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org="$org", collector="code_scanning"} offset 1d)
    or sum(github_code_scanning_alerts{org="$org", repository="$repository", state!="open"})
    or vector(0)
  ),
  0
)`, "closed code scanning")).
			WithTarget(series(`clamp_min(
  (sum(github_dependabot_alerts{org="$org", repository="$repository", state!="open"}) or vector(0))
  - (
      sum(github_dependabot_alerts{org="$org", repository="$repository", state!="open"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org="$org", collector="dependabot"} offset 1d)
    or sum(github_dependabot_alerts{org="$org", repository="$repository", state!="open"})
    or vector(0)
  ),
  0
)`, "closed Dependabot")).
			WithTarget(series(`clamp_min(
  (sum(github_secret_scanning_alerts{org="$org", repository="$repository", state!="open"}) or vector(0))
  - (
      sum(github_secret_scanning_alerts{org="$org", repository="$repository", state!="open"} offset 1d)
    or 0 * sum(github_exporter_collection_success{org="$org", collector="secret_scanning"} offset 1d)
    or sum(github_secret_scanning_alerts{org="$org", repository="$repository", state!="open"})
    or vector(0)
  ),
  0
)`, "closed secret scanning"))).
		WithPanel(newTable("Open code scanning alerts by tool",
			"Open code scanning alerts per tool and severity.",
			8, 8).
			SortBy(sortBy("Open", true)).
			WithTransformation(columns([]column{{"tool", "Tool"}, {"severity", "Severity"}, {"Value", "Open"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`sum by (tool, severity) (github_code_scanning_alerts{org="$org", repository="$repository", state="open"})`))).
		WithPanel(newTable("Open Dependabot alerts by ecosystem",
			"Open Dependabot alerts per ecosystem, dependency scope (runtime or development) and severity.",
			8, 8).
			SortBy(sortBy("Open", true)).
			WithTransformation(columns([]column{{"ecosystem", "Ecosystem"}, {"scope", "Scope"}, {"severity", "Severity"}, {"Value", "Open"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`sum by (ecosystem, scope, severity) (github_dependabot_alerts{org="$org", repository="$repository", state="open"})`))).
		WithPanel(newTable("Open secret scanning alerts by type",
			"Open secret scanning alerts per secret type and validity.",
			8, 8).
			SortBy(sortBy("Open", true)).
			WithTransformation(columns([]column{{"secret_type", "Secret type"}, {"validity", "Validity"}, {"Value", "Open"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`sum by (secret_type, validity) (github_secret_scanning_alerts{org="$org", repository="$repository", state="open"})`))).
		WithPanel(newTable("Oldest open alert per family and severity",
			"How long the oldest open alert of each family and severity has been open (from its original creation).",
			8, 8).
			SortBy(sortBy("Open for", true)).
			WithTransformation(columns([]column{{"family", "Family"}, {"severity", "Severity"}, {"Value", "Open for"}}, "instance", "job", "org", "repository")).
			NoValue("0").
			Thresholds(thresholds("text")).
			OverrideByName("Open for", []dashboard.DynamicConfigValue{unit(unitSeconds)}).
			WithTarget(tableQuery(`time() - github_alerts_oldest_open_timestamp_seconds{org="$org", repository="$repository"}`))).
		WithPanel(newTable("Closed alerts by family and state",
			"Alerts no longer open: fixed, dismissed or auto-dismissed (code scanning, Dependabot) and resolved secrets with their resolution.",
			8, 8).
			SortBy(sortBy("Alerts", true)).
			WithTransformation(columns([]column{{"family", "Family"}, {"state", "State"}, {"resolution", "Resolution"}, {"Value", "Alerts"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`  label_replace(
    sum by (state) (github_code_scanning_alerts{org="$org", repository="$repository", state!="open"}),
    "family", "code_scanning", "", "")
or
  label_replace(
    sum by (state) (github_dependabot_alerts{org="$org", repository="$repository", state!="open"}),
    "family", "dependabot", "", "")
or
  label_replace(
    sum by (state, resolution) (github_secret_scanning_alerts{org="$org", repository="$repository", state!="open"}),
    "family", "secret_scanning", "", "")`))).
		WithPanel(newTable("Collection status of the organization",
			"Whether the exporter's last collection of each source for this organization succeeded, whether GitHub makes the source available (403/404 means not enabled or not permitted), and the age of the last success.",
			8, 8).
			SortBy(sortBy("Last success", true)).
			WithTransformation(merge()).
			WithTransformation(columns([]column{{"collector", "Source"}, {"Value #A", "Last collection"}, {"Value #B", "Available"}, {"Value #C", "Last success"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			OverrideByName("Last success", []dashboard.DynamicConfigValue{unit(unitSeconds)}).
			OverrideByName("Last collection", []dashboard.DynamicConfigValue{mappingsProp(collectionMappings...), colorText()}).
			OverrideByName("Available", []dashboard.DynamicConfigValue{mappingsProp(availabilityMappings...), colorText()}).
			WithTarget(tableQuery(`min by (collector) (github_exporter_collection_success{org="$org"})`)).
			WithTarget(tableQuery(`min by (collector) (github_exporter_source_available{org="$org"})`)).
			WithTarget(tableQuery(`max by (collector) (time() - github_exporter_last_success_timestamp_seconds{org="$org"})`))).
		WithPanel(newTable("Repository",
			"The repository as the inventory (github_repository_info) knows it: visibility, primary language, whether it is archived or a fork. Empty when the inventory has not been collected or the repository filter leaves it out.",
			8, 6).
			WithTransformation(columns([]column{{"visibility", "Visibility"}, {"language", "Language"}, {"archived", "Archived"}, {"fork", "Fork"}}, "Value")).
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`max by (visibility, language, archived, fork) (
  label_replace(github_repository_info{org="$org", repository="$repository"}, "language", "(none)", "language", "")
)`))).
		WithPanel(newTable("Last code scanning analysis per tool",
			"Time since the newest code scanning analysis of a branch of the repository (pull requests left out), per tool. Needs --collector.code-scanning-analyses; empty for a repository without analyses. GitHubCodeScanningStale fires when the newest analysis of every tool is older than 14 days.",
			16, 6).
			SortBy(sortBy("Age", true)).
			WithTransformation(merge()).
			WithTransformation(columns([]column{{"tool", "Tool"}, {"Value #A", "Age"}, {"Value #B", "Analysed at"}})).
			Thresholds(thresholds("text")).
			OverrideByName("Age", []dashboard.DynamicConfigValue{unit(unitSeconds), thresholdsProp("green", analysisAgeSteps...), colorText()}).
			OverrideByName("Analysed at", []dashboard.DynamicConfigValue{unit(unitISODate)}).
			WithTarget(tableQuery(`max by (tool) (time() - github_code_scanning_last_analysis_timestamp_seconds{org="$org", repository="$repository"})`)).
			WithTarget(tableQuery(`max by (tool) (github_code_scanning_last_analysis_timestamp_seconds{org="$org", repository="$repository"}) * 1000`)))
}
