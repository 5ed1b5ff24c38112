package collector

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// switchable serves one page per path whose body and status a test changes between runs.
type switchable struct {
	bodies map[string]string
	status map[string]int
}

func TestFailedCollectionKeepsLastGoodCounts(t *testing.T) {
	s := &switchable{
		bodies: map[string]string{dependabotPath: `[{"number":1,"state":"open","dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":"high"},"repository":{"name":"web"}}]`},
		status: map[string]int{},
	}
	gh := fakeGitHub(t, s.bodies, s.status)
	e, err := New(Config{Client: gh, Orgs: []string{"acme"}, Sources: []string{"dependabot"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	counts := `
# HELP github_dependabot_alerts Dependabot alerts of the organization's repositories by ecosystem, dependency scope, advisory severity and state, refreshed on schedule.
# TYPE github_dependabot_alerts gauge
github_dependabot_alerts{ecosystem="npm",org="acme",repository="web",scope="runtime",severity="high",state="open"} 1
`
	health := func(success, available, failures int) string {
		return strings.NewReplacer("S", itoa(success), "A", itoa(available), "F", itoa(failures)).Replace(`
# HELP github_exporter_collection_success Whether the last collection of the source for the organization succeeded (1) or not (0).
# TYPE github_exporter_collection_success gauge
github_exporter_collection_success{collector="dependabot",org="acme"} S
# HELP github_exporter_source_available Whether GitHub serves the source for the organization (1), or answered that it is not enabled or not permitted (0).
# TYPE github_exporter_source_available gauge
github_exporter_source_available{collector="dependabot",org="acme"} A
# HELP github_exporter_collection_failures_total Collections of the source for the organization that failed since the exporter started.
# TYPE github_exporter_collection_failures_total counter
github_exporter_collection_failures_total{collector="dependabot",org="acme"} F
`)
	}
	names := []string{"github_dependabot_alerts", "github_exporter_collection_success", "github_exporter_source_available", "github_exporter_collection_failures_total"}
	if err := testutil.CollectAndCompare(e, strings.NewReader(counts+health(1, 1, 0)), names...); err != nil {
		t.Fatalf("first run: %v", err)
	}
	if n := testutil.CollectAndCount(e, "github_exporter_last_success_timestamp_seconds"); n != 1 {
		t.Fatalf("last success series after a success: %d", n)
	}

	// A broken page: the counts stay, success goes to 0.
	s.bodies[dependabotPath] = `{"message":"not an array"}`
	e.Run(context.Background())
	if err := testutil.CollectAndCompare(e, strings.NewReader(counts+health(0, 1, 1)), names...); err != nil {
		t.Fatalf("after a failed run: %v", err)
	}

	// The feature switched off: reported as unavailable, and no counts rather than zeros.
	s.status[dependabotPath] = http.StatusForbidden
	s.bodies[dependabotPath] = `{"message":"Dependabot alerts are disabled for this organization."}`
	e.Run(context.Background())
	if err := testutil.CollectAndCompare(e, strings.NewReader(health(0, 0, 1)), names...); err != nil {
		t.Fatalf("after a 403: %v", err)
	}
	st := e.Status()
	if len(st) != 1 || !strings.Contains(st[0].LastError, "Dependabot alerts are disabled") {
		t.Fatalf("status does not carry GitHub's message: %+v", st)
	}
}

func TestOneFailingOrgDoesNotStopOthers(t *testing.T) {
	ok := `[{"number":2,"state":"open","secret_type":"slack_api_token","repository":{"name":"chat"}}]`
	gh := fakeGitHub(t,
		map[string]string{"/orgs/good/secret-scanning/alerts": ok, "/orgs/broken/secret-scanning/alerts": "{"},
		map[string]int{"/orgs/broken/secret-scanning/alerts": http.StatusOK})
	e, err := New(Config{Client: gh, Orgs: []string{"broken", "good"}, Sources: []string{"secret_scanning"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	want := `
# HELP github_exporter_collection_success Whether the last collection of the source for the organization succeeded (1) or not (0).
# TYPE github_exporter_collection_success gauge
github_exporter_collection_success{collector="secret_scanning",org="broken"} 0
github_exporter_collection_success{collector="secret_scanning",org="good"} 1
# HELP github_secret_scanning_alerts Secret scanning alerts of the organization's repositories by secret type, validity, resolution, kind and state; kind "default" is GitHub's default alerts list (provider and custom patterns, the security overview's summary views), "generic" the non-provider patterns and AI-detected passwords; refreshed on schedule.
# TYPE github_secret_scanning_alerts gauge
github_secret_scanning_alerts{kind="default",org="good",repository="chat",resolution="",secret_type="slack_api_token",state="open",validity="unknown"} 1
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want), "github_exporter_collection_success", "github_secret_scanning_alerts"); err != nil {
		t.Fatal(err)
	}
	if !e.Ready() {
		t.Fatal("not ready after a full run")
	}
}

func TestConfigErrors(t *testing.T) {
	gh := fakeGitHub(t, nil, nil)
	for name, cfg := range map[string]Config{
		"no client":         {Orgs: []string{"acme"}},
		"unknown collector": {Client: gh, Orgs: []string{"acme"}, Sources: []string{"nope"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestNoOrganization: a shard that owns no organization still runs and becomes ready.
func TestNoOrganization(t *testing.T) {
	e, err := New(Config{Client: fakeGitHub(t, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background())
	if !e.Ready() || len(e.Status()) != 0 {
		t.Errorf("ready %v, status %v: want ready with nothing collected", e.Ready(), e.Status())
	}
}

func TestCleanLabel(t *testing.T) {
	long := strings.Repeat("é", 300)
	for in, want := range map[string]string{
		"web":         "web",
		"a\x00b":      "ab",
		"bad\xffutf8": "bad\uFFFDutf8",
		long:          strings.Repeat("é", maxLabelLen/2),
	} {
		if got := cleanLabel(in); got != want {
			t.Errorf("cleanLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
