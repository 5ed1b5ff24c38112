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
	// Exposure. push_protection_bypassed_by (who bypassed) is deliberately not decoded.
	PushProtectionBypassed   bool       `json:"push_protection_bypassed"`
	PushProtectionBypassedAt githubTime `json:"push_protection_bypassed_at"`
	PubliclyLeaked           bool       `json:"publicly_leaked"`
	MultiRepo                bool       `json:"multi_repo"`
}

var secretScanningListing = &alertListing[secretScanningAlert]{
	spec: familySpec{name: "secret_scanning", desc: secretScanningAlertsDesc, labels: 5, extra: secretExposure,
		openLabels: func(values []string) { values[len(values)-2] = "" }}, // no resolution while open
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
		return alertFields{
			key:     alertKey{Number: a.Number},
			labels:  []string{a.Repository.Name, orDefault(a.SecretType, "unknown"), orDefault(a.Validity, "unknown"), resolution, state},
			created: a.CreatedAt, updated: a.UpdatedAt, closed: a.ResolvedAt,
			falsePositive: resolution == "false_positive",
			detail: alertDetail{
				Reason: closingReason(state, a.Resolution), Bypassed: a.PushProtectionBypassed,
				PubliclyLeaked: a.PubliclyLeaked, MultiRepo: a.MultiRepo,
			},
			bypassedAt: a.PushProtectionBypassedAt,
		}
	},
}

func (secretScanning) Name() string { return "secret_scanning" }

func (secretScanning) Describe(ch chan<- *prometheus.Desc) {
	ch <- secretScanningAlertsDesc
	describeAlertFamily(ch)
	describeSecretExposure(ch)
}

func (secretScanning) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	return secretScanningListing.collect(ctx, t)
}
