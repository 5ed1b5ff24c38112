package githubsim

import (
	"strconv"
	"testing"
	"time"
)

// TestReintroducedAlertsKeepTheirFirstFix steps the simulator until alerts have been
// fixed, reintroduced and fixed or dismissed again, and checks GitHub's documented
// fields: fixed_at stays the first fix, updated_at (and dismissed_at, auto_dismissed_at,
// resolved_at) is the last change; every change is in the event log.
func TestReintroducedAlertsKeepTheirFirstFix(t *testing.T) {
	m := newSim(t, Config{Seed: 11})
	firstFix := map[string]time.Time{}
	for range 300 {
		m.clock.Add(time.Hour)
		m.s.Step(20)
	}
	events := m.s.AlertEvents("octo-org")
	last := map[string]AlertEvent{}
	actions := map[string]int{}
	for _, e := range events {
		id := e.Family + "/" + e.Repo + "/" + strconv.Itoa(e.Number)
		if e.Action == "fixed" {
			if _, ok := firstFix[id]; !ok {
				firstFix[id] = e.At
			}
		}
		if p, ok := last[id]; ok && e.At.Before(p.At) {
			t.Fatalf("%s: events out of order", id)
		}
		last[id] = e
		actions[e.Family+" "+e.Action]++
	}
	for _, want := range []string{"code_scanning reintroduced", "code_scanning reopened", "dependabot reintroduced",
		"dependabot auto_reopened", "dependabot auto_dismissed", "secret_scanning reopened", "code_scanning fixed"} {
		if actions[want] == 0 {
			t.Errorf("no %s event in 6000 changes: %v", want, actions)
		}
	}
	refixed := 0
	for _, a := range m.s.CodeScanningAlerts("octo-org") {
		id := FamilyCodeScanning + "/" + a.Repo + "/" + strconv.Itoa(a.Number)
		e, changed := last[id]
		if !changed {
			continue
		}
		if !a.UpdatedAt.Equal(e.At) || a.State == "open" && e.Action != "created" && e.Action != "reopened" && e.Action != "reintroduced" {
			t.Errorf("%s: state %s updated %s; last event %s at %s", id, a.State, a.UpdatedAt, e.Action, e.At)
		}
		if first, ok := firstFix[id]; ok && (a.FixedAt == nil || a.FixedAt.After(first)) {
			t.Errorf("%s: fixed at %v, first fixed by Step at %s", id, a.FixedAt, first)
		}
		if a.State == "fixed" && a.FixedAt.Before(a.UpdatedAt) {
			refixed++
		}
		if a.State == "dismissed" && !a.DismissedAt.Equal(a.UpdatedAt) {
			t.Errorf("%s: dismissed at %s, last changed %s", id, a.DismissedAt, a.UpdatedAt)
		}
	}
	if refixed == 0 {
		t.Error("no code scanning alert fixed again after a reintroduction")
	}
	for _, a := range m.s.DependabotAlerts("octo-org") {
		if a.State == "auto_dismissed" && !a.AutoDismissedAt.Equal(a.UpdatedAt) || a.State == "open" && (a.DismissedAt != nil || a.AutoDismissedAt != nil) {
			t.Errorf("dependabot %s/%d: state %s, dismissed %v, auto-dismissed %v, updated %s", a.Repo, a.Number, a.State, a.DismissedAt, a.AutoDismissedAt, a.UpdatedAt)
		}
	}
	for _, a := range m.s.SecretScanningAlerts("octo-org") {
		if a.State == "resolved" && !a.ResolvedAt.Equal(a.UpdatedAt) || a.State == "open" && a.ResolvedAt != nil {
			t.Errorf("secret %s/%d: state %s, resolved %v, updated %s", a.Repo, a.Number, a.State, a.ResolvedAt, a.UpdatedAt)
		}
	}
}
