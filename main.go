// Command github-security-exporter walks the code scanning, Dependabot and secret scanning
// alert listings of GitHub organizations on a schedule and serves the counts to Prometheus.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/scheduler"
)

const name = "github-security-exporter"

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
}

func main() {
	app := kingpin.New(name, "Exports GitHub code scanning, Dependabot and secret scanning alert counts of whole organizations to Prometheus.")
	cfg := parseFlags(app, os.Args[1:])
	logger := promslog.New(cfg.log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.demo {
		if err := startDemo(ctx, cfg, logger); err != nil {
			app.Fatalf("starting the demo: %v", err)
		}
	}
	if err := cfg.validate(); err != nil {
		app.Fatalf("%v", err)
	}
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("exporter stopped", "err", err)
		os.Exit(1)
	}
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
	app.Flag("collector.schedule", "When collections run: a cron spec such as '*/10 * * * *' or '@every 15m'. One also runs at start-up.").Default("@every 15m").IsSetByUser(&cfg.scheduleSet).StringVar(&cfg.schedule)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&cfg.metricsPath)
	app.Flag("demo", "Run against a simulated GitHub organization in this process: no token, no network.").BoolVar(&cfg.demo)
	cfg.web = kingpinflag.AddFlags(app, ":9816")
	promslogflag.AddFlags(app, cfg.log)
	if _, err := app.Parse(args); err != nil {
		app.Fatalf("%s, try --help", err)
	}

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
	if len(c.orgs) == 0 {
		return errors.New("no organization: set --github.org or GITHUB_ORGS")
	}
	for _, org := range c.orgs {
		if !orgName.MatchString(org) {
			return fmt.Errorf("invalid organization name %q", org)
		}
	}
	u, err := url.Parse(c.apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("invalid --github.api-url %q: want an http(s) URL such as https://api.github.com/ or https://HOST/api/v3/", redactURL(c.apiURL))
	}
	if _, err := scheduler.Parse(c.schedule); err != nil {
		return fmt.Errorf("--collector.schedule: %w", err)
	}
	if c.rps <= 0 || c.reserve < 0 || c.maxRetries < 0 || c.timeout <= 0 {
		return errors.New("--github.requests-per-second and --github.timeout must be positive, --github.rate-limit-reserve and --github.max-retries not negative")
	}
	if !strings.HasPrefix(c.metricsPath, "/") || c.metricsPath == "/" {
		return fmt.Errorf("invalid --web.telemetry-path %q: want a path such as /metrics", c.metricsPath)
	}
	if *c.web.WebConfigFile != "" {
		if err := web.Validate(*c.web.WebConfigFile); err != nil {
			return fmt.Errorf("invalid --web.config.file: %w", err)
		}
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
	return nil
}

func run(ctx context.Context, cfg *config, logger *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		versioncollector.NewCollector("github_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = cfg.timeout
	transport := githubapi.NewTransport(githubapi.TransportOptions{
		Base:              &githubapi.TokenTransport{Token: cfg.token, Base: base},
		RequestsPerSecond: cfg.rps,
		Reserve:           cfg.reserve,
		MaxRetries:        cfg.maxRetries,
		Metrics:           githubapi.NewMetrics(reg),
		Logger:            logger,
	})
	gh, err := githubapi.NewClient(githubapi.ClientOptions{
		BaseURL:    cfg.apiURL,
		HTTPClient: &http.Client{Transport: transport},
		APIVersion: cfg.apiVersion,
		UserAgent:  name + "/" + version.Version,
	})
	if err != nil {
		return err
	}
	exporter, err := collector.New(collector.Config{Client: gh, Orgs: cfg.orgs, Logger: logger})
	if err != nil {
		return err
	}
	reg.MustRegister(exporter)
	sched, err := scheduler.New(cfg.schedule, exporter.Run, logger, reg)
	if err != nil {
		return err
	}

	server := &http.Server{Handler: routes(cfg, reg, exporter), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(server, cfg.web, logger) }()
	logger.Info("starting", "version", version.Info(), "orgs", strings.Join(cfg.orgs, ","),
		"api_url", redactURL(cfg.apiURL), "schedule", cfg.schedule, "collectors", strings.Join(collector.Sources(), ","))

	schedDone := make(chan struct{})
	go func() { sched.Run(ctx); close(schedDone) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if shutdownErr := server.Shutdown(shutdownCtx); shutdownErr != nil && err == nil {
		err = shutdownErr
	}
	if ctx.Err() != nil {
		<-schedDone
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func routes(cfg *config, reg *prometheus.Registry, exporter *collector.Exporter) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(cfg.metricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "OK") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !exporter.Ready() {
			http.Error(w, "first collection still running", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "OK")
	})
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        name,
		Description: "GitHub security alerts of whole organizations, for Prometheus",
		Version:     version.Info(),
		Links:       []web.LandingLinks{{Address: cfg.metricsPath, Text: "Metrics"}},
	})
	if err == nil {
		mux.Handle("/", landing)
	}
	return mux
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
