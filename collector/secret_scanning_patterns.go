package collector

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
)

func init() { registerSource(secretScanningPatterns{}) }

var (
	patternLabels     = []string{"org", "pattern", "kind"}
	patternAlertsDesc = prometheus.NewDesc(
		"github_secret_scanning_pattern_alerts",
		"Secret scanning alerts the pattern has raised in the organization, any state (GitHub's alert_total), refreshed on schedule.",
		patternLabels, nil)
	patternFalsePositivesDesc = prometheus.NewDesc(
		"github_secret_scanning_pattern_false_positives",
		"Alerts of the pattern closed as false positives (GitHub's false_positives), refreshed on schedule.",
		patternLabels, nil)
	patternFalsePositiveRatioDesc = prometheus.NewDesc(
		"github_secret_scanning_pattern_false_positive_ratio",
		"Share of the pattern's alerts that are false positives, 0 to 1 (GitHub's false_positive_rate / 100), refreshed on schedule.",
		patternLabels, nil)
	patternBypassRatioDesc = prometheus.NewDesc(
		"github_secret_scanning_pattern_bypass_ratio",
		"Share of the pattern's push-protection blocks that were bypassed, 0 to 1 (GitHub's bypass_rate / 100), refreshed on schedule.",
		patternLabels, nil)
	patternPushProtectionDesc = prometheus.NewDesc(
		"github_secret_scanning_pattern_push_protection_enabled",
		"Whether push protection is enabled for the pattern in the organization (1) or not (0), refreshed on schedule.",
		patternLabels, nil)
)

// secretScanningPatterns reads GET /orgs/{org}/secret-scanning/pattern-configurations:
// one object (no pagination) listing provider and custom patterns with their alert
// figures and push-protection settings.
type secretScanningPatterns struct{}

type patternConfigurations struct {
	Provider []patternOverride `json:"provider_pattern_overrides"`
	Custom   []patternOverride `json:"custom_pattern_overrides"`
}

type patternOverride struct {
	TokenType         *string  `json:"token_type"`
	Slug              *string  `json:"slug"`
	DisplayName       *string  `json:"display_name"`
	AlertTotal        *float64 `json:"alert_total"`
	FalsePositives    *float64 `json:"false_positives"`
	FalsePositiveRate *float64 `json:"false_positive_rate"`
	BypassRate        *float64 `json:"bypass_rate"`
	DefaultSetting    *string  `json:"default_setting"`
	EnterpriseSetting *string  `json:"enterprise_setting"`
	Setting           *string  `json:"setting"`
}

// name is the pattern label: the slug, which for provider patterns is the alerts'
// secret_type. Without a slug, a provider pattern is named by its token_type and a
// custom pattern by its display name (its token_type, "cp_2", says nothing to a
// reader), then its token_type.
func (p *patternOverride) name(kind string) string {
	if kind == "custom" {
		return orDefault(p.Slug, orDefault(p.DisplayName, orDefault(p.TokenType, "unknown")))
	}
	return orDefault(p.Slug, orDefault(p.TokenType, "unknown"))
}

// pushProtectionEnabled resolves the pattern's effective setting as GitHub documents
// it: "If this is not-set, then it inherits either the enterprise setting if it
// exists or the default setting."
func (p *patternOverride) pushProtectionEnabled() bool {
	s := orDefault(p.Setting, "not-set")
	if s == "not-set" {
		s = orDefault(p.EnterpriseSetting, "not-set")
	}
	if s == "not-set" {
		s = orDefault(p.DefaultSetting, "")
	}
	return s == "enabled"
}

func (secretScanningPatterns) Name() string { return "secret_scanning_patterns" }

func (secretScanningPatterns) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{patternAlertsDesc, patternFalsePositivesDesc, patternFalsePositiveRatioDesc, patternBypassRatioDesc, patternPushProtectionDesc} {
		ch <- d
	}
}

func (secretScanningPatterns) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	const endpoint = "/orgs/{org}/secret-scanning/pattern-configurations"
	var cfg patternConfigurations
	path := "orgs/" + url.PathEscape(t.Org) + "/secret-scanning/pattern-configurations"
	err := t.walkCached(ctx, endpoint, path, func(r io.Reader) error {
		if err := decodeObject(r, &cfg); err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading secret scanning pattern configurations of %s: %w", t.Org, err)
	}
	return patternMetrics(t.Org, cfg)
}

// patternMetrics turns the patterns into gauges. A figure GitHub leaves out is not
// exported; a pattern listed twice under one name counts once, as first listed.
func patternMetrics(org string, cfg patternConfigurations) ([]prometheus.Metric, error) {
	values := map[*prometheus.Desc]*tally{}
	for _, d := range []*prometheus.Desc{patternAlertsDesc, patternFalsePositivesDesc, patternFalsePositiveRatioDesc, patternBypassRatioDesc, patternPushProtectionDesc} {
		values[d] = newTally()
	}
	for kind, patterns := range map[string][]patternOverride{"provider": cfg.Provider, "custom": cfg.Custom} {
		for i := range patterns {
			p := &patterns[i]
			name := p.name(kind)
			for d, v := range map[*prometheus.Desc]*float64{
				patternAlertsDesc:             p.AlertTotal,
				patternFalsePositivesDesc:     p.FalsePositives,
				patternFalsePositiveRatioDesc: ratio(p.FalsePositiveRate),
				patternBypassRatioDesc:        ratio(p.BypassRate),
				patternPushProtectionDesc:     ptrTo(boolValue(p.pushProtectionEnabled())),
			} {
				if v == nil {
					continue
				}
				if err := keepFirst(values[d], *v, name, kind); err != nil {
					return nil, err
				}
			}
		}
	}
	var out []prometheus.Metric
	for d, v := range values {
		ms, err := v.metrics(d, org)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// ratio turns one of GitHub's percentages into a ratio.
func ratio(percent *float64) *float64 {
	if percent == nil {
		return nil
	}
	return ptrTo(*percent / 100)
}

func ptrTo[T any](v T) *T { return &v }

// keepFirst sets the value of a label tuple unless it has one: for gauges that are
// not counts, so that a tuple GitHub lists twice is still sent once.
func keepFirst(t *tally, v float64, values ...string) error {
	key := joinLabels(values)
	if _, ok := t.counts[key]; ok {
		return nil
	}
	if len(t.counts) >= maxSeries {
		return fmt.Errorf("more than %d label combinations", maxSeries)
	}
	t.counts[key] = v
	return nil
}
