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

	// Exporter health.
	"github_exporter_collection_success",
	"github_exporter_last_success_timestamp_seconds",
	"github_exporter_collection_duration_seconds",
	"github_exporter_source_available",
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
