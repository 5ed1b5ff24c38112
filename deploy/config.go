package deploy

import (
	_ "embed"
	"fmt"
	"strings"
)

// Placeholders in the example configurations, each written exactly once.
const (
	// ExporterTarget is the scrape target in prometheus/prometheus.yml.
	ExporterTarget = "exporter:9816"
	// AlertmanagerTarget is the Alertmanager address in prometheus/prometheus.yml.
	AlertmanagerTarget = "alertmanager:9093"
	// RuleFiles is the rule_files glob in prometheus/prometheus.yml, relative
	// to that file's folder.
	RuleFiles = "../../alerts/*.rules.yml"
	// SecurityWebhookURL receives the security alerts in alertmanager/alertmanager.yml.
	SecurityWebhookURL = "http://security-webhook.example:8080/alerts"
	// PlatformWebhookURL receives the exporter-health alerts in alertmanager/alertmanager.yml.
	PlatformWebhookURL = "http://platform-webhook.example:8080/alerts"
)

var (
	//go:embed prometheus/prometheus.yml
	prometheusYML string
	//go:embed alertmanager/alertmanager.yml
	alertmanagerYML string
)

// PrometheusConfig returns prometheus/prometheus.yml scraping exporter
// (host:port), alerting to alertmanager (host:port) and loading the rule files
// matched by rules (a glob; make it absolute when the result is written
// outside deploy/prometheus/).
func PrometheusConfig(exporter, alertmanager, rules string) ([]byte, error) {
	return substitute("prometheus/prometheus.yml", prometheusYML,
		ExporterTarget, exporter, AlertmanagerTarget, alertmanager, RuleFiles, rules)
}

// AlertmanagerConfig returns alertmanager/alertmanager.yml sending security
// alerts to the security URL and exporter-health alerts to the platform URL.
func AlertmanagerConfig(security, platform string) ([]byte, error) {
	return substitute("alertmanager/alertmanager.yml", alertmanagerYML,
		SecurityWebhookURL, security, PlatformWebhookURL, platform)
}

// substitute replaces each placeholder, which must occur exactly once, so a
// changed example file breaks the tests that rely on it instead of silently
// keeping its placeholder.
func substitute(name, text string, oldNew ...string) ([]byte, error) {
	for i := 0; i+1 < len(oldNew); i += 2 {
		if n := strings.Count(text, oldNew[i]); n != 1 {
			return nil, fmt.Errorf("%s: placeholder %q occurs %d times, want 1", name, oldNew[i], n)
		}
	}
	return []byte(strings.NewReplacer(oldNew...).Replace(text)), nil
}
