package collector

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

func init() { registerSource(dependabot{}) }

var dependabotAlertsDesc = prometheus.NewDesc(
	"github_dependabot_alerts",
	"Dependabot alerts of the organization's repositories by ecosystem, dependency scope, advisory severity and state, refreshed on schedule.",
	[]string{"org", "repository", "ecosystem", "scope", "severity", "state"}, nil,
)

// dependabot counts GET /orgs/{org}/dependabot/alerts. The listing paginates by cursor
// only: a page parameter is refused by GitHub, so none is ever sent.
type dependabot struct{}

type dependabotAlert struct {
	State      *string `json:"state"`
	Dependency struct {
		Package struct {
			Ecosystem *string `json:"ecosystem"`
		} `json:"package"`
		Scope *string `json:"scope"`
	} `json:"dependency"`
	SecurityAdvisory struct {
		Severity *string `json:"severity"`
	} `json:"security_advisory"`
	SecurityVulnerability struct {
		Severity *string `json:"severity"`
	} `json:"security_vulnerability"`
	inRepository
	CreatedAt githubTime `json:"created_at"`
}

// severity is the advisory's severity in REST's lowercase spelling ("medium", never GraphQL's "MODERATE").
func (a *dependabotAlert) severity() string {
	s := strings.ToLower(orDefault(a.SecurityAdvisory.Severity, orDefault(a.SecurityVulnerability.Severity, "unknown")))
	if s == "moderate" {
		return "medium"
	}
	return s
}

func (dependabot) Name() string { return "dependabot" }

func (dependabot) Describe(ch chan<- *prometheus.Desc) {
	ch <- dependabotAlertsDesc
	ch <- oldestOpenDesc
}

func (dependabot) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	counts := newAlertCounts("dependabot")
	err := walkAlerts(ctx, t, "/orgs/{org}/dependabot/alerts", "per_page=100", func(a *dependabotAlert) error {
		state, severity := orDefault(a.State, "unknown"), a.severity()
		return counts.add(state == "open", a.CreatedAt, a.Repository.Name, severity,
			a.Repository.Name, orDefault(a.Dependency.Package.Ecosystem, "unknown"),
			orDefault(a.Dependency.Scope, "unknown"), severity, state)
	})
	if err != nil {
		return nil, fmt.Errorf("listing dependabot alerts of %s: %w", t.Org, err)
	}
	return counts.metrics(dependabotAlertsDesc, t, 5)
}
