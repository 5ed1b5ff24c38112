package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// TestRestartKeepsNumbers stops the exporter and starts it again on the same
// --storage.path while GitHub answers only errors: the first scrape after start-up has
// the previous numbers; once GitHub answers again, the first run is incremental.
func TestRestartKeepsNumbers(t *testing.T) {
	const org = "restart-org"
	sim := githubsim.New(githubsim.Config{Seed: 11, Orgs: []githubsim.OrgSpec{{Login: org, Repos: 20, Dependabot: 900, SecretScanning: 300}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	state := filepath.Join(t.TempDir(), "state")
	args := []string{
		"--github.org=" + org, "--github.api-url=" + srv.URL + "/", "--storage.path=" + state,
		"--collector.schedule=@every 1h", "--github.requests-per-second=500", "--github.max-retries=1",
		"--no-collector.code-scanning", "--no-collector.repositories", "--no-collector.secret-scanning-patterns",
		"--no-collector.code-security-configurations",
	}
	env := []string{"GITHUB_TOKEN=" + token}

	first := start(t, env, args...)
	first.waitReady(t, 2*time.Minute)
	before, _ := first.scrape(t)
	first.stop(t)

	// GitHub fails every request of the restarted exporter's first run (two families, one
	// retry each): what it serves can only come from the state file.
	sim.InjectFault(githubsim.Fault{Kind: githubsim.BadGateway, Times: 4})
	second := start(t, env, args...)
	second.waitHealthy(t, time.Minute)
	after, _ := second.scrape(t)
	for _, name := range []string{"github_dependabot_alerts", "github_secret_scanning_alerts", "github_alerts_sla_breached"} {
		want, got := family(before, name), family(after, name)
		if len(want) == 0 {
			t.Fatalf("no %s before the restart", name)
		}
		if d := diff(want, got, 10); len(d) > 0 {
			t.Errorf("%s after the restart differs:\n%s", name, strings.Join(d, "\n"))
		}
	}

	// The failed first run is followed by the next scheduled one only in an hour; the
	// incremental walk is checked on a third start, with GitHub answering. Ready means
	// the failed run is over, every injected fault used.
	second.waitReady(t, time.Minute)
	second.stop(t)
	counted := func(s githubsim.Stats) int {
		return s.Requests - s.ByStatus[http.StatusNotModified] - s.ByStatus[http.StatusBadGateway]
	}
	mid := sim.Stats()
	third := start(t, env, args...)
	third.waitReady(t, time.Minute)
	end := sim.Stats()
	if n := counted(end) - counted(mid); n != 0 {
		t.Errorf("the first run after a restart made %d requests counting against the rate limit; want an incremental run costing none", n)
	}
	if n := end.ByStatus[http.StatusNotModified] - mid.ByStatus[http.StatusNotModified]; n != 3 {
		t.Errorf("the first run after a restart got %d 304s, want one per alert listing (3: Dependabot, secret scanning's default and generic listings)", n)
	}
}
