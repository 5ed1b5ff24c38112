package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// configOrgs has one organization with a parent enterprise and one without
// (seed 3), so that both shapes of the pattern configurations are served.
func configOrgs() []OrgSpec {
	return []OrgSpec{
		{Login: "octo-org", ID: testOrgID, Repos: 90, SecretScanning: 300},
		{Login: "solo-org", Repos: 9, SecretScanning: 20},
		{Login: "empty-org"},
	}
}

func readExample(t *testing.T, name string) any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestConfigurationShapesMatchGitHubExamples(t *testing.T) {
	m := newSim(t, Config{Seed: 3, Orgs: configOrgs()})
	patterns := readExample(t, "secret-scanning-pattern-configurations.json")
	var configs any
	for _, e := range readExample(t, "code-security-configurations-org.json").([]any) {
		configs = mergeShape(configs, e)
	}
	// The configurations listing's repository is the alert listings' simple repository.
	repository := readExample(t, "secret-scanning-org-alerts.json").([]any)[0].(map[string]any)["repository"]
	entry := map[string]any{"status": "attached", "repository": repository}

	seenEnterprise := map[bool]bool{}
	for _, org := range m.s.Orgs() {
		resp, body := m.get("/orgs/" + org + "/secret-scanning/pattern-configurations")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: pattern configurations: %s", org, resp.Status)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		// enterprise_setting: "Only present for partner patterns when the organization has a parent enterprise."
		checkShape(t, org+" patterns", "", patterns, got, nil, map[string][]string{"provider_pattern_overrides": {"enterprise_setting"}})
		for _, p := range got["provider_pattern_overrides"].([]any) {
			_, has := p.(map[string]any)["enterprise_setting"]
			seenEnterprise[has] = true
		}

		for _, c := range m.walk("/orgs/" + org + "/code-security/configurations").alerts {
			id := fmt.Sprintf("%s configuration %v", org, c["id"])
			// code_security and secret_protection are documented (the 2025 split of
			// Advanced Security) but not in the example; the global configuration has neither.
			added := []string{"code_security", "secret_protection"}
			checkShape(t, id, "", configs, c, map[string][]string{"": added}, map[string][]string{"": added})
			for _, r := range m.walk(fmt.Sprintf("/orgs/%s/code-security/configurations/%v/repositories", org, c["id"])).alerts {
				checkShape(t, id+" repository", "", entry, r, nil, nil)
			}
		}
	}
	if !seenEnterprise[true] || !seenEnterprise[false] {
		t.Errorf("enterprise_setting present/absent seen: %v, want both", seenEnterprise)
	}
}

// TestPatternTotalsFollowAlerts checks that a provider pattern's counts are its
// secret type's alerts, before and after the alerts change, and that the
// served body is the ground truth.
func TestPatternTotalsFollowAlerts(t *testing.T) {
	m := newSim(t, Config{Seed: 3, Orgs: configOrgs()})
	check := func(when string) {
		for _, org := range m.s.Orgs() {
			alerts := m.s.SecretScanningAlerts(org)
			patterns := m.s.SecretScanningPatterns(org)
			total := len(alerts)
			for _, p := range patterns {
				if p.Kind == "custom" {
					total += p.AlertTotal
				}
			}
			for _, p := range patterns {
				if p.Kind != "provider" {
					continue
				}
				var n, fp int
				for _, a := range alerts {
					if a.SecretType == p.Slug {
						n++
						if a.Resolution == "false_positive" {
							fp++
						}
					}
				}
				if p.AlertTotal != n || p.FalsePositives != fp || p.FalsePositiveRate != percent(fp, n) || p.AlertTotalPercentage != percent(n, total) {
					t.Errorf("%s %s: %s: %+v, want %d alerts, %d false positives of %d in all", when, org, p.Slug, p, n, fp, total)
				}
				if p.BypassRate < 0 || p.BypassRate > 100 || p.TokenType != strings.ToUpper(p.Slug) {
					t.Errorf("%s %s: %+v", when, org, p)
				}
			}
			if served := servedPatterns(t, m, org); !reflect.DeepEqual(served, patterns) {
				t.Errorf("%s %s: served\n%+v\nground truth\n%+v", when, org, served, patterns)
			}
		}
	}
	check("at start")
	m.s.Step(300)
	check("after 300 steps")
}

// servedPatterns decodes the served pattern configurations into the ground truth's type.
func servedPatterns(t *testing.T, m *sim, org string) []SecretScanningPattern {
	t.Helper()
	_, body := m.get("/orgs/" + org + "/secret-scanning/pattern-configurations")
	type pattern struct {
		TokenType            string `json:"token_type"`
		Slug                 string `json:"slug"`
		DisplayName          string `json:"display_name"`
		CustomPatternVersion string `json:"custom_pattern_version"`
		AlertTotal           int    `json:"alert_total"`
		AlertTotalPercentage int    `json:"alert_total_percentage"`
		FalsePositives       int    `json:"false_positives"`
		FalsePositiveRate    int    `json:"false_positive_rate"`
		BypassRate           int    `json:"bypass_rate"`
		DefaultSetting       string `json:"default_setting"`
		Setting              string `json:"setting"`
		EnterpriseSetting    string `json:"enterprise_setting"`
	}
	var v struct {
		Version  string    `json:"pattern_config_version"`
		Provider []pattern `json:"provider_pattern_overrides"`
		Custom   []pattern `json:"custom_pattern_overrides"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Version) != 27 {
		t.Errorf("%s: pattern_config_version %q", org, v.Version)
	}
	var out []SecretScanningPattern
	for _, kind := range []string{"provider", "custom"} {
		list := v.Provider
		if kind == "custom" {
			list = v.Custom
		}
		for _, p := range list {
			out = append(out, SecretScanningPattern{
				Kind: kind, TokenType: p.TokenType, Slug: p.Slug, DisplayName: p.DisplayName, CustomPatternVersion: p.CustomPatternVersion,
				AlertTotal: p.AlertTotal, AlertTotalPercentage: p.AlertTotalPercentage, FalsePositives: p.FalsePositives,
				FalsePositiveRate: p.FalsePositiveRate, BypassRate: p.BypassRate,
				DefaultSetting: p.DefaultSetting, Setting: p.Setting, EnterpriseSetting: p.EnterpriseSetting,
			})
		}
	}
	return out
}

// TestConfigurationListingsServeTheGroundTruth walks both listings with small
// pages and compares them with the ground truth, and checks how repositories
// are spread over configurations.
func TestConfigurationListingsServeTheGroundTruth(t *testing.T) {
	m := newSim(t, Config{Seed: 3, Orgs: configOrgs()})
	statuses := map[string]bool{}
	for _, org := range m.s.Orgs() {
		truth := m.s.CodeSecurityConfigurations(org)
		w := m.walk("/orgs/" + org + "/code-security/configurations?per_page=1")
		if len(w.alerts) != len(truth) || len(w.urls) != len(truth) {
			t.Fatalf("%s: %d configurations in %d pages, want %d in as many pages", org, len(w.alerts), len(w.urls), len(truth))
		}
		listed := map[string]int{}
		for i, c := range w.alerts {
			want := truth[i]
			if c["id"] != float64(want.ID) || c["name"] != want.Name || c["target_type"] != want.TargetType || c["enforcement"] != want.Enforcement {
				t.Errorf("%s: configuration %d served as %v/%v/%v/%v, want %+v", org, i, c["id"], c["name"], c["target_type"], c["enforcement"], want)
			}
			for _, s := range want.Settings {
				if c[s.Name] != s.Status {
					t.Errorf("%s %s: %s = %v, want %s", org, want.Name, s.Name, c[s.Name], s.Status)
				}
			}
			rw := m.walk(fmt.Sprintf("/orgs/%s/code-security/configurations/%d/repositories?per_page=2&status=all", org, want.ID))
			var got []ConfigurationRepository
			for _, r := range rw.alerts {
				got = append(got, ConfigurationRepository{r["repository"].(map[string]any)["name"].(string), r["status"].(string)})
			}
			if !reflect.DeepEqual(got, want.Repositories) {
				t.Errorf("%s %s: repositories\n%v\nwant\n%v", org, want.Name, got, want.Repositories)
			}
			for _, r := range want.Repositories {
				listed[r.Repo]++
				statuses[r.Status] = true
			}
		}
		for repo, n := range listed {
			if n > 1 {
				t.Errorf("%s: %s listed under %d configurations", org, repo, n)
			}
		}
		if repos := m.s.Repos(org); len(repos) > 20 && (len(listed) == len(repos) || len(listed) < len(repos)/2) {
			t.Errorf("%s: %d of %d repositories under a configuration, want most but not all", org, len(listed), len(repos))
		}
		if truth[0].ID != 17 || truth[0].TargetType != "global" {
			t.Errorf("%s: first configuration %+v, want GitHub's global one", org, truth[0])
		}
	}
	for _, s := range []string{"attached", "enforced", "attaching", "failed", "removed"} {
		if !statuses[s] {
			t.Errorf("no repository with status %s", s)
		}
	}
}

func TestConfigurationListingParameters(t *testing.T) {
	m := newSim(t, Config{Seed: 3, Orgs: configOrgs()})
	truth := m.s.CodeSecurityConfigurations("octo-org")
	var big CodeSecurityConfiguration
	for _, c := range truth {
		if len(c.Repositories) > len(big.Repositories) {
			big = c
		}
	}
	repos := fmt.Sprintf("/orgs/octo-org/code-security/configurations/%d/repositories", big.ID)
	count := func(path string) int {
		_, page := m.getOK(path)
		return len(page)
	}
	var failedOrRemoved int
	for _, r := range big.Repositories {
		if r.Status == "failed" || r.Status == "removed" {
			failedOrRemoved++
		}
	}
	if n := count(repos + "?status=failed,removed&per_page=100"); n != failedOrRemoved {
		t.Errorf("status=failed,removed: %d repositories, want %d", n, failedOrRemoved)
	}
	if n := count(repos + "?per_page=100"); n != len(big.Repositories) {
		t.Errorf("no status filter: %d repositories, want all %d", n, len(big.Repositories))
	}
	if n := count("/orgs/octo-org/code-security/configurations?target_type=global"); n != 1 {
		t.Errorf("target_type=global: %d configurations, want 1", n)
	}
	if n := count(repos + "?per_page=1000"); n != min(len(big.Repositories), 100) {
		t.Errorf("per_page=1000: %d repositories", n)
	}

	// A previous link goes back to the first page.
	resp, first := m.getOK(repos + "?per_page=2")
	resp, _ = m.getOK(links(t, resp.Header)["next"])
	prev := links(t, resp.Header)["prev"]
	if !strings.Contains(prev, "before=") || !strings.Contains(prev, fmt.Sprintf("/configurations/%d/repositories?", big.ID)) {
		t.Fatalf("prev link %q", prev)
	}
	if _, back := m.getOK(prev); !reflect.DeepEqual(back, first) {
		t.Errorf("prev page differs from the first page")
	}

	for path, status := range map[string]int{
		repos + "?status=bogus": http.StatusUnprocessableEntity,
		"/orgs/octo-org/code-security/configurations?target_type=repository": http.StatusUnprocessableEntity,
		repos + "?after=not-a-cursor":                                        http.StatusBadRequest,
		"/orgs/octo-org/code-security/configurations/999999999/repositories": http.StatusNotFound,
		"/orgs/octo-org/code-security/configurations/abc/repositories":       http.StatusNotFound,
		"/orgs/nobody/code-security/configurations":                          http.StatusNotFound,
		"/orgs/nobody/secret-scanning/pattern-configurations":                http.StatusNotFound,
	} {
		if resp, body := m.get(path); resp.StatusCode != status {
			t.Errorf("%s: %s %s, want %d", path, resp.Status, body, status)
		}
	}
	if st := m.s.Stats().ByEndpoint["/orgs/{org}/code-security/configurations/{configuration_id}/repositories"]; st == 0 {
		t.Error("repositories listing not counted under its route template")
	}
}

func TestConfigurationFamiliesUnavailable(t *testing.T) {
	tests := []struct {
		family  string
		status  int
		message string
		refused []string
	}{
		{FamilySecretScanningPatterns, http.StatusNotFound, "Not Found",
			[]string{"/secret-scanning/pattern-configurations"}},
		{FamilyCodeSecurityConfigurations, http.StatusForbidden, "Resource not accessible by integration",
			[]string{"/code-security/configurations", "/code-security/configurations/17/repositories"}},
	}
	all := []string{"/secret-scanning/pattern-configurations", "/code-security/configurations", "/code-security/configurations/17/repositories", "/secret-scanning/alerts"}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			m := newSim(t, Config{Seed: 3, Orgs: configOrgs()})
			m.s.SetUnavailable("octo-org", tt.family, tt.status, tt.message)
			for _, p := range all {
				want := http.StatusOK
				if slices.Contains(tt.refused, p) {
					want = tt.status
				}
				resp, body := m.get("/orgs/octo-org" + p)
				if resp.StatusCode != want {
					t.Errorf("%s: %s, want %d", p, resp.Status, want)
				}
				if want != http.StatusOK && decodeError(t, body)["message"] != tt.message {
					t.Errorf("%s: body %s", p, body)
				}
				if resp, _ := m.get("/orgs/solo-org" + p); resp.StatusCode != http.StatusOK {
					t.Errorf("other organization: %s: %s", p, resp.Status)
				}
			}
			m.s.SetUnavailable("octo-org", tt.family, 0, "")
			for _, p := range tt.refused {
				if resp, _ := m.get("/orgs/octo-org" + p); resp.StatusCode != http.StatusOK {
					t.Errorf("available again: %s: %s", p, resp.Status)
				}
			}
		})
	}
}

func TestConfigurationDataIsDeterministic(t *testing.T) {
	cfg := Config{Seed: 5, Orgs: configOrgs(), Now: func() time.Time { return testNow }}
	a, b := New(cfg), New(cfg)
	for _, org := range a.Orgs() {
		if !reflect.DeepEqual(a.CodeSecurityConfigurations(org), b.CodeSecurityConfigurations(org)) ||
			!reflect.DeepEqual(a.SecretScanningPatterns(org), b.SecretScanningPatterns(org)) {
			t.Errorf("%s: same seed, different configurations", org)
		}
	}
	cfg.Seed = 6
	if reflect.DeepEqual(a.CodeSecurityConfigurations("octo-org"), New(cfg).CodeSecurityConfigurations("octo-org")) {
		t.Error("different seeds, same configurations")
	}
}

func TestConfigurationsNotOnEnterpriseServer222(t *testing.T) {
	m := newSim(t, Config{Seed: 3, Orgs: configOrgs(), Enterprise: Enterprise222})
	for _, p := range []string{"/secret-scanning/pattern-configurations", "/code-security/configurations", "/code-security/configurations/17/repositories"} {
		if resp, _ := m.get("/api/v3/orgs/octo-org" + p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s on Enterprise Server 2.22: %s, want 404", p, resp.Status)
		}
	}
}
