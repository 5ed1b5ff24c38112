package githubsim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestFilters(t *testing.T) {
	m := newSim(t, Config{Seed: 11})
	cs := func(keep func(CodeScanningAlert) bool) map[string]int {
		return ids(slices.DeleteFunc(m.s.CodeScanningAlerts("octo-org"), func(a CodeScanningAlert) bool { return !keep(a) }), csID)
	}
	dep := func(keep func(DependabotAlert) bool) map[string]int {
		return ids(slices.DeleteFunc(m.s.DependabotAlerts("octo-org"), func(a DependabotAlert) bool { return !keep(a) }), depID)
	}
	ss := func(keep func(SecretScanningAlert) bool) map[string]int {
		return ids(slices.DeleteFunc(m.s.SecretScanningAlerts("octo-org"), func(a SecretScanningAlert) bool { return !keep(a) }), ssID)
	}
	tests := []struct {
		path string
		want map[string]int
	}{
		{"code-scanning/alerts?state=open", cs(func(a CodeScanningAlert) bool { return a.State == "open" })},
		{"code-scanning/alerts?state=closed", cs(func(a CodeScanningAlert) bool { return a.State == "fixed" || a.State == "dismissed" })},
		{"code-scanning/alerts?state=dismissed&after=", cs(func(a CodeScanningAlert) bool { return a.State == "dismissed" })},
		{"code-scanning/alerts?severity=high", cs(func(a CodeScanningAlert) bool { return a.SecuritySeverity == "high" })},
		{"code-scanning/alerts?severity=note", cs(func(a CodeScanningAlert) bool { return a.RuleSeverity == "note" })},
		{"code-scanning/alerts?tool_name=CodeQL&state=open", cs(func(a CodeScanningAlert) bool { return a.Tool == "CodeQL" && a.State == "open" })},
		{"code-scanning/alerts?tool_name=NoSuchTool", cs(func(CodeScanningAlert) bool { return false })},
		{"code-scanning/alerts?tool_guid=abc", cs(func(CodeScanningAlert) bool { return false })},
		{"dependabot/alerts?state=open", dep(func(a DependabotAlert) bool { return a.State == "open" })},
		{"dependabot/alerts?state=dismissed,auto_dismissed", dep(func(a DependabotAlert) bool { return a.State == "dismissed" || a.State == "auto_dismissed" })},
		{"dependabot/alerts?severity=critical,high&state=open", dep(func(a DependabotAlert) bool {
			return (a.Severity == "critical" || a.Severity == "high") && a.State == "open"
		})},
		{"dependabot/alerts?ecosystem=npm,pip", dep(func(a DependabotAlert) bool { return a.Ecosystem == "npm" || a.Ecosystem == "pip" })},
		{"dependabot/alerts?scope=development", dep(func(a DependabotAlert) bool { return a.Scope == "development" })},
		{"dependabot/alerts?package=lodash,django", dep(func(a DependabotAlert) bool { return a.Package == "lodash" || a.Package == "django" })},
		{"secret-scanning/alerts?state=resolved", ss(func(a SecretScanningAlert) bool { return a.State == "resolved" })},
		{"secret-scanning/alerts?resolution=revoked,false_positive&after=", ss(func(a SecretScanningAlert) bool {
			return a.Resolution == "revoked" || a.Resolution == "false_positive"
		})},
		{"secret-scanning/alerts?secret_type=github_personal_access_token", ss(func(a SecretScanningAlert) bool { return a.SecretType == "github_personal_access_token" })},
		{"secret-scanning/alerts?validity=active,unknown", ss(func(a SecretScanningAlert) bool { return a.Validity == "active" || a.Validity == "unknown" })},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			sep := "&"
			if !strings.Contains(tt.path, "?") {
				sep = "?"
			}
			w := m.walk("/orgs/octo-org/" + tt.path + sep + "per_page=20")
			sameSet(t, ids(w.alerts, servedID), tt.want)
			sent := mustQuery(t, tt.path)
			for _, u := range w.urls[1:] {
				got := mustQuery(t, u)
				for k := range sent {
					if k != "after" && got.Get(k) != sent.Get(k) {
						t.Errorf("link %s lost %s=%s", u, k, sent.Get(k))
					}
				}
			}
		})
	}
}

func TestFiltersHaveSomethingToFind(t *testing.T) {
	m := newSim(t, Config{Seed: 11})
	for _, path := range []string{
		"code-scanning/alerts?state=open", "code-scanning/alerts?severity=high", "dependabot/alerts?ecosystem=npm,pip",
		"dependabot/alerts?scope=development", "secret-scanning/alerts?validity=active,unknown",
	} {
		if _, alerts := m.getOK("/orgs/octo-org/" + path); len(alerts) == 0 {
			t.Errorf("%s: nothing served; the filter test would prove little", path)
		}
	}
}

func TestInvalidParameters(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	for _, path := range []string{
		"code-scanning/alerts?state=bogus",
		"code-scanning/alerts?severity=moderate",
		"code-scanning/alerts?sort=number",
		"code-scanning/alerts?direction=up",
		"code-scanning/alerts?tool_name=CodeQL&tool_guid=x",
		"dependabot/alerts?state=open,closed",
		"dependabot/alerts?severity=moderate",
		"dependabot/alerts?ecosystem=cargo",
		"dependabot/alerts?scope=test",
		"dependabot/alerts?sort=severity",
		"secret-scanning/alerts?state=closed",
		"secret-scanning/alerts?resolution=fixed",
		"secret-scanning/alerts?validity=valid",
		"secret-scanning/alerts?direction=sideways",
	} {
		t.Run(path, func(t *testing.T) {
			resp, body := m.get("/orgs/octo-org/" + path)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %s, want 422", resp.Status)
			}
			e := decodeError(t, body)
			errs, _ := e["errors"].([]any)
			if e["message"] != "Validation Failed" || len(errs) != 1 || e["status"] != "422" {
				t.Errorf("body %s", body)
			}
		})
	}
}
