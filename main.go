// Command github-security-exporter walks the code scanning, Dependabot and secret scanning
// alert listings of GitHub organizations on a schedule and serves the counts to Prometheus.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/internal/redact"
	"github.com/github-security-exporter/github-security-exporter/metricstore"
	"github.com/github-security-exporter/github-security-exporter/overview"
	"github.com/github-security-exporter/github-security-exporter/scheduler"
)

const name = "github-security-exporter"

func main() {
	stampVersion()
	app := kingpin.New(name, "Exports GitHub code scanning, Dependabot and secret scanning alert counts of whole organizations to Prometheus.")
	cfg := parseFlags(app, os.Args[1:])
	// Secrets are removed from every log record, as a second line behind the redaction
	// of GitHub's error texts (internal/redact).
	logger := slog.New(redact.Handler(promslog.New(cfg.log).Handler()))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.demo {
		if err := startDemo(ctx, cfg, logger); err != nil {
			app.Fatalf("starting the demo: %v", err)
		}
	}
	if cfg.command == "backfill" {
		if err := runBackfill(ctx, cfg, logger); err != nil {
			app.Fatalf("backfill: %v", err)
		}
		return
	}
	if err := cfg.validate(); err != nil {
		app.Fatalf("%v", err)
	}
	redact.Add(cfg.token)
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("exporter stopped", "err", err)
		os.Exit(1)
	}
}

// authTransport authenticates requests with the GitHub App's installation tokens when
// the App is configured, else with the token.
func authTransport(cfg *config, base http.RoundTripper, logger *slog.Logger) (http.RoundTripper, error) {
	if cfg.appID == 0 && cfg.tokenFile != "" {
		// Read again when it changes: a rotated token needs no restart.
		src, err := githubapi.NewFileToken(cfg.tokenFile, logger)
		if err != nil {
			return nil, err
		}
		return &githubapi.TokenTransport{Source: src, Base: base}, nil
	}
	if cfg.appID == 0 {
		return &githubapi.TokenTransport{Token: cfg.token, Base: base}, nil
	}
	if cfg.tokenIgnored {
		logger.Warn("authenticating as a GitHub App installation: the token (GITHUB_TOKEN or --github.token-file) is not used")
	}
	return githubapi.NewAppTransport(base, cfg.apiURL, cfg.appID, cfg.appInstallationID, cfg.appKeyFile, logger)
}

// analysesScheduler returns the code scanning analyses' own schedule, nil when they are
// not collected. Each run waits for the first full collection, which brings the
// repository inventory they are read by.
func analysesScheduler(cfg *config, exporter *collector.Exporter, first <-chan struct{}, logger *slog.Logger, reg prometheus.Registerer) (*scheduler.Scheduler, error) {
	if !cfg.analyses {
		return nil, nil
	}
	return scheduler.New(cfg.analysesSchedule, func(ctx context.Context) {
		select {
		case <-first:
			exporter.RunSource(ctx, collector.AnalysesSource)
		case <-ctx.Done():
		}
	}, logger, reg, collector.AnalysesSource)
}

// closeAfterFirst returns job, closing first once job has returned the first time.
func closeAfterFirst(job func(context.Context), first chan<- struct{}) func(context.Context) {
	var once sync.Once
	return func(ctx context.Context) {
		job(ctx)
		once.Do(func() { close(first) })
	}
}

func run(ctx context.Context, cfg *config, logger *slog.Logger) error {
	cfg.scale.apply(cfg.orgs, logger)
	// reg: the exporter's own families (build, API usage, health); self: the process's,
	// which --web.disable-exporter-metrics leaves out. The alert data is pre-rendered.
	reg, self := prometheus.NewRegistry(), prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector("github_exporter"))
	self.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counts := overview.NewCounts()
	store := metricstore.New(counts.Observe)
	exporter, discovery, err := newExporter(ctx, cfg, reg, logger, store)
	if err != nil {
		return err
	}
	reg.MustRegister(exporter.Health())
	job := exporter.Run
	if discovery != nil {
		job = discovery.discovering(exporter, exporter.Run)
	}
	firstRun := make(chan struct{})
	sched, err := scheduler.New(cfg.schedule, closeAfterFirst(job, firstRun), logger, reg, cfg.scheduledSources()...)
	if err != nil {
		return err
	}
	analyses, err := analysesScheduler(cfg, exporter, firstRun, logger, reg)
	if err != nil {
		return err
	}

	handler, err := withWebhooks(ctx, cfg, reg, exporter, routes(cfg, metricsHandler(cfg, store, reg, self, logger), exporter, counts), logger)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(server, cfg.web, logger) }()
	logger.Info("starting", "version", version.Info(), "orgs", strings.Join(cfg.orgs, ","),
		"api_url", redactURL(cfg.apiURL), "graphql_url", redactURL(cfg.graphqlURL), "schedule", cfg.schedule,
		"collectors", strings.Join(cfg.enabledSources(), ","), "code_scanning_analyses", cfg.analyses)

	schedDone := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Go(func() { sched.Run(ctx) })
		if analyses != nil {
			wg.Go(func() { analyses.Run(ctx) })
		}
		wg.Wait()
		close(schedDone)
	}()

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

// newExporter builds the GitHub clients, REST and GraphQL on one pacing and rate-limit
// transport per token (per installation, when the App's installations are discovered),
// and the exporter over them; the alert data goes to sink.
func newExporter(ctx context.Context, cfg *config, reg prometheus.Registerer, logger *slog.Logger, sink collector.Sink) (*collector.Exporter, *installations, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = cfg.timeout
	apiMetrics := githubapi.NewMetrics(reg)
	if cfg.discoversInstallations() {
		return newAppExporter(ctx, cfg, base, apiMetrics, logger, sink)
	}
	auth, err := authTransport(cfg, base, logger)
	if err != nil {
		return nil, nil, err
	}
	transport := githubapi.NewTransport(githubapi.TransportOptions{
		Base:              auth,
		RequestsPerSecond: cfg.rps,
		Reserve:           cfg.reserve,
		MaxRetries:        cfg.maxRetries,
		RateLimitURL:      strings.TrimRight(cfg.apiURL, "/") + "/rate_limit",
		BodyTimeout:       4 * cfg.timeout, // 2m by default: a page may be large, its headers come first
		Metrics:           apiMetrics,
		Logger:            logger,
	})
	httpClient := &http.Client{Transport: transport}
	userAgent := name + "/" + version.Version
	gh, err := githubapi.NewClient(githubapi.ClientOptions{
		BaseURL: cfg.apiURL, HTTPClient: httpClient, APIVersion: cfg.apiVersion, UserAgent: userAgent,
	})
	if err != nil {
		return nil, nil, err
	}
	gql, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: cfg.graphqlURL, HTTPClient: httpClient, UserAgent: userAgent})
	if err != nil {
		return nil, nil, err
	}
	c := exporterConfig(cfg, apiMetrics, logger, sink)
	c.Client, c.GraphQL, c.Budget = gh, gql, transport.Budget
	exporter, err := collector.New(c)
	return exporter, nil, err
}

// exporterConfig is the collector's configuration as the flags give it, without clients.
func exporterConfig(cfg *config, apiMetrics *githubapi.Metrics, logger *slog.Logger, sink collector.Sink) collector.Config {
	return collector.Config{
		Sources: cfg.enabledSources(), Metrics: apiMetrics, Filter: cfg.filter, Orgs: cfg.orgs,
		Enterprise: cfg.enterprise, Logger: logger, SLA: cfg.sla(), Walks: cfg.walks(),
		StatePath: cfg.storagePath, TopAdvisories: cfg.topAdvisories, MaxWait: cfg.maxWait,
		MaxPagesPerWalk: cfg.maxPages, Series: cfg.scale.series, Sink: sink,
	}
}

// newAppExporter discovers the GitHub App's installations and builds an exporter of
// their organizations, each with the clients of its installation.
func newAppExporter(ctx context.Context, cfg *config, base http.RoundTripper, apiMetrics *githubapi.Metrics, logger *slog.Logger, sink collector.Sink) (*collector.Exporter, *installations, error) {
	if cfg.tokenIgnored {
		logger.Warn("authenticating as a GitHub App: the token (GITHUB_TOKEN or --github.token-file) is not used")
	}
	discovery, err := newInstallations(cfg, base, apiMetrics, logger)
	if err != nil {
		return nil, nil, err
	}
	orgs, clients, err := discovery.discover(ctx)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("collecting the organizations the GitHub App is installed on", "orgs", strings.Join(orgs, ","))
	c := exporterConfig(cfg, apiMetrics, logger, sink)
	c.Clients, c.Orgs = clients, orgs
	exporter, err := collector.New(c)
	return exporter, discovery, err
}

// metricsHandler serves the registries' families and the pre-rendered alert data,
// instrumented and bounded as node_exporter's /metrics is.
func metricsHandler(cfg *config, store *metricstore.Store, reg, self *prometheus.Registry, logger *slog.Logger) http.Handler {
	var gatherer prometheus.Gatherer = prometheus.Gatherers{reg, self}
	if cfg.scale.disableExporterMetrics {
		gatherer = reg
	}
	h := metricstore.Handler(store, gatherer, metricstore.HandlerOpts{MaxRequestsInFlight: cfg.scale.maxRequests, Logger: logger})
	if cfg.scale.disableExporterMetrics {
		return h
	}
	return promhttp.InstrumentMetricHandler(self, h)
}

func routes(cfg *config, metrics http.Handler, exporter *collector.Exporter, counts *overview.Counts) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(cfg.metricsPath, metrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "OK") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !exporter.Ready() {
			http.Error(w, "first collection still running", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "OK")
	})
	mux.Handle("/", overview.New(nil, exporter.Status, overview.Options{
		Name: name, Version: version.Version, MetricsPath: cfg.metricsPath, Counts: counts,
		Links: []overview.Link{{Text: "Ready", Address: "/-/ready"}, {Text: "Healthy", Address: "/-/healthy"}},
	}))
	return mux
}
