package collector

import (
	"context"

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
	Number     int64      `json:"number"`
	CreatedAt  githubTime `json:"created_at"`
	UpdatedAt  githubTime `json:"updated_at"`
	ResolvedAt githubTime `json:"resolved_at"`
}

var secretScanningListing = &alertListing[secretScanningAlert]{
	spec:     familySpec{name: "secret_scanning", desc: secretScanningAlertsDesc, labels: 5},
	endpoint: "/orgs/{org}/secret-scanning/alerts",
	// An empty after= asks GitHub for cursor links; page-number links are followed too.
	query: "per_page=100&after=",
	repo:  repositoryOf[secretScanningAlert],
	fields: func(a *secretScanningAlert) alertFields {
		state := orDefault(a.State, "unknown")
		resolution := orDefault(a.Resolution, "")
		if state == "open" {
			resolution = ""
		}
		f := alertFields{
			key:     alertKey{Number: a.Number},
			labels:  []string{a.Repository.Name, orDefault(a.SecretType, "unknown"), orDefault(a.Validity, "unknown"), resolution, state},
			created: a.CreatedAt, updated: a.UpdatedAt,
			falsePositive: resolution == "false_positive",
		}
		if state == "resolved" { // resolved_at goes back to null on reopening
			f.closed, f.reason = firstTime(a.ResolvedAt, a.UpdatedAt), closeReason(resolution)
		}
		return f
	},
}

func (secretScanning) Name() string { return "secret_scanning" }

func (secretScanning) Describe(ch chan<- *prometheus.Desc) {
	ch <- secretScanningAlertsDesc
	describeAlertFamily(ch)
}

func (secretScanning) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	return secretScanningListing.collect(ctx, t)
}
