package collector

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

func init() { registerSource(secretScanning{}) }

var secretScanningAlertsDesc = prometheus.NewDesc(
	"github_secret_scanning_alerts",
	"Secret scanning alerts of the organization's repositories by secret type, validity, resolution and state, refreshed on schedule.",
	[]string{"org", "repository", "secret_type", "validity", "resolution", "state"}, nil,
)

// secretScanning counts GET /orgs/{org}/secret-scanning/alerts. The first request carries
// an empty after= so that GitHub answers with cursor links; page-number links, which
// GitHub sends otherwise (and Enterprise Server always), are followed just the same.
type secretScanning struct{}

type secretScanningAlert struct {
	State      *string `json:"state"`
	Resolution *string `json:"resolution"`
	SecretType *string `json:"secret_type"`
	Validity   *string `json:"validity"`
	inRepository
	CreatedAt githubTime `json:"created_at"`
}

func (secretScanning) Name() string { return "secret_scanning" }

func (secretScanning) Describe(ch chan<- *prometheus.Desc) {
	ch <- secretScanningAlertsDesc
	ch <- oldestOpenDesc
}

func (secretScanning) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	counts := newAlertCounts("secret_scanning")
	err := walkAlerts(ctx, t, "/orgs/{org}/secret-scanning/alerts", "per_page=100&after=", func(a *secretScanningAlert) error {
		state := orDefault(a.State, "unknown")
		resolution := orDefault(a.Resolution, "")
		if state == "open" {
			resolution = ""
		}
		return counts.add(state == "open", a.CreatedAt, a.Repository.Name, "",
			a.Repository.Name, orDefault(a.SecretType, "unknown"), orDefault(a.Validity, "unknown"), resolution, state)
	})
	if err != nil {
		return nil, fmt.Errorf("listing secret scanning alerts of %s: %w", t.Org, err)
	}
	return counts.metrics(secretScanningAlertsDesc, t, 5)
}
