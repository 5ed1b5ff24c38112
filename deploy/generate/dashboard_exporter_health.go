package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// exporterHealth is dashboards/exporter-health.json: collections, GitHub API usage, rate limits.
func exporterHealth() *dashboard.DashboardBuilder {
	return newDashboard("ghsec-exporter-health", "GitHub security / Exporter health",
		"Health of github-security-exporter: scheduled collections per organization and source, GitHub API usage, retries and rate limits.",
		"now-24h", "1m", variables{
			orgDescription:        "GitHub organizations the exporter collects.",
			repositoryDescription: "Not used by this dashboard's panels; kept so that links between the GitHub security dashboards carry the selection.",
			repositoryQuery:       alertsRepositories,
			repositoryHide:        dashboard.VariableHideHideVariable,
		}).
		WithPanel(newStat("Failing collections",
			"Sources (per organization) whose last collection failed, not counting sources GitHub does not make available. GitHubSecurityExporterCollectionFailing fires after 15 minutes.",
			6, 4).
			ColorMode(common.BigValueColorModeBackground).
			TextMode(common.BigValueTextModeValue).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("green", step{1, "red"})).
			WithTarget(instant(`count(
  github_exporter_collection_success{org=~"$org"} == 0
  unless github_exporter_source_available{org=~"$org"} == 0
) or vector(0)`, "failing"))).
		WithPanel(newStat("Unavailable sources",
			"Sources (per organization) GitHub answers with 403 or 404: the feature is not enabled or the token may not read it. Their counts are not exported.",
			6, 4).
			ColorMode(common.BigValueColorModeBackground).
			TextMode(common.BigValueTextModeValue).
			Unit(unitNone).
			NoValue("0").
			Thresholds(thresholds("green", step{1, "blue"})).
			WithTarget(instant(`count(github_exporter_source_available{org=~"$org"} == 0) or vector(0)`, "unavailable"))).
		WithPanel(newStat("Collection interval",
			"Time between two scheduled collections, from the exporter's cron schedules: the main one, and the code scanning analyses' own (with --collector.code-scanning-analyses).",
			6, 4).
			Unit(unitSeconds).
			Thresholds(thresholds("blue")).
			WithTarget(instant(`max(github_exporter_collection_interval_seconds{collector!="code_scanning_analyses"})`, "main schedule")).
			WithTarget(instant(`max(github_exporter_collection_interval_seconds{collector="code_scanning_analyses"})`, "analyses"))).
		WithPanel(newStat("Exporter version",
			"Version and revision of the running exporter(s).",
			6, 4).
			TextMode(common.BigValueTextModeName).
			Unit(unitNone).
			Thresholds(thresholds("blue")).
			WithTarget(instant("count by (version, revision, goversion) (github_exporter_build_info)", "{{version}} ({{revision}}, {{goversion}})"))).
		WithPanel(newTable("Collectors",
			"Per organization and source: did the last collection succeed, does GitHub make the source available, how long the last collection took and how long ago the last success was.",
			24, 8).
			SortBy(sortBy("Last success", true)).
			WithTransformation(merge()).
			WithTransformation(columns([]column{{"org", "Organization"}, {"collector", "Source"}, {"Value #A", "Last collection"}, {"Value #B", "Available"}, {"Value #C", "Duration"}, {"Value #D", "Last success"}})).
			NoValue("0").
			Thresholds(thresholds("text")).
			OverrideByName("Duration", []dashboard.DynamicConfigValue{unit(unitSeconds)}).
			OverrideByName("Last success", []dashboard.DynamicConfigValue{unit(unitSeconds)}).
			OverrideByName("Last collection", []dashboard.DynamicConfigValue{mappingsProp(collectionMappings...), colorText()}).
			OverrideByName("Available", []dashboard.DynamicConfigValue{mappingsProp(availabilityMappings...), colorText()}).
			WithTarget(tableQuery(`min by (org, collector) (github_exporter_collection_success{org=~"$org"})`)).
			WithTarget(tableQuery(`min by (org, collector) (github_exporter_source_available{org=~"$org"})`)).
			WithTarget(tableQuery(`max by (org, collector) (github_exporter_collection_duration_seconds{org=~"$org"})`)).
			WithTarget(tableQuery(`max by (org, collector) (time() - github_exporter_last_success_timestamp_seconds{org=~"$org"})`))).
		WithPanel(newTimeseries("Collection success",
			"1 when the last collection of the source for the organization succeeded, 0 when it failed.",
			8, 8).
			LineInterpolation(common.LineInterpolationStepAfter).
			Unit(unitNone).
			Min(0).
			Max(1).
			WithTarget(series(`github_exporter_collection_success{org=~"$org"}`, "{{org}} {{collector}}"))).
		WithPanel(newTimeseries("Collection duration",
			"How long the last collection of each source took, rate-limit pauses included.",
			8, 8).
			Unit(unitSeconds).
			Min(0).
			WithTarget(series(`github_exporter_collection_duration_seconds{org=~"$org"}`, "{{org}} {{collector}}"))).
		WithPanel(newTimeseries("Age of last successful collection",
			"Time since the last successful collection of each source, against the threshold of GitHubSecurityExporterDataStale (twice the interval of the source's schedule).",
			8, 8).
			Unit(unitSeconds).
			Min(0).
			OverrideByRegexp("stale threshold.*", []dashboard.DynamicConfigValue{fixedColor("red"), dashed()}).
			WithTarget(series(`time() - github_exporter_last_success_timestamp_seconds{org=~"$org"}`, "{{org}} {{collector}}")).
			WithTarget(series("2 * max by (collector) (github_exporter_collection_interval_seconds)", "stale threshold {{collector}} (2 × interval)"))).
		WithPanel(newTimeseries("GitHub API requests by route and status",
			"Requests per second to GitHub per route and HTTP status (error: no response). All organizations share the exporter's token, so these are not split by organization.",
			12, 8).
			Unit(unitReqps).
			Min(0).
			WithTarget(series("sum by (route, code) (rate(github_exporter_api_requests_total[$__rate_interval]))", "{{route}} {{code}}"))).
		WithPanel(newTimeseries("GitHub API retries by reason",
			"Retries per second by reason: primary or secondary rate limit, server error, network error.",
			12, 8).
			Unit(unitReqps).
			Min(0).
			WithTarget(series("sum by (reason) (rate(github_exporter_api_retries_total[$__rate_interval]))", "{{reason}}"))).
		WithPanel(newTimeseries("GitHub API request duration",
			"Median and 95th percentile duration of GitHub API requests per route.",
			12, 8).
			Unit(unitSeconds).
			Min(0).
			WithTarget(series(`histogram_quantile(0.5,
  sum by (route, le) (rate(github_exporter_api_request_duration_seconds_bucket[$__rate_interval]))
)`, "p50 {{route}}")).
			WithTarget(series(`histogram_quantile(0.95,
  sum by (route, le) (rate(github_exporter_api_request_duration_seconds_bucket[$__rate_interval]))
)`, "p95 {{route}}"))).
		WithPanel(newTimeseries("Time paused for rate limits and backoff",
			"Share of wall-clock time the exporter spent waiting for rate limits and retry backoff (1 = waiting all the time). Long pauses make collections slow and data stale.",
			12, 8).
			FillOpacity(10).
			Unit(unitRatio).
			Min(0).
			WithTarget(series("sum(rate(github_exporter_rate_limit_wait_seconds_total[$__rate_interval]))", "paused"))).
		WithPanel(newTimeseries("Rate-limit budget left",
			"Remaining share of the GitHub rate limit per resource, as of the exporter's last request. GitHubSecurityExporterRateLimitLow fires below 10% (dashed line) until the limit resets.",
			12, 8).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
			Unit(unitRatio).
			Min(0).
			Max(1).
			Thresholds(thresholds("red", step{0.1, "transparent"})).
			WithTarget(series("github_exporter_rate_limit_remaining / github_exporter_rate_limit_limit", "{{resource}}"))).
		WithPanel(newTimeseries("Rate limit remaining and limit",
			"Requests left and the hourly limit per GitHub rate-limit resource, as reported by GitHub's response headers on the exporter's last request.",
			12, 8).
			Unit(unitShort).
			Min(0).
			WithTarget(series("github_exporter_rate_limit_remaining", "{{resource}} remaining")).
			WithTarget(series("github_exporter_rate_limit_limit", "{{resource}} limit"))).
		WithPanel(newTimeseries("Alerts tracked per organization and collector",
			"Alerts the exporter keeps a record of (for ages, remediation times and SLA breaches), per organization and alert collector. Memory grows with it.",
			12, 8).
			FillOpacity(10).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`github_exporter_tracked_alerts{org=~"$org"}`, "{{org}} {{collector}}"))).
		WithPanel(newTimeseries("Backoff by reason",
			"Seconds per second the exporter paused before GitHub API requests, by reason: secondary_rate_limit, primary_rate_limit, server_error, network (retry backoff) or rate_limit_reserve (waiting for the reset at the reserve). Pauses of parallel requests add up, so this can exceed 1.",
			12, 8).
			FillOpacity(10).
			Unit(unitSecondsPerSecond).
			Min(0).
			WithTarget(series("sum by (reason) (rate(github_exporter_api_backoff_seconds_total[$__rate_interval]))", "{{reason}}"))).
		WithPanel(newTable("Incremental walks disabled",
			"Per organization and collector, 1 when the family's listing came back out of updated_at order, so that the exporter walks it in full on every run (more requests, same counts); GitHubSecurityExporterIncrementalWalksDisabled fires after an hour.",
			12, 8).
			SortBy(sortBy("Disabled", true)).
			WithTransformation(columns([]column{{"org", "Organization"}, {"collector", "Collector"}, {"Value", "Disabled"}})).
			Thresholds(thresholds("text")).
			OverrideByName("Disabled", []dashboard.DynamicConfigValue{thresholdsProp("green", step{1, "orange"}), colorText()}).
			WithTarget(tableQuery(`max by (org, collector) (github_exporter_incremental_walks_disabled{org=~"$org"})`))).
		WithPanel(newStat("GitHub GraphQL rate budget",
			"The GraphQL rate limit of the exporter's token (resource graphql, spent by the repository inventory, one point a page): share and points left, and time until GitHub resets it, as of the exporter's last GraphQL request. GitHubSecurityExporterRateLimitLow fires below 10%.",
			12, 8).
			Unit(unitNone).
			Thresholds(thresholds("blue")).
			OverrideByName("left", []dashboard.DynamicConfigValue{unit(unitRatio), thresholdsProp("red", step{0.1, "orange"}, step{0.25, "green"}), thresholdColors()}).
			OverrideByName("resets in", []dashboard.DynamicConfigValue{unit(unitSeconds)}).
			WithTarget(instant(`min(github_exporter_rate_limit_remaining{resource="graphql"}
  / github_exporter_rate_limit_limit{resource="graphql"})`, "left")).
			WithTarget(instant(`min(github_exporter_rate_limit_remaining{resource="graphql"})`, "points remaining")).
			WithTarget(instant(`max(github_exporter_rate_limit_limit{resource="graphql"})`, "limit per hour")).
			WithTarget(instant(`clamp_min(max(github_exporter_rate_limit_reset_timestamp_seconds{resource="graphql"}) - time(), 0)`, "resets in"))).
		WithPanel(newStat("State file age",
			"Time since the state file (--storage.path) was last saved; it is saved after each collection. No value without --storage.path. GitHubSecurityExporterStateSaveFailing fires when saves fail for 30 minutes.",
			6, 8).
			Unit(unitSeconds).
			Thresholds(thresholds("green", step{3600, "orange"})).
			WithTarget(instant(`time() - github_exporter_state_last_save_timestamp_seconds`, "{{instance}}"))).
		WithPanel(newTimeseries("Webhook deliveries by result",
			"Webhook deliveries received per second, by result: applied (merged into the records), duplicate (a redelivery), ignored (not an alert change the exporter follows) or rejected (unsigned, mis-signed or malformed; GitHubSecurityExporterWebhookRejected). No data without --webhook.secret-file.",
			9, 8).
			Unit(unitReqps).
			Min(0).
			WithTarget(series("sum by (result) (rate(github_exporter_webhook_deliveries_total[5m]))", "{{result}}"))).
		WithPanel(newTimeseries("Changes webhooks missed",
			"Alert changes a walk found that no webhook delivery had announced, per organization and collector, in the hour before each point: deliveries GitHub did not send or could not deliver. No data without --webhook.secret-file.",
			9, 8).
			Unit(unitShort).
			Min(0).
			WithTarget(series(`sum by (org, collector) (increase(github_exporter_webhook_missed_changes_total{org=~"$org"}[1h]))`, "{{org}} {{collector}}")))
}
