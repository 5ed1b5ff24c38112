package collector

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

var (
	pagesReadDesc = prometheus.NewDesc(
		"github_exporter_walk_pages_read",
		"Pages read so far by the walk of the source for the organization under way; 0 when none is.",
		[]string{"org", "collector"}, nil)
	pagesExpectedDesc = prometheus.NewDesc(
		"github_exporter_walk_pages_expected",
		"Pages the full walk of the source for the organization under way is expected to read, from the last full walk; absent when unknown.",
		[]string{"org", "collector"}, nil)
	etaDesc = prometheus.NewDesc(
		"github_exporter_walk_eta_seconds",
		"Estimated seconds until the full walk of the source for the organization under way ends, from the pages left, the pace so far and the rate-limit budget and reset; absent when unknown.",
		[]string{"org", "collector"}, nil)
)

// Walk is the progress of a source's walk.
type Walk struct {
	Running       bool
	Full          bool // a full walk: the pages of the last one are expected
	PagesRead     int
	PagesExpected int           // 0: unknown
	ETA           time.Duration // meaningful when PagesExpected > 0
	Started       time.Time
}

// progressLogEvery bounds the progress log lines of a long walk.
const progressLogEvery = time.Minute

// defaultWindow is the length of GitHub's primary rate-limit window.
const defaultWindow = time.Hour

// progress follows the walk of each organization's source: the pages it read, and the
// estimate of its end. Listings report their pages through the context (pageRead).
type progress struct {
	now    func() time.Time
	budget func(resource string) githubapi.Budget
	logger *slog.Logger

	mu     sync.Mutex
	walks  map[stateKey]*walkState
	window time.Duration // the rate-limit window, as last seen from a reset
}

type walkState struct {
	p                   *progress
	key                 stateKey
	running, full       bool
	read, expected      int
	started, last, logs time.Time
	paced               time.Duration // time between pages, rate-limit pauses left out
	pacedPages          int
	remaining           int // the budget's remaining requests at the last page
	charged             int // requests of the walk charged to the budget (a 304 is not)
}

func newProgress(now func() time.Time, budget func(string) githubapi.Budget, logger *slog.Logger) *progress {
	return &progress{now: now, budget: budget, logger: logger, walks: map[stateKey]*walkState{}, window: defaultWindow}
}

type progressKey struct{}

// start marks the walk of org's source as under way and returns the context its
// listing reports pages through.
func (p *progress) start(ctx context.Context, org, source string) context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := stateKey{org, source}
	w, ok := p.walks[key]
	if !ok {
		w = &walkState{p: p, key: key}
		p.walks[key] = w
	}
	now := p.now()
	w.running, w.full, w.read, w.started, w.last, w.logs = true, false, 0, now, now, now
	w.paced, w.pacedPages, w.remaining, w.charged = 0, 0, p.remaining(), 0
	return context.WithValue(ctx, progressKey{}, w)
}

// finish marks the walk as ended; a full walk that succeeded sets the pages expected of
// the next one.
func (p *progress) finish(org, source string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.walks[stateKey{org, source}]
	if w == nil {
		return
	}
	if ok && w.full && w.read > 0 {
		w.expected = w.read
	}
	w.running, w.read = false, 0
}

// fullWalk tells the progress of ctx's walk that it reads the whole listing.
func fullWalk(ctx context.Context) {
	if w, ok := ctx.Value(progressKey{}).(*walkState); ok {
		w.p.mu.Lock()
		w.full = true
		w.p.mu.Unlock()
	}
}

// pageRead counts a page (a 304 included) of ctx's walk.
func pageRead(ctx context.Context) {
	w, ok := ctx.Value(progressKey{}).(*walkState)
	if !ok {
		return
	}
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	w.read++
	b := p.budgetOf()
	remaining := b.Remaining
	if b.Known && remaining > w.remaining {
		// The budget was renewed since the last page: the time between the two is a
		// pause for the reset, not the pace, and the new window shows its length.
		if d := b.Reset.Sub(now); d > 0 {
			p.window = d
		}
		w.charged += b.Limit - remaining
	} else {
		w.paced += now.Sub(w.last)
		w.pacedPages++
		w.charged += w.remaining - remaining
	}
	w.last, w.remaining = now, remaining
	if now.Sub(w.started) >= progressLogEvery && now.Sub(w.logs) >= progressLogEvery {
		w.logs = now
		args := []any{"org", w.key.org, "collector", w.key.source, "pages_read", w.read}
		if w.full && w.expected > 0 {
			args = append(args, "pages_expected", w.expected, "eta", p.eta(w, now).Round(time.Second))
		}
		p.logger.Info("walk under way", args...)
	}
}

func (p *progress) budgetOf() githubapi.Budget {
	if p.budget == nil {
		return githubapi.Budget{}
	}
	return p.budget("core")
}

func (p *progress) remaining() int { return p.budgetOf().Remaining }

// eta estimates the time left of a full walk: the pages left at the pace so far, with a
// pause until the reset each time the rate-limit budget (above the reserve) runs out.
func (p *progress) eta(w *walkState, now time.Time) time.Duration {
	left := max(w.expected-w.read, 0)
	perPage := time.Duration(0)
	b := p.budgetOf()
	switch {
	case w.pacedPages > 0:
		perPage = w.paced / time.Duration(w.pacedPages)
	case b.RequestsPerSecond > 0:
		perPage = time.Duration(float64(time.Second) / b.RequestsPerSecond)
	}
	if !b.Known || b.Reserve < 0 || b.Limit <= b.Reserve {
		return time.Duration(left) * perPage
	}
	// The share of pages charged to the budget so far: a conditional walk of an unchanged
	// listing costs nothing.
	cost := 1.0
	if w.read > 0 {
		cost = float64(w.charged) / float64(w.read)
	}
	if cost <= 0 {
		return time.Duration(left) * perPage
	}
	pagesOf := func(requests int) int { return int(float64(requests) / cost) }
	var eta time.Duration
	usable, reset := pagesOf(max(b.Remaining-b.Reserve, 0)), b.Reset.Sub(now)
	for range 1000 { // windows; more would be months
		n := min(left, usable)
		eta += time.Duration(n) * perPage
		if left -= n; left == 0 {
			break
		}
		eta = max(eta, reset) + time.Second // the Transport's margin after the reset
		reset, usable = eta+p.window, max(pagesOf(b.Limit-b.Reserve), 1)
	}
	return eta
}

// walk returns the progress of org's source.
func (p *progress) walk(org, source string) Walk {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.walks[stateKey{org, source}]
	if w == nil {
		return Walk{}
	}
	out := Walk{Running: w.running, Full: w.full, PagesRead: w.read, Started: w.started}
	if w.running && w.full && w.expected > 0 {
		out.PagesExpected, out.ETA = w.expected, p.eta(w, p.now())
	}
	return out
}

func (p *progress) Describe(ch chan<- *prometheus.Desc) {
	ch <- pagesReadDesc
	ch <- pagesExpectedDesc
	ch <- etaDesc
}

func (p *progress) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	keys := make([]stateKey, 0, len(p.walks))
	for k := range p.walks {
		keys = append(keys, k)
	}
	p.mu.Unlock()
	for _, k := range keys {
		w := p.walk(k.org, k.source)
		ch <- prometheus.MustNewConstMetric(pagesReadDesc, prometheus.GaugeValue, float64(w.PagesRead), k.org, k.source)
		if w.PagesExpected > 0 {
			ch <- prometheus.MustNewConstMetric(pagesExpectedDesc, prometheus.GaugeValue, float64(w.PagesExpected), k.org, k.source)
			ch <- prometheus.MustNewConstMetric(etaDesc, prometheus.GaugeValue, math.Round(w.ETA.Seconds()), k.org, k.source)
		}
	}
}
