package dashboards

import "slices"

// ExporterMetrics lists every metric name the exporter exposes (docs/contracts.md),
// histogram series included. Dashboards and alerting rules may only query these
// (rules may also use `up`). It will be replaced by names gathered from the
// exporter itself once it builds.
var ExporterMetrics = []string{
	// Alert counts, refreshed on schedule.
	"github_code_scanning_alerts",
	"github_dependabot_alerts",
	"github_secret_scanning_alerts",
	"github_alerts_oldest_open_timestamp_seconds",

	// Remediation: open-alert age and time-to-remediate histograms (rebuilt on
	// each collection, not cumulative counters), SLA breaches.
	"github_alerts_open_age_seconds_bucket",
	"github_alerts_open_age_seconds_sum",
	"github_alerts_open_age_seconds_count",
	"github_alerts_time_to_remediate_seconds_bucket",
	"github_alerts_time_to_remediate_seconds_sum",
	"github_alerts_time_to_remediate_seconds_count",
	"github_alerts_sla_breached",

	// The repository inventory, refreshed on schedule.
	"github_repository_info",

	// Secret scanning pattern and code security configurations, refreshed on schedule.
	"github_secret_scanning_pattern_alerts",
	"github_secret_scanning_pattern_false_positives",
	"github_secret_scanning_pattern_false_positive_ratio",
	"github_secret_scanning_pattern_bypass_ratio",
	"github_secret_scanning_pattern_push_protection_enabled",
	"github_code_security_configuration_info",
	"github_code_security_configuration_setting",
	"github_code_security_configuration_repositories",

	// Code scanning freshness, with --collector.code-scanning-analyses.
	"github_code_scanning_last_analysis_timestamp_seconds",

	// Exporter health.
	"github_exporter_collection_success",
	"github_exporter_last_success_timestamp_seconds",
	"github_exporter_collection_duration_seconds",
	"github_exporter_source_available",
	"github_exporter_collection_failures_total",
	"github_exporter_tracked_alerts",
	"github_exporter_collection_interval_seconds",
	"github_exporter_build_info",

	// GitHub API usage.
	"github_exporter_api_requests_total",
	"github_exporter_api_retries_total",
	"github_exporter_api_request_duration_seconds_bucket",
	"github_exporter_api_request_duration_seconds_sum",
	"github_exporter_api_request_duration_seconds_count",
	"github_exporter_rate_limit_limit",
	"github_exporter_rate_limit_remaining",
	"github_exporter_rate_limit_reset_timestamp_seconds",
	"github_exporter_rate_limit_wait_seconds_total",
}

// IsExporterMetric reports whether name is in ExporterMetrics.
func IsExporterMetric(name string) bool {
	return slices.Contains(ExporterMetrics, name)
}
