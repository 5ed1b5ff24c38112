package githubsim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)

// Secret scanning pattern settings and code security configurations of an
// organization. They are drawn once from the seed, on random streams of their
// own (so the alerts stay as they were), and do not change afterwards. Pattern
// alert totals are not stored: they are counted from the organization's secret
// scanning alerts when served, so they follow Step.

// orgSecurity is what an organization has besides its alerts and repositories.
type orgSecurity struct {
	enterprise           bool // the organization has a parent enterprise
	patternConfigVersion string
	providers            []*providerPattern // in catalog order
	custom               []*customPattern
	configs              []*csConfig // ascending id
}

// providerPattern is the push-protection setting of a provider pattern; its
// counts come from the alerts of the same secret type.
type providerPattern struct {
	typ               *secretType
	defaultSetting    string // enabled, disabled
	setting           string // enabled, disabled, not-set
	enterpriseSetting string // enabled, disabled, not-set; "" → absent (no parent enterprise)
	blocked           int    // pushes push protection blocked that were not bypassed
}

// customPattern is an organization's own pattern. Its alerts are not in the
// alert listing, so its counts are drawn here.
type customPattern struct {
	tokenType, slug, display, version string
	defaultSetting, setting           string // enabled, disabled
	alerts, falsePositives            int
	bypassed, blocked                 int
}

// csConfig is a code security configuration and the repositories it lists.
type csConfig struct {
	id                       int64
	name, description        string
	targetType               string            // global, organization, enterprise
	enforcement              string            // enforced, unenforced
	settings                 map[string]string // enablement setting → enabled, disabled, not_set
	autosubmitLabeledRunners bool
	createdAt, updatedAt     time.Time
	repos                    []configRepo // ascending repository id
}

func (c *csConfig) key(sortField) sortKey { return sortKey{v: c.id} }

// configRepo is one entry of a configuration's repository listing.
type configRepo struct {
	repo   *repo
	status string
}

func (r configRepo) key(sortField) sortKey { return sortKey{v: r.repo.id} }

// customPatternNames are what organizations call their custom patterns.
var customPatternNames = [][2]string{
	{"custom-api-key", "Custom API Key"},
	{"internal-service-token", "Internal service token"},
	{"db-connection-string", "Database connection string"},
	{"legacy-signing-key", "Legacy signing key"},
	{"partner-webhook-secret", "Partner webhook secret"},
}

// csSettingOrder is the enablement settings in the order GitHub serves them.
// code_security and secret_protection (the 2025 split of Advanced Security)
// are left out of the global configuration, as in GitHub's example.
var csSettingOrder = []string{
	"advanced_security", "code_security", "secret_protection",
	"dependency_graph", "dependency_graph_autosubmit_action",
	"dependabot_alerts", "dependabot_security_updates",
	"code_scanning_default_setup", "code_scanning_delegated_alert_dismissal",
	"secret_scanning", "secret_scanning_push_protection", "secret_scanning_delegated_bypass",
	"secret_scanning_validity_checks", "secret_scanning_non_provider_patterns",
	"secret_scanning_delegated_alert_dismissal", "private_vulnerability_reporting",
}

// globalRecommended is GitHub's own configuration, the same in every
// organization (GitHub's example).
var globalRecommended = csConfig{
	id: 17, name: "GitHub recommended", targetType: "global", enforcement: "enforced",
	description: "Suggested settings for Dependabot, secret scanning, and code scanning.",
	settings: map[string]string{
		"advanced_security": "enabled", "dependency_graph": "enabled", "dependency_graph_autosubmit_action": "not_set",
		"dependabot_alerts": "enabled", "dependabot_security_updates": "not_set",
		"code_scanning_default_setup": "enabled", "code_scanning_delegated_alert_dismissal": "enabled",
		"secret_scanning": "enabled", "secret_scanning_push_protection": "enabled", "secret_scanning_delegated_bypass": "disabled",
		"secret_scanning_validity_checks": "enabled", "secret_scanning_non_provider_patterns": "enabled",
		"secret_scanning_delegated_alert_dismissal": "not_set", "private_vulnerability_reporting": "enabled",
	},
	createdAt: time.Date(2023, 12, 4, 15, 58, 7, 0, time.UTC),
	updatedAt: time.Date(2023, 12, 4, 15, 58, 7, 0, time.UTC),
}

// configTemplates are the organization configurations drawn from; strength is
// the chance that a setting is enabled.
var configTemplates = []struct {
	name, description string
	strength          float64
}{
	{"High risk settings", "This is a code security configuration for %s high risk repositories", 0.9},
	{"Standard settings", "Baseline settings for the production services of %s", 0.65},
	{"Dependabot only", "Dependency alerts without Advanced Security for %s", 0.3},
	{"Legacy opt-out", "Repositories of %s that are about to be archived", 0.05},
}

var enterpriseTemplate = struct {
	name, description string
	strength          float64
}{"Enterprise baseline", "Required by the enterprise for every organization", 0.75}

// repoStatuses are the attachment statuses of listed repositories. "detached"
// is deprecated (replaced by "removed") and not served.
var repoStatuses = []weighted[string]{
	{"attached", 78}, {"attaching", 5}, {"failed", 5}, {"updating", 3}, {"removed", 6}, {"removed_by_enterprise", 3},
}

// security draws o's pattern settings and configurations.
func (g *generator) security(o *org) {
	rng := g.rng(o.login, "security")
	sec := &o.security
	sec.enterprise = rng.Float64() < 0.5
	sec.patternConfigVersion = ksuid(rng)
	g.patterns(rng, sec)
	g.configurations(rng, o)
}

func (g *generator) patterns(rng *rand.Rand, sec *orgSecurity) {
	for i := range secretTypes {
		t := &secretTypes[i]
		p := &providerPattern{
			typ:            t,
			defaultSetting: pickOne(rng, []weighted[string]{{"enabled", 85}, {"disabled", 15}}),
			setting:        pickOne(rng, []weighted[string]{{"not-set", 55}, {"enabled", 30}, {"disabled", 15}}),
			blocked:        3 + rng.IntN(40),
		}
		if sec.enterprise {
			p.enterpriseSetting = pickOne(rng, []weighted[string]{{"not-set", 60}, {"enabled", 30}, {"disabled", 10}})
		}
		sec.providers = append(sec.providers, p)
	}
	names := slices.Clone(customPatternNames)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	number := 1 + rng.IntN(5)
	for _, n := range names[:rng.IntN(4)] {
		alerts := rng.IntN(30)
		bypassed := rng.IntN(alerts/3 + 1)
		sec.custom = append(sec.custom, &customPattern{
			tokenType: fmt.Sprintf("cp_%d", number), slug: n[0], display: n[1], version: ksuid(rng),
			defaultSetting: "disabled",
			setting:        pickOne(rng, []weighted[string]{{"enabled", 60}, {"disabled", 40}}),
			alerts:         alerts, falsePositives: rng.IntN(alerts/2 + 1),
			bypassed: bypassed, blocked: bypassed + rng.IntN(20),
		})
		number += 1 + rng.IntN(3)
	}
}

func (g *generator) configurations(rng *rand.Rand, o *org) {
	sec := &o.security
	global := globalRecommended
	global.settings = maps.Clone(globalRecommended.settings)
	sec.configs = append(sec.configs, &global)
	if sec.enterprise {
		sec.configs = append(sec.configs, g.configuration(rng, 300+rng.Int64N(600), "enterprise",
			enterpriseTemplate.name, enterpriseTemplate.description, enterpriseTemplate.strength))
	}
	templates := slices.Clone(configTemplates)
	rng.Shuffle(len(templates), func(i, j int) { templates[i], templates[j] = templates[j], templates[i] })
	id := 1000 + rng.Int64N(90_000)
	for _, t := range templates[:1+rng.IntN(3)] {
		sec.configs = append(sec.configs, g.configuration(rng, id, "organization", t.name, fmt.Sprintf(t.description, o.login), t.strength))
		id += 1 + rng.Int64N(400)
	}
	g.attach(rng, o)
}

func (g *generator) configuration(rng *rand.Rand, id int64, target, name, description string, strength float64) *csConfig {
	c := &csConfig{
		id: id, name: name, description: description, targetType: target,
		enforcement:              pickOne(rng, []weighted[string]{{"enforced", 40}, {"unenforced", 60}}),
		settings:                 map[string]string{},
		autosubmitLabeledRunners: rng.Float64() < 0.2,
	}
	for _, s := range csSettingOrder {
		v := "disabled"
		switch {
		case rng.Float64() < strength:
			v = "enabled"
		case s != "advanced_security" && rng.Float64() < 0.3:
			v = "not_set" // advanced_security is enabled or disabled only
		}
		c.settings[s] = v
	}
	if c.settings["advanced_security"] == "disabled" {
		c.settings["code_security"], c.settings["secret_protection"] = "disabled", "disabled"
	}
	c.createdAt = g.start.Add(time.Duration(rng.Int64N(int64(dataSpan)))).Truncate(time.Second)
	c.updatedAt = closeTime(rng, c.createdAt, g.now)
	return c
}

// attach lists every repository under at most one configuration; a fifth
// stay without one.
func (g *generator) attach(rng *rand.Rand, o *org) {
	configs := o.security.configs
	choices := make([]weighted[*csConfig], len(configs))
	for i, c := range configs {
		choices[i] = weighted[*csConfig]{c, 4}
		if c.targetType != "organization" {
			choices[i].w = 2
		}
	}
	for _, r := range o.repos {
		if rng.Float64() < 0.2 {
			continue
		}
		c := pickOne(rng, choices)
		status := pickOne(rng, repoStatuses)
		switch {
		case status == "removed_by_enterprise" && (c.targetType != "organization" || !o.security.enterprise):
			status = "removed" // only an enterprise removes an organization's configuration
		case status == "attached" && c.enforcement == "enforced" && rng.Float64() < 0.8:
			status = "enforced"
		}
		c.repos = append(c.repos, configRepo{r, status})
	}
	for _, c := range configs {
		slices.SortFunc(c.repos, func(a, b configRepo) int { return a.key(sortCreated).compare(b.key(sortCreated)) })
	}
}

// ksuid is a version string like GitHub's ("0ujsswThIGTUYm2K8FjOOfXtY1K").
func ksuid(rng *rand.Rand) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 27)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
