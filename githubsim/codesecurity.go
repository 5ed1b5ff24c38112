package githubsim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// GET /orgs/{org}/code-security/configurations
// GET /orgs/{org}/code-security/configurations/{configuration_id}/repositories
//
// Both paginate by cursor only: per_page (at most 100), before and after, with
// Link headers like the other org listings. The project's reference pages do
// not describe the two listings beyond that; following GitHub's conventions,
// unknown parameters (page among them) are ignored and an invalid target_type
// or status is a 422.

// FamilyCodeSecurityConfigurations is the SetUnavailable family of both
// listings, and the exporter's collector label.
const FamilyCodeSecurityConfigurations = "code_security_configurations"

const (
	docCodeSecurityConfigurations = "https://docs.github.com/rest/code-security/configurations#get-code-security-configurations-for-an-organization"
	docConfigurationRepositories  = "https://docs.github.com/rest/code-security/configurations#get-repositories-associated-with-a-code-security-configuration"
)

const csConfigResource = "CodeSecurityConfiguration"

// configurationStatuses are the documented values of the repositories
// listing's status filter.
var configurationStatuses = []string{"all", "attached", "attaching", "detached", "removed", "enforced", "failed", "updating", "removed_by_enterprise"}

// CodeSecurityConfiguration is the ground truth of one configuration.
type CodeSecurityConfiguration struct {
	ID           int64
	Name         string
	TargetType   string // global, organization, enterprise
	Enforcement  string // enforced, unenforced
	Settings     []ConfigurationSetting
	Repositories []ConfigurationRepository // as the configuration's listing serves them, by repository id
}

// ConfigurationSetting is one enablement setting as served.
type ConfigurationSetting struct {
	Name   string // advanced_security, dependabot_alerts, ...
	Status string // enabled, disabled, not_set
}

// ConfigurationRepository is one entry of a configuration's repository listing.
type ConfigurationRepository struct {
	Repo   string
	Status string // attached, attaching, enforced, failed, updating, removed, removed_by_enterprise
}

// CodeSecurityConfigurations returns org's configurations in listing order
// (ascending id). Every repository is listed under at most one of them.
func (s *Server) CodeSecurityConfigurations(login string) []CodeSecurityConfiguration {
	o := s.byLogin[strings.ToLower(login)]
	if o == nil {
		return nil
	}
	var out []CodeSecurityConfiguration
	for _, c := range o.security.configs {
		cfg := CodeSecurityConfiguration{ID: c.id, Name: c.name, TargetType: c.targetType, Enforcement: c.enforcement}
		for _, name := range csSettingOrder {
			if v := c.settings[name]; v != "" {
				cfg.Settings = append(cfg.Settings, ConfigurationSetting{name, v})
			}
		}
		for _, r := range c.repos {
			cfg.Repositories = append(cfg.Repositories, ConfigurationRepository{r.repo.name, r.status})
		}
		out = append(out, cfg)
	}
	return out
}

// parseCursorParams reads per_page, before and after; listings are ascending.
func parseCursorParams(q url.Values) (listParams, *apiErr) {
	p := listParams{perPage: pageSize(q), cursor: true}
	err := parseCursors(q, &p)
	return p, err
}

func (s *Server) listCodeSecurityConfigurations(c *call) {
	q := c.r.URL.Query()
	target := q.Get("target_type")
	if err := checkEnum(csConfigResource, "target_type", splitList(target), []string{"global", "all"}); err != nil {
		c.fail(err)
		return
	}
	p, err := parseCursorParams(q)
	if err != nil {
		c.fail(err)
		return
	}
	configs := c.org.security.configs
	if target == "global" {
		configs = slices.DeleteFunc(slices.Clone(configs), func(cfg *csConfig) bool { return cfg.targetType != "global" })
	}
	page, links := paginate(configs, p)
	out := make([]csConfigJSON, len(page))
	for i, cfg := range page {
		out[i] = c.configurationJSON(cfg)
	}
	c.send(200, encodeJSON(out), c.linkHeader(links))
}

func (s *Server) listConfigurationRepositories(c *call) {
	id := c.r.PathValue("configuration_id")
	n, perr := strconv.ParseInt(id, 10, 64)
	i := slices.IndexFunc(c.org.security.configs, func(cfg *csConfig) bool { return cfg.id == n })
	if perr != nil || i < 0 {
		c.fail(notFound())
		return
	}
	cfg := c.org.security.configs[i]
	q := c.r.URL.Query()
	statuses := splitList(q.Get("status"))
	if err := checkEnum(csConfigResource, "status", statuses, configurationStatuses); err != nil {
		c.fail(err)
		return
	}
	p, err := parseCursorParams(q)
	if err != nil {
		c.fail(err)
		return
	}
	s.mu.Lock()
	repos := cfg.repos // replaced, never changed in place, by deletion.go
	s.mu.Unlock()
	if len(statuses) > 0 && !slices.Contains(statuses, "all") {
		repos = slices.DeleteFunc(slices.Clone(repos), func(r configRepo) bool { return !slices.Contains(statuses, r.status) })
	}
	page, links := paginate(repos, p)
	out := make([]configRepoJSON, len(page))
	for i, r := range page {
		out[i] = configRepoJSON{Status: r.status, Repository: c.repository(r.repo)}
	}
	self := c.base.api + "/organizations/" + strconv.FormatInt(c.org.id, 10) + "/code-security/configurations/" + id + "/repositories"
	c.send(200, encodeJSON(out), c.linkHeaderAt(self, links))
}

// JSON shapes, field order as in GitHub's example response.

type csConfigJSON struct {
	ID                                     int64             `json:"id"`
	TargetType                             string            `json:"target_type"`
	Name                                   string            `json:"name"`
	Description                            string            `json:"description"`
	AdvancedSecurity                       string            `json:"advanced_security"`
	CodeSecurity                           string            `json:"code_security,omitempty"`
	SecretProtection                       string            `json:"secret_protection,omitempty"`
	DependencyGraph                        string            `json:"dependency_graph"`
	DependencyGraphAutosubmitAction        string            `json:"dependency_graph_autosubmit_action"`
	DependencyGraphAutosubmitActionOptions autosubmitOptions `json:"dependency_graph_autosubmit_action_options"`
	DependabotAlerts                       string            `json:"dependabot_alerts"`
	DependabotSecurityUpdates              string            `json:"dependabot_security_updates"`
	CodeScanningDefaultSetup               string            `json:"code_scanning_default_setup"`
	CodeScanningDelegatedAlertDismissal    string            `json:"code_scanning_delegated_alert_dismissal"`
	SecretScanning                         string            `json:"secret_scanning"`
	SecretScanningPushProtection           string            `json:"secret_scanning_push_protection"`
	SecretScanningDelegatedBypass          string            `json:"secret_scanning_delegated_bypass"`
	SecretScanningValidityChecks           string            `json:"secret_scanning_validity_checks"`
	SecretScanningNonProviderPatterns      string            `json:"secret_scanning_non_provider_patterns"`
	SecretScanningDelegatedAlertDismissal  string            `json:"secret_scanning_delegated_alert_dismissal"`
	PrivateVulnerabilityReporting          string            `json:"private_vulnerability_reporting"`
	Enforcement                            string            `json:"enforcement"`
	URL                                    string            `json:"url"`
	HTMLURL                                string            `json:"html_url"`
	CreatedAt                              string            `json:"created_at"`
	UpdatedAt                              string            `json:"updated_at"`
}

type autosubmitOptions struct {
	LabeledRunners bool `json:"labeled_runners"`
}

type configRepoJSON struct {
	Status     string    `json:"status"`
	Repository *repoJSON `json:"repository"`
}

func (c *call) configurationJSON(cfg *csConfig) csConfigJSON {
	v := cfg.settings
	id := strconv.FormatInt(cfg.id, 10)
	html := c.base.web + "/organizations/" + c.org.login + "/settings/security_products/configurations/"
	if cfg.targetType == "organization" {
		html += "edit/" + id
	} else {
		html += "view"
	}
	return csConfigJSON{
		ID: cfg.id, TargetType: cfg.targetType, Name: cfg.name, Description: cfg.description,
		AdvancedSecurity: v["advanced_security"], CodeSecurity: v["code_security"], SecretProtection: v["secret_protection"],
		DependencyGraph:                        v["dependency_graph"],
		DependencyGraphAutosubmitAction:        v["dependency_graph_autosubmit_action"],
		DependencyGraphAutosubmitActionOptions: autosubmitOptions{cfg.autosubmitLabeledRunners},
		DependabotAlerts:                       v["dependabot_alerts"],
		DependabotSecurityUpdates:              v["dependabot_security_updates"],
		CodeScanningDefaultSetup:               v["code_scanning_default_setup"],
		CodeScanningDelegatedAlertDismissal:    v["code_scanning_delegated_alert_dismissal"],
		SecretScanning:                         v["secret_scanning"],
		SecretScanningPushProtection:           v["secret_scanning_push_protection"],
		SecretScanningDelegatedBypass:          v["secret_scanning_delegated_bypass"],
		SecretScanningValidityChecks:           v["secret_scanning_validity_checks"],
		SecretScanningNonProviderPatterns:      v["secret_scanning_non_provider_patterns"],
		SecretScanningDelegatedAlertDismissal:  v["secret_scanning_delegated_alert_dismissal"],
		PrivateVulnerabilityReporting:          v["private_vulnerability_reporting"],
		Enforcement:                            cfg.enforcement,
		URL:                                    c.base.api + "/orgs/" + c.org.login + "/code-security/configurations/" + id,
		HTMLURL:                                html,
		CreatedAt:                              timestamp(cfg.createdAt),
		UpdatedAt:                              timestamp(cfg.updatedAt),
	}
}
