package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shurcooL/githubv4"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/internal/redact"
	"github.com/github-security-exporter/github-security-exporter/store"
)

var (
	successDesc = prometheus.NewDesc(
		"github_exporter_collection_success",
		"Whether the last collection of the source for the organization succeeded (1) or not (0).",
		[]string{"org", "collector"}, nil)
	lastSuccessDesc = prometheus.NewDesc(
		"github_exporter_last_success_timestamp_seconds",
		"When the source was last collected successfully for the organization.",
		[]string{"org", "collector"}, nil)
	durationDesc = prometheus.NewDesc(
		"github_exporter_collection_duration_seconds",
		"How long the last collection of the source for the organization took.",
		[]string{"org", "collector"}, nil)
	availableDesc = prometheus.NewDesc(
		"github_exporter_source_available",
		"Whether GitHub serves the source for the organization (1), or answered that it is not enabled or not permitted (0).",
		[]string{"org", "collector"}, nil)
	failuresDesc = prometheus.NewDesc(
		"github_exporter_collection_failures_total",
		"Collections of the source for the organization that failed since the exporter started.",
		[]string{"org", "collector"}, nil)
	saveFailuresDesc = prometheus.NewDesc(
		"github_exporter_state_save_failures_total",
		"Saves of the state file (--storage.path) that failed; kept across restarts in the state file.",
		nil, nil)
	lastSaveDesc = prometheus.NewDesc(
		"github_exporter_state_last_save_timestamp_seconds",
		"When the state file (--storage.path) was last saved successfully.",
		nil, nil)
)

// DefaultMaxWait bounds the time one collection of a source may spend paused for rate
// limits and retry backoff (Config.MaxWait).
const DefaultMaxWait = 15 * time.Minute

// Config is what an Exporter collects and from where.
type Config struct {
	Client  *githubapi.Client
	GraphQL *githubv4.Client   // optional: sources that need it fail without it
	Metrics *githubapi.Metrics // optional: rate-limit figures from response bodies
	Orgs    []string
	// Clients, when set, are per-organization clients (one GitHub App installation per
	// organization) in place of Client and GraphQL.
	Clients map[string]Clients
	Filter  RepoFilter
	// Enterprise, when set, walks the enterprise-wide alert listings instead of each
	// organization's, collecting the organizations their alerts belong to (only Orgs, when
	// given).
	Enterprise string
	SLA        SLA   // nil: DefaultSLA
	Walks      Walks // zero: daily full walks, a 5m margin
	// TopAdvisories is how many advisories github_dependabot_top_advisory_open_alerts
	// shows per organization; 0: DefaultTopAdvisories.
	TopAdvisories int
	// StatePath, when not empty, names the file that keeps the alert records across
	// restarts: loaded by New, saved after each Run.
	StatePath string
	// MaxWait bounds the time one collection of a source (one org) may spend paused for
	// rate limits and backoff; beyond it the collection fails and the others go on.
	// Default DefaultMaxWait.
	MaxWait time.Duration
	// MaxPagesPerWalk bounds the pages of one walk of a listing: 0 derives the bound
	// from the last full walk of the same listing (see pageBudget).
	MaxPagesPerWalk int
	// Sources names the sources Run collects; empty means DefaultSources().
	Sources []string
	Logger  *slog.Logger
	// Now is a test hook; default time.Now.
	Now func() time.Time
	// Series shapes what the sources' series become (serving.go); zero: all of them.
	Series SeriesOptions
	// Sink, when not nil, is given the series of each organization's source whenever they
	// change: the pre-rendered exposition (package metricstore). Register Health with the
	// registry then, not the Exporter, so that no family is served twice.
	Sink Sink
	// Budget, when not nil, tells the rate-limit budget the walks' ETA counts with.
	Budget func(resource string) githubapi.Budget
}

// Exporter collects the sources of every organization when Run is called and serves the
// result of the last collections to Prometheus. Collect never calls GitHub.
type Exporter struct {
	orgs    []string
	targets map[string]*Target
	sources []Source // collected by Run, the inventory first
	all     []Source // every registered source, for RunSource
	logger  *slog.Logger
	now     func() time.Time
	state   *store.File
	maxWait time.Duration

	// saves: what the state file holds (guarded by runMu; read by Collect under saveMu).
	saveMu       sync.Mutex
	saveFailures int
	lastSave     time.Time
	series       SeriesOptions
	sink         Sink
	walks        *progress

	mu    sync.Mutex // serialises writers of snap
	snap  atomic.Pointer[snapshot]
	ready atomic.Bool
	runMu sync.Mutex // one Run or RunSource at a time: sources of a Target never overlap
	// orgsMu guards orgs and targets, which SetOrgs changes between runs (orgs.go).
	orgsMu sync.RWMutex
	cfg    Config // what New was given, for the Targets SetOrgs adds
	// missedOn: the walks count the changes no webhook delivery announced (apply.go).
	missedOn bool
	ent      *enterpriseState // Config.Enterprise (enterprise.go)
}

// snapshot is immutable once stored: a writer copies it, changes the copy and swaps it in.
type snapshot struct {
	states map[stateKey]SourceStatus
}

type stateKey struct{ org, source string }

// SourceStatus is what the exporter knows about one source of one organization.
type SourceStatus struct {
	Org, Collector string
	Ran            bool // a collection has finished at least once
	Success        bool
	Available      bool
	LastSuccess    time.Time
	Duration       time.Duration
	Failures       int
	LastError      string
	// Trend is, for an alert family, its open alerts (of kept repositories) at each of
	// the TrendDays days before LastSuccess and at LastSuccess, oldest first,
	// reconstructed from the records.
	Trend         []float64
	SeriesDropped int                 // series left out by the last collection (SeriesOptions.MaxSeries)
	Walk          Walk                // the walk under way, if any
	metrics       []prometheus.Metric // from the last successful collection
}

// New checks cfg and returns an Exporter with an empty snapshot.
func New(cfg Config) (*Exporter, error) {
	if cfg.Client == nil && len(cfg.Clients) == 0 {
		return nil, errors.New("no GitHub client")
	}
	// No organization is fine: a shard may own none (--total-shards).
	e := &Exporter{orgs: cfg.Orgs, logger: cfg.Logger, now: cfg.Now, targets: map[string]*Target{}, all: registry,
		series: cfg.Series, sink: cfg.Sink, maxWait: cfg.MaxWait}
	if e.maxWait <= 0 {
		e.maxWait = DefaultMaxWait
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.walks = newProgress(e.now, cfg.Budget, e.logger)
	if cfg.SLA == nil {
		cfg.SLA = DefaultSLA
	}
	e.cfg = cfg
	for _, org := range cfg.Orgs {
		e.targets[org] = e.newTarget(org, cfg.Clients[org])
	}
	names := cfg.Sources
	if len(names) == 0 {
		names = DefaultSources()
	}
	for _, name := range names {
		if !slices.Contains(Sources(), name) {
			return nil, fmt.Errorf("unknown collector %q (known: %v)", name, Sources())
		}
	}
	for _, s := range registry {
		if slices.Contains(names, s.Name()) {
			e.sources = append(e.sources, s)
		}
	}
	// The inventory runs first: the other sources filter by it.
	slices.SortStableFunc(e.sources, func(a, b Source) int {
		return boolInt(b.Name() == inventorySource) - boolInt(a.Name() == inventorySource)
	})
	e.snap.Store(&snapshot{states: map[stateKey]SourceStatus{}})
	if cfg.StatePath != "" {
		e.state = &store.File{Path: cfg.StatePath, Version: stateVersion, Older: olderStateVersions}
		if err := e.load(); err != nil {
			e.logger.Error("not using the saved state", "err", redact.Error(err))
		} else {
			e.logger.Info("loaded the saved state", "path", e.state.Path)
		}
	}
	return e, nil
}

// Run collects the configured sources of every organization once, one after the other.
// Each result replaces that source's part of the snapshot as soon as it is in; a failed
// collection keeps the source's last good counts. A Run or RunSource already under way
// is waited for.
func (e *Exporter) Run(ctx context.Context) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.cfg.Enterprise != "" {
		e.runEnterprise(ctx)
	} else {
		e.eachSource(ctx)
	}
	if ctx.Err() != nil {
		return
	}
	e.ready.Store(true)
	if e.state != nil {
		e.saveState()
	}
}

// eachSource collects every source of every organization.
func (e *Exporter) eachSource(ctx context.Context) {
	e.eachClient(func(org string) {
		for _, src := range e.sources {
			if ctx.Err() != nil {
				return
			}
			e.collect(ctx, org, src)
		}
	})
}

// saveState saves the state file and keeps the figures of its health.
func (e *Exporter) saveState() {
	e.saveMu.Lock()
	last := e.lastSave
	e.saveMu.Unlock()
	now := e.now()
	err := e.saveHeld(now)
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	if err == nil {
		e.lastSave = now
		return
	}
	e.saveFailures++
	if last.IsZero() {
		e.logger.Error("saving the state failed; there is no saved state, so a restart would walk every listing in full", "path", e.state.Path, "err", redact.Error(err))
		return
	}
	e.logger.Error("saving the state failed; a restart would resume from the state saved earlier", "path", e.state.Path,
		"saved_at", last.UTC().Format(time.RFC3339), "err", redact.Error(err))
}

// RunSource collects one source, by name, for every organization: for a source on a
// schedule of its own. A Run or RunSource already under way is waited for, so the
// sources of an organization never run at once.
func (e *Exporter) RunSource(ctx context.Context, name string) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	for _, src := range e.all {
		if src.Name() != name {
			continue
		}
		for _, org := range e.orgs {
			if ctx.Err() != nil {
				return
			}
			e.collect(ctx, org, src)
		}
	}
}

func (e *Exporter) collect(ctx context.Context, org string, src Source) {
	start := e.now()
	t := e.targets[org]
	ctx = githubapi.WithMaxPages(githubapi.WithWaitBudget(ctx, e.maxWait), t.pageBudget(0))
	t.begin()
	defer e.settle(t)
	key := stateKey{org, src.Name()}
	metrics, err := src.Collect(e.walks.start(ctx, org, src.Name()), t)
	e.walks.finish(org, src.Name(), err == nil)
	if err != nil && ctx.Err() != nil {
		return // shutting down: not a failure of the source
	}
	st := e.snap.Load().states[key]
	st.Org, st.Collector, st.Ran = org, src.Name(), true
	st.Duration = e.now().Sub(start)
	log := e.logger.With("org", org, "collector", src.Name(), "duration", st.Duration.Round(time.Millisecond))
	switch {
	case err == nil:
		metrics, st.SeriesDropped = e.series.shape(metrics)
		st.Success, st.Available, st.LastSuccess, st.LastError, st.metrics = true, true, e.now(), "", metrics
		st.Trend = e.targets[org].trend(src.Name(), st.LastSuccess)
		log.Info("collection finished", "series", len(metrics))
		if st.SeriesDropped > 0 {
			log.Warn("series cap reached: series left out", "cap", e.series.MaxSeries, "dropped", st.SeriesDropped)
		}
	case githubapi.IsNotAvailable(err):
		st.Success, st.Available, st.LastError, st.metrics = false, false, redact.Error(err), nil
		log.Warn("source not available: not enabled for the organization or not permitted for the token", "err", st.LastError)
	default:
		st.Success, st.Available, st.LastError = false, true, redact.Error(err)
		st.Failures++
		log.Error("collection failed, keeping the last good counts", "err", st.LastError)
	}
	e.store(key, st)
	if st.Success || !st.Available {
		e.render(key, st.metrics)
	}
}

// render hands the series of an organization's source to the sink.
func (e *Exporter) render(key stateKey, metrics []prometheus.Metric) {
	if e.sink == nil {
		return
	}
	if err := e.sink.Update(key.org+"/"+key.source, metrics); err != nil {
		e.logger.Error("rendering the exposition failed; serving the previous one", "org", key.org, "collector", key.source, "err", err)
	}
}

func (e *Exporter) store(key stateKey, st SourceStatus) {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.snap.Load().states
	next := make(map[stateKey]SourceStatus, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[key] = st
	e.snap.Store(&snapshot{states: next})
}

// Ready reports whether the first collection of every source has finished.
func (e *Exporter) Ready() bool { return e.ready.Load() }

// Status returns what is known of each source of each organization, in configuration order.
func (e *Exporter) Status() []SourceStatus {
	e.orgsMu.RLock()
	defer e.orgsMu.RUnlock()
	states := e.snap.Load().states
	var out []SourceStatus
	for _, org := range e.orgs {
		for _, src := range e.all {
			st, ok := states[stateKey{org, src.Name()}]
			st.Walk = e.walks.walk(org, src.Name())
			if ok || st.Walk.Running {
				st.Org, st.Collector, st.metrics = org, src.Name(), nil
				out = append(out, st)
			}
		}
	}
	return out
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	seen := map[string]bool{}
	descs := make(chan *prometheus.Desc)
	go func() {
		for _, s := range e.all {
			s.Describe(descs)
		}
		close(descs)
	}()
	for d := range descs {
		if !seen[d.String()] {
			seen[d.String()] = true
			ch <- d
		}
	}
	health{e}.Describe(ch)
}

// Collect implements prometheus.Collector: it sends the current snapshot and nothing else.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	for _, st := range e.snap.Load().states {
		for _, m := range st.metrics {
			ch <- m
		}
	}
	health{e}.Collect(ch)
}

// Health returns the collector of the exporter's own health series alone (collections,
// series dropped, walks under way), for a registry whose alert-derived series come
// from the Sink.
func (e *Exporter) Health() prometheus.Collector { return health{e} }

type health struct{ e *Exporter }

func (h health) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{successDesc, lastSuccessDesc, durationDesc, availableDesc, failuresDesc, droppedDesc, missedDesc} {
		ch <- d
	}
	if h.e.state != nil {
		ch <- saveFailuresDesc
		ch <- lastSaveDesc
	}
	h.e.walks.Describe(ch)
}

func (h health) Collect(ch chan<- prometheus.Metric) {
	for _, st := range h.e.snap.Load().states {
		labels := []string{st.Org, st.Collector}
		ch <- prometheus.MustNewConstMetric(successDesc, prometheus.GaugeValue, boolValue(st.Success), labels...)
		ch <- prometheus.MustNewConstMetric(availableDesc, prometheus.GaugeValue, boolValue(st.Available), labels...)
		ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, st.Duration.Seconds(), labels...)
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(st.Failures), labels...)
		if !st.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, float64(st.LastSuccess.UnixNano())/1e9, labels...)
		}
		if h.e.series.MaxSeries > 0 {
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.GaugeValue, float64(st.SeriesDropped), labels...)
		}
	}
	if h.e.state != nil {
		h.e.saveMu.Lock()
		failures, last := h.e.saveFailures, h.e.lastSave
		h.e.saveMu.Unlock()
		ch <- prometheus.MustNewConstMetric(saveFailuresDesc, prometheus.CounterValue, float64(failures))
		if !last.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastSaveDesc, prometheus.GaugeValue, float64(last.UnixNano())/1e9)
		}
	}
	h.e.collectMissed(ch)
	h.e.walks.Collect(ch)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
