// Command benchmark measures what a collection costs at scale: it runs the collector
// against the simulated GitHub (2,000 repositories, 300,000 alerts, 50 ms per request)
// and reports requests and wall time of a first full walk, of an incremental run after 1%
// of the alerts changed, of a run with nothing changed and of the first run after a
// restart; peak heap and bytes per tracked alert; /metrics latency under concurrent
// scrapes while a collection runs; and the cost of walking an enterprise's organizations
// one by one against the enterprise-wide listings.
//
//	go run ./benchmark [-repos 2000] [-alerts 300000] [-latency 50ms] [-enterprise-orgs 50] [-enterprise-alerts 600]
//	go run ./benchmark -appauth [-repos 300] [-alerts 30000]
package main

import (
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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

const org = "bench-org"

var families = []string{"code_scanning", "dependabot", "secret_scanning"}

func main() {
	repos := flag.Int("repos", 2000, "repositories in the simulated organization")
	alerts := flag.Int("alerts", 300_000, "alerts across the three families (1/3 code scanning, 1/2 Dependabot, 1/6 secret scanning)")
	latency := flag.Duration("latency", 50*time.Millisecond, "simulated GitHub's latency per request")
	scrapers := flag.Int("scrapers", 4, "concurrent /metrics scrapers during the first full walk")
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
	err := run(*repos, *alerts, *latency, *scrapers)
	if err == nil && *entOrgs > 0 {
		err = compareEnterprise(*entOrgs, *entAlerts, *latency)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchmark:", err)
		os.Exit(1)
	}
}

func run(repos, alerts int, latency time.Duration, scrapers int) error {
	sim := githubsim.New(githubsim.Config{Seed: 1, Latency: latency, RateLimit: 1_000_000, Orgs: []githubsim.OrgSpec{{
		Login: org, Repos: repos, CodeScanning: alerts / 3, Dependabot: alerts / 2, SecretScanning: alerts - alerts/3 - alerts/2,
	}}})
	api := httptest.NewServer(sim)
	defer api.Close()
	total := len(sim.CodeScanningAlerts(org)) + len(sim.DependabotAlerts(org)) + len(sim.SecretScanningAlerts(org))
	fmt.Printf("simulated organization: %d repositories, %d alerts (%d code scanning, %d Dependabot, %d secret scanning), %s per request\n\n",
		repos, total, len(sim.CodeScanningAlerts(org)), len(sim.DependabotAlerts(org)), len(sim.SecretScanningAlerts(org)), latency)

	dir, err := os.MkdirTemp("", "benchmark")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "state")

	baseline := heapAfterGC()
	e, reg, err := newExporter(api.URL, state)
	if err != nil {
		return err
	}
	rows := []row{}

	// First full walk, scraped concurrently all along.
	peak := sampleHeap()
	scrapes := scrapeWhile(reg, scrapers)
	r := measure(sim, func() { e.Run(context.Background()) })
	latencies := scrapes()
	r.name, r.note = "first full walk", fmt.Sprintf("pages: %d", pagesOf(sim))
	rows = append(rows, r)
	peakHeap := peak() - baseline
	tracked := heapAfterGC() - baseline

	r = measure(sim, func() { e.Run(context.Background()) })
	r.name = "nothing changed"
	rows = append(rows, r)

	sim.Step(total / 100)
	r = measure(sim, func() { e.Run(context.Background()) })
	r.name, r.note = "1% of alerts changed", fmt.Sprintf("%d changes: at least %d pages must be read", total/100, (total/100+99)/100)
	rows = append(rows, r)

	// A restart: a new exporter on the same state file.
	start := time.Now()
	e, _, err = newExporter(api.URL, state)
	if err != nil {
		return err
	}
	load := time.Since(start)
	r = measure(sim, func() { e.Run(context.Background()) })
	r.name, r.note = "first run after a restart", fmt.Sprintf("state loaded in %s", load.Round(time.Millisecond))
	rows = append(rows, r)

	fmt.Println("| run | requests counted | 304 (not counted) | wall time | note |")
	fmt.Println("|---|---:|---:|---:|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %d | %d | %s | %s |\n", r.name, r.counted, r.notModified, r.wall.Round(100*time.Millisecond), r.note)
	}
	fmt.Printf("\nmemory: peak heap during the first walk %s above the baseline; %s held for %d tracked alerts: %d bytes per alert\n",
		mib(peakHeap), mib(tracked), total, tracked/uint64(total))
	fmt.Printf("/metrics under %d concurrent scrapers during the first walk: %d scrapes, p50 %s, p99 %s\n",
		scrapers, len(latencies), percentile(latencies, 50), percentile(latencies, 99))
	return nil
}

type row struct {
	name                 string
	counted, notModified int
	wall                 time.Duration
	note                 string
}

func newExporter(apiURL, state string) (*collector.Exporter, *prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	transport := githubapi.NewTransport(githubapi.TransportOptions{
		Base:              &githubapi.TokenTransport{Token: "benchmark", Base: http.DefaultTransport},
		RequestsPerSecond: 1000, // the simulated latency, not pacing, bounds the pace
		Metrics:           githubapi.NewMetrics(reg),
	})
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: apiURL, HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		return nil, nil, err
	}
	e, err := collector.New(collector.Config{Client: gh, Orgs: []string{org}, Sources: families, StatePath: state,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, nil, err
	}
	reg.MustRegister(e)
	return e, reg, nil
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

// scrapeWhile scrapes /metrics with n goroutines until the returned function is called,
// which returns every scrape's latency.
func scrapeWhile(reg *prometheus.Registry, n int) func() []time.Duration {
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	var (
		stop atomic.Bool
		mu   sync.Mutex
		lat  []time.Duration
		wg   sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for !stop.Load() {
				start := time.Now()
				resp, err := http.Get(srv.URL)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
				time.Sleep(250 * time.Millisecond) // far more often than any Prometheus scrapes
			}
		})
	}
	return func() []time.Duration {
		stop.Store(true)
		wg.Wait()
		srv.Close()
		return lat
	}
}

// sampleHeap samples the heap in use until the returned function is called, which
// returns the peak.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); return peak.Load() }
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
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
