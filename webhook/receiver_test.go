package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

const testSecret = "It's a Secret to Everybody"

// simExporter returns the simulated GitHub of org and an exporter of its three alert
// families after one walk.
func simExporter(t testing.TB, org string) (*githubsim.Server, *collector.Exporter) {
	t.Helper()
	sim := githubsim.New(githubsim.Config{Seed: 3, Orgs: []githubsim.OrgSpec{
		{Login: org, Repos: 20, CodeScanning: 600, Dependabot: 800, SecretScanning: 100},
	}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{
		Transport: githubapi.NewTransport(githubapi.TransportOptions{
			Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}, RequestsPerSecond: 10000}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := collector.New(collector.Config{Client: gh, Orgs: []string{org}, Sources: []string{"code_scanning", "dependabot", "secret_scanning"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	return sim, e
}

// recorder is an Applier that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	changes []collector.Change
}

func (r *recorder) Apply(changes []collector.Change) []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, changes...)
	return make([]error, len(changes))
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

const fixedPayload = `{"action":"fixed","alert":{"number":2,"state":"fixed","updated_at":"2026-11-21T00:00:00Z"},` +
	`"repository":{"id":7,"name":"web","default_branch":"main","owner":{"login":"acme"}},"organization":{"login":"acme"}}`

func TestReceiver(t *testing.T) {
	valid := []byte(fixedPayload)
	form := []byte("payload=" + url.QueryEscape(fixedPayload))
	for _, tc := range []struct {
		name, method, contentType, event, delivery, signature string
		body                                                  []byte
		status                                                int
		result                                                string // "" for accepted
	}{
		{"not a POST", "GET", "application/json", "dependabot_alert", "d1", sign(testSecret, valid), valid, 405, "rejected"},
		{"plain text", "POST", "text/plain", "dependabot_alert", "d1", sign(testSecret, valid), valid, 415, "rejected"},
		{"unsigned", "POST", "application/json", "dependabot_alert", "d1", "", valid, 401, "rejected"},
		{"signed with another secret", "POST", "application/json", "dependabot_alert", "d1", sign("guess", valid), valid, 401, "rejected"},
		{"signature of another body", "POST", "application/json", "dependabot_alert", "d1", sign(testSecret, form), valid, 401, "rejected"},
		{"SHA-1 only", "POST", "application/json", "dependabot_alert", "d1", "sha1=0123", valid, 401, "rejected"},
		{"over 25 MB", "POST", "application/json", "dependabot_alert", "d1", "", append(bytes.Repeat([]byte(" "), MaxPayload), valid...), 413, "rejected"},
		{"no delivery id", "POST", "application/json", "dependabot_alert", "", sign(testSecret, valid), valid, 400, "rejected"},
		{"not JSON", "POST", "application/json", "dependabot_alert", "d1", sign(testSecret, []byte("{")), []byte("{"), 400, "rejected"},
		{"unknown event", "POST", "application/json", "star", "d1", sign(testSecret, valid), valid, 200, "ignored"},
		{"ping", "POST", "application/json", "ping", "d1", sign(testSecret, valid), valid, 200, "ignored"},
		{"accepted", "POST", "application/json", "dependabot_alert", "d1", sign(testSecret, valid), valid, 202, ""},
		{"form encoded", "POST", "application/x-www-form-urlencoded", "dependabot_alert", "d1", sign(testSecret, form), form, 202, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			rc := New(Options{Secret: []byte(testSecret), Applier: rec})
			req := httptest.NewRequest(tc.method, Path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("X-GitHub-Event", tc.event)
			req.Header.Set("X-GitHub-Delivery", tc.delivery)
			if tc.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tc.signature)
			}
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Errorf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tc.status)
			}
			queued := len(rc.queue)
			if (tc.result == "") != (queued == 1) {
				t.Errorf("%d deliveries queued", queued)
			}
			if tc.result != "" {
				if got := testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues(eventLabel(tc.event), tc.result)); got != 1 {
					t.Errorf("deliveries_total{result=%q} = %v, want 1", tc.result, got)
				}
			}
			if strings.Contains(w.Body.String(), testSecret) {
				t.Error("the answer holds the secret")
			}
		})
	}
}

// TestReceiverDropsDuplicates merges a delivery once however often it comes.
func TestReceiverDropsDuplicates(t *testing.T) {
	rec := &recorder{}
	rc := New(Options{Secret: []byte(testSecret), Applier: rec, Remember: 2})
	send := func(id string) int {
		req := httptest.NewRequest("POST", Path, strings.NewReader(fixedPayload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "dependabot_alert")
		req.Header.Set("X-GitHub-Delivery", id)
		req.Header.Set("X-Hub-Signature-256", sign(testSecret, []byte(fixedPayload)))
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		return w.Code
	}
	var got []int
	for _, id := range []string{"a", "a", "b", "a", "c", "a"} { // memory of 2: "a" is forgotten after "c"
		got = append(got, send(id))
	}
	if want := []int{202, 200, 202, 200, 202, 202}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if n := testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("dependabot_alert", "duplicate")); n != 2 {
		t.Errorf("duplicates counted: %v, want 2", n)
	}
}

// TestConcurrentDeliveries sends the deliveries of 200 changes at once to the receiver in
// front of a real exporter that keeps walking: every one must be answered within GitHub's
// ten seconds, and all must be merged. The latencies are logged (go test -v).
func TestConcurrentDeliveries(t *testing.T) {
	const org = "busy-org"
	sim, exp := simExporter(t, org)
	reg := prometheus.NewRegistry()
	rc := New(Options{Secret: []byte(testSecret), Applier: exp, Registerer: reg})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rc.Run(ctx)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	sim.DeliverWebhooks(srv.URL+Path, []byte(testSecret))
	sim.Step(200)
	deliveries := sim.TakeWebhooks()
	// A Dependabot alert that GitHub's preset rule dismisses at creation is two deliveries.
	if len(deliveries) < 200 {
		t.Fatalf("%d deliveries for 200 changes", len(deliveries))
	}
	n := len(deliveries)
	// Walks keep running meanwhile: deliveries that come during one are held, then merged.
	walks, stopWalks := context.WithCancel(context.Background())
	walking := make(chan struct{})
	go func() {
		defer close(walking)
		for walks.Err() == nil {
			exp.Run(walks)
		}
	}()
	latencies := make([]time.Duration, len(deliveries))
	var wg sync.WaitGroup
	for i, d := range deliveries {
		wg.Go(func() {
			start := time.Now()
			status, err := sim.Send(d, githubsim.Intact)
			latencies[i] = time.Since(start)
			if err != nil || status != http.StatusAccepted {
				t.Errorf("delivery %s: %d %v", d.ID, status, err)
			}
		})
	}
	wg.Wait()
	stopWalks()
	<-walking
	slices.Sort(latencies)
	t.Logf("%d concurrent deliveries: p50 %s, p99 %s, max %s", n, latencies[n/2], latencies[n*99/100], latencies[n-1])
	if latencies[199] > 10*time.Second {
		t.Errorf("slowest answer %s, beyond GitHub's 10 s budget", latencies[199])
	}
	merged := func() float64 {
		return testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("code_scanning_alert", "applied")) +
			testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("dependabot_alert", "applied")) +
			testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("secret_scanning_alert", "applied")) +
			testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("dependabot_alert", "ignored")) +
			testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("secret_scanning_alert", "ignored")) +
			testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("code_scanning_alert", "ignored"))
	}
	for deadline := time.Now().Add(time.Minute); merged() < float64(n) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := merged(); got != float64(n) {
		t.Errorf("%v of %d deliveries merged", got, n)
	}
}

// BenchmarkDelivery measures one signed delivery's answer and merge into an exporter of
// 1,500 alerts.
func BenchmarkDelivery(b *testing.B) {
	sim, exp := simExporter(b, "bench-org")
	rc := New(Options{Secret: []byte(testSecret), Applier: exp})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rc.Run(ctx)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	sim.DeliverWebhooks(srv.URL+Path, []byte(testSecret))
	sim.Step(b.N)
	deliveries := sim.TakeWebhooks()
	b.ResetTimer()
	for _, d := range deliveries {
		if status, err := sim.Send(d, githubsim.Intact); err != nil || status != http.StatusAccepted {
			b.Fatalf("%d %v", status, err)
		}
	}
}
