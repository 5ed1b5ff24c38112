package collector

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// applyRig is an exporter of the three alert families of acme after one walk of fixed
// listings: web (id 7) has code scanning alert 1 (high, open), Dependabot alert 2 (open,
// updated at noon) and secret scanning alert 3 (open).
func applyRig(t *testing.T) *Exporter {
	t.Helper()
	repo := `"repository":{"id":7,"name":"web"}`
	gh := fakeGitHub(t, map[string]string{
		codeScanningPath: `[{"number":1,"state":"open","rule":{"severity":"error","security_severity_level":"high"},"tool":{"name":"CodeQL"},` + repo +
			`,"created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-01T00:00:00Z"}]`,
		dependabotPath: `[{"number":2,"state":"open","dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":"high"},` + repo +
			`,"created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-20T12:00:00Z"}]`,
		secretScanningPath: `[{"number":3,"state":"open","secret_type":"github_pat","validity":"active",` + repo +
			`,"created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-01T00:00:00Z"}]`,
	}, nil)
	e, err := New(Config{Client: gh, Orgs: []string{"acme"}, Sources: []string{"code_scanning", "dependabot", "secret_scanning"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	return e
}

var web = ChangedRepository{ID: 7, Name: "web", DefaultBranch: "main"}

// appliedSeries returns the exported count series of one family as "labels value" lines.
func appliedSeries(t *testing.T, e *Exporter, name string) string {
	t.Helper()
	var lines []string
	for _, m := range gatherFamily(t, e, name) {
		var parts []string
		for _, l := range m.GetLabel() {
			if l.GetName() != "org" {
				parts = append(parts, l.GetName()+"="+l.GetValue())
			}
		}
		lines = append(lines, strings.Join(parts, ",")+" "+strings.TrimSuffix(strings.TrimSuffix(jsonNumber(m.GetGauge().GetValue()), ".0"), ".00"))
	}
	return strings.Join(sortedCopy(lines), "\n")
}

func jsonNumber(v float64) string { b, _ := json.Marshal(v); return string(b) }

func gatherFamily(t *testing.T, e *Exporter, name string) []*dto.Metric {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}

func sortedCopy(lines []string) []string {
	out := slices.Clone(lines)
	slices.Sort(out)
	return out
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []Change
		family  string // series checked
		want    string
		wantErr []string // per change: "" merged, "ignored", "error"
	}{{
		name: "dependabot fixed",
		changes: []Change{{Org: "acme", Family: "dependabot", Action: "fixed", Repository: web,
			Alert: json.RawMessage(`{"number":2,"state":"fixed","dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":"high"},"created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-21T00:00:00Z","fixed_at":"2026-11-21T00:00:00Z"}`)}},
		family: "github_dependabot_alerts", want: "ecosystem=npm,repository=web,scope=runtime,severity=high,state=fixed 1", wantErr: []string{""},
	}, {
		name: "an older dependabot delivery than the walk changes nothing",
		changes: []Change{{Org: "acme", Family: "dependabot", Action: "dismissed", Repository: web,
			Alert: json.RawMessage(`{"number":2,"state":"dismissed","dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":"high"},"created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-19T00:00:00Z"}`)}},
		family: "github_dependabot_alerts", want: "ecosystem=npm,repository=web,scope=runtime,severity=high,state=open 1", wantErr: []string{"ignored"},
	}, {
		name: "code scanning closed by a user, no security severity in the delivery: the known one stays",
		changes: []Change{{Org: "acme", Family: "code_scanning", Action: "closed_by_user", Repository: web,
			Alert: json.RawMessage(`{"number":1,"state":"dismissed","rule":{"id":"js/xss","severity":"error"},"tool":{"name":"CodeQL"},"created_at":"2026-11-01T00:00:00Z","dismissed_at":"2026-11-22T00:00:00Z","dismissed_reason":"won't fix"}`)}},
		family: "github_code_scanning_alerts", want: "repository=web,severity=high,state=dismissed,tool=CodeQL 1", wantErr: []string{""},
	}, {
		name: "code scanning created on a pull request branch is not on the default branch",
		changes: []Change{{Org: "acme", Family: "code_scanning", Action: "created", Repository: web, Ref: "refs/pull/4/merge",
			Alert: json.RawMessage(`{"number":9,"state":"open","rule":{"severity":"warning"},"tool":{"name":"CodeQL"},"created_at":"2026-11-22T00:00:00Z"}`)}},
		family: "github_code_scanning_alerts", want: "repository=web,severity=high,state=open,tool=CodeQL 1", wantErr: []string{"ignored"},
	}, {
		name: "code scanning created on the default branch",
		changes: []Change{{Org: "acme", Family: "code_scanning", Action: "created", Repository: web, Ref: "refs/heads/main",
			Alert: json.RawMessage(`{"number":9,"state":"open","rule":{"severity":"warning","security_severity_level":"low"},"tool":{"name":"CodeQL"},"created_at":"2026-11-22T00:00:00Z"}`)}},
		family: "github_code_scanning_alerts", want: "repository=web,severity=high,state=open,tool=CodeQL 1\nrepository=web,severity=low,state=open,tool=CodeQL 1", wantErr: []string{""},
	}, {
		name: "secret scanning resolved: webhook alerts carry no state",
		changes: []Change{{Org: "acme", Family: "secret_scanning", Action: "resolved", Repository: web,
			Alert: json.RawMessage(`{"number":3,"resolution":"revoked","resolved_at":"2026-11-22T00:00:00Z","secret_type":"github_pat","validity":"inactive","created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-22T00:00:00Z"}`)}},
		family: "github_secret_scanning_alerts", want: "kind=default,repository=web,resolution=revoked,secret_type=github_pat,state=resolved,validity=inactive 1", wantErr: []string{""},
	}, {
		name:    "repository renamed relabels its alerts",
		changes: []Change{{Org: "acme", Action: "renamed", OldName: "web", Repository: ChangedRepository{ID: 7, Name: "site"}}},
		family:  "github_secret_scanning_alerts", want: "kind=default,repository=site,resolution=,secret_type=github_pat,state=open,validity=active 1", wantErr: []string{""},
	}, {
		name:    "repository deleted drops its alerts",
		changes: []Change{{Org: "ACME", Action: "deleted", Repository: web}},
		family:  "github_dependabot_alerts", want: "", wantErr: []string{""},
	}, {
		name: "hostile and foreign changes",
		changes: []Change{
			{Org: "other", Family: "dependabot", Repository: web, Alert: json.RawMessage(`{"number":2}`)},
			{Org: "acme", Family: "dependabot", Repository: web, Alert: json.RawMessage(`{"number":"two"}`)},
			{Org: "acme", Family: "dependabot", Repository: ChangedRepository{Name: "web"}, Alert: json.RawMessage(`{"number":2}`)},
			{Org: "acme", Family: "dependabot", Repository: web, Alert: json.RawMessage(`{"state":"fixed"}`)},
			{Org: "acme", Family: "pull_request", Repository: web, Alert: json.RawMessage(`{}`)},
		},
		family: "github_dependabot_alerts", want: "ecosystem=npm,repository=web,scope=runtime,severity=high,state=open 1",
		wantErr: []string{"ignored", "error", "error", "error", "ignored"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := applyRig(t)
			errs := e.Apply(tc.changes)
			for i, err := range errs {
				got := ""
				switch {
				case errors.Is(err, ErrIgnored):
					got = "ignored"
				case err != nil:
					got = "error"
				}
				if got != tc.wantErr[i] {
					t.Errorf("change %d: %v, want %q", i, err, tc.wantErr[i])
				}
			}
			if got := appliedSeries(t, e, tc.family); got != tc.want {
				t.Errorf("%s after the changes:\n%s\nwant:\n%s", tc.family, got, tc.want)
			}
		})
	}
}

// TestApplyWhileWalking holds a change that comes while a source of the organization
// runs, and merges it when the source ends.
func TestApplyWhileWalking(t *testing.T) {
	e := applyRig(t)
	tg := e.targets["acme"]
	tg.begin()
	errs := e.Apply([]Change{{Org: "acme", Family: "secret_scanning", Action: "resolved", Repository: web,
		Alert: json.RawMessage(`{"number":3,"resolution":"false_positive","resolved_at":"2026-11-22T00:00:00Z","secret_type":"github_pat","validity":"active","created_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-22T00:00:00Z"}`)}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	open := "kind=default,repository=web,resolution=,secret_type=github_pat,state=open,validity=active 1"
	if got := appliedSeries(t, e, "github_secret_scanning_alerts"); got != open {
		t.Errorf("merged while a source runs:\n%s", got)
	}
	e.settle(tg)
	if got, want := appliedSeries(t, e, "github_secret_scanning_alerts"), "kind=default,repository=web,resolution=false_positive,secret_type=github_pat,state=resolved,validity=active 1"; got != want {
		t.Errorf("after the source ended:\n%s\nwant:\n%s", got, want)
	}
}

// TestMissedChanges counts what a walk finds that no delivery announced, once webhooks
// are on, and not what deliveries brought.
func TestMissedChanges(t *testing.T) {
	r := newRig(t, 300)
	r.exporter.CountMissedChanges()
	r.run(t)
	missed := func() float64 {
		total := 0.0
		for _, m := range gatherFamily(t, r.exporter, "github_exporter_webhook_missed_changes_total") {
			total += m.GetCounter().GetValue()
		}
		return total
	}
	if m := missed(); m != 0 {
		t.Fatalf("missed after the first walk: %v", m)
	}
	r.simClock.add(time.Minute)
	r.sim.Step(5)
	r.expClock.add(15 * time.Minute)
	r.run(t)
	if m := missed(); m < 1 || m > 5 {
		t.Errorf("missed after 5 undelivered changes: %v, want 1 to 5", m)
	}
}
