package metricstore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
	"github.com/github-security-exporter/github-security-exporter/metricstore"
)

var simNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// collected runs every default source of two simulated organizations once, with the
// exporter filling store, and returns the exporter and its API metrics' registry.
func collected(t *testing.T, store *metricstore.Store) (*collector.Exporter, *prometheus.Registry) {
	t.Helper()
	sim := githubsim.New(githubsim.Config{Seed: 5, Now: func() time.Time { return simNow }, Orgs: []githubsim.OrgSpec{
		{Login: "acme", Repos: 30, CodeScanning: 900, Dependabot: 1200, SecretScanning: 150},
		{Login: "beta", Repos: 8, CodeScanning: 100, Dependabot: 90, SecretScanning: 20},
	}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	metrics := githubapi.NewMetrics(reg)
	hc := &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{
		Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}, RequestsPerSecond: 1000, Metrics: metrics,
	})}
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL + "/", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	gql, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: srv.URL + "/graphql", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	e, err := collector.New(collector.Config{Client: gh, GraphQL: gql, Metrics: metrics, Orgs: []string{"acme", "beta"},
		Now: func() time.Time { return simNow }, Sink: store})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	for _, st := range e.Status() {
		if !st.Success {
			t.Fatalf("%s of %s failed: %s", st.Collector, st.Org, st.LastError)
		}
	}
	return e, reg
}

func get(t *testing.T, h http.Handler, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header = header
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return lines
}

// TestServesWhatTheRegistryServes compares the pre-rendered exposition with what
// client_golang's registry serves for the same snapshot: the same lines, every header
// once, gzip when asked, and promtool finds nothing to say.
func TestServesWhatTheRegistryServes(t *testing.T) {
	store := metricstore.New()
	e, api := collected(t, store)

	legacy := prometheus.NewRegistry()
	legacy.MustRegister(e)
	want := body(t, get(t, promhttp.HandlerFor(prometheus.Gatherers{legacy, api}, promhttp.HandlerOpts{}), http.Header{}))

	health := prometheus.NewRegistry()
	health.MustRegister(e.Health())
	h := metricstore.Handler(store, prometheus.Gatherers{health, api}, metricstore.HandlerOpts{})
	resp := get(t, h, http.Header{})
	got := body(t, resp)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q, want the text format 0.0.4", ct)
	}
	if !slices.Equal(sortedLines(got), sortedLines(want)) {
		t.Errorf("the pre-rendered exposition differs from the registry's (%d lines, want %d)", len(sortedLines(got)), len(sortedLines(want)))
	}
	if n := strings.Count(want, "\ngithub_dependabot_alerts{"); n < 100 {
		t.Fatalf("only %d dependabot series: the comparison says little", n)
	}
	headers := map[string]int{}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			headers[line]++
		}
	}
	for line, n := range headers {
		if n != 1 {
			t.Errorf("%q served %d times", line, n)
		}
	}

	zipped := get(t, h, http.Header{"Accept-Encoding": {"gzip"}})
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("asked for gzip, got Content-Encoding %q", zipped.Header.Get("Content-Encoding"))
	}
	if unzipped := body(t, zipped); unzipped != got {
		t.Errorf("the gzip body differs from the plain one")
	}
	// Prometheus asks for protobuf or OpenMetrics first: it gets the text format, and
	// the Content-Type says so.
	om := get(t, h, http.Header{"Accept": {"application/openmetrics-text;version=1.0.0,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5"}})
	if ct := om.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q for an OpenMetrics scraper, want the text format it falls back to", ct)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("no promtool in PATH (%v): install Debian package prometheus", err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(got)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestPartsJoinUnderOneHeader checks that two parts of one family share a header, that a
// removed part is gone, and that a gathered family the store also has is served once.
func TestPartsJoinUnderOneHeader(t *testing.T) {
	desc := prometheus.NewDesc("github_things", "Things.", []string{"org"}, nil)
	store := metricstore.New()
	for _, org := range []string{"b", "a"} {
		if err := store.Update(org, []prometheus.Metric{prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, org)}); err != nil {
			t.Fatal(err)
		}
	}
	want := "# HELP github_things Things.\n# TYPE github_things gauge\ngithub_things{org=\"a\"} 1\ngithub_things{org=\"b\"} 1\n"
	if got := string(store.Current().Text); got != want {
		t.Errorf("two parts:\n%s\nwant\n%s", got, want)
	}
	other := prometheus.NewDesc("github_things", "Other help.", []string{"org"}, nil)
	if err := store.Update("c", []prometheus.Metric{prometheus.MustNewConstMetric(other, prometheus.GaugeValue, 1, "c")}); err == nil {
		t.Error("a part with another HELP for the family was accepted")
	}
	if err := store.Update("b", nil); err != nil {
		t.Fatal(err)
	}
	if got := string(store.Current().Text); strings.Contains(got, `org="b"`) || !strings.Contains(got, `org="a"`) {
		t.Errorf("after removing part b:\n%s", got)
	}

	dup := prometheus.NewRegistry()
	dup.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "github_things", Help: "Things."}, func() float64 { return 2 }))
	served := body(t, get(t, metricstore.Handler(store, dup, metricstore.HandlerOpts{}), http.Header{}))
	if n := strings.Count(served, "# TYPE github_things "); n != 1 {
		t.Errorf("github_things declared %d times:\n%s", n, served)
	}
}

// TestMaxRequestsInFlight holds scrapes in the gatherer and checks that the one beyond
// the bound is answered 503 at once.
func TestMaxRequestsInFlight(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(2)
	slow := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		entered.Done()
		<-release
		return nil, nil
	})
	h := metricstore.Handler(metricstore.New(), slow, metricstore.HandlerOpts{MaxRequestsInFlight: 2})
	codes := make(chan int, 2)
	for range 2 {
		go func() { codes <- get(t, h, http.Header{}).StatusCode }()
	}
	entered.Wait()
	if code := get(t, h, http.Header{}).StatusCode; code != http.StatusServiceUnavailable {
		t.Errorf("third concurrent scrape: %d, want 503", code)
	}
	close(release)
	for range 2 {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("scrape within the bound: %d", code)
		}
	}
}
