package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// expectedPatterns computes the secret scanning pattern series of org from the
// simulator's pattern configurations.
func expectedPatterns(sim *githubsim.Server, org string) map[string]float64 {
	want := map[string]float64{}
	for _, p := range sim.SecretScanningPatterns(org) {
		labels := map[string]string{"org": org, "pattern": p.Slug, "kind": p.Kind}
		want[seriesKey("github_secret_scanning_pattern_alerts", labels)] = float64(p.AlertTotal)
		want[seriesKey("github_secret_scanning_pattern_false_positives", labels)] = float64(p.FalsePositives)
		want[seriesKey("github_secret_scanning_pattern_false_positive_ratio", labels)] = float64(p.FalsePositiveRate) / 100
		want[seriesKey("github_secret_scanning_pattern_bypass_ratio", labels)] = float64(p.BypassRate) / 100
		// GitHub: "If this is not-set, then it inherits either the enterprise setting if it exists or the default setting."
		setting := p.Setting
		if setting == "not-set" && p.EnterpriseSetting != "" && p.EnterpriseSetting != "not-set" {
			setting = p.EnterpriseSetting
		} else if setting == "not-set" {
			setting = p.DefaultSetting
		}
		want[seriesKey("github_secret_scanning_pattern_push_protection_enabled", labels)] = boolFloat(setting == "enabled")
	}
	return want
}

// expectedConfigurations computes the code security configuration series of org.
// Repositories no configuration holds (listed nowhere, or listed as removed) count
// under configuration="", which the exporter derives from the repository inventory.
func expectedConfigurations(sim *githubsim.Server, org string) map[string]float64 {
	want := map[string]float64{}
	held := map[string]bool{}
	for _, c := range sim.CodeSecurityConfigurations(org) {
		want[seriesKey("github_code_security_configuration_info", map[string]string{
			"org": org, "configuration": c.Name, "target_type": c.TargetType, "enforcement": c.Enforcement,
		})] = 1
		for _, s := range c.Settings {
			want[seriesKey("github_code_security_configuration_setting", map[string]string{
				"org": org, "configuration": c.Name, "setting": s.Name, "status": s.Status,
			})] = 1
		}
		for _, r := range c.Repositories {
			want[seriesKey("github_code_security_configuration_repositories", map[string]string{
				"org": org, "configuration": c.Name, "status": r.Status,
			})]++
			if r.Status == "attached" || r.Status == "enforced" { // failed, attaching, updating: not (yet) held
				held[r.Repo] = true
			}
		}
	}
	none := seriesKey("github_code_security_configuration_repositories", map[string]string{"org": org, "configuration": "", "status": "none"})
	want[none] = 0
	for _, repo := range sim.Repos(org) {
		if !held[repo] {
			want[none]++
		}
	}
	return want
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var configurationFamilies = []string{
	"github_secret_scanning_pattern_alerts", "github_secret_scanning_pattern_false_positives",
	"github_secret_scanning_pattern_false_positive_ratio", "github_secret_scanning_pattern_bypass_ratio",
	"github_secret_scanning_pattern_push_protection_enabled",
	"github_code_security_configuration_info", "github_code_security_configuration_setting",
	"github_code_security_configuration_repositories",
}

// TestConfigurationsOfTwoOrganizations collects two organizations at once and checks every
// pattern and configuration series against the simulator's ground truth, and that each
// listing costs one request per page.
func TestConfigurationsOfTwoOrganizations(t *testing.T) {
	orgs := []string{"cfg-one", "cfg-two"}
	sim := githubsim.New(githubsim.Config{Seed: 11, Orgs: []githubsim.OrgSpec{
		{Login: orgs[0], Repos: 45, CodeScanning: 60, Dependabot: 60, SecretScanning: 400},
		{Login: orgs[1], Repos: 12, SecretScanning: 50},
	}})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+orgs[0], "--github.org="+orgs[1],
		"--github.api-url="+srv.URL+"/",
		"--collector.schedule=@every 1h",
		"--github.requests-per-second=200",
	)
	e.waitReady(t, 2*time.Minute)
	series, body := e.scrape(t)

	want := map[string]float64{}
	configs := 0
	for _, org := range orgs {
		for k, v := range expectedPatterns(sim, org) {
			want[k] = v
		}
		for k, v := range expectedConfigurations(sim, org) {
			want[k] = v
		}
		configs += len(sim.CodeSecurityConfigurations(org))
		for _, c := range []string{"repositories", "secret_scanning_patterns", "code_security_configurations"} {
			labels := map[string]string{"org": org, "collector": c}
			if series[seriesKey("github_exporter_collection_success", labels)] != 1 || series[seriesKey("github_exporter_source_available", labels)] != 1 {
				t.Errorf("%s %s: not collected successfully; logs:\n%s", org, c, e.Logs())
			}
		}
	}
	got := map[string]float64{}
	for _, name := range configurationFamilies {
		if len(family(want, name)) == 0 {
			t.Errorf("the simulated organizations have no %s series: the test checks nothing there", name)
		}
		for k, v := range family(series, name) {
			got[k] = v
		}
	}
	if d := diff(want, got, 30); len(d) > 0 {
		t.Errorf("configuration series differ from the simulator's ground truth:\n%s", strings.Join(d, "\n"))
	}

	for endpoint, n := range map[string]float64{
		"/orgs/{org}/secret-scanning/pattern-configurations":                       2,
		"/orgs/{org}/code-security/configurations":                                 2,
		"/orgs/{org}/code-security/configurations/{configuration_id}/repositories": float64(configs),
	} {
		k := seriesKey("github_exporter_api_requests_total", map[string]string{"route": endpoint, "code": "200"})
		if series[k] != n {
			t.Errorf("%s = %v, want %v (one page each)", k, series[k], n)
		}
	}
	if strings.Contains(body, token) || strings.Contains(e.Logs(), token) {
		t.Error("the token appears in the metrics or the logs")
	}
}

// TestConfigurationSourcesNotAvailable checks that a 403 or 404 from the two listings is
// reported as not available, exports none of their series, and leaves the alerts alone.
func TestConfigurationSourcesNotAvailable(t *testing.T) {
	const org = "cfg-locked"
	sim := githubsim.New(githubsim.Config{Seed: 12, Orgs: []githubsim.OrgSpec{{Login: org, Repos: 8, SecretScanning: 30}}})
	sim.SetUnavailable(org, githubsim.FamilySecretScanningPatterns, http.StatusNotFound, "Not Found")
	sim.SetUnavailable(org, githubsim.FamilyCodeSecurityConfigurations, http.StatusForbidden, "Resource not accessible by personal access token")
	srv := httptest.NewServer(sim)
	defer srv.Close()

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+org, "--github.api-url="+srv.URL+"/", "--collector.schedule=@every 1h", "--github.requests-per-second=200")
	e.waitReady(t, 2*time.Minute)
	series, _ := e.scrape(t)

	for c, available := range map[string]float64{"secret_scanning_patterns": 0, "code_security_configurations": 0, "secret_scanning": 1} {
		labels := map[string]string{"org": org, "collector": c}
		if v := series[seriesKey("github_exporter_source_available", labels)]; v != available {
			t.Errorf("source_available{collector=%q} = %v, want %v", c, v, available)
		}
		if v := series[seriesKey("github_exporter_collection_failures_total", labels)]; v != 0 {
			t.Errorf("collection_failures_total{collector=%q} = %v: not available is not a failure", c, v)
		}
	}
	for _, name := range configurationFamilies {
		if f := family(series, name); len(f) > 0 {
			t.Errorf("%s exported for an organization that does not serve it: %v", name, f)
		}
	}
	if len(family(series, "github_secret_scanning_alerts")) == 0 {
		t.Error("no secret scanning alerts: an unavailable source stopped the others")
	}
	if !strings.Contains(e.Logs(), "Resource not accessible by personal access token") {
		t.Errorf("GitHub's message is not in the logs:\n%s", e.Logs())
	}
}
