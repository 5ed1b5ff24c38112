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

// codeScanning counts GET /orgs/{org}/code-scanning/alerts, or, where that answers 404
// and the inventory is known, GET /repos/{org}/{repo}/code-scanning/alerts of each
// repository (code_scanning_repos.go).
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
	Number          int64      `json:"number"`
	CreatedAt       githubTime `json:"created_at"`
	UpdatedAt       githubTime `json:"updated_at"`
	FixedAt         githubTime `json:"fixed_at"`
	DismissedAt     githubTime `json:"dismissed_at"`
	DismissedReason *string    `json:"dismissed_reason"`
}

// severity is the security severity when the rule has one, else the rule's severity.
func (a *codeScanningAlert) severity() string {
	return orDefault(a.Rule.SecuritySeverityLevel, orDefault(a.Rule.Severity, "none"))
}

func (a *codeScanningAlert) fields() alertFields {
	state, severity := orDefault(a.State, "unknown"), a.severity()
	f := alertFields{
		key:      alertKey{Number: a.Number},
		labels:   []string{a.Repository.Name, orDefault(a.Tool.Name, "unknown"), severity, state},
		severity: severity, created: a.CreatedAt, updated: a.UpdatedAt,
		falsePositive: orDefault(a.DismissedReason, "") == "false positive",
		detail:        alertDetail{Reason: closingReason(state, a.DismissedReason), EPSS: -1},
	}
	// fixed_at is the first fix: an alert fixed, reintroduced and fixed again was last
	// fixed at updated_at, its last state change (github.com, Enterprise Server 3.11+).
	// dismissed_at goes back to null on reopening: it is the last dismissal.
	switch state {
	case "fixed":
		f.closed, f.reason = latestTime(a.FixedAt, a.UpdatedAt), "fixed"
	case "dismissed":
		f.closed, f.reason = firstTime(a.DismissedAt, a.UpdatedAt), closeReason(orDefault(a.DismissedReason, ""))
	}
	return f
}

var codeScanningListing = &alertListing[codeScanningAlert]{
	spec:     familySpec{name: "code_scanning", desc: codeScanningAlertsDesc, labels: 4},
	endpoint: "/orgs/{org}/code-scanning/alerts",
	// An empty after= asks for cursor links (the listing documents before/after besides
	// page): alerts vanishing during a walk then shift no page.
	query:  "per_page=100&after=",
	repo:   repositoryOf[codeScanningAlert],
	fields: (*codeScanningAlert).fields,
}

func (codeScanning) Name() string { return "code_scanning" }

func (codeScanning) Describe(ch chan<- *prometheus.Desc) {
	ch <- codeScanningAlertsDesc
	describeAlertFamily(ch)
}

func (codeScanning) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	metrics, err := codeScanningListing.collect(ctx, t)
	if orgListingMissing(err) && t.Repos != nil { // Enterprise Server before 3.5: per repository
		return collectRepoCodeScanning(ctx, t, err)
	}
	return metrics, err
}

// collectRepoCodeScanning counts the per-repository listings in a full walk every time:
// the old servers that need it send no updated_at to walk incrementally by.
func collectRepoCodeScanning(ctx context.Context, t *Target, orgErr error) ([]prometheus.Metric, error) {
	now := t.clock()
	set := t.alertSet("code_scanning").counted().after(t, now)
	set.Missed = t.alertSet("code_scanning").Missed
	err := walkRepoCodeScanning(ctx, t, orgErr, func(a *codeScanningAlert) error {
		f := a.fields()
		f.key.Repo = set.repoKey(a.Repository.ID, a.Repository.Name)
		return set.put(f)
	})
	if err != nil {
		return nil, fmt.Errorf("listing code scanning alerts of %s: %w", t.Org, err)
	}
	set.Incremental, set.LastFull, set.merge = false, now.Unix(), mergeContext{}
	t.alerts["code_scanning"] = set
	return set.metrics(codeScanningListing.spec, t, t.SLA, now)
}
