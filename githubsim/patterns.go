package githubsim

import (
	"math"
	"strings"
)

// GET /orgs/{org}/secret-scanning/pattern-configurations

// FamilySecretScanningPatterns is the SetUnavailable family of the pattern
// configurations, and the exporter's collector label.
const FamilySecretScanningPatterns = "secret_scanning_patterns"

const docPatternConfigurations = "https://docs.github.com/rest/secret-scanning/push-protection#list-organization-pattern-configurations"

// SecretScanningPattern is the ground truth of one pattern configuration, as served.
type SecretScanningPattern struct {
	Kind                 string // provider, custom
	TokenType            string // GITHUB_PERSONAL_ACCESS_TOKEN, cp_2
	Slug                 string // the alerts' secret_type for provider patterns
	DisplayName          string
	CustomPatternVersion string // custom patterns only
	AlertTotal           int    // provider: the organization's alerts of the secret type, any state
	AlertTotalPercentage int    // of every pattern's alerts, rounded
	FalsePositives       int    // alerts resolved as false_positive
	FalsePositiveRate    int    // percent of AlertTotal, rounded
	BypassRate           int    // percent of push-protection blocks that were bypassed, rounded
	DefaultSetting       string // enabled, disabled
	Setting              string // enabled, disabled, not-set
	EnterpriseSetting    string // provider patterns of organizations with a parent enterprise; "" → absent
}

// SecretScanningPatterns returns org's pattern configurations as served now:
// provider patterns in catalog order, then custom patterns.
func (s *Server) SecretScanningPatterns(login string) []SecretScanningPattern {
	o := s.byLogin[strings.ToLower(login)]
	if o == nil {
		return nil
	}
	return s.patterns(o)
}

// patterns counts the provider patterns' alerts, pushes blocked and bypassed,
// from o's secret scanning alerts.
func (s *Server) patterns(o *org) []SecretScanningPattern {
	type count struct{ alerts, falsePositives, bypassed int }
	byType := map[string]*count{}
	s.mu.Lock()
	total := len(o.secretScanning.all)
	for _, a := range o.secretScanning.all {
		c := byType[a.SecretType]
		if c == nil {
			c = &count{}
			byType[a.SecretType] = c
		}
		c.alerts++
		if a.Resolution == "false_positive" {
			c.falsePositives++
		}
		if a.PushProtectionBypassed {
			c.bypassed++
		}
	}
	s.mu.Unlock()
	sec := &o.security
	for _, p := range sec.custom {
		total += p.alerts
	}
	var out []SecretScanningPattern
	for _, p := range sec.providers {
		c := byType[p.typ.name]
		if c == nil {
			c = &count{}
		}
		out = append(out, SecretScanningPattern{
			Kind: "provider", TokenType: strings.ToUpper(p.typ.name), Slug: p.typ.name, DisplayName: p.typ.display,
			AlertTotal: c.alerts, AlertTotalPercentage: percent(c.alerts, total),
			FalsePositives: c.falsePositives, FalsePositiveRate: percent(c.falsePositives, c.alerts),
			BypassRate:     percent(c.bypassed, c.bypassed+p.blocked),
			DefaultSetting: p.defaultSetting, Setting: p.setting, EnterpriseSetting: p.enterpriseSetting,
		})
	}
	for _, p := range sec.custom {
		out = append(out, SecretScanningPattern{
			Kind: "custom", TokenType: p.tokenType, Slug: p.slug, DisplayName: p.display, CustomPatternVersion: p.version,
			AlertTotal: p.alerts, AlertTotalPercentage: percent(p.alerts, total),
			FalsePositives: p.falsePositives, FalsePositiveRate: percent(p.falsePositives, p.alerts),
			BypassRate:     percent(p.bypassed, p.bypassed+p.blocked),
			DefaultSetting: p.defaultSetting, Setting: p.setting,
		})
	}
	return out
}

// percent is part of whole in percent, rounded to the nearest integer; 0 of nothing.
func percent(part, whole int) int {
	if whole == 0 {
		return 0
	}
	return int(math.Round(100 * float64(part) / float64(whole)))
}

func (s *Server) getPatternConfigurations(c *call) {
	body := patternConfigsJSON{
		PatternConfigVersion: c.org.security.patternConfigVersion,
		Provider:             []providerPatternJSON{},
		Custom:               []customPatternJSON{},
	}
	for _, p := range s.patterns(c.org) {
		counts := patternCounts{p.AlertTotal, p.AlertTotalPercentage, p.FalsePositives, p.FalsePositiveRate, p.BypassRate}
		if p.Kind == "custom" {
			body.Custom = append(body.Custom, customPatternJSON{
				TokenType: p.TokenType, CustomPatternVersion: p.CustomPatternVersion, Slug: p.Slug, DisplayName: p.DisplayName,
				patternCounts: counts, DefaultSetting: p.DefaultSetting, Setting: p.Setting,
			})
			continue
		}
		body.Provider = append(body.Provider, providerPatternJSON{
			TokenType: p.TokenType, Slug: p.Slug, DisplayName: p.DisplayName,
			patternCounts: counts, DefaultSetting: p.DefaultSetting, Setting: p.Setting, EnterpriseSetting: p.EnterpriseSetting,
		})
	}
	c.send(200, encodeJSON(body), "")
}

// JSON shape, field order as in GitHub's example response.

type patternConfigsJSON struct {
	PatternConfigVersion string                `json:"pattern_config_version"`
	Provider             []providerPatternJSON `json:"provider_pattern_overrides"`
	Custom               []customPatternJSON   `json:"custom_pattern_overrides"`
}

type patternCounts struct {
	AlertTotal           int `json:"alert_total"`
	AlertTotalPercentage int `json:"alert_total_percentage"`
	FalsePositives       int `json:"false_positives"`
	FalsePositiveRate    int `json:"false_positive_rate"`
	BypassRate           int `json:"bypass_rate"`
}

type providerPatternJSON struct {
	TokenType   string `json:"token_type"`
	Slug        string `json:"slug"`
	DisplayName string `json:"display_name"`
	patternCounts
	DefaultSetting    string `json:"default_setting"`
	Setting           string `json:"setting"`
	EnterpriseSetting string `json:"enterprise_setting,omitempty"`
}

type customPatternJSON struct {
	TokenType            string `json:"token_type"`
	CustomPatternVersion string `json:"custom_pattern_version"`
	Slug                 string `json:"slug"`
	DisplayName          string `json:"display_name"`
	patternCounts
	DefaultSetting string `json:"default_setting"`
	Setting        string `json:"setting"`
}
