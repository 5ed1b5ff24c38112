package e2e

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// go test ./e2e -run TestOverviewPage -update-screenshot rewrites the README's screenshot.
var updateScreenshot = flag.Bool("update-screenshot", false, "write the overview page's screenshot to docs/overview.png")

// readmeScreenshot is the README's picture of the page: the screenshot this test checks.
const readmeScreenshot = "../docs/overview.png"

// TestOverviewPage renders the overview page of the demo in headless Chromium and checks
// that the screenshot shows something and that the page holds the numbers /metrics serves.
func TestOverviewPage(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("no chromium in PATH (%v): install Debian package chromium; .ci/run does", err)
	}
	// One collection at start-up and no other during the test, so the numbers stand still.
	e := start(t, nil, "--demo", "--collector.schedule=@every 24h")
	e.waitReady(t, 2*time.Minute)
	series, _ := e.scrape(t)
	url := "http://" + e.addr + "/"

	dir := t.TempDir()
	shot := filepath.Join(dir, "overview.png")
	chromium(t, dir, "--window-size=1280,2000", "--screenshot="+shot, url)
	dom := chromium(t, dir, "--dump-dom", url)
	if after, _ := e.scrape(t); !equalSeries(after, series) {
		t.Fatal("the metrics changed while the page was rendered: a collection ran during the test")
	}

	checkNotBlank(t, shot, 1280, 2000)
	orgs := openAlerts(series)
	if len(orgs) < 2 {
		t.Fatalf("the demo should have open alerts in two organizations, /metrics has %d", len(orgs))
	}
	checkNumbers(t, dom, orgs)

	if t.Failed() {
		_, body, _ := strings.Cut(dom, "<main")
		t.Fatalf("page:\n<main%s", body)
	}
	if *updateScreenshot {
		picture, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(readmeScreenshot, picture, 0o644)
		}
		if err != nil {
			t.Fatalf("updating the README's screenshot: %v", err)
		}
		t.Logf("wrote %s", readmeScreenshot)
	}
}

// chromium runs headless Chromium with args and returns what it prints on standard output.
func chromium(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp(dir, "profile")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "chromium", append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + profile,
	}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// checkNotBlank decodes the screenshot and checks that it holds a page, not one colour.
func checkNotBlank(t *testing.T, file string, width, height int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), width, height)
	}
	colours, total := colourCounts(img)
	var most int
	for _, n := range colours {
		most = max(most, n)
	}
	other := 1 - float64(most)/float64(total)
	t.Logf("screenshot: %d distinct colours, %.1f%% of pixels not the background", len(colours), 100*other)
	if len(colours) < 64 || other < 0.10 {
		t.Errorf("screenshot looks blank: %d distinct colours, %.1f%% of pixels differ from the most common one", len(colours), 100*other)
	}
}

// colourCounts counts the pixels of each colour; the second result is the number of pixels.
func colourCounts(img image.Image) (map[[4]uint32]int, int) {
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	return counts, b.Dx() * b.Dy()
}

// orgAlerts are the open alerts of one organization as /metrics serves them.
type orgAlerts struct {
	counts map[string]float64            // "family/bucket" and "family/open" and "all/open"
	repos  map[string]float64            // repository → open alerts
	family map[string]map[string]float64 // repository → family → open alerts
}

// openAlerts sums the open alert series by organization, family and the bucket the issue
// gives each family: code scanning critical/high/medium/low/other, Dependabot's
// severities, secret scanning's validity.
func openAlerts(series map[string]float64) map[string]*orgAlerts {
	out := map[string]*orgAlerts{}
	for key, v := range series {
		name, labels := parseSeries(key)
		var fam, bucket string
		switch name {
		case "github_code_scanning_alerts":
			fam, bucket = "code_scanning", labels["severity"]
			if !slices.Contains([]string{"critical", "high", "medium", "low"}, bucket) {
				bucket = "other"
			}
		case "github_dependabot_alerts":
			fam, bucket = "dependabot", labels["severity"]
			if !slices.Contains([]string{"critical", "high", "medium", "low"}, bucket) {
				bucket = "other"
			}
		case "github_secret_scanning_alerts":
			fam, bucket = "secret_scanning", labels["validity"]
			if !slices.Contains([]string{"active", "inactive"}, bucket) {
				bucket = "unknown"
			}
		default:
			continue
		}
		if labels["state"] != "open" || v == 0 {
			continue
		}
		o := out[labels["org"]]
		if o == nil {
			o = &orgAlerts{counts: map[string]float64{}, repos: map[string]float64{}, family: map[string]map[string]float64{}}
			out[labels["org"]] = o
		}
		o.counts[fam+"/"+bucket] += v
		o.counts[fam+"/open"] += v
		o.counts["all/open"] += v
		o.repos[labels["repository"]] += v
		if o.family[labels["repository"]] == nil {
			o.family[labels["repository"]] = map[string]float64{}
		}
		o.family[labels["repository"]][fam] += v
	}
	return out
}

var (
	countCell  = regexp.MustCompile(`data-count="([^"]*)">([0-9,]+)<`)
	repoRow    = regexp.MustCompile(`<tr data-repo="([^"]*)">(.*?)</tr>`)
	numberCell = regexp.MustCompile(`<td class="num[^"]*">([0-9,]+)</td>`)
	tag        = regexp.MustCompile(`<[^>]*>`)
	space      = regexp.MustCompile(`\s+`)
)

// checkNumbers compares the numbers of the rendered page with the ones from /metrics.
func checkNumbers(t *testing.T, dom string, orgs map[string]*orgAlerts) {
	t.Helper()
	shown := map[string]string{}
	for _, m := range countCell.FindAllStringSubmatch(dom, -1) {
		shown[html.UnescapeString(m[1])] = m[2]
	}
	text := space.ReplaceAllString(html.UnescapeString(tag.ReplaceAllString(dom, " ")), " ")
	for org, o := range orgs {
		if want := fmt.Sprintf("%s %s open alerts", org, thousands(o.counts["all/open"])); !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
		for k, v := range o.counts {
			if got, ok := shown[org+"/"+k]; got != thousands(v) {
				if !ok {
					got = "no number"
				}
				t.Errorf("page shows %s for the open alerts of %s/%s, /metrics says %s", got, org, k, thousands(v))
			}
		}
		for _, k := range []string{"code_scanning/medium", "dependabot/low", "secret_scanning/inactive"} {
			if _, ok := shown[org+"/"+k]; !ok {
				t.Errorf("page has no cell for %s/%s", org, k)
			}
		}
		checkTop(t, dom, org, o)
	}
}

// checkTop checks the organization's top 10 repositories: order, totals, per-family counts.
func checkTop(t *testing.T, dom, org string, o *orgAlerts) {
	t.Helper()
	_, section, found := strings.Cut(dom, `id="org-`+org+`"`)
	if !found {
		t.Errorf("page has no section for %s", org)
		return
	}
	section, _, _ = strings.Cut(section, `<section class="org"`)
	repos := make([]string, 0, len(o.repos))
	for r := range o.repos {
		repos = append(repos, r)
	}
	slices.SortFunc(repos, func(a, b string) int { return cmp.Or(cmp.Compare(o.repos[b], o.repos[a]), cmp.Compare(a, b)) })
	repos = repos[:min(10, len(repos))]
	var want, got []string
	for _, r := range repos {
		f := o.family[r]
		want = append(want, fmt.Sprintf("%s %s %s %s %s", r, thousands(o.repos[r]),
			thousands(f["code_scanning"]), thousands(f["dependabot"]), thousands(f["secret_scanning"])))
	}
	for _, m := range repoRow.FindAllStringSubmatch(section, -1) {
		row := html.UnescapeString(m[1])
		for _, n := range numberCell.FindAllStringSubmatch(m[2], -1) {
			row += " " + n[1]
		}
		got = append(got, row)
	}
	if !slices.Equal(got, want) {
		t.Errorf("top repositories of %s:\n got  %q\n want %q", org, got, want)
	}
}

var seriesLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")`)

// parseSeries splits a key made by seriesKey into the name and the labels.
func parseSeries(key string) (string, map[string]string) {
	name, rest, _ := strings.Cut(key, "{")
	labels := map[string]string{}
	for _, m := range seriesLabel.FindAllStringSubmatch(rest, -1) {
		if v, err := strconv.Unquote(m[2]); err == nil {
			labels[m[1]] = v
		}
	}
	return name, labels
}

// equalSeries reports whether the alert-count series of two scrapes are the same.
func equalSeries(a, b map[string]float64) bool {
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts"} {
		if len(diff(family(a, name), family(b, name), 1)) > 0 {
			return false
		}
	}
	return true
}

// thousands formats a count as the page does: 12,345.
func thousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
