package githubsim

import (
	"slices"
	"strings"
	"time"
)

// AlertEvent is one change Step made to an alert, as a webhook would announce it: the
// ground truth of the exporter's flow counters (opened, closed by reason, reopened).
type AlertEvent struct {
	Family string // FamilyCodeScanning, FamilyDependabot or FamilySecretScanning
	Repo   string
	Number int
	// Severity as GitHub labels the alert: code scanning's security severity, else its
	// rule severity (either may be ""); Dependabot's advisory severity; "" for secrets.
	Severity string
	// Action as in GitHub's webhook payloads: created, fixed, dismissed, auto_dismissed,
	// resolved, reopened (by a user), reintroduced (a fixed alert detected again) or
	// auto_reopened (an auto-dismissed alert the rule no longer matches).
	Action string
	// Reason is the dismissed_reason or resolution as GitHub spells it ("" otherwise).
	Reason    string
	CreatedAt time.Time // the alert's creation
	At        time.Time // when the change happened (the alert's new updated_at)
}

// AlertEvents returns the changes Step has made to org's alerts, oldest first. Changes
// to alerts of a repository whose alerts were deleted since are kept.
func (s *Server) AlertEvents(login string) []AlertEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.churn.events[strings.ToLower(login)])
}

func (ch *churner) log(o *org, e AlertEvent) {
	if ch.events == nil {
		ch.events = map[string][]AlertEvent{}
	}
	k := strings.ToLower(o.login)
	ch.events[k] = append(ch.events[k], e)
}

func csEvent(a *csRecord, action string) AlertEvent {
	severity := a.SecuritySeverity
	if severity == "" {
		severity = a.RuleSeverity
	}
	return AlertEvent{Family: FamilyCodeScanning, Repo: a.Repo, Number: a.Number, Severity: severity,
		Action: action, Reason: a.DismissedReason, CreatedAt: a.CreatedAt, At: a.UpdatedAt}
}

func depEvent(a *depRecord, action string) AlertEvent {
	return AlertEvent{Family: FamilyDependabot, Repo: a.Repo, Number: a.Number, Severity: a.Severity,
		Action: action, Reason: a.DismissedReason, CreatedAt: a.CreatedAt, At: a.UpdatedAt}
}

func ssEvent(a *ssRecord, action string) AlertEvent {
	return AlertEvent{Family: FamilySecretScanning, Repo: a.Repo, Number: a.Number,
		Action: action, Reason: a.Resolution, CreatedAt: a.CreatedAt, At: a.UpdatedAt}
}

// reopenAction names a reopening by the state the alert leaves.
func reopenAction(state string) string {
	switch state {
	case "fixed":
		return "reintroduced"
	case "auto_dismissed":
		return "auto_reopened"
	}
	return "reopened"
}
