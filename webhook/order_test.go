package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// counts renders an exporter's count series of the given families, one line each.
func counts(t *testing.T, e *collector.Exporter, names ...string) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		if !slices.Contains(names, mf.GetName()) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out = append(out, fmt.Sprintf("%s{%s} %v", mf.GetName(), strings.Join(labels, ","), m.GetGauge().GetValue()))
		}
	}
	slices.Sort(out)
	return out
}

// TestOutOfOrderDeliveries delivers two rounds of changes a minute apart, the later round
// first, as GitHub may: Dependabot and secret scanning alerts carry updated_at, so an
// older delivery of an alert already known newer changes nothing, and the counts equal a
// fresh walk's.
func TestOutOfOrderDeliveries(t *testing.T) {
	const org = "order-org"
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sim := githubsim.New(githubsim.Config{Seed: 8, Now: clock, Orgs: []githubsim.OrgSpec{
		{Login: org, Repos: 6, Dependabot: 120, SecretScanning: 60},
	}})
	api := httptest.NewServer(sim)
	defer api.Close()
	exporter := func() *collector.Exporter {
		gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: api.URL, HTTPClient: &http.Client{
			Transport: githubapi.NewTransport(githubapi.TransportOptions{Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}, RequestsPerSecond: 10000}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		e, err := collector.New(collector.Config{Client: gh, Orgs: []string{org}, Sources: []string{"dependabot", "secret_scanning"}})
		if err != nil {
			t.Fatal(err)
		}
		e.Run(context.Background())
		return e
	}
	live := exporter()
	rc := New(Options{Secret: []byte(testSecret), Applier: live})
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	sim.DeliverWebhooks(hooks.URL+Path, []byte(testSecret))

	advance := func() { mu.Lock(); now = now.Add(time.Minute); mu.Unlock() }
	advance()
	sim.Step(40)
	first := sim.TakeWebhooks()
	advance()
	sim.Step(40)
	second := sim.TakeWebhooks()
	for _, d := range append(second, first...) {
		if status, err := sim.Send(d, githubsim.Intact); err != nil || status != http.StatusAccepted {
			t.Fatalf("delivery: %d %v", status, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rc.Run(ctx)
	merged := func() float64 {
		total := 0.0
		for _, ev := range []string{"dependabot_alert", "secret_scanning_alert"} {
			for _, result := range []string{"applied", "ignored"} {
				total += testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues(ev, result))
			}
		}
		return total
	}
	for deadline := time.Now().Add(time.Minute); merged() < float64(len(first)+len(second)) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d deliveries, %v of them ignored as older than the alert", len(first)+len(second),
		testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("dependabot_alert", "ignored"))+testutil.ToFloat64(rc.metrics.deliveries.WithLabelValues("secret_scanning_alert", "ignored")))

	names := []string{"github_dependabot_alerts", "github_secret_scanning_alerts"}
	got, want := counts(t, live, names...), counts(t, exporter(), names...)
	var differ []string
	for _, l := range got {
		if !slices.Contains(want, l) {
			differ = append(differ, "got  "+l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			differ = append(differ, "want "+l)
		}
	}
	if len(differ) > 0 {
		t.Errorf("after out-of-order deliveries the counts differ from a fresh walk:\n%s", strings.Join(differ, "\n"))
	}
}
