package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

func init() { registerSource(codeSecurityConfigurations{}) }

var (
	configurationInfoDesc = prometheus.NewDesc(
		"github_code_security_configuration_info",
		"Code security configurations available to the organization, by target type and enforcement; always 1, refreshed on schedule.",
		[]string{"org", "configuration", "target_type", "enforcement"}, nil)
	configurationSettingDesc = prometheus.NewDesc(
		"github_code_security_configuration_setting",
		"Enablement settings of the code security configuration: 1 for the setting's status (enabled, disabled, not_set), refreshed on schedule.",
		[]string{"org", "configuration", "setting", "status"}, nil)
	configurationRepositoriesDesc = prometheus.NewDesc(
		"github_code_security_configuration_repositories",
		`Repositories by code security configuration and attachment status; configuration="" (status "none") counts the inventory's repositories attached to none, refreshed on schedule.`,
		[]string{"org", "configuration", "status"}, nil)
)

// codeSecurityConfigurations reads GET /orgs/{org}/code-security/configurations and,
// for each configuration, GET .../configurations/{configuration_id}/repositories. Both
// paginate by cursor; their Link headers are followed like any listing's.
//
// Repositories without a configuration are the inventory's repositories that no
// configuration lists as holding it; they are counted under configuration="" with
// status "none". Without an inventory they are not known, and that row is left out.
type codeSecurityConfigurations struct{}

// configuration is one configuration of the listing. Its enablement settings are
// found by shape, so that settings GitHub adds are exported without a code change.
type configuration struct {
	ID          int64
	Name        string
	TargetType  string
	Enforcement string
	Settings    [][2]string // setting, status
}

// configurationFields are the top-level string fields that are not enablement settings.
var configurationFields = map[string]bool{
	"name": true, "description": true, "target_type": true, "enforcement": true,
	"url": true, "html_url": true, "created_at": true, "updated_at": true,
}

// enablementStatus is what a setting's value looks like: a lowercase enum word such as
// enabled, disabled, not_set, or advanced_security's code_security. Free text is not.
var enablementStatus = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

func (c *configuration) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(fields[name], &s) // null or another kind: ""
		return s
	}
	c.ID, _ = strconv.ParseInt(string(fields["id"]), 10, 64)
	c.Name, c.TargetType, c.Enforcement = str("name"), str("target_type"), str("enforcement")
	if c.TargetType == "" {
		c.TargetType = "unknown"
	}
	if c.Enforcement == "" {
		c.Enforcement = "unknown"
	}
	for name := range fields {
		if v := str(name); !configurationFields[name] && enablementStatus.MatchString(v) {
			c.Settings = append(c.Settings, [2]string{name, v})
		}
	}
	return nil
}

type configurationRepository struct {
	Status *string `json:"status"`
	inRepository
}

// holdsConfiguration reports whether a repository the configuration lists with status
// is governed by it: attached or enforced ("Security configuration statuses"). The
// others count as having no configuration: removed, removed_by_enterprise and the
// deprecated detached ones left it, a failed attachment applied only some settings and
// does not inherit the configuration's changes, and attaching/updating are transient
// states whose outcome is not known yet.
func holdsConfiguration(status string) bool {
	return status == "attached" || status == "enforced"
}

func (codeSecurityConfigurations) Name() string { return "code_security_configurations" }

func (codeSecurityConfigurations) Describe(ch chan<- *prometheus.Desc) {
	ch <- configurationInfoDesc
	ch <- configurationSettingDesc
	ch <- configurationRepositoriesDesc
}

func (codeSecurityConfigurations) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	var configs []configuration
	err := walkCachedJSON(ctx, t, "/orgs/{org}/code-security/configurations",
		"orgs/"+url.PathEscape(t.Org)+"/code-security/configurations?per_page=100",
		func(page []configuration) error {
			for _, c := range page {
				if c.ID <= 0 || c.Name == "" {
					return fmt.Errorf("a configuration of the page has no id or no name (id %d)", c.ID)
				}
			}
			configs = append(configs, page...)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("listing code security configurations of %s: %w", t.Org, err)
	}
	info, settings, repos := newTally(), newTally(), newTally()
	held := map[string]bool{}
	for _, c := range configs {
		err := walkConfigurationRepositories(ctx, t, c.ID, func(r *configurationRepository) error {
			status := orDefault(r.Status, "unknown")
			if holdsConfiguration(status) {
				held[r.Repository.Name] = true
			}
			return repos.add(c.Name, status)
		})
		if isNotFound(err) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("listing repositories of code security configuration %d of %s: %w", c.ID, t.Org, err)
		}
		if err := keepFirst(info, 1, c.Name, c.TargetType, c.Enforcement); err != nil {
			return nil, err
		}
		for _, s := range c.Settings {
			if err := keepFirst(settings, 1, c.Name, s[0], s[1]); err != nil {
				return nil, err
			}
		}
	}
	if err := countUnconfigured(t, repos, held); err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for _, part := range []struct {
		desc *prometheus.Desc
		t    *tally
	}{{configurationInfoDesc, info}, {configurationSettingDesc, settings}, {configurationRepositoriesDesc, repos}} {
		ms, err := part.t.metrics(part.desc, t.Org)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// walkConfigurationRepositories hands every kept repository of a configuration's listing to count.
func walkConfigurationRepositories(ctx context.Context, t *Target, id int64, count func(*configurationRepository) error) error {
	path := fmt.Sprintf("orgs/%s/code-security/configurations/%d/repositories?per_page=100&status=all", url.PathEscape(t.Org), id)
	return walkCachedJSON(ctx, t, "/orgs/{org}/code-security/configurations/{configuration_id}/repositories", path,
		func(page []configurationRepository) error {
			for i := range page {
				if page[i].Repository.Name == "" {
					return fmt.Errorf("repository %d of the page has no name", i)
				}
				if !t.Keep(page[i].Repository.Name) {
					continue
				}
				if err := count(&page[i]); err != nil {
					return err
				}
			}
			return nil
		})
}

// countUnconfigured counts the inventory's kept repositories that no configuration
// holds, with an explicit 0 when there are none. Without an inventory it does nothing.
func countUnconfigured(t *Target, repos *tally, held map[string]bool) error {
	if t.Repos == nil {
		return nil
	}
	if err := repos.zero("", "none"); err != nil {
		return err
	}
	for _, name := range t.Repos.Names() {
		if !held[name] && t.Keep(name) {
			if err := repos.add("", "none"); err != nil {
				return err
			}
		}
	}
	return nil
}

func isNotFound(err error) bool {
	var se *githubapi.StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusNotFound
}
