package githubsim

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Orgs: testOrgs(), Now: func() time.Time { return testNow }}
	a, b := New(cfg), New(cfg)
	for _, org := range a.Orgs() {
		if !reflect.DeepEqual(a.CodeScanningAlerts(org), b.CodeScanningAlerts(org)) ||
			!reflect.DeepEqual(a.DependabotAlerts(org), b.DependabotAlerts(org)) ||
			!reflect.DeepEqual(a.SecretScanningAlerts(org), b.SecretScanningAlerts(org)) {
			t.Errorf("%s: same seed, different data", org)
		}
	}
	for _, path := range []string{
		"/orgs/octo-org/code-scanning/alerts?per_page=100", "/orgs/octo-org/dependabot/alerts?per_page=100",
		"/orgs/octo-org/secret-scanning/alerts?per_page=100&after=",
	} {
		if body(t, a, path) != body(t, b, path) {
			t.Errorf("%s: same seed, different bodies", path)
		}
	}

	cfg.Seed = 43
	if reflect.DeepEqual(a.DependabotAlerts("octo-org"), New(cfg).DependabotAlerts("octo-org")) {
		t.Error("different seeds, same data")
	}

	// Each family has its own random stream: more Dependabot alerts leave
	// the code scanning alerts as they were.
	cfg.Seed = 42
	cfg.Orgs = testOrgs()
	cfg.Orgs[0].Dependabot += 50
	if !reflect.DeepEqual(a.CodeScanningAlerts("octo-org"), New(cfg).CodeScanningAlerts("octo-org")) {
		t.Error("changing the Dependabot count changed the code scanning alerts")
	}
}

func body(t *testing.T, s *Server, path string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://api.example.com"+path, nil)
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d", path, rec.Code)
	}
	return rec.Body.String() + rec.Header().Get("Link")
}

func TestGroundTruthInvariants(t *testing.T) {
	specs := []OrgSpec{{Login: "acme", Repos: 40, CodeScanning: 3000, Dependabot: 3000, SecretScanning: 800}}
	s := New(Config{Seed: 9, Orgs: specs, Now: func() time.Time { return testNow }})
	oldest := testNow.Add(-dataSpan)
	checkTimes := func(id string, created, updated time.Time, closed ...*time.Time) {
		if created.Before(oldest) || updated.After(testNow) || updated.Before(created) {
			t.Errorf("%s: created %s updated %s outside the generated span or out of order", id, created, updated)
		}
		for _, c := range closed {
			if c != nil && (c.Before(created) || !c.Equal(updated)) {
				t.Errorf("%s: closed %s, created %s, updated %s", id, c, created, updated)
			}
		}
	}
	// fixed_at is the first fix: an alert reintroduced since keeps it, in any state.
	reintroduced := 0
	checkFixed := func(id string, created, updated time.Time, fixed *time.Time, state string) *time.Time {
		if fixed == nil {
			return nil
		}
		if fixed.Before(created) || fixed.After(updated) {
			t.Errorf("%s: %s, fixed %s, created %s, updated %s", id, state, fixed, created, updated)
		}
		if !fixed.Equal(updated) {
			reintroduced++
		}
		return nil // checked here, not by checkTimes
	}

	cs := s.CodeScanningAlerts("acme")
	checkCount(t, "code scanning", len(cs), specs[0].CodeScanning)
	checkNumbering(t, "code scanning", cs, func(a CodeScanningAlert) (string, int) { return a.Repo, a.Number })
	for _, a := range cs {
		checkTimes(csID(a), a.CreatedAt, a.UpdatedAt, checkFixed(csID(a), a.CreatedAt, a.UpdatedAt, a.FixedAt, a.State), a.DismissedAt)
		// fixed_at stays on an alert fixed, reintroduced and then dismissed.
		fixedOK := a.State != "fixed" || a.FixedAt != nil
		dismissedOK := (a.State == "dismissed") == (a.DismissedAt != nil)
		reasonOK := (a.State == "dismissed") == (a.DismissedReason != "")
		if !fixedOK || !dismissedOK || !reasonOK {
			t.Errorf("%s: state %q fixed %v dismissed %v %q", csID(a), a.State, a.FixedAt, a.DismissedAt, a.DismissedReason)
		}
	}

	dep := s.DependabotAlerts("acme")
	checkCount(t, "dependabot", len(dep), specs[0].Dependabot)
	checkNumbering(t, "dependabot", dep, func(a DependabotAlert) (string, int) { return a.Repo, a.Number })
	for _, a := range dep {
		checkTimes(depID(a), a.CreatedAt, a.UpdatedAt, checkFixed(depID(a), a.CreatedAt, a.UpdatedAt, a.FixedAt, a.State), a.DismissedAt, a.AutoDismissedAt)
		if a.State == "fixed" && a.FixedAt == nil || (a.State == "dismissed") != (a.DismissedAt != nil) ||
			(a.State == "auto_dismissed") != (a.AutoDismissedAt != nil) {
			t.Errorf("%s: state %q with fixed %v dismissed %v auto %v", depID(a), a.State, a.FixedAt, a.DismissedAt, a.AutoDismissedAt)
		}
	}

	ss := s.SecretScanningAlerts("acme")
	checkCount(t, "secret scanning", len(ss), specs[0].SecretScanning)
	checkNumbering(t, "secret scanning", ss, func(a SecretScanningAlert) (string, int) { return a.Repo, a.Number })
	for _, a := range ss {
		checkTimes(ssID(a), a.CreatedAt, a.UpdatedAt, a.ResolvedAt)
		if (a.State == "resolved") != (a.ResolvedAt != nil) || (a.State == "resolved") != (a.Resolution != "") {
			t.Errorf("%s: state %q resolution %q resolved %v", ssID(a), a.State, a.Resolution, a.ResolvedAt)
		}
	}
	if reintroduced == 0 {
		t.Error("no alert was fixed, reintroduced and closed again (fixed_at before updated_at)")
	}
}

func checkCount(t *testing.T, family string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d alerts, want %d", family, got, want)
	}
}

// checkNumbering: alert numbers are per repository and start at 1, without gaps.
func checkNumbering[A any](t *testing.T, family string, alerts []A, id func(A) (string, int)) {
	t.Helper()
	next := map[string]int{}
	for _, a := range alerts { // ordered by repository and number
		repo, n := id(a)
		if n != next[repo]+1 {
			t.Fatalf("%s: %s has alert %d after %d", family, repo, n, next[repo])
		}
		next[repo] = n
	}
}

func TestDataIsRealistic(t *testing.T) {
	s := New(Config{Seed: 3, Orgs: []OrgSpec{{Login: "acme", Repos: 100, CodeScanning: 6000, Dependabot: 6000, SecretScanning: 1500}}})
	repos := s.Repos("acme")
	for _, r := range repos {
		if strings.HasPrefix(r, "service-") {
			t.Errorf("repository %s: names should look real", r)
		}
	}
	cs, dep, ss := s.CodeScanningAlerts("acme"), s.DependabotAlerts("acme"), s.SecretScanningAlerts("acme")
	checkSkew(t, "code scanning", cs, func(a CodeScanningAlert) string { return a.Repo })
	checkSkew(t, "dependabot", dep, func(a DependabotAlert) string { return a.Repo })
	checkSkew(t, "secret scanning", ss, func(a SecretScanningAlert) string { return a.Repo })

	tests := []struct {
		what   string
		values map[string]int
		want   []string
	}{
		{"tools", count(cs, func(a CodeScanningAlert) string { return a.Tool }), []string{"CodeQL", "Semgrep OSS", "Trivy", "ESLint"}},
		{"code scanning states", count(cs, func(a CodeScanningAlert) string { return a.State }), []string{"open", "fixed", "dismissed", ""}},
		{"security severities", count(cs, func(a CodeScanningAlert) string { return a.SecuritySeverity }), []string{"critical", "high", "medium", "low", ""}},
		{"rule severities", count(cs, func(a CodeScanningAlert) string { return a.RuleSeverity }), []string{"error", "warning", "note"}},
		{"ecosystems", count(dep, func(a DependabotAlert) string { return a.Ecosystem }), []string{"npm", "pip", "maven", "go", "rubygems", "nuget", "composer", "rust"}},
		{"dependabot states", count(dep, func(a DependabotAlert) string { return a.State }), []string{"open", "fixed", "dismissed", "auto_dismissed"}},
		{"scopes", count(dep, func(a DependabotAlert) string { return a.Scope }), []string{"runtime", "development", ""}},
		{"severities", count(dep, func(a DependabotAlert) string { return a.Severity }), []string{"critical", "high", "medium", "low"}},
		{"secret types", count(ss, func(a SecretScanningAlert) string { return a.SecretType }), []string{"github_personal_access_token", "aws_access_key_id", "slack_api_token", "stripe_api_key", "google_api_key"}},
		{"resolutions", count(ss, func(a SecretScanningAlert) string { return a.Resolution }), []string{"", "revoked", "false_positive", "wont_fix", "used_in_tests"}},
		{"validities", count(ss, func(a SecretScanningAlert) string { return a.Validity }), []string{"active", "inactive", "unknown", ""}},
	}
	for _, tt := range tests {
		for _, v := range tt.want {
			if tt.values[v] == 0 {
				t.Errorf("%s: no %q among %v", tt.what, v, tt.values)
			}
		}
	}
	if n := len(count(dep, func(a DependabotAlert) string { return a.GHSA })); n < 100 {
		t.Errorf("only %d distinct advisories", n)
	}
}

func count[A any](alerts []A, key func(A) string) map[string]int {
	out := map[string]int{}
	for _, a := range alerts {
		out[key(a)]++
	}
	return out
}

// checkSkew: a few repositories hold most alerts.
func checkSkew[A any](t *testing.T, family string, alerts []A, repo func(A) string) {
	t.Helper()
	per := count(alerts, repo)
	var counts []int
	for _, n := range per {
		counts = append(counts, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	top := 0
	for _, n := range counts[:10] {
		top += n
	}
	if top*2 < len(alerts) {
		t.Errorf("%s: the top 10 repositories hold %d of %d alerts; want most", family, top, len(alerts))
	}
}

func TestDefaultsAndOrgIDs(t *testing.T) {
	s := New(Config{})
	var logins []string
	for _, o := range DemoOrgs() {
		logins = append(logins, o.Login)
	}
	if !slices.Equal(s.Orgs(), logins) {
		t.Errorf("Orgs() = %v, want the demo orgs %v", s.Orgs(), logins)
	}
	if n := len(s.DependabotAlerts(logins[0])); n != DemoOrgs()[0].Dependabot {
		t.Errorf("demo org has %d Dependabot alerts, want %d", n, DemoOrgs()[0].Dependabot)
	}

	specs := []OrgSpec{{Login: "explicit", ID: 123, Repos: 1}, {Login: "derived-a", Repos: 1}, {Login: "derived-b", Repos: 1}}
	s = New(Config{Orgs: specs})
	if id, ok := s.OrgID("EXPLICIT"); !ok || id != 123 {
		t.Errorf("OrgID(explicit) = %d, %v", id, ok)
	}
	a, _ := s.OrgID("derived-a")
	b, _ := s.OrgID("derived-b")
	again, _ := New(Config{Orgs: specs, Seed: 99}).OrgID("derived-a")
	if a == 0 || a == b || a != again {
		t.Errorf("derived ids %d, %d (again %d): want non-zero, distinct, stable", a, b, again)
	}
	if _, ok := s.OrgID("nope"); ok || s.CodeScanningAlerts("nope") != nil {
		t.Error("unknown org reported as known")
	}
}

// TestLargeOrganization checks the benchmark-sized organization is complete and served;
// how fast it generates and serves is measured by BenchmarkGenerate and BenchmarkServePage.
func TestLargeOrganization(t *testing.T) {
	s := New(Config{Seed: 1, Orgs: []OrgSpec{{Login: "huge", Repos: 2000, CodeScanning: 100_000, Dependabot: 150_000, SecretScanning: 50_000}}})
	if n := len(s.Repos("huge")); n != 2000 {
		t.Errorf("%d repositories, want 2000", n)
	}
	if n := len(s.CodeScanningAlerts("huge")) + len(s.DependabotAlerts("huge")) + len(s.SecretScanningAlerts("huge")); n != 300_000 {
		t.Errorf("%d alerts, want 300,000", n)
	}
	for _, path := range []string{"/orgs/huge/dependabot/alerts?per_page=100", "/orgs/huge/code-scanning/alerts?per_page=100&page=500"} {
		body(t, s, path)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		New(Config{Seed: 1, Orgs: []OrgSpec{{Login: "huge", Repos: 2000, CodeScanning: 100_000, Dependabot: 150_000, SecretScanning: 50_000}}})
	}
}

func BenchmarkServePage(b *testing.B) {
	s := New(Config{Seed: 1, Orgs: []OrgSpec{{Login: "huge", Repos: 2000, CodeScanning: 100_000, Dependabot: 150_000, SecretScanning: 50_000}}})
	req := httptest.NewRequest(http.MethodGet, "http://api.example.com/orgs/huge/dependabot/alerts?per_page=100", nil)
	req.Header.Set("Authorization", "Bearer x")
	s.ServeHTTP(httptest.NewRecorder(), req)
	for b.Loop() {
		s.ServeHTTP(httptest.NewRecorder(), req)
	}
}
