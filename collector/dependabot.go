package collector

import (
	"context"
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
// only (a page parameter is refused by GitHub, so none is ever sent); the first request
// carries an empty after= as the cursor listings document it.
type dependabot struct{}

type dependabotAlert struct {
	State      *string `json:"state"`
	Dependency struct {
		Package struct {
			Ecosystem *string `json:"ecosystem"`
		} `json:"package"`
		Scope        *string `json:"scope"`
		Relationship *string `json:"relationship"`
	} `json:"dependency"`
	SecurityAdvisory struct {
		Severity *string    `json:"severity"`
		GHSAID   *string    `json:"ghsa_id"`
		EPSS     *epssScore `json:"epss"`
	} `json:"security_advisory"`
	SecurityVulnerability struct {
		Severity            *string `json:"severity"`
		FirstPatchedVersion *struct {
			Identifier *string `json:"identifier"`
		} `json:"first_patched_version"`
	} `json:"security_vulnerability"`
	inRepository
	Number          int64      `json:"number"`
	CreatedAt       githubTime `json:"created_at"`
	UpdatedAt       githubTime `json:"updated_at"`
	FixedAt         githubTime `json:"fixed_at"`
	DismissedAt     githubTime `json:"dismissed_at"`
	AutoDismissedAt githubTime `json:"auto_dismissed_at"`
	DismissedReason *string    `json:"dismissed_reason"`
}

var dependabotListing = &alertListing[dependabotAlert]{
	spec:     familySpec{name: "dependabot", desc: dependabotAlertsDesc, labels: 5, extra: dependabotRisk},
	endpoint: "/orgs/{org}/dependabot/alerts",
	query:    "per_page=100&after=",
	repo:     repositoryOf[dependabotAlert],
	fields:   (*dependabotAlert).fields,
}

func (a *dependabotAlert) fields() alertFields {
	state, severity := orDefault(a.State, "unknown"), a.severity()
	f := alertFields{
		key: alertKey{Number: a.Number},
		labels: []string{a.Repository.Name, orDefault(a.Dependency.Package.Ecosystem, "unknown"),
			orDefault(a.Dependency.Scope, "unknown"), severity, state},
		severity: severity, created: a.CreatedAt, updated: a.UpdatedAt,
		// "inaccurate" is Dependabot's dismissal for an alert that does not apply.
		falsePositive: orDefault(a.DismissedReason, "") == "inaccurate",
		detail:        a.detail(state),
	}
	// updated_at moves on state changes only: a fixed alert was last fixed then, whatever
	// first fix fixed_at may keep from before a reintroduction.
	switch state {
	case "fixed":
		f.closed, f.reason = latestTime(a.FixedAt, a.UpdatedAt), "fixed"
	case "dismissed":
		f.closed, f.reason = firstTime(a.DismissedAt, a.UpdatedAt), closeReason(orDefault(a.DismissedReason, ""))
	case "auto_dismissed":
		f.closed, f.reason = firstTime(a.AutoDismissedAt, a.UpdatedAt), "auto_dismissed"
	}
	return f
}

// detail is what the EPSS, patch, relationship and top-advisory metrics need.
func (a *dependabotAlert) detail(state string) alertDetail {
	patched := a.SecurityVulnerability.FirstPatchedVersion
	relationship := orDefault(a.Dependency.Relationship, "unknown")
	if relationship != "direct" && relationship != "transitive" {
		relationship = "unknown" // also GitHub's "inconclusive"
	}
	return alertDetail{
		Reason:       closingReason(state, a.DismissedReason),
		Advisory:     orDefault(a.SecurityAdvisory.GHSAID, ""),
		EPSS:         a.SecurityAdvisory.EPSS.value(),
		Patched:      patched != nil && orDefault(patched.Identifier, "") != "",
		Relationship: relationship,
	}
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
	describeAlertFamily(ch)
	describeDependabotRisk(ch)
}

func (dependabot) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	return dependabotListing.collect(ctx, t)
}
