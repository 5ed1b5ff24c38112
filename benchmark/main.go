// Command benchmark measures what a collection and its scrapes cost at scale. It runs
// the collector against the simulated GitHub and reports, per scale:
//
//   - requests and wall time of a first full walk, of a run with nothing changed, of an
//     incremental run after 1% of the alerts changed and of the first run after a restart;
//   - /metrics latency (p50, p99, max) during the first walk with 4 and with 16
//     concurrent scrapers, for client_golang's registry path (promhttp over the
//     Exporter as a prometheus.Collector) and for the pre-rendered path (metricstore),
//     taking turns every second so that both see the same walk;
//   - series served, bytes served, gzip ratio, and the time to render a snapshot;
//   - the heap: the peak during a first walk (scraped by 4 pre-rendered scrapers, as in
//     production) and the steady heap after it, both in use and live (marked by the GC).
//
// The second scale (-big-alerts, default 1,000,000) runs with no simulated latency: it
// measures CPU and memory.
//
// With -estimate it only counts the series of 1,000 repositories and 10,000 alerts with
// each series option (the README's sizing table).
//
//	go run ./benchmark [-repos 2000] [-alerts 300000] [-latency 50ms] [-big-repos 10000] [-big-alerts 1000000]
//	go run ./benchmark -appauth [-repos 300] [-alerts 30000]   (App vs token authentication, appauth.go)
//	go run ./benchmark -scale none [-enterprise-orgs 50] [-enterprise-alerts 600]   (per-organization vs enterprise listings)
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
	"github.com/github-security-exporter/github-security-exporter/metricstore"
)

const org = "bench-org"

var families = []string{"code_scanning", "dependabot", "secret_scanning"}

// scale is one simulated organization the benchmark runs against.
type scale struct {
	repos, alerts int
	latency       time.Duration
	// big runs one first walk, scraped in turns, and samples the heap it retains there,
	// rather than a walk of its own for memory and the runs after the first walk.
	big bool
}

func main() {
	repos := flag.Int("repos", 2000, "repositories in the simulated organization")
	alerts := flag.Int("alerts", 300_000, "alerts across the three families (1/3 code scanning, 1/2 Dependabot, 1/6 secret scanning)")
	latency := flag.Duration("latency", 50*time.Millisecond, "simulated GitHub's latency per request")
	bigRepos := flag.Int("big-repos", 10_000, "repositories at the second scale; 0: no second scale")
	bigAlerts := flag.Int("big-alerts", 1_000_000, "alerts at the second scale, walked with no latency")
	only := flag.String("scale", "both", "which scales to run: both, first, second (to run them in two processes) or none")
	sizing := flag.Bool("estimate", false, "only count the series of 1,000 repositories and 10,000 alerts with each series option")
	appAuth := flag.Bool("appauth", false, "instead: the requests counted in a simulated day of runs with token and with GitHub App authentication (appauth.go)")
	entOrgs := flag.Int("enterprise-orgs", 50, "organizations of the enterprise compared, per organization and through the enterprise listings; 0: no comparison")
	entAlerts := flag.Int("enterprise-alerts", 600, "alerts per organization of the enterprise compared")
	flag.Parse()
	if *appAuth {
		if err := runAppAuth(*repos, *alerts); err != nil {
			fmt.Fprintln(os.Stderr, "benchmark:", err)
			os.Exit(1)
		}
		return
	}
	if *sizing {
		if err := estimate(); err != nil {
			fmt.Fprintln(os.Stderr, "benchmark:", err)
			os.Exit(1)
		}
		return
	}
	var scales []scale
	if *only == "both" || *only == "first" {
		scales = append(scales, scale{*repos, *alerts, *latency, false})
	}
	if *bigRepos > 0 && (*only == "both" || *only == "second") {
		scales = append(scales, scale{*bigRepos, *bigAlerts, 0, true})
	}
	for _, s := range scales {
		if err := run(s); err != nil {
			fmt.Fprintln(os.Stderr, "benchmark:", err)
			os.Exit(1)
		}
	}
	if *entOrgs > 0 {
		if err := compareEnterprise(*entOrgs, *entAlerts, *latency); err != nil {
			fmt.Fprintln(os.Stderr, "benchmark:", err)
			os.Exit(1)
		}
	}
}

func (s scale) sim(latency time.Duration) *githubsim.Server {
	return githubsim.New(githubsim.Config{Seed: 1, Latency: latency, RateLimit: 100_000_000, Orgs: []githubsim.OrgSpec{{
		Login: org, Repos: s.repos, CodeScanning: s.alerts / 3, Dependabot: s.alerts / 2, SecretScanning: s.alerts - s.alerts/3 - s.alerts/2,
	}}})
}

func run(s scale) error {
	sim := s.sim(s.latency)
	api := httptest.NewServer(sim)
	defer api.Close()
	total := len(sim.CodeScanningAlerts(org)) + len(sim.DependabotAlerts(org)) + len(sim.SecretScanningAlerts(org))
	fmt.Printf("## %d repositories, %d alerts (%d code scanning, %d Dependabot, %d secret scanning), %s per request\n\n",
		s.repos, total, len(sim.CodeScanningAlerts(org)), len(sim.DependabotAlerts(org)), len(sim.SecretScanningAlerts(org)), s.latency)

	dir, err := os.MkdirTemp("", "benchmark")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "state")

	// Memory first, on an exporter of its own (and a simulator without latency): a first
	// walk scraped as in production.
	var mem heap
	if !s.big {
		fast := httptest.NewServer(s.sim(0))
		mem, err = memory(fast.URL)
		fast.Close()
		if err != nil {
			return err
		}
	}

	x, err := newExporter(api.URL, state)
	if err != nil {
		return err
	}
	turns := scrapeInTurns(x, []int{4, 16})
	inUsePeak := sampleInUse()
	var retained func() heap
	if s.big {
		runtime.GC()
		retained = sampleRetained(heapLive(), 2*time.Second)
	}
	r := measure(sim, func() { x.e.Run(context.Background()) })
	latencies := turns()
	inUse := inUsePeak()
	if s.big {
		mem = retained()
	}
	r.name, r.note = "first full walk", fmt.Sprintf("pages: %d", pagesOf(sim))
	rows := []row{r}
	if s.big {
		return report(s, total, rows, x, latencies, mem, inUse)
	}

	r = measure(sim, func() { x.e.Run(context.Background()) })
	r.name = "nothing changed"
	rows = append(rows, r)
	sim.Step(total / 100)
	r = measure(sim, func() { x.e.Run(context.Background()) })
	r.name, r.note = "1% of alerts changed", fmt.Sprintf("%d changes: at least %d pages must be read", total/100, (total/100+99)/100)
	rows = append(rows, r)
	start := time.Now()
	y, err := newExporter(api.URL, state)
	if err != nil {
		return err
	}
	load := time.Since(start)
	r = measure(sim, func() { y.e.Run(context.Background()) })
	r.name, r.note = "first run after a restart", fmt.Sprintf("state loaded in %s", load.Round(time.Millisecond))
	rows = append(rows, r)
	return report(s, total, rows, y, latencies, mem, inUse)
}

func report(s scale, total int, rows []row, y *instance, latencies []*latency, mem heap, inUse uint64) error {
	fmt.Println("| run | requests counted | 304 (not counted) | wall time | note |")
	fmt.Println("|---|---:|---:|---:|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %d | %d | %s | %s |\n", r.name, r.counted, r.notModified, r.wall.Round(100*time.Millisecond), r.note)
	}
	fmt.Println()
	size := served(y)
	fmt.Printf("served: %d series (%d pre-rendered), %s as text, %s gzip-compressed (ratio %.1f), a snapshot rendered in %s\n\n",
		size.series, size.stored, mib(uint64(size.text)), mib(uint64(size.gzip)), float64(size.text)/float64(size.gzip), size.render.Round(time.Millisecond))

	fmt.Println("| /metrics during the first walk | scrapers | scrapes | p50 | p99 | max |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, l := range latencies {
		fmt.Printf("| %s | %d | %d | %s | %s | %s |\n", l.path, l.scrapers, len(l.d), percentile(l.d, 50), percentile(l.d, 99), percentile(l.d, 100))
	}
	fmt.Println()
	how := "a first walk on an exporter of its own, 4 pre-rendered scrapers"
	if s.big {
		how = "the first walk above, a forced collection every 2 s"
	}
	fmt.Printf("memory (%s): heap retained at its peak %s, steady %s (×%.2f), %d bytes per alert; heap in use at its peak during the first walk above (GOGC=100, no memory limit, both paths scraped) %s\n\n",
		how, mib(mem.peak), mib(mem.steady), float64(mem.peak)/float64(mem.steady), mem.steady/uint64(total), mib(inUse))
	return nil
}

type row struct {
	name                 string
	counted, notModified int
	wall                 time.Duration
	note                 string
}

// instance is an exporter with both ways of serving its snapshot.
type instance struct {
	e        *collector.Exporter
	store    *metricstore.Store
	legacy   http.Handler // client_golang: the Exporter as a Collector, gathered per scrape
	rendered http.Handler // metricstore: the registry's small families, then the bytes
}

func newExporter(apiURL, state string) (*instance, error) {
	api := prometheus.NewRegistry()
	transport := githubapi.NewTransport(githubapi.TransportOptions{
		Base:              &githubapi.TokenTransport{Token: "benchmark", Base: http.DefaultTransport},
		RequestsPerSecond: 100_000, // the simulated latency, not pacing, bounds the pace
		Metrics:           githubapi.NewMetrics(api),
	})
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: apiURL, HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		return nil, err
	}
	store := metricstore.New()
	e, err := collector.New(collector.Config{Client: gh, Orgs: []string{org}, Sources: families, StatePath: state, Sink: store,
		Budget: transport.Budget, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, err
	}
	legacy, health := prometheus.NewRegistry(), prometheus.NewRegistry()
	legacy.MustRegister(e)
	health.MustRegister(e.Health())
	return &instance{e: e, store: store,
		legacy:   promhttp.HandlerFor(prometheus.Gatherers{legacy, api}, promhttp.HandlerOpts{}),
		rendered: metricstore.Handler(store, prometheus.Gatherers{health, api}, metricstore.HandlerOpts{}),
	}, nil
}

// measure runs f and returns the requests it caused that count against the rate limit,
// the 304s, and its wall time.
func measure(sim *githubsim.Server, f func()) row {
	before := sim.Stats()
	start := time.Now()
	f()
	wall := time.Since(start)
	after := sim.Stats()
	notModified := after.ByStatus[http.StatusNotModified] - before.ByStatus[http.StatusNotModified]
	return row{counted: after.Requests - before.Requests - notModified, notModified: notModified, wall: wall}
}

func pagesOf(sim *githubsim.Server) int {
	return (len(sim.CodeScanningAlerts(org))+99)/100 + (len(sim.DependabotAlerts(org))+99)/100 + (len(sim.SecretScanningAlerts(org))+99)/100
}

type latency struct {
	path     string
	scrapers int
	d        []time.Duration
}

// scrapeInTurns scrapes /metrics until the returned function is called, which returns
// the latencies. The paths and scraper counts take turns two seconds each, so that every
// one sees the same stretch of the walk; each scraper asks for gzip, as Prometheus does.
func scrapeInTurns(x *instance, counts []int) func() []*latency {
	var turns []*latency
	for _, n := range counts {
		turns = append(turns, &latency{path: "client_golang registry", scrapers: n}, &latency{path: "pre-rendered", scrapers: n})
	}
	servers := map[string]*httptest.Server{
		"client_golang registry": httptest.NewServer(x.legacy), "pre-rendered": httptest.NewServer(x.rendered),
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			t := turns[i%len(turns)]
			t.d = append(t.d, scrapeFor(servers[t.path].URL, t.scrapers, 2*time.Second)...)
		}
	}()
	return func() []*latency {
		stop.Store(true)
		<-done
		for _, s := range servers {
			s.Close()
		}
		return turns
	}
}

// scrapeFor runs n scrapers for d, each scraping every 250 ms (far more often than any
// Prometheus), and returns their latencies.
func scrapeFor(url string, n int, d time.Duration) []time.Duration {
	var (
		mu  sync.Mutex
		lat []time.Duration
		wg  sync.WaitGroup
	)
	end := time.Now().Add(d)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: n}}
	for range n {
		wg.Go(func() {
			for time.Now().Before(end) {
				start := time.Now()
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
				time.Sleep(250 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	client.CloseIdleConnections()
	return lat
}

type size struct {
	series, stored int
	text, gzip     int
	render         time.Duration
}

// served scrapes the pre-rendered path once, plain and gzip, and renders one part again.
func served(x *instance) size {
	plain := get(x.rendered, false)
	zipped := get(x.rendered, true)
	var s size
	s.text, s.gzip = len(plain), len(zipped)
	s.series = bytes.Count(plain, []byte("\n")) - 2*bytes.Count(plain, []byte("\n# TYPE "))
	s.stored = x.store.Current().Series
	ch := make(chan prometheus.Metric)
	go func() { x.e.Collect(ch); close(ch) }()
	var all []prometheus.Metric
	for m := range ch {
		all = append(all, m)
	}
	start := time.Now()
	_ = metricstore.New().Update("all", all)
	s.render = time.Since(start)
	return s
}

func get(h http.Handler, compressed bool) []byte {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if compressed {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

type heap struct{ peak, steady uint64 }

// memory runs a first walk on a fresh exporter, scraped by 4 pre-rendered scrapers 4 times a second, and
// samples the heap it retains: a forced collection every 2 s, then the heap allocated,
// which is what must fit in the container (the GC reclaims the rest when GOMEMLIMIT
// says so). The steady heap is sampled the same way after the walk.
func memory(apiURL string) (heap, error) {
	x, err := newExporter(apiURL, "")
	if err != nil {
		return heap{}, err
	}
	runtime.GC()
	baseline := heapLive()
	srv := httptest.NewServer(x.rendered)
	defer srv.Close()
	var stop atomic.Bool
	peak := sampleRetained(baseline, 2*time.Second)
	scrapes := make(chan struct{})
	go func() {
		defer close(scrapes)
		for !stop.Load() {
			scrapeFor(srv.URL, 4, time.Second)
		}
	}()
	x.e.Run(context.Background())
	stop.Store(true)
	<-scrapes
	h := peak()
	runtime.KeepAlive(x)
	return h, nil
}

// sampleRetained forces a collection every interval and keeps the largest heap
// allocated after one, until the returned function is called, which also measures the
// steady heap; both above baseline.
func sampleRetained(baseline uint64, interval time.Duration) func() heap {
	var (
		stop atomic.Bool
		h    heap
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			runtime.GC()
			h.peak = max(h.peak, heapLive())
			time.Sleep(interval)
		}
	}()
	return func() heap {
		stop.Store(true)
		<-done
		runtime.GC()
		h.steady = heapLive() - min(baseline, heapLive())
		h.peak -= min(baseline, h.peak)
		h.peak = max(h.peak, h.steady)
		return h
	}
}

// sampleInUse samples the heap objects' bytes (live and not yet swept) until the
// returned function is called, which returns the peak.
func sampleInUse() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(samples)
			peak.Store(max(peak.Load(), samples[0].Value.Uint64()))
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); return peak.Load() }
}

func heapLive() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)].Round(10 * time.Microsecond)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
