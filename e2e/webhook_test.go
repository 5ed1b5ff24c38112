package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// webhookTruth is what /metrics must say of org: every alert count, explicit zero,
// oldest open alert and inventory series, from the simulator's ground truth.
func webhookTruth(sim *githubsim.Server, org string) map[string]float64 {
	all := func(githubsim.Repository) bool { return true }
	want := expected(sim, org)
	for _, m := range []map[string]float64{expectedZeros(sim, org, all), expectedInventory(sim, org, all), expectedOldest(sim, org)} {
		for k, v := range m {
			want[k] = v
		}
	}
	return want
}

var webhookFamilies = []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts",
	"github_repository_info", "github_alerts_oldest_open_timestamp_seconds"}

func webhookSeries(series map[string]float64, org string) map[string]float64 {
	got := map[string]float64{}
	for _, name := range webhookFamilies {
		for k, v := range ofOrg(family(series, name), org) {
			got[k] = v
		}
	}
	return got
}

func sumOf(series map[string]float64, name string, labels map[string]string) float64 {
	total := 0.0
	for k, v := range family(series, name) {
		ok := true
		for l, want := range labels {
			ok = ok && strings.Contains(k, l+"=\""+want+"\"")
		}
		if ok {
			total += v
		}
	}
	return total
}

// TestWebhooksApplyWithoutRequests runs the exporter with the webhook receiver on. After
// the first walk the simulated GitHub changes alerts of every family, deletes a repository
// and renames another, and delivers the signed webhooks: /metrics must then equal the
// ground truth (measured: how long after the deliveries) with no request made to GitHub.
// Forged, unsigned, oversized and plain-text deliveries are refused and change nothing, a
// replayed one is a duplicate, and changes whose deliveries GitHub never made are found by
// the next walk and counted as missed. The secret never shows in logs or metrics.
func TestWebhooksApplyWithoutRequests(t *testing.T) {
	const org = "hook-org"
	sim := githubsim.New(githubsim.Config{Seed: 31, Orgs: []githubsim.OrgSpec{
		{Login: org, Repos: 14, CodeScanning: 400, Dependabot: 500, SecretScanning: 80},
	}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	const secret = "whsec-e2e-ThisWebhookSecretMustNeverLeak"
	secretFile := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+org, "--github.api-url="+srv.URL+"/",
		"--collector.schedule=@every 30s", "--github.requests-per-second=200",
		"--webhook.secret-file="+secretFile, "--log.level=debug",
	)
	e.waitReady(t, 2*time.Minute)
	sim.DeliverWebhooks("http://"+e.addr+"/webhook/github", []byte(secret))

	// Changes of every family, a deletion and a rename, announced by deliveries.
	before := sim.Stats().Requests
	sim.Step(60)
	repos := sim.Repos(org)
	if !sim.DeleteRepository(org, repos[0]) || !sim.RenameRepository(org, repos[1], repos[1]+"-renamed") {
		t.Fatal("the simulator did not delete and rename")
	}
	sent := time.Now()
	deliveries, err := sim.FlushWebhooks()
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]int{}
	for _, d := range deliveries {
		events[d.Event]++
		if d.Status != http.StatusAccepted {
			t.Errorf("delivery %s (%s) answered %d, want 202", d.ID, d.Event, d.Status)
		}
	}
	t.Logf("%d deliveries: %v", len(deliveries), events)
	for _, ev := range []string{"code_scanning_alert", "dependabot_alert", "secret_scanning_alert", "repository"} {
		if events[ev] == 0 {
			t.Errorf("no %s delivery among the changes", ev)
		}
	}
	want := webhookTruth(sim, org)
	var last []string
	defer func() {
		if len(last) > 0 {
			t.Logf("last differences:\n%s", strings.Join(last, "\n"))
		}
	}()
	e.waitFor(t, 10*time.Second, "metrics equal to the ground truth after the deliveries", func(s map[string]float64) bool {
		last = diff(want, webhookSeries(s, org), 10)
		return len(last) == 0
	})
	t.Logf("metrics equal to the ground truth %s after the deliveries were sent", time.Since(sent).Round(time.Millisecond))
	if n := sim.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests to GitHub between the changes and the metrics catching up, want 0", n)
	}

	// Refused deliveries change nothing; the intact one then does; its replay does not.
	sim.Step(1)
	pending := sim.TakeWebhooks()
	if len(pending) != 1 {
		t.Fatalf("%d deliveries for one change", len(pending))
	}
	d := pending[0]
	unchanged, _ := e.scrape(t)
	for tamper, status := range map[githubsim.Tamper]int{githubsim.Forged: 401, githubsim.Unsigned: 401, githubsim.Oversized: 413, githubsim.PlainText: 415} {
		got, err := sim.Send(d, tamper)
		if err != nil || got != status {
			t.Errorf("tampered delivery (%d) answered %d (%v), want %d", tamper, got, err, status)
		}
	}
	time.Sleep(500 * time.Millisecond) // a wrongly accepted delivery would be merged by now
	now, _ := e.scrape(t)
	if dd := diff(webhookSeries(unchanged, org), webhookSeries(now, org), 10); len(dd) > 0 {
		t.Errorf("refused deliveries changed the metrics:\n%s", strings.Join(dd, "\n"))
	}
	if got, _ := sim.Send(d, githubsim.Intact); got != http.StatusAccepted {
		t.Errorf("intact delivery answered %d, want 202", got)
	}
	want = webhookTruth(sim, org)
	e.waitFor(t, 10*time.Second, "the intact delivery merged", func(s map[string]float64) bool {
		return len(diff(want, webhookSeries(s, org), 1)) == 0
	})
	if got, _ := sim.Send(d, githubsim.Intact); got != http.StatusOK {
		t.Errorf("replayed delivery answered %d, want 200 (duplicate)", got)
	}
	series, _ := e.scrape(t)
	for result, min := range map[string]float64{"rejected": 4, "duplicate": 1, "applied": float64(len(deliveries))} {
		if got := sumOf(series, "github_exporter_webhook_deliveries_total", map[string]string{"result": result}); got < min {
			t.Errorf("webhook_deliveries_total{result=%q} = %v, want >= %v", result, got, min)
		}
	}
	if got := sumOf(series, "github_exporter_webhook_deliveries_total", map[string]string{"result": "duplicate"}); got != 1 {
		t.Errorf("webhook_deliveries_total{result=duplicate} = %v, want 1", got)
	}
	if v := series[seriesKey("github_exporter_webhook_last_delivery_timestamp_seconds", map[string]string{"org": org})]; v < float64(sent.Unix()) {
		t.Errorf("webhook_last_delivery_timestamp_seconds{org=%s} = %v, want at least %d", org, v, sent.Unix())
	}
	if missed := sumOf(series, "github_exporter_webhook_missed_changes_total", nil); missed != 0 {
		t.Errorf("webhook_missed_changes_total = %v before any delivery was missed, want 0", missed)
	}

	// Changes GitHub never delivered (taken and dropped): the next walk finds and counts
	// each alert they changed.
	changed := float64(time.Now().UnixNano()) / 1e9
	sim.Step(3)
	lost := map[string]bool{}
	for _, d := range sim.TakeWebhooks() {
		var p struct {
			Alert      struct{ Number int }
			Repository struct{ ID int64 }
		}
		if err := json.Unmarshal(d.Body, &p); err != nil {
			t.Fatal(err)
		}
		lost[fmt.Sprint(d.Event, p.Repository.ID, p.Alert.Number)] = true
	}
	want = webhookTruth(sim, org)
	walked := seriesKey("github_exporter_last_success_timestamp_seconds", map[string]string{"org": org, "collector": "secret_scanning"})
	series = e.waitFor(t, 90*time.Second, "the next walk correcting the missed changes", func(s map[string]float64) bool {
		return s[walked] > changed && len(diff(want, webhookSeries(s, org), 1)) == 0
	})
	missed := sumOf(series, "github_exporter_webhook_missed_changes_total", map[string]string{"org": org})
	t.Logf("the next walk counted %v missed changes for %d alerts changed without a delivery", missed, len(lost))
	if missed != float64(len(lost)) || missed == 0 {
		t.Errorf("webhook_missed_changes_total = %v, want %d (the alerts changed without a delivery)", missed, len(lost))
	}
	_, body := e.scrape(t)
	for what, text := range map[string]string{"logs": e.Logs(), "metrics": body} {
		if strings.Contains(text, secret) {
			t.Errorf("the %s contain the webhook secret", what)
		}
	}
}
