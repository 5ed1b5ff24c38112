package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoWalk walks the per-repository code scanning listing of every repository of org
// and returns the alerts served (keyed repo/number) and the 404s, by repository.
func repoWalk(t *testing.T, m *sim, prefix, org, query string) (map[string]int, map[string]string, []walkResult) {
	t.Helper()
	served, missing := map[string]int{}, map[string]string{}
	var walks []walkResult
	for _, repo := range m.s.Repos(org) {
		first := fmt.Sprintf("%s/repos/%s/%s/code-scanning/alerts?%s", prefix, org, repo, query)
		resp, body := m.get(first)
		if resp.StatusCode == http.StatusNotFound {
			missing[repo] = decodeError(t, body)["message"].(string)
			continue
		}
		w := m.walk(first)
		walks = append(walks, w)
		for _, a := range w.alerts {
			served[fmt.Sprintf("%s/%v", repo, a["number"])]++
		}
	}
	return served, missing, walks
}

func TestEnterprise222(t *testing.T) {
	m := newSim(t, Config{Seed: 3, Enterprise: Enterprise222})
	t.Run("org listings missing", func(t *testing.T) {
		for _, family := range []string{"code-scanning", "dependabot"} {
			resp, body := m.get("/api/v3/orgs/octo-org/" + family + "/alerts")
			e := decodeError(t, body)
			if resp.StatusCode != http.StatusNotFound || e["message"] != "Not Found" || e["documentation_url"] != docEnterprise222 {
				t.Errorf("%s: %s %v, want 404 with the 2.22 documentation", family, resp.Status, e)
			}
		}
		if resp, _ := m.get("/orgs/octo-org/secret-scanning/alerts"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("served outside /api/v3: %s", resp.Status)
		}
	})
	t.Run("secret scanning pages by number", func(t *testing.T) {
		w := m.walk("/api/v3/orgs/octo-org/secret-scanning/alerts?per_page=7&after=")
		sameSet(t, ids(w.alerts, servedID), truthIDs(m, "secret-scanning", "octo-org"))
		for _, u := range w.urls[1:] {
			if q := mustQuery(t, u); q.Get("page") == "" || q.Has("after") {
				t.Fatalf("link %s: want page numbers only", u)
			}
		}
	})
	t.Run("per-repository code scanning", func(t *testing.T) {
		served, missing, walks := repoWalk(t, m, "/api/v3", "octo-org", "per_page=5&after=")
		sameSet(t, served, truthIDs(m, "code-scanning", "octo-org"))
		if len(missing) == 0 {
			t.Error("every repository has code scanning: want some answering 404")
		}
		for repo, msg := range missing {
			if msg != msgNoAnalysis {
				t.Errorf("%s: 404 %q, want %q", repo, msg, msgNoAnalysis)
			}
		}
		var examples []any
		raw, err := os.ReadFile(filepath.Join("testdata", "code-scanning-repo-alerts-ghes-2.22.json")) // the reference page's example
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &examples); err != nil {
			t.Fatal(err)
		}
		want := mergeShape(examples[0], examples[1])
		for _, w := range walks {
			for _, u := range w.urls[1:] {
				if !strings.Contains(u, "/api/v3/repositories/") || mustQuery(t, u).Get("page") == "" {
					t.Fatalf("link %s: want /api/v3/repositories/{id}/... with a page number", u)
				}
			}
			for _, a := range w.alerts {
				checkShape(t, fmt.Sprint(a["url"]), "", want, a, nil, nil)
			}
		}
	})
}

func TestRepoCodeScanningListing(t *testing.T) {
	m := newSim(t, Config{Seed: 7})
	for _, tt := range []struct{ name, query, param string }{
		{"by page", "per_page=4", "page"},
		{"by cursor", "per_page=4&after=", "after"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			served, missing, walks := repoWalk(t, m, "", "octo-org", tt.query)
			sameSet(t, served, truthIDs(m, "code-scanning", "octo-org"))
			for repo := range missing {
				for _, a := range m.s.CodeScanningAlerts("octo-org") {
					if a.Repo == repo {
						t.Fatalf("%s answers 404 but has alert %d", repo, a.Number)
					}
				}
			}
			for _, w := range walks {
				for _, u := range w.urls[1:] {
					if !strings.HasPrefix(u, m.ts.URL+"/repositories/") || mustQuery(t, u).Get(tt.param) == "" {
						t.Fatalf("link %s: want /repositories/{id}/... with %s", u, tt.param)
					}
				}
				for _, a := range w.alerts {
					if _, ok := a["repository"]; ok {
						t.Fatal("the repository listing carries the repository object")
					}
					if _, ok := a["most_recent_instance"]; !ok {
						t.Fatal("no most_recent_instance")
					}
				}
			}
		})
	}
	t.Run("unknown repository", func(t *testing.T) {
		if resp, _ := m.get("/repos/octo-org/no-such-repo/code-scanning/alerts"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %s, want 404", resp.Status)
		}
	})
	t.Run("another branch", func(t *testing.T) {
		repo := m.s.CodeScanningAlerts("octo-org")[0].Repo
		if _, alerts := m.getOK("/repos/octo-org/" + repo + "/code-scanning/alerts?ref=refs/heads/some-feature"); len(alerts) != 0 {
			t.Errorf("%d alerts on a branch without analyses", len(alerts))
		}
	})
}
