package collector

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

func init() { registerSource(codeScanning{}) }

var codeScanningAlertsDesc = prometheus.NewDesc(
	"github_code_scanning_alerts",
	"Code scanning alerts on the default branches of the organization's repositories by tool, severity and state, refreshed on schedule.",
	[]string{"org", "repository", "tool", "severity", "state"}, nil,
)

// codeScanning counts GET /orgs/{org}/code-scanning/alerts.
type codeScanning struct{}

type codeScanningAlert struct {
	State *string `json:"state"`
	Rule  struct {
		Severity              *string `json:"severity"`
		SecuritySeverityLevel *string `json:"security_severity_level"`
	} `json:"rule"`
	Tool struct {
		Name *string `json:"name"`
	} `json:"tool"`
	inRepository
	CreatedAt githubTime `json:"created_at"`
}

// severity is the security severity when the rule has one, else the rule's severity.
func (a *codeScanningAlert) severity() string {
	return orDefault(a.Rule.SecuritySeverityLevel, orDefault(a.Rule.Severity, "none"))
}

func (codeScanning) Name() string { return "code_scanning" }

func (codeScanning) Describe(ch chan<- *prometheus.Desc) {
	ch <- codeScanningAlertsDesc
	ch <- oldestOpenDesc
}

func (codeScanning) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	counts := newAlertCounts("code_scanning")
	err := walkAlerts(ctx, t, "/orgs/{org}/code-scanning/alerts", "per_page=100", func(a *codeScanningAlert) error {
		state, severity := orDefault(a.State, "unknown"), a.severity()
		return counts.add(state == "open", a.CreatedAt, a.Repository.Name, severity,
			a.Repository.Name, orDefault(a.Tool.Name, "unknown"), severity, state)
	})
	if err != nil {
		return nil, fmt.Errorf("listing code scanning alerts of %s: %w", t.Org, err)
	}
	return counts.metrics(codeScanningAlertsDesc, t, 4)
}
