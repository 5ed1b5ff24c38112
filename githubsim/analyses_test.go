package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestAnalysesGroundTruth(t *testing.T) {
	m := newSim(t, Config{Seed: 5})
	truth := m.s.CodeScanningAnalyses("octo-org")
	byRepo := map[string][]CodeScanningAnalysis{}
	for _, a := range truth {
		byRepo[a.Repo] = append(byRepo[a.Repo], a)
	}
	alertTools := map[string]map[string]bool{}
	for _, a := range m.s.CodeScanningAlerts("octo-org") {
		if alertTools[a.Repo] == nil {
			alertTools[a.Repo] = map[string]bool{}
		}
		alertTools[a.Repo][a.Tool] = true
		if newest := newestDefault(byRepo[a.Repo], a.Tool); newest.Before(a.CreatedAt) {
			t.Errorf("%s/%d: created %s, after the newest %s analysis %s", a.Repo, a.Number, a.CreatedAt, a.Tool, newest)
		}
	}
	var pullRequests, none int
	for _, repo := range m.s.Repos("octo-org") {
		list := byRepo[repo]
		if len(list) == 0 {
			none++
			if len(alertTools[repo]) > 0 {
				t.Errorf("%s has code scanning alerts but no analyses", repo)
			}
			continue
		}
		for tool := range alertTools[repo] {
			if newestDefault(list, tool).IsZero() {
				t.Errorf("%s: alerts of %s but no analysis of it on the default branch", repo, tool)
			}
		}
		for _, a := range list {
			if !a.Default {
				pullRequests++
			}
			if a.CreatedAt.After(testNow) {
				t.Errorf("%s: analysis %d in the future", repo, a.ID)
			}
		}
	}
	if pullRequests == 0 || none == 0 {
		t.Errorf("%d pull-request analyses, %d repositories without analyses: want some of each", pullRequests, none)
	}
}

// newestDefault is the creation time of the newest default-branch analysis of tool.
func newestDefault(list []CodeScanningAnalysis, tool string) time.Time {
	var newest time.Time
	for _, a := range list {
		if a.Default && a.Tool == tool && a.CreatedAt.After(newest) {
			newest = a.CreatedAt
		}
	}
	return newest
}

func TestAnalysesListing(t *testing.T) {
	m := newSim(t, Config{Seed: 5})
	truth := m.s.CodeScanningAnalyses("octo-org")
	var repo, branch string
	counts := map[string]int{}
	for _, a := range truth {
		counts[a.Repo]++
	}
	for _, a := range truth { // the repository with the most analyses
		if counts[a.Repo] > counts[repo] {
			repo = a.Repo
		}
	}
	for _, a := range truth {
		if a.Repo == repo && a.Default {
			branch = a.Ref[len("refs/heads/"):]
		}
	}
	want := func(keep func(CodeScanningAnalysis) bool) []int64 {
		var ids []int64
		for _, a := range truth {
			if a.Repo == repo && keep(a) {
				ids = append(ids, a.ID)
			}
		}
		slices.SortFunc(ids, func(a, b int64) int { return int(b - a) }) // newest first
		return ids
	}
	all := func(CodeScanningAnalysis) bool { return true }
	tool := truth[slices.IndexFunc(truth, func(a CodeScanningAnalysis) bool { return a.Repo == repo })].Tool
	tests := []struct {
		name, query string
		want        []int64
	}{
		{"all, newest first, two per page", "per_page=2", want(all)},
		{"branch name", "ref=" + branch, want(func(a CodeScanningAnalysis) bool { return a.Default })},
		{"full ref", "ref=refs/heads/" + branch, want(func(a CodeScanningAnalysis) bool { return a.Default })},
		{"tool", "tool_name=" + url.QueryEscape(tool), want(func(a CodeScanningAnalysis) bool { return a.Tool == tool })},
		{"unknown guid", "tool_guid=abc", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := m.walk(fmt.Sprintf("/repos/octo-org/%s/code-scanning/analyses?%s", repo, tt.query))
			var got []int64
			for _, a := range w.alerts {
				got = append(got, int64(a["id"].(float64)))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("shape", func(t *testing.T) {
		var examples []any
		raw, err := os.ReadFile(filepath.Join("testdata", "code-scanning-analyses-ghes-2.22.json")) // the reference page's example
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &examples); err != nil {
			t.Fatal(err)
		}
		sets := map[string]int{}
		for _, a := range m.walk("/repos/octo-org/" + repo + "/code-scanning/analyses?per_page=100").alerts {
			checkShape(t, fmt.Sprint(a["url"]), "", examples[0], a, nil, nil)
			if a["deletable"] == true {
				sets[fmt.Sprint(a["ref"], a["tool"].(map[string]any)["name"], a["category"])]++
			}
		}
		for set, n := range sets {
			if n != 1 {
				t.Errorf("set %s has %d deletable analyses, want 1", set, n)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		noScanning := ""
		for _, r := range m.s.Repos("octo-org") {
			if counts[r] == 0 {
				noScanning = r
			}
		}
		for _, tt := range []struct {
			path    string
			status  int
			message string
		}{
			{"/repos/octo-org/" + noScanning + "/code-scanning/analyses", http.StatusNotFound, msgNoAnalysis},
			{"/repos/octo-org/" + repo + "/code-scanning/analyses?tool_name=x&tool_guid=y", http.StatusUnprocessableEntity, "Validation Failed"},
			{"/repos/octo-org/" + repo + "/code-scanning/analyses?sort=updated", http.StatusUnprocessableEntity, "Validation Failed"},
		} {
			resp, body := m.get(tt.path)
			if e := decodeError(t, body); resp.StatusCode != tt.status || e["message"] != tt.message {
				t.Errorf("%s: %s %v, want %d %q", tt.path, resp.Status, e["message"], tt.status, tt.message)
			}
		}
	})
}

func TestAnalysesConditionalAndStep(t *testing.T) {
	m := newSim(t, Config{Seed: 5})
	paths := map[string]string{}
	for _, r := range m.s.Repos("octo-org") {
		paths[r] = "/repos/octo-org/" + r + "/code-scanning/analyses?per_page=100"
	}
	etags := map[string]string{}
	for r, p := range paths {
		if resp, _ := m.get(p); resp.StatusCode == http.StatusOK {
			etags[r] = resp.Header.Get("ETag")
		}
	}
	used := func() string {
		resp, _ := m.get("/orgs/octo-org/secret-scanning/alerts?per_page=1")
		return resp.Header.Get("X-RateLimit-Used")
	}
	before := used()
	for r, tag := range etags {
		if resp, _ := m.get(paths[r], "If-None-Match", tag); resp.StatusCode != http.StatusNotModified {
			t.Fatalf("%s unchanged: %s, want 304", r, resp.Status)
		}
	}
	if after := used(); after != fmt.Sprint(atoi(t, before)+1) {
		t.Errorf("X-RateLimit-Used went from %s to %s over %d 304s and one 200: 304s must be free", before, after, len(etags))
	}

	n := len(m.s.CodeScanningAnalyses("octo-org"))
	m.clock.Add(time.Hour)
	m.s.Step(40)
	if len(m.s.CodeScanningAnalyses("octo-org")) == n {
		t.Fatal("Step added no analysis")
	}
	changed := map[string]bool{}
	for _, a := range m.s.CodeScanningAnalyses("octo-org") {
		if a.CreatedAt.Equal(testNow.Add(time.Hour)) {
			changed[a.Repo] = true
			if !a.Default {
				t.Errorf("Step added an analysis on %s", a.Ref)
			}
		}
	}
	for r, tag := range etags {
		resp, _ := m.get(paths[r], "If-None-Match", tag)
		if wantStatus := map[bool]int{true: http.StatusOK, false: http.StatusNotModified}[changed[r]]; resp.StatusCode != wantStatus {
			t.Errorf("%s after Step (changed %v): %s", r, changed[r], resp.Status)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
