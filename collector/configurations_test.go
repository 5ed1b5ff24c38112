package collector

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	patternsPath = "/orgs/acme/secret-scanning/pattern-configurations"
	configsPath  = "/orgs/acme/code-security/configurations"
)

func configReposPath(id string) string { return configsPath + "/" + id + "/repositories" }

const patternHelp = `
# HELP github_secret_scanning_pattern_alerts Secret scanning alerts the pattern has raised in the organization, any state (GitHub's alert_total), refreshed on schedule.
# TYPE github_secret_scanning_pattern_alerts gauge
# HELP github_secret_scanning_pattern_false_positives Alerts of the pattern closed as false positives (GitHub's false_positives), refreshed on schedule.
# TYPE github_secret_scanning_pattern_false_positives gauge
# HELP github_secret_scanning_pattern_false_positive_ratio Share of the pattern's alerts that are false positives, 0 to 1 (GitHub's false_positive_rate / 100), refreshed on schedule.
# TYPE github_secret_scanning_pattern_false_positive_ratio gauge
# HELP github_secret_scanning_pattern_bypass_ratio Share of the pattern's push-protection blocks that were bypassed, 0 to 1 (GitHub's bypass_rate / 100), refreshed on schedule.
# TYPE github_secret_scanning_pattern_bypass_ratio gauge
# HELP github_secret_scanning_pattern_push_protection_enabled Whether push protection is enabled for the pattern in the organization (1) or not (0), refreshed on schedule.
# TYPE github_secret_scanning_pattern_push_protection_enabled gauge
`

var patternMetricNames = []string{
	"github_secret_scanning_pattern_alerts", "github_secret_scanning_pattern_false_positives",
	"github_secret_scanning_pattern_false_positive_ratio", "github_secret_scanning_pattern_bypass_ratio",
	"github_secret_scanning_pattern_push_protection_enabled",
}

func TestSecretScanningPatterns(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{{
		name: "GitHub's example: slugs, percentages as ratios, setting enabled",
		body: fixture(t, "secret-scanning-pattern-configurations.json"),
		want: `
github_secret_scanning_pattern_alerts{kind="custom",org="acme",pattern="custom-api-key"} 15
github_secret_scanning_pattern_alerts{kind="provider",org="acme",pattern="github_personal_access_token_legacy_v2"} 15
github_secret_scanning_pattern_false_positives{kind="custom",org="acme",pattern="custom-api-key"} 3
github_secret_scanning_pattern_false_positives{kind="provider",org="acme",pattern="github_personal_access_token_legacy_v2"} 2
github_secret_scanning_pattern_false_positive_ratio{kind="custom",org="acme",pattern="custom-api-key"} 0.2
github_secret_scanning_pattern_false_positive_ratio{kind="provider",org="acme",pattern="github_personal_access_token_legacy_v2"} 0.13
github_secret_scanning_pattern_bypass_ratio{kind="custom",org="acme",pattern="custom-api-key"} 0.2
github_secret_scanning_pattern_bypass_ratio{kind="provider",org="acme",pattern="github_personal_access_token_legacy_v2"} 0.13
github_secret_scanning_pattern_push_protection_enabled{kind="custom",org="acme",pattern="custom-api-key"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="github_personal_access_token_legacy_v2"} 1
`,
	}, {
		name: "not-set inherits the enterprise setting, else the default",
		body: `{"pattern_config_version":"v","provider_pattern_overrides":[
 {"token_type":"A","slug":"a","setting":"not-set","enterprise_setting":"enabled","default_setting":"disabled"},
 {"token_type":"B","slug":"b","setting":"not-set","default_setting":"enabled"},
 {"token_type":"C","slug":"c","setting":"not-set","enterprise_setting":null,"default_setting":"enabled"},
 {"token_type":"D","slug":"d","setting":"not-set","enterprise_setting":"not-set","default_setting":"disabled"},
 {"token_type":"E","slug":"e","setting":"disabled","enterprise_setting":"enabled","default_setting":"enabled"},
 {"token_type":"F","slug":"f","setting":"not-set","enterprise_setting":"disabled","default_setting":"enabled"},
 {"token_type":"G","slug":"g"}
],"custom_pattern_overrides":[]}`,
		want: `
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="a"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="b"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="c"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="d"} 0
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="e"} 0
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="f"} 0
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="g"} 0
`,
	}, {
		name: "names without a slug, rates 0 and 100, a pattern listed twice, a provider and a custom pattern of one name",
		body: `{"provider_pattern_overrides":[
 {"token_type":"NO_SLUG","alert_total":4,"false_positives":0,"false_positive_rate":0,"bypass_rate":100,"setting":"enabled"},
 {"token_type":"DUP","slug":"dup","alert_total":7,"false_positives":1,"false_positive_rate":14,"bypass_rate":7,"setting":"enabled"},
 {"token_type":"DUP","slug":"dup","alert_total":99,"false_positives":99,"false_positive_rate":99,"bypass_rate":99,"setting":"disabled"},
 {"token_type":"SHARED","slug":"shared","alert_total":1,"setting":"disabled","default_setting":"disabled"}
],"custom_pattern_overrides":[
 {"token_type":"cp_7","display_name":"Internal token","alert_total":2,"setting":"disabled","default_setting":"disabled"},
 {"token_type":"cp_8","alert_total":3,"setting":"enabled"},
 {"token_type":"cp_9","slug":"shared","alert_total":5,"setting":"enabled"}
]}`,
		want: `
github_secret_scanning_pattern_alerts{kind="custom",org="acme",pattern="Internal token"} 2
github_secret_scanning_pattern_alerts{kind="custom",org="acme",pattern="cp_8"} 3
github_secret_scanning_pattern_alerts{kind="custom",org="acme",pattern="shared"} 5
github_secret_scanning_pattern_alerts{kind="provider",org="acme",pattern="NO_SLUG"} 4
github_secret_scanning_pattern_alerts{kind="provider",org="acme",pattern="dup"} 7
github_secret_scanning_pattern_alerts{kind="provider",org="acme",pattern="shared"} 1
github_secret_scanning_pattern_false_positives{kind="provider",org="acme",pattern="NO_SLUG"} 0
github_secret_scanning_pattern_false_positives{kind="provider",org="acme",pattern="dup"} 1
github_secret_scanning_pattern_false_positive_ratio{kind="provider",org="acme",pattern="NO_SLUG"} 0
github_secret_scanning_pattern_false_positive_ratio{kind="provider",org="acme",pattern="dup"} 0.14
github_secret_scanning_pattern_bypass_ratio{kind="provider",org="acme",pattern="NO_SLUG"} 1
github_secret_scanning_pattern_bypass_ratio{kind="provider",org="acme",pattern="dup"} 0.07
github_secret_scanning_pattern_push_protection_enabled{kind="custom",org="acme",pattern="Internal token"} 0
github_secret_scanning_pattern_push_protection_enabled{kind="custom",org="acme",pattern="cp_8"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="custom",org="acme",pattern="shared"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="NO_SLUG"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="dup"} 1
github_secret_scanning_pattern_push_protection_enabled{kind="provider",org="acme",pattern="shared"} 0
`,
	}, {
		name: "no patterns",
		body: `{"pattern_config_version":null,"provider_pattern_overrides":[],"custom_pattern_overrides":[]}`,
		want: ``,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := runSource(t, "secret_scanning_patterns", map[string]string{patternsPath: tt.body}, nil)
			if err := testutil.CollectAndCompare(e, strings.NewReader(withHelp(patternHelp, tt.want)), patternMetricNames...); err != nil {
				t.Error(err)
			}
			lint(t, e)
		})
	}
}

// withHelp keeps the HELP and TYPE lines of the families that want has samples of.
func withHelp(help, want string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimSpace(help), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		name := strings.Fields(lines[i])[2]
		var samples []string
		for _, l := range strings.Split(want, "\n") {
			if strings.HasPrefix(l, name+"{") {
				samples = append(samples, l)
			}
		}
		if len(samples) > 0 {
			b.WriteString(lines[i] + "\n" + lines[i+1] + "\n" + strings.Join(samples, "\n") + "\n")
		}
	}
	return b.String()
}

// runSource runs one source for acme against fixed bodies, through the Exporter.
func runSource(t *testing.T, source string, bodies map[string]string, status map[string]int) *Exporter {
	t.Helper()
	e, err := New(Config{Client: fakeGitHub(t, bodies, status), Orgs: []string{"acme"}, Sources: []string{source}})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	return e
}

func lint(t *testing.T, c prometheus.Collector) {
	t.Helper()
	if problems, err := lintProblems(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

const configHelp = `
# HELP github_code_security_configuration_info Code security configurations available to the organization, by target type and enforcement; always 1, refreshed on schedule.
# TYPE github_code_security_configuration_info gauge
# HELP github_code_security_configuration_setting Enablement settings of the code security configuration: 1 for the setting's status (enabled, disabled, not_set), refreshed on schedule.
# TYPE github_code_security_configuration_setting gauge
# HELP github_code_security_configuration_repositories Repositories by code security configuration and attachment status; configuration="" (status "none") counts the inventory's repositories attached to none, refreshed on schedule.
# TYPE github_code_security_configuration_repositories gauge
`

var configMetricNames = []string{
	"github_code_security_configuration_info", "github_code_security_configuration_setting", "github_code_security_configuration_repositories",
}

func TestCodeSecurityConfigurationsFromGitHubsExample(t *testing.T) {
	e := runSource(t, "code_security_configurations", map[string]string{
		configsPath: fixture(t, "code-security-configurations-org.json"),
		configReposPath("17"): `[
 {"status":"attached","repository":{"name":"api"}},
 {"status":"enforced","repository":{"name":"web"}},
 {"status":"attached","repository":{"name":"docs"}}]`,
		configReposPath("1326"): `[
 {"status":"failed","repository":{"name":"payments"}},
 {"status":"removed","repository":{"name":"legacy"}},
 {"status":null,"repository":{"name":"odd"}}]`,
	}, nil)
	want := `
github_code_security_configuration_info{configuration="GitHub recommended",enforcement="enforced",org="acme",target_type="global"} 1
github_code_security_configuration_info{configuration="High risk settings",enforcement="enforced",org="acme",target_type="organization"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="advanced_security",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="code_scanning_default_setup",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="code_scanning_delegated_alert_dismissal",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="dependabot_alerts",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="dependabot_security_updates",status="not_set"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="dependency_graph",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="dependency_graph_autosubmit_action",status="not_set"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="private_vulnerability_reporting",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="secret_scanning",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="secret_scanning_delegated_alert_dismissal",status="not_set"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="secret_scanning_delegated_bypass",status="disabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="secret_scanning_non_provider_patterns",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="secret_scanning_push_protection",status="enabled"} 1
github_code_security_configuration_setting{configuration="GitHub recommended",org="acme",setting="secret_scanning_validity_checks",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="advanced_security",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="code_scanning_default_setup",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="code_scanning_delegated_alert_dismissal",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="dependabot_alerts",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="dependabot_security_updates",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="dependency_graph",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="dependency_graph_autosubmit_action",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="private_vulnerability_reporting",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="secret_scanning",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="secret_scanning_delegated_alert_dismissal",status="disabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="secret_scanning_delegated_bypass",status="disabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="secret_scanning_non_provider_patterns",status="disabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="secret_scanning_push_protection",status="enabled"} 1
github_code_security_configuration_setting{configuration="High risk settings",org="acme",setting="secret_scanning_validity_checks",status="disabled"} 1
github_code_security_configuration_repositories{configuration="GitHub recommended",org="acme",status="attached"} 2
github_code_security_configuration_repositories{configuration="GitHub recommended",org="acme",status="enforced"} 1
github_code_security_configuration_repositories{configuration="High risk settings",org="acme",status="failed"} 1
github_code_security_configuration_repositories{configuration="High risk settings",org="acme",status="removed"} 1
github_code_security_configuration_repositories{configuration="High risk settings",org="acme",status="unknown"} 1
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(withHelp(configHelp, want)), configMetricNames...); err != nil {
		t.Error(err)
	}
	lint(t, e)
}

// metricsOf collects a source's metrics, for sources run on a hand-made Target.
type metricsOf []prometheus.Metric

func (m metricsOf) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(m, ch) }
func (m metricsOf) Collect(ch chan<- prometheus.Metric) {
	for _, x := range m {
		ch <- x
	}
}

func TestCodeSecurityConfigurationsUnconfiguredRepositories(t *testing.T) {
	configs := `[
 {"id":1,"name":"Main","target_type":"organization","enforcement":"unenforced","description":"enabled",
  "advanced_security":"secret_protection","secret_scanning_generic_secrets":"enabled","dependabot_alerts":null,
  "code_scanning_default_setup_options":{"runner_type":"standard"},"notes":"Set up by the platform team","url":"https://x/1"},
 {"id":2,"name":"Other","target_type":"enterprise","enforcement":"enforced"},
 {"id":3,"name":"Deleted meanwhile","target_type":"organization","enforcement":"enforced","secret_scanning":"enabled"}]`
	bodies := map[string]string{
		configsPath: configs,
		configReposPath("1"): `[
 {"status":"attached","repository":{"name":"api"}},
 {"status":"removed","repository":{"name":"web"}},
 {"status":"failed","repository":{"name":"not-in-inventory"}},
 {"status":"attached","repository":{"name":"legacy-app"}}]`,
		configReposPath("2"): `[{"status":"enforced","repository":{"name":"docs"}}]`,
	}
	configured := `
github_code_security_configuration_info{configuration="Main",enforcement="unenforced",org="acme",target_type="organization"} 1
github_code_security_configuration_info{configuration="Other",enforcement="enforced",org="acme",target_type="enterprise"} 1
github_code_security_configuration_setting{configuration="Main",org="acme",setting="advanced_security",status="secret_protection"} 1
github_code_security_configuration_setting{configuration="Main",org="acme",setting="secret_scanning_generic_secrets",status="enabled"} 1
github_code_security_configuration_repositories{configuration="Main",org="acme",status="failed"} 1
github_code_security_configuration_repositories{configuration="Main",org="acme",status="removed"} 1
github_code_security_configuration_repositories{configuration="Other",org="acme",status="enforced"} 1
`
	inventory := NewInventory([]Repository{
		{Name: "api"}, {Name: "web"}, {Name: "docs"}, {Name: "scratch"},
		{Name: "forked", Fork: true}, {Name: "legacy-app"}, {Name: "legacy-tools"},
	})
	everyRepoHeld := NewInventory([]Repository{{Name: "api"}, {Name: "docs"}})
	tests := []struct {
		name   string
		repos  *Inventory
		filter RepoFilter
		want   string
	}{{
		name:   "with an inventory: removed and unlisted repositories have none, filtered ones count nowhere, unknown ones count",
		repos:  inventory,
		filter: RepoFilter{Exclude: regexp.MustCompile(`^legacy-`), SkipForks: true},
		want: configured + `
github_code_security_configuration_repositories{configuration="Main",org="acme",status="attached"} 1
github_code_security_configuration_repositories{configuration="",org="acme",status="none"} 2
`,
	}, {
		name:  "every repository held: an explicit 0",
		repos: everyRepoHeld,
		want: configured + `
github_code_security_configuration_repositories{configuration="Main",org="acme",status="attached"} 2
github_code_security_configuration_repositories{configuration="",org="acme",status="none"} 0
`,
	}, {
		name: "without an inventory: no row for repositories without a configuration",
		want: configured + `
github_code_security_configuration_repositories{configuration="Main",org="acme",status="attached"} 2
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &Target{Org: "acme", REST: fakeGitHub(t, bodies, nil), Repos: tt.repos, Filter: tt.filter}
			ms, err := codeSecurityConfigurations{}.Collect(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			if err := testutil.CollectAndCompare(metricsOf(ms), strings.NewReader(withHelp(configHelp, tt.want)), configMetricNames...); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestConfigurationSourcesNotAvailable(t *testing.T) {
	tests := []struct {
		source, path string
		status       int
		message      string
	}{
		{"secret_scanning_patterns", patternsPath, http.StatusNotFound, "Not Found"},
		{"secret_scanning_patterns", patternsPath, http.StatusForbidden, "Resource not accessible by integration"},
		{"code_security_configurations", configsPath, http.StatusForbidden, "Resource not accessible by integration"},
		{"code_security_configurations", configsPath, http.StatusNotFound, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.source+" "+http.StatusText(tt.status), func(t *testing.T) {
			e := runSource(t, tt.source, map[string]string{tt.path: `{"message":"` + tt.message + `"}`}, map[string]int{tt.path: tt.status})
			want := strings.ReplaceAll(`
# HELP github_exporter_collection_success Whether the last collection of the source for the organization succeeded (1) or not (0).
# TYPE github_exporter_collection_success gauge
github_exporter_collection_success{collector="SRC",org="acme"} 0
# HELP github_exporter_source_available Whether GitHub serves the source for the organization (1), or answered that it is not enabled or not permitted (0).
# TYPE github_exporter_source_available gauge
github_exporter_source_available{collector="SRC",org="acme"} 0
# HELP github_exporter_collection_failures_total Collections of the source for the organization that failed since the exporter started.
# TYPE github_exporter_collection_failures_total counter
github_exporter_collection_failures_total{collector="SRC",org="acme"} 0
`, "SRC", tt.source)
			names := append([]string{"github_exporter_collection_success", "github_exporter_source_available", "github_exporter_collection_failures_total"},
				append(patternMetricNames, configMetricNames...)...)
			if err := testutil.CollectAndCompare(e, strings.NewReader(want), names...); err != nil {
				t.Error(err)
			}
			if st := e.Status(); len(st) != 1 || !strings.Contains(st[0].LastError, tt.message) {
				t.Errorf("status does not carry GitHub's message: %+v", st)
			}
		})
	}
}

func TestConfigurationSourcesOnByDefault(t *testing.T) {
	for _, name := range []string{"secret_scanning_patterns", "code_security_configurations"} {
		found := false
		for _, d := range DefaultSources() {
			found = found || d == name
		}
		if !found {
			t.Errorf("%s is not collected by default (default: %v)", name, DefaultSources())
		}
	}
}

// TestOnlyAttachedOrEnforcedRepositoriesAreHeld: a failed attachment applied only some
// settings and does not follow the configuration; attaching and updating are not done.
// Each of those repositories counts as having no configuration.
func TestOnlyAttachedOrEnforcedRepositoriesAreHeld(t *testing.T) {
	for _, tt := range []struct {
		status string
		none   int
	}{{"attached", 0}, {"enforced", 0}, {"failed", 1}, {"attaching", 1}, {"updating", 1}, {"removed", 1}, {"detached", 1}, {"removed_by_enterprise", 1}} {
		t.Run(tt.status, func(t *testing.T) {
			bodies := map[string]string{
				configsPath:          `[{"id":1,"name":"Main","target_type":"organization","enforcement":"unenforced"}]`,
				configReposPath("1"): `[{"status":"` + tt.status + `","repository":{"name":"api"}}]`,
			}
			target := &Target{Org: "acme", REST: fakeGitHub(t, bodies, nil), Repos: NewInventory([]Repository{{Name: "api"}})}
			ms, err := codeSecurityConfigurations{}.Collect(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			want := `
github_code_security_configuration_info{configuration="Main",enforcement="unenforced",org="acme",target_type="organization"} 1
github_code_security_configuration_repositories{configuration="Main",org="acme",status="` + tt.status + `"} 1
github_code_security_configuration_repositories{configuration="",org="acme",status="none"} ` + strconv.Itoa(tt.none) + `
`
			if err := testutil.CollectAndCompare(metricsOf(ms), strings.NewReader(withHelp(configHelp, want)), configMetricNames...); err != nil {
				t.Error(err)
			}
		})
	}
}
