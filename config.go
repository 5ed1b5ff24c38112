package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/scheduler"
)

// config is everything the flags and the environment say.
type config struct {
	orgs        []string
	apiURL      string
	apiVersion  string
	tokenFile   string
	token       string
	schedule    string
	rps         float64
	reserve     int
	maxRetries  int
	timeout     time.Duration
	metricsPath string
	demo        bool
	web         *web.FlagConfig
	log         *promslog.Config

	scheduleSet, rpsSet bool

	// The repository inventory (GraphQL) and the repository filter of every family.
	graphqlURL               string // "" → derived from apiURL by validate
	repoInclude, repoExclude string
	skipArchived, skipForks  bool
	filter                   collector.RepoFilter // compiled by validate

	storagePath string        // alert records across restarts; "" keeps them in memory
	fullWalk    time.Duration // how often a full walk replaces the incremental ones
	margin      time.Duration // how far behind the high-water mark incremental walks read
	maxPages    int           // --collector.max-pages-per-walk; 0: derived from the last full walk
	maxWait     time.Duration // --collector.max-wait: backoff one collection of a source may spend
	slaDays     map[string]*int
	collectors  map[string]*bool // per source name: collect it on the main schedule

	// GitHub App authentication (all three set) instead of a token.
	appID, appInstallationID int64
	appKeyFile               string
	tokenIgnored             bool // a token was given too, and the App is used
	analyses                 bool // the code scanning analyses on their own schedule
	analysesSchedule         string
	analysesScheduleSet      bool

	// Walks that keep the numbers equal to GitHub's (issue 8).
	openRefresh   time.Duration // how often an incremental run re-reads the open alerts; 0: never
	genericTypes  string        // comma-separated generic secret types; "": no generic walk
	topAdvisories int           // advisories in github_dependabot_top_advisory_open_alerts

	command  string         // "serve" or "backfill"
	backfill backfillConfig // the backfill subcommand's flags (backfill_command.go)

	// The webhook receiver (webhooks.go): on when a secret file is given.
	webhookSecretFile string
	webhookListen     string // "" serves on the main listener
	webhookSecret     []byte // read by validate; never logged

	enterprise string // --github.enterprise: walk the enterprise-wide alert listings

	scale scaleConfig // serving, cardinality, memory and sharding (scale.go)
}

func parseFlags(app *kingpin.Application, args []string) *config {
	cfg := &config{log: &promslog.Config{}}
	app.Version(version.Print(name))
	app.HelpFlag.Short('h')
	app.Flag("github.org", "GitHub organization to collect; repeatable. Default: $GITHUB_ORGS, comma-separated.").StringsVar(&cfg.orgs)
	app.Flag("github.api-url", "GitHub REST API base URL; for Enterprise Server https://HOST/api/v3/.").Default("https://api.github.com/").StringVar(&cfg.apiURL)
	app.Flag("github.api-version", "Value of the X-GitHub-Api-Version header.").Default("2022-11-28").StringVar(&cfg.apiVersion)
	app.Flag("github.token-file", "File holding the GitHub token. Default: $GITHUB_TOKEN.").StringVar(&cfg.tokenFile)
	app.Flag("github.requests-per-second", "Pace of requests to GitHub, shared by every organization and source.").Default("4").IsSetByUser(&cfg.rpsSet).Float64Var(&cfg.rps)
	app.Flag("github.rate-limit-reserve", "Pause until the rate limit resets when fewer requests than this remain.").Default("100").IntVar(&cfg.reserve)
	app.Flag("github.max-retries", "Retries of a request after a rate limit, a 5xx answer or a network error.").Default("5").IntVar(&cfg.maxRetries)
	app.Flag("github.timeout", "Time allowed for one request to GitHub to answer.").Default("30s").DurationVar(&cfg.timeout)
	app.Flag("github.graphql-url", "GitHub GraphQL endpoint. Default: derived from --github.api-url (https://api.github.com/graphql; Enterprise Server: https://HOST/api/graphql).").StringVar(&cfg.graphqlURL)
	app.Flag("repositories.include", "Only repositories whose whole name matches this regular expression (RE2, anchored at both ends); applies to every family.").StringVar(&cfg.repoInclude)
	app.Flag("repositories.exclude", "Leave out repositories whose whole name matches this regular expression (RE2, anchored at both ends); applies to every family.").StringVar(&cfg.repoExclude)
	app.Flag("repositories.skip-archived", "Leave out archived repositories, from every family.").BoolVar(&cfg.skipArchived)
	app.Flag("repositories.skip-forks", "Leave out forks, from every family.").BoolVar(&cfg.skipForks)
	app.Flag("collector.schedule", "When collections run: a cron spec such as '*/10 * * * *' or '@every 15m'. One also runs at start-up.").Default("@every 15m").IsSetByUser(&cfg.scheduleSet).StringVar(&cfg.schedule)
	app.Flag("github.app-id", "Authenticate as a GitHub App installation instead of with a token: the App's id. Needs --github.app-private-key-file; without --github.app-installation-id every organization the App is installed on is collected (those of --github.org only, when given), each with its own installation token and rate limit.").Int64Var(&cfg.appID)
	app.Flag("github.app-installation-id", "Id of the GitHub App's installation on the organization; leave out to discover every installation at each run.").Int64Var(&cfg.appInstallationID)
	app.Flag("github.app-private-key-file", "File holding the GitHub App's private key (PEM), as GitHub hands it out.").StringVar(&cfg.appKeyFile)
	app.Flag("collector.code-scanning-analyses", "Also collect the time of the newest code scanning analysis per repository and tool: a (conditional) request per repository, on its own schedule.").BoolVar(&cfg.analyses)
	app.Flag("collector.code-scanning-analyses.schedule", "When the code scanning analyses are collected: a cron spec. One also runs after the first collection.").Default("@every 6h").IsSetByUser(&cfg.analysesScheduleSet).StringVar(&cfg.analysesSchedule)
	cfg.collectors = map[string]*bool{}
	for _, name := range collector.Sources() {
		if name == collector.AnalysesSource {
			continue // on its own schedule, see --collector.code-scanning-analyses
		}
		flag := "collector." + strings.ReplaceAll(name, "_", "-")
		on := slices.Contains(collector.DefaultSources(), name)
		cfg.collectors[name] = app.Flag(flag, "Collect "+strings.ReplaceAll(name, "_", " ")+" (--no-"+flag+" turns it off).").Default(strconv.FormatBool(on)).Bool()
	}
	app.Flag("storage.path", "File keeping the alert records across restarts, so that a restarted exporter serves its last numbers at once and continues incrementally. Default: memory only.").StringVar(&cfg.storagePath)
	app.Flag("collector.full-walk-interval", "How often a full walk of the alert listings replaces the incremental ones, dropping alerts that vanished.").Default("24h").DurationVar(&cfg.fullWalk)
	app.Flag("collector.incremental-margin", "How much older than the newest change already seen an incremental walk still reads.").Default("5m").DurationVar(&cfg.margin)
	app.Flag("collector.open-refresh-interval", "How often an incremental run also re-reads the open alerts of each family (conditionally: an unchanged page costs a 304), so that severities, EPSS and scopes that change without updated_at show within this bound; 0 turns it off.").Default("1h").DurationVar(&cfg.openRefresh)
	app.Flag("collector.secret-scanning.generic-types", "Comma-separated secret types walked apart from the default listing, which GitHub lists only when asked for by name (non-provider patterns, AI-detected passwords); empty turns that walk off.").Default(strings.Join(collector.DefaultGenericSecretTypes, ",")).StringVar(&cfg.genericTypes)
	app.Flag("collector.max-pages-per-walk", "Most pages one walk of a listing may take before it is cut with an error (the last good counts stay). 0: four times the pages of the listing's last full walk plus 100, and 10000 for a first walk.").Default("0").IntVar(&cfg.maxPages)
	app.Flag("collector.max-wait", "Most time one collection of a source may spend paused for rate limits and retry backoff before it fails and the next source goes on.").Default("15m").DurationVar(&cfg.maxWait)
	cfg.slaDays = map[string]*int{}
	for _, sla := range []struct{ key, def string }{{"critical", "7"}, {"high", "30"}, {"medium", "90"}, {"low", "180"}, {"secret", "7"}} {
		cfg.slaDays[sla.key] = app.Flag("sla."+sla.key+"-days", "Days an open "+map[bool]string{true: "secret scanning", false: sla.key + " severity"}[sla.key == "secret"]+" alert may stay open before github_alerts_sla_breached counts it; 0: no SLA.").Default(sla.def).Int()
	}
	app.Flag("github.enterprise", "Walk the alert listings of this enterprise (its slug) instead of each organization's: one walk covers every organization the token's owner owns or manages, each alert counted under its repository's owner as org (only the --github.org ones, when given). Needs a classic personal access token.").StringVar(&cfg.enterprise)
	app.Flag("webhook.secret-file", "File holding the secret of the GitHub organization or App webhook; turns on the receiver at POST /webhook/github, which merges alert changes into the records between walks.").StringVar(&cfg.webhookSecretFile)
	app.Flag("webhook.listen-address", "Serve the webhook receiver on this address only (plain HTTP, e.g. behind a TLS proxy) instead of on the main listener, so that only this port faces GitHub.").StringVar(&cfg.webhookListen)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&cfg.metricsPath)
	app.Flag("demo", "Run against a simulated GitHub organization in this process: no token, no network.").BoolVar(&cfg.demo)
	app.Flag("collector.dependabot.top-advisories", "How many advisories github_dependabot_top_advisory_open_alerts shows per organization: those with the most open alerts.").Default("10").IntVar(&cfg.topAdvisories)

	addScaleFlags(app, &cfg.scale)
	cfg.web = kingpinflag.AddFlags(app, ":9816")
	promslogflag.AddFlags(app, cfg.log)
	app.Command("serve", "Collect on the schedule and serve the metrics (the default).").Default()
	addBackfillCommand(app, &cfg.backfill)
	command, err := app.Parse(args)
	if err != nil {
		app.Fatalf("%s, try --help", err)
	}
	cfg.command = command

	if len(cfg.orgs) == 0 && os.Getenv("GITHUB_ORGS") != "" {
		cfg.orgs = []string{os.Getenv("GITHUB_ORGS")}
	}
	cfg.orgs = splitList(cfg.orgs)
	return cfg
}

var orgName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// validate checks the configuration and reads the token. Its errors are one line and
// never contain the token.
func (c *config) validate() error {
	if err := c.validateEnterprise(); err != nil {
		return err
	}
	if len(c.orgs) == 0 && !c.discoversInstallations() && c.enterprise == "" {
		return errors.New("no organization: set --github.org or GITHUB_ORGS")
	}
	for _, org := range c.orgs {
		if !orgName.MatchString(org) {
			return fmt.Errorf("invalid organization name %q", org)
		}
	}
	orgs, err := c.scale.validate(c.orgs)
	if err != nil {
		return err
	}
	c.orgs = orgs
	u, err := url.Parse(c.apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("invalid --github.api-url %q: want an http(s) URL such as https://api.github.com/ or https://HOST/api/v3/", redactURL(c.apiURL))
	}
	if _, err := scheduler.Parse(c.schedule); err != nil {
		return fmt.Errorf("--collector.schedule: %w", err)
	}
	if err := c.validateRepositories(); err != nil {
		return err
	}
	if c.rps <= 0 || c.reserve < 0 || c.maxRetries < 0 || c.timeout <= 0 {
		return errors.New("--github.requests-per-second and --github.timeout must be positive, --github.rate-limit-reserve and --github.max-retries not negative")
	}
	if !strings.HasPrefix(c.metricsPath, "/") || c.metricsPath == "/" {
		return fmt.Errorf("invalid --web.telemetry-path %q: want a path such as /metrics", c.metricsPath)
	}
	enabled := 0
	for _, on := range c.collectors {
		if *on {
			enabled++
		}
	}
	if enabled == 0 {
		return errors.New("every collector is turned off: enable at least one --collector.NAME")
	}
	if c.topAdvisories < 1 {
		return errors.New("--collector.dependabot.top-advisories must be at least 1")
	}
	if c.maxPages < 0 || c.maxWait <= 0 {
		return errors.New("--collector.max-pages-per-walk must not be negative and --collector.max-wait must be positive")
	}
	if c.fullWalk <= 0 || c.margin < 0 {
		return errors.New("--collector.full-walk-interval must be positive and --collector.incremental-margin not negative")
	}
	if err := c.validateWalks(); err != nil {
		return err
	}
	for key, days := range c.slaDays {
		if *days < 0 {
			return fmt.Errorf("--sla.%s-days must not be negative", key)
		}
	}
	if c.storagePath != "" {
		if info, err := os.Stat(filepath.Dir(c.storagePath)); err != nil || !info.IsDir() {
			return fmt.Errorf("invalid --storage.path %q: its directory does not exist", c.storagePath)
		}
	}
	if *c.web.WebConfigFile != "" {
		if err := web.Validate(*c.web.WebConfigFile); err != nil {
			return fmt.Errorf("invalid --web.config.file: %w", err)
		}
	}
	if _, err := scheduler.Parse(c.analysesSchedule); err != nil {
		return fmt.Errorf("--collector.code-scanning-analyses.schedule: %w", err)
	}
	if err := c.validateWebhook(); err != nil {
		return err
	}
	if c.usesApp() {
		return c.validateApp()
	}
	if c.token != "" {
		return nil
	}
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return fmt.Errorf("reading --github.token-file: %w", err)
		}
		c.token = strings.TrimSpace(string(b))
	} else {
		c.token = strings.TrimSpace(os.Getenv("GITHUB_TOKEN"))
	}
	if c.token == "" {
		return errors.New("no GitHub token: set GITHUB_TOKEN or --github.token-file (or try --demo)")
	}
	if strings.ContainsAny(c.token, " \t\r\n") {
		return errors.New("the GitHub token holds white space: check GITHUB_TOKEN or --github.token-file")
	}
	if c.enterprise != "" && strings.HasPrefix(c.token, "github_pat_") {
		return errEnterpriseToken
	}
	return nil
}

var secretTypeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// validateWalks checks --collector.open-refresh-interval and
// --collector.secret-scanning.generic-types.
func (c *config) validateWalks() error {
	if c.openRefresh < 0 {
		return errors.New("--collector.open-refresh-interval must not be negative (0 turns it off)")
	}
	for _, typ := range splitList([]string{c.genericTypes}) {
		if !secretTypeName.MatchString(typ) {
			return fmt.Errorf("invalid secret type %q in --collector.secret-scanning.generic-types: want token names such as rsa_private_key,password", typ)
		}
	}
	return nil
}

// walks is how the collector walks the alert listings.
func (c *config) walks() collector.Walks {
	w := collector.Walks{FullEvery: c.fullWalk, Margin: c.margin, OpenRefresh: c.openRefresh,
		GenericSecretTypes: append([]string{}, splitList([]string{c.genericTypes})...)} // empty, not nil: no generic walk
	if c.openRefresh == 0 {
		w.OpenRefresh = -1 // off
	}
	return w
}

// validateRepositories derives the GraphQL URL when none is given and compiles the
// repository filter. Both patterns must match a repository's whole name.
func (c *config) validateRepositories() error {
	if c.graphqlURL == "" {
		c.graphqlURL, _ = githubapi.GraphQLURL(c.apiURL) // --github.api-url is checked already
	}
	if u, err := url.Parse(c.graphqlURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("invalid --github.graphql-url %q: want an http(s) URL such as https://api.github.com/graphql or https://HOST/api/graphql", redactURL(c.graphqlURL))
	}
	c.filter = collector.RepoFilter{SkipArchived: c.skipArchived, SkipForks: c.skipForks}
	for _, p := range []struct {
		flag, expr string
		re         **regexp.Regexp
	}{{"repositories.include", c.repoInclude, &c.filter.Include}, {"repositories.exclude", c.repoExclude, &c.filter.Exclude}} {
		if p.expr == "" {
			continue
		}
		if _, err := regexp.Compile(p.expr); err != nil {
			return fmt.Errorf("invalid --%s %q: %w", p.flag, p.expr, err)
		}
		*p.re = regexp.MustCompile("^(?:" + p.expr + ")$")
	}
	return nil
}

// usesApp reports whether any GitHub App flag is set.
func (c *config) usesApp() bool {
	return c.appID != 0 || c.appInstallationID != 0 || c.appKeyFile != ""
}

// validateApp checks the GitHub App flags: all three together, and a readable key. A
// token given as well is not used.
func (c *config) validateApp() error {
	var missing []string
	if c.appID <= 0 {
		missing = append(missing, "--github.app-id")
	}
	if c.appInstallationID < 0 {
		missing = append(missing, "a positive --github.app-installation-id")
	}
	if c.appKeyFile == "" {
		missing = append(missing, "--github.app-private-key-file")
	}
	if len(missing) > 0 {
		return fmt.Errorf("GitHub App authentication needs %s as well: --github.app-id and --github.app-private-key-file go together, with --github.app-installation-id for one installation or without it for all of them", strings.Join(missing, " and "))
	}
	if err := githubapi.CheckAppKey(c.appKeyFile); err != nil {
		return fmt.Errorf("--github.app-private-key-file: %w", err)
	}
	c.tokenIgnored = c.token != "" || c.tokenFile != "" || os.Getenv("GITHUB_TOKEN") != ""
	c.token = ""
	return nil
}

// splitList splits comma-separated values and drops empty ones.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// redactURL drops user information from a URL before it is logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	u.User = nil
	return u.String()
}

// sla returns the SLAs the --sla.*-days flags set.
func (c *config) sla() collector.SLA {
	sla := collector.SLA{}
	for key, days := range c.slaDays {
		sla[key] = time.Duration(*days) * 24 * time.Hour
	}
	return sla
}

// enabledSources returns the sources the --[no-]collector.NAME flags turn on.
// scheduledSources are the enabled sources the main schedule collects: all but the
// code scanning analyses, which have a schedule of their own.
func (c *config) scheduledSources() []string {
	var out []string
	for _, s := range c.enabledSources() {
		if s != collector.AnalysesSource {
			out = append(out, s)
		}
	}
	return out
}

func (c *config) enabledSources() []string {
	var sources []string
	for _, name := range collector.Sources() {
		if on := c.collectors[name]; on != nil && *on {
			sources = append(sources, name)
		}
	}
	return sources
}

// validateWebhook reads the webhook secret. Its errors name the file, never the secret.
func (c *config) validateWebhook() error {
	if c.webhookSecretFile == "" {
		if c.webhookListen != "" {
			return errors.New("--webhook.listen-address needs --webhook.secret-file")
		}
		return nil
	}
	b, err := os.ReadFile(c.webhookSecretFile)
	if err != nil {
		return fmt.Errorf("reading --webhook.secret-file: %w", err)
	}
	c.webhookSecret = []byte(strings.TrimRight(string(b), "\r\n"))
	if len(c.webhookSecret) == 0 {
		return fmt.Errorf("--webhook.secret-file %s is empty: GitHub signs deliveries only with a secret", c.webhookSecretFile)
	}
	return nil
}

// discoversInstallations reports whether the App flags name no installation: then every
// installation of the App is discovered (GET /app/installations) and collected.
func (c *config) discoversInstallations() bool {
	return c.appID != 0 && c.appInstallationID == 0
}

var enterpriseSlug = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,99}$`)

// errEnterpriseToken is GitHub's rule for the enterprise alert listings, in one line.
var errEnterpriseToken = errors.New("--github.enterprise needs a classic personal access token: GitHub does not serve the enterprise alert listings to GitHub Apps or fine-grained tokens")

// validateEnterprise checks --github.enterprise: a slug, and no GitHub App.
func (c *config) validateEnterprise() error {
	if c.enterprise == "" {
		return nil
	}
	if !enterpriseSlug.MatchString(c.enterprise) {
		return fmt.Errorf("invalid --github.enterprise %q: want the enterprise's slug", c.enterprise)
	}
	if c.usesApp() {
		return errEnterpriseToken
	}
	return nil
}
