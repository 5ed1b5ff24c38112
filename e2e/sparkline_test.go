package e2e

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// TestOverviewSparkline renders the overview page in headless Chromium and checks that
// each family's card draws its 90-day sparkline as inline SVG, without JavaScript, with
// the open alerts the simulator's alerts say were open on each of those days.
func TestOverviewSparkline(t *testing.T) {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		program(t, "chromium")
	}
	const org = "spark-org"
	sim := githubsim.New(githubsim.Config{Seed: 6, Orgs: []githubsim.OrgSpec{{Login: org, Repos: 6, CodeScanning: 250, Dependabot: 300, SecretScanning: 80}}})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	e := start(t, []string{"GITHUB_TOKEN=" + token}, "--github.org="+org, "--github.api-url="+api.URL+"/",
		"--collector.schedule=@every 24h", "--github.requests-per-second=500")
	e.waitReady(t, 2*time.Minute)
	series, _ := e.scrape(t)
	url := "http://" + e.addr + "/"

	dir := t.TempDir()
	shot := filepath.Join(dir, "overview.png")
	chromium(t, dir, "--window-size=1280,1200", "--screenshot="+shot, url)
	checkNotBlank(t, shot, 1280, 1200)
	dom := chromium(t, dir, "--dump-dom", url)
	if strings.Contains(dom, "<script") {
		t.Error("the page has a script")
	}

	truth := map[string]func(at time.Time) float64{
		"code_scanning": func(at time.Time) (n float64) {
			for _, a := range sim.CodeScanningAlerts(org) {
				n += b2f(a.State != "" && openAt(at, a.CreatedAt, lastClosed(a.State, a.UpdatedAt, a.FixedAt, a.DismissedAt)))
			}
			return n
		},
		"dependabot": func(at time.Time) (n float64) {
			for _, a := range sim.DependabotAlerts(org) {
				n += b2f(openAt(at, a.CreatedAt, lastClosed(a.State, a.UpdatedAt, a.FixedAt, a.DismissedAt, a.AutoDismissedAt)))
			}
			return n
		},
		"secret_scanning": func(at time.Time) (n float64) {
			for _, a := range sim.SecretScanningAlerts(org) {
				n += b2f(openAt(at, a.CreatedAt, a.ResolvedAt))
			}
			return n
		},
	}
	for family, open := range truth {
		got := sparkValues(t, dom, family)
		// The trend is taken at the end of the family's collection, the time it reports.
		last, ok := series[seriesKey("github_exporter_last_success_timestamp_seconds", map[string]string{"org": org, "collector": family})]
		if !ok {
			t.Fatalf("no last success of %s", family)
		}
		end := time.Unix(0, int64(last*1e9))
		var want []string
		for i := range 91 {
			want = append(want, strconv.FormatFloat(open(end.Add(-time.Duration(90-i)*24*time.Hour)), 'f', -1, 64))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s sparkline:\n got %v\nwant %v", family, got, want)
		}
		if got[0] == got[len(got)-1] && got[0] == got[45] {
			t.Errorf("%s: the simulated alerts should change over 90 days: %v", family, got)
		}
		t.Logf("%s: %s 90 days ago, %s 45 days ago, %s now", family, got[0], got[45], got[90])
	}
}

// sparkValues returns the counts a family card's sparkline is drawn from, after checking
// that the card holds the SVG line with one point per count.
func sparkValues(t *testing.T, dom, family string) []string {
	t.Helper()
	re := regexp.MustCompile(`(?s)data-family="` + family + `".*?<figure class="spark" data-spark="90" data-trend="([0-9 ]+)">.*?<polyline points="([0-9., ]+)"`)
	m := re.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the %s card has no sparkline", family)
	}
	values, points := strings.Fields(m[1]), strings.Fields(m[2])
	if len(values) != 91 || len(points) != 91 {
		t.Fatalf("the %s sparkline has %d values and %d points, want 91 (90 days and now)", family, len(values), len(points))
	}
	return values
}

// lastClosed is when a closed alert was closed for the last time: fixed_at keeps the
// first fix of an alert fixed, reintroduced and fixed again, while updated_at moves on
// every state change. nil while open. Between a first fix and a reintroduction (which
// GitHub's fields do not date) the alert counts as open, as the README says.
func lastClosed(state string, updated time.Time, closed ...*time.Time) *time.Time {
	if state == "open" || state == "" {
		return nil
	}
	last := updated
	for _, c := range closed {
		if c != nil && c.After(last) {
			last = *c
		}
	}
	return &last
}

// openAt says whether an alert created at created and closed at the first non-nil of
// closed (if any) was open at a time.
func openAt(at, created time.Time, closed ...*time.Time) bool {
	if created.After(at) {
		return false
	}
	for _, c := range closed {
		if c != nil && !c.After(at) {
			return false
		}
	}
	return true
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
