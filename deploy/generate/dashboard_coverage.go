package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
)

// coverage is dashboards/secret-scanning-coverage.json: where GitHub's security
// features are configured and where they are not.
func coverage() *dashboard.DashboardBuilder {
	return newDashboard("ghsec-coverage", "GitHub security / Secret scanning and coverage",
		"Where GitHub's security features are configured and where they are not: secret scanning pattern configurations with push protection, code security configurations and their settings, repositories without code scanning and stale code scanning. Numbers come from github-security-exporter, refreshed on its schedule.",
		"now-7d", "5m", variables{
			orgDescription:        "GitHub organizations the exporter collects.",
			repositoryDescription: "Repositories of the inventory in the selected organizations. Pattern and configuration panels are per organization and ignore it.",
			repositoryQuery:       `label_values(github_repository_info{org=~"$org"}, repository)`,
		}).
		WithPanel(newStat("Secret scanning patterns",
			"Secret scanning patterns of the selected organizations: provider patterns (secrets of GitHub's partners) and custom patterns of the organization or enterprise. Per organization: the repository selection does not apply.",
			5, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			WithTarget(instant(`count(github_secret_scanning_pattern_alerts{org=~"$org", kind="provider"}) or vector(0)`, "provider")).
			WithTarget(instant(`count(github_secret_scanning_pattern_alerts{org=~"$org", kind="custom"}) or vector(0)`, "custom"))).
		WithPanel(newStat("Push protection",
			"Secret scanning patterns with push protection on and off (the pattern's setting, or the enterprise's when it is not set). Per organization: the repository selection does not apply.",
			5, 5).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("blue")).
			OverrideByName("on", []dashboard.DynamicConfigValue{fixedColor("green")}).
			OverrideByName("off", []dashboard.DynamicConfigValue{fixedColor("orange")}).
			WithTarget(instant(`count(github_secret_scanning_pattern_push_protection_enabled{org=~"$org"} == 1) or vector(0)`, "on")).
			WithTarget(instant(`count(github_secret_scanning_pattern_push_protection_enabled{org=~"$org"} == 0) or vector(0)`, "off"))).
		WithPanel(newStat("Repositories without a code security configuration",
			"Repositories of the inventory that no code security configuration holds (attached to none, or removed), per organization. Per organization: the repository selection does not apply.",
			5, 5).
			Unit(unitNone).
			Thresholds(thresholds("green", step{1, "orange"})).
			WithTarget(instant(`sum by (org) (github_code_security_configuration_repositories{org=~"$org", configuration="", status="none"})`, "{{org}}"))).
		WithPanel(uncoveredRepositories(5, 5)).
		WithPanel(newStat("Repositories with stale code scanning",
			"Repositories, archived ones left out, whose newest code scanning analysis (any tool) is older than 14 days, as GitHubCodeScanningStale sees them. Needs --collector.code-scanning-analyses.",
			4, 5).
			TextMode(common.BigValueTextModeValue).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("green", step{1, "orange"})).
			WithTarget(instant(`count(
    time() - max by (org, repository) (github_code_scanning_last_analysis_timestamp_seconds{org=~"$org", repository=~"$repository"})
  > 14 * 86400
  unless on (org, repository)
    github_repository_info{org=~"$org", repository=~"$repository", archived="true"}
) or vector(0)`, "stale"))).
		WithRow(newRow("Secret exposure")).
		WithPanel(newStat("Pushed past push protection",
			"Open secret scanning alerts whose secret was pushed past push protection (someone bypassed the block). GitHubSecretScanningPushProtectionBypassed pages on new bypasses. From github_secret_scanning_exposed_alerts{exposure=\"push_protection_bypassed\"}; 0 when no repository of the selection has one.",
			5, 5).
			Unit(unitNone).
			Thresholds(thresholds("green", step{1, "red"})).
			WithTarget(instant(`sum(github_secret_scanning_exposed_alerts{org=~"$org", repository=~"$repository", exposure="push_protection_bypassed"}) or vector(0)`, "push protection bypassed"))).
		WithPanel(newStat("Publicly leaked",
			"Open secret scanning alerts whose secret GitHub also found in a public location. GitHubSecretScanningPubliclyLeaked fires for each repository with one. From github_secret_scanning_exposed_alerts{exposure=\"publicly_leaked\"}; 0 when no repository of the selection has one.",
			5, 5).
			Unit(unitNone).
			Thresholds(thresholds("green", step{1, "red"})).
			WithTarget(instant(`sum(github_secret_scanning_exposed_alerts{org=~"$org", repository=~"$repository", exposure="publicly_leaked"}) or vector(0)`, "publicly leaked"))).
		WithPanel(newStat("In several repositories",
			"Open secret scanning alerts whose secret was found in more than one repository of the organization. From github_secret_scanning_exposed_alerts{exposure=\"multi_repo\"}; 0 when no repository of the selection has one.",
			5, 5).
			Unit(unitNone).
			Thresholds(thresholds("green", step{1, "red"})).
			WithTarget(instant(`sum(github_secret_scanning_exposed_alerts{org=~"$org", repository=~"$repository", exposure="multi_repo"}) or vector(0)`, "multi repo"))).
		WithPanel(newStat("Secrets as GitHub's summary views count them",
			"Open secret scanning alerts of the default (provider and custom pattern) secret types per organization: the number GitHub's security overview and the alerts list show by default. Generic secrets (passwords, private keys found by Copilot secret scanning) are listed apart by GitHub and counted in the next panel. 0 while the organization's secret scanning collector reports and none of the selected repositories has one open.",
			5, 5).
			Unit(unitNone).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum by (org) (github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", kind="default"})
or
sum by (org) (0 * github_exporter_collection_success{org=~"$org", collector="secret_scanning"})`, "{{org}}"))).
		WithPanel(newStat("Generic secrets open",
			"Open secret scanning alerts of generic secret types (passwords and other secrets without a provider pattern) per organization, which GitHub's summary views list apart from the default ones. 0 while the organization's secret scanning collector reports and none of the selected repositories has one open.",
			4, 5).
			Unit(unitNone).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sum by (org) (github_secret_scanning_alerts{org=~"$org", repository=~"$repository", state="open", kind="generic"})
or
sum by (org) (0 * github_exporter_collection_success{org=~"$org", collector="secret_scanning"})`, "{{org}}"))).
		WithPanel(newTimeseries("Push protection bypasses per day",
			"Secret scanning alerts seen with push protection bypassed, per day (github_secret_scanning_push_protection_bypasses_total, kept in the state file; the first collection counts every bypass it finds as its first sample). Each bar covers the 24 hours before it. Per organization: the repository selection does not apply.",
			24, 7).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Interval("1d").
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum(increase(github_secret_scanning_push_protection_bypasses_total{org=~"$org"}[1d]))`, "bypasses"))).
		WithRow(newRow("Secret scanning patterns")).
		WithPanel(newTable("Secret scanning patterns",
			"Each secret scanning pattern of the selected organizations: alerts it has raised (any state), alerts closed as false positives, the false-positive ratio, the share of push-protection blocks that were bypassed, and whether push protection is on. Provider patterns are named by their secret type, custom patterns by their slug.",
			24, 10).
			SortBy(sortBy("Alerts", true)).
			WithTransformation(merge()).
			WithTransformation(columns([]column{{"org", "Organization"}, {"pattern", "Pattern"}, {"kind", "Kind"}, {"Value #A", "Alerts"}, {"Value #B", "False positives"}, {"Value #C", "False-positive ratio"}, {"Value #D", "Bypass ratio"}, {"Value #E", "Push protection"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			OverrideByName("False-positive ratio", []dashboard.DynamicConfigValue{unit(unitRatio)}).
			OverrideByName("Bypass ratio", []dashboard.DynamicConfigValue{unit(unitRatio)}).
			OverrideByName("Push protection", []dashboard.DynamicConfigValue{mappingsProp(mapping{"1", "on", "green"}, mapping{"0", "off", "orange"}), colorText()}).
			WithTarget(tableQuery(`max by (org, pattern, kind) (github_secret_scanning_pattern_alerts{org=~"$org"})`)).
			WithTarget(tableQuery(`max by (org, pattern, kind) (github_secret_scanning_pattern_false_positives{org=~"$org"})`)).
			WithTarget(tableQuery(`max by (org, pattern, kind) (github_secret_scanning_pattern_false_positive_ratio{org=~"$org"})`)).
			WithTarget(tableQuery(`max by (org, pattern, kind) (github_secret_scanning_pattern_bypass_ratio{org=~"$org"})`)).
			WithTarget(tableQuery(`max by (org, pattern, kind) (github_secret_scanning_pattern_push_protection_enabled{org=~"$org"})`))).
		WithPanel(newBarGauge("Custom vs provider patterns",
			"Patterns, the alerts they have raised and the alerts closed as false positives, for provider and for custom patterns.",
			8, 8).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`count by (kind) (github_secret_scanning_pattern_alerts{org=~"$org"})`, "{{kind}} patterns")).
			WithTarget(instant(`sum by (kind) (github_secret_scanning_pattern_alerts{org=~"$org"})`, "{{kind}} alerts")).
			WithTarget(instant(`sum by (kind) (github_secret_scanning_pattern_false_positives{org=~"$org"})`, "{{kind}} false positives"))).
		WithPanel(newBarGauge("Highest false-positive ratios",
			"The ten patterns with the largest share of alerts closed as false positives: candidates for tuning (custom patterns) or for a closer look before enabling push protection.",
			8, 8).
			Unit(unitRatio).
			Min(0).
			Max(1).
			Thresholds(thresholds("green", step{0.25, "orange"}, step{0.5, "red"})).
			WithTarget(instant(`sort_desc(
  topk(10, max by (org, pattern, kind) (github_secret_scanning_pattern_false_positive_ratio{org=~"$org"}))
)`, "{{org}} {{pattern}}"))).
		WithPanel(newBarGauge("Highest push-protection bypass ratios",
			"The ten patterns whose push-protection blocks were bypassed most often (share of blocks): developers push these secrets anyway.",
			8, 8).
			Unit(unitRatio).
			Min(0).
			Max(1).
			Thresholds(thresholds("green", step{0.1, "orange"}, step{0.25, "red"})).
			WithTarget(instant(`sort_desc(
  topk(10, max by (org, pattern, kind) (github_secret_scanning_pattern_bypass_ratio{org=~"$org"}))
)`, "{{org}} {{pattern}}"))).
		WithRow(newRow("Code security configurations")).
		WithPanel(newTable("Code security configurations",
			"Code security configurations available to the selected organizations: target (global: GitHub's, organization, enterprise), whether they are enforced, and how many repositories are attached (attached or enforced).",
			12, 12).
			SortBy(sortBy("Repositories attached", true)).
			WithTransformation(columns([]column{{"org", "Organization"}, {"configuration", "Configuration"}, {"target_type", "Target"}, {"enforcement", "Enforcement"}, {"Value", "Repositories attached"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			WithTarget(tableQuery(`max by (org, configuration, target_type, enforcement) (
  github_code_security_configuration_info{org=~"$org"}
)
* on (org, configuration) group_left ()
(
    sum by (org, configuration) (
      github_code_security_configuration_repositories{org=~"$org", configuration!="", status=~"attached|enforced"}
    )
  or
    0 * max by (org, configuration) (github_code_security_configuration_info{org=~"$org"})
)`))).
		WithPanel(newBarGauge("Repositories per configuration and status",
			`Repositories by code security configuration and attachment status (attached, attaching, enforced, failed, updating, removed, removed_by_enterprise); "(no configuration)" counts the inventory's repositories no configuration holds.`,
			12, 12).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sort_desc(
  sum by (org, configuration, status) (
    label_replace(
      github_code_security_configuration_repositories{org=~"$org"},
      "configuration", "(no configuration)", "configuration", ""
    )
  )
)`, "{{org}} · {{configuration}} · {{status}}"))).
		WithPanel(newTable("Configuration settings",
			"The enablement settings (rows) of each code security configuration (columns, organization / name): enabled, disabled or not_set.",
			24, 12).
			CellOptions(common.TableCellOptions{TableColorTextCellOptions: &common.TableColorTextCellOptions{Type: "color-text"}}).
			WithTransformation(dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{"columnField": "org_configuration", "rowField": "setting", "valueField": "status", "emptyValue": "empty"}}).
			Thresholds(thresholds("text")).
			Mappings(valueMappings(mapping{"enabled", "enabled", "green"}, mapping{"disabled", "disabled", "orange"}, mapping{"not_set", "not set", "text"})).
			WithTarget(tableQuery(`label_join(
  max by (org, configuration, setting, status) (github_code_security_configuration_setting{org=~"$org"}),
  "org_configuration", " / ", "org", "configuration"
)`))).
		WithRow(newRow("Repositories")).
		WithPanel(newTable("Code scanning tools per repository (fewest first)",
			"Every repository of the inventory (github_repository_info) with the number of code scanning tools that have reported an alert (any state) or, with --collector.code-scanning-analyses, an analysis. Repositories with 0 have no code scanning at all and come first; archived repositories and forks are marked. Click a repository for its dashboard.",
			12, 10).
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
  )`))).
		WithPanel(newBarGauge("Repositories by visibility, archived and fork",
			"Repositories of the inventory (github_repository_info): all, by visibility, archived, forks.",
			6, 10).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`count(github_repository_info{org=~"$org", repository=~"$repository"})`, "all repositories")).
			WithTarget(instant(`count by (visibility) (github_repository_info{org=~"$org", repository=~"$repository"})`, "{{visibility}}")).
			WithTarget(instant(`count(github_repository_info{org=~"$org", repository=~"$repository", archived="true"}) or vector(0)`, "archived")).
			WithTarget(instant(`count(github_repository_info{org=~"$org", repository=~"$repository", fork="true"}) or vector(0)`, "forks"))).
		WithPanel(newBarGauge("Repositories by primary language",
			"Repositories of the inventory by primary language, as GitHub detects it; (none) for repositories without one.",
			6, 10).
			Unit(unitNone).
			Min(0).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`sort_desc(
  count by (language) (
    label_replace(github_repository_info{org=~"$org", repository=~"$repository"}, "language", "(none)", "language", "")
  )
)`, "{{language}}"))).
		WithRow(newRow("Code scanning freshness")).
		WithPanel(newTable("Stale code scanning",
			"Time since the newest code scanning analysis of each repository and tool (any branch, pull requests left out), oldest first. Orange from 14 days, red from 30. GitHubCodeScanningStale fires for a repository, archived ones left out, when the newest analysis of every tool is older than 14 days. Needs --collector.code-scanning-analyses. Click a repository for its dashboard.",
			24, 10).
			SortBy(sortBy("Last analysis", true)).
			WithTransformation(columns([]column{{"org", "Organization"}, {"repository", "Repository"}, {"tool", "Tool"}, {"archived", "Archived"}, {"Value", "Last analysis"}})).
			Thresholds(thresholds("text")).
			OverrideByName("Last analysis", []dashboard.DynamicConfigValue{unit(unitSeconds), thresholdsProp("green", analysisAgeSteps...), colorText()}).
			OverrideByName("Repository", []dashboard.DynamicConfigValue{repositoryLink()}).
			WithTarget(tableQuery(`max by (org, repository, tool) (
  time() - github_code_scanning_last_analysis_timestamp_seconds{org=~"$org", repository=~"$repository"}
)
* on (org, repository) group_left (archived)
  max by (org, repository, archived) (github_repository_info{org=~"$org", repository=~"$repository"})`)))
}

// uncoveredRepositories counts the repositories without code scanning, in
// the organizations whose analyses collection has succeeded: without it, a
// repository that runs code scanning and has no findings cannot be told
// from one without code scanning, so the panel says "unknown".
func uncoveredRepositories(w, h uint32) *stat.PanelBuilder {
	return newStat("Repositories without code scanning",
		"Repositories of the inventory (github_repository_info) with neither a code scanning alert in any state nor an analysis, in the organizations whose code scanning analyses collection (--collector.code-scanning-analyses) last succeeded: code scanning is not set up there. \"unknown\" when no selected organization has analyses: a repository whose analyses find nothing cannot be told apart then. The table lists every repository with its number of tools, those without any first.",
		w, h).
		TextMode(common.BigValueTextModeValue).
		Unit(unitNone).
		NoValue("unknown").
		Thresholds(thresholds("green", step{1, "orange"})).
		WithTarget(instant(`count(
    (
      github_repository_info{org=~"$org", repository=~"$repository"}
      unless on (org, repository)
        github_code_scanning_alerts{org=~"$org", repository=~"$repository", tool!=""}
      unless on (org, repository)
        github_code_scanning_last_analysis_timestamp_seconds{org=~"$org", repository=~"$repository"}
    )
  and on (org)
    github_exporter_collection_success{org=~"$org", collector="code_scanning_analyses"} == 1
)
or on ()
  0 * count(github_exporter_collection_success{org=~"$org", collector="code_scanning_analyses"} == 1)`, "without code scanning"))
}
