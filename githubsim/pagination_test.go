package githubsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWalkServesEveryAlertOnce(t *testing.T) {
	m := newSim(t, Config{Seed: 7})
	tests := []struct {
		name, family, query string
		perPage             int
		param               string // pagination parameter of the next links: page or after
	}{
		{"code scanning by page", "code-scanning", "per_page=17", 17, "page"},
		{"code scanning by cursor", "code-scanning", "per_page=17&after=", 17, "after"},
		{"code scanning default page size", "code-scanning", "", 30, "page"},
		{"code scanning updated asc by page", "code-scanning", "sort=updated&direction=asc&per_page=40", 40, "page"},
		{"secret scanning by page", "secret-scanning", "per_page=7", 7, "page"},
		{"secret scanning empty after switches to cursors", "secret-scanning", "per_page=7&after=", 7, "after"},
		{"secret scanning empty after first", "secret-scanning", "after=&per_page=7&sort=updated", 7, "after"},
		{"dependabot cursor only", "dependabot", "per_page=23", 23, "after"},
		{"dependabot no params", "dependabot", "", 30, "after"},
		{"dependabot updated asc", "dependabot", "per_page=100&sort=updated&direction=asc", 100, "after"},
		{"dependabot epss", "dependabot", "per_page=50&sort=epss_percentage", 50, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := "/orgs/octo-org/" + tt.family + "/alerts"
			if tt.query != "" {
				first += "?" + tt.query
			}
			w := m.walk(first)
			want := truthIDs(m, tt.family, "octo-org")
			sameSet(t, ids(w.alerts, servedID), want)
			if pages := (len(want) + tt.perPage - 1) / tt.perPage; len(w.urls) != pages {
				t.Errorf("walk took %d requests, want %d", len(w.urls), pages)
			}
			prefix := fmt.Sprintf("%s/organizations/%d/%s/alerts?", m.ts.URL, testOrgID, tt.family)
			sent, _ := url.ParseQuery(tt.query)
			for _, u := range w.urls[1:] {
				if !strings.HasPrefix(u, prefix) {
					t.Fatalf("link %s does not start with %s", u, prefix)
				}
				q := mustQuery(t, u)
				if !q.Has(tt.param) || q.Get(tt.param) == "" {
					t.Errorf("link %s has no %s", u, tt.param)
				}
				for k := range sent {
					if k != "after" && q.Get(k) != sent.Get(k) {
						t.Errorf("link %s lost %s=%s", u, k, sent.Get(k))
					}
				}
				if tt.param == "after" && q.Has("page") || tt.param == "page" && q.Has("after") {
					t.Errorf("link %s mixes page and cursor", u)
				}
			}
		})
	}
}

func mustQuery(t testing.TB, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

func TestCursorsLookLikeGitHubs(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	resp, _ := m.getOK("/orgs/octo-org/dependabot/alerts?per_page=100")
	next := links(t, resp.Header)["next"]
	want := fmt.Sprintf("%s/organizations/%d/dependabot/alerts?per_page=100&after=Y3Vyc29yOnYyOpPP", m.ts.URL, testOrgID)
	if !strings.HasPrefix(next, want) {
		t.Errorf("next link %s, want prefix %s", next, want)
	}
}

func TestPageNumberLinks(t *testing.T) {
	m := newSim(t, Config{Seed: 1}) // 230 code scanning alerts: 10 pages of 25
	base := fmt.Sprintf("%s/organizations/%d/code-scanning/alerts?state=open&per_page=25&page=", m.ts.URL, testOrgID)
	open := 0
	for _, a := range m.s.CodeScanningAlerts("octo-org") {
		if a.State == "open" {
			open++
		}
	}
	last := (open + 24) / 25
	if last < 3 {
		t.Fatalf("need at least 3 pages of open alerts, have %d", last)
	}
	tests := []struct {
		page int
		want map[string]int // rel → page
	}{
		{1, map[string]int{"next": 2, "last": last}},
		{2, map[string]int{"prev": 1, "next": 3, "last": last, "first": 1}},
		{last, map[string]int{"prev": last - 1, "first": 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("page ", tt.page), func(t *testing.T) {
			resp, _ := m.getOK(fmt.Sprintf("/orgs/octo-org/code-scanning/alerts?state=open&per_page=25&page=%d", tt.page))
			got := links(t, resp.Header)
			if len(got) != len(tt.want) {
				t.Errorf("links %v, want rels %v", got, tt.want)
			}
			for rel, page := range tt.want {
				if got[rel] != fmt.Sprint(base, page) {
					t.Errorf("rel=%s: %s, want %s%d", rel, got[rel], base, page)
				}
			}
		})
	}
	resp, alerts := m.getOK(fmt.Sprintf("/orgs/octo-org/code-scanning/alerts?state=open&per_page=25&page=%d", last+5))
	if len(alerts) != 0 || links(t, resp.Header)["next"] != "" {
		t.Errorf("page past the end: %d alerts, links %v", len(alerts), resp.Header.Get("Link"))
	}
}

func TestCursorPrevLinks(t *testing.T) {
	m := newSim(t, Config{Seed: 3})
	for _, family := range []string{"dependabot", "secret-scanning", "code-scanning"} {
		t.Run(family, func(t *testing.T) {
			resp1, page1 := m.getOK("/orgs/octo-org/" + family + "/alerts?per_page=10&after=")
			if links(t, resp1.Header)["prev"] != "" {
				t.Errorf("first page has a prev link: %s", resp1.Header.Get("Link"))
			}
			resp2, _ := m.getOK(links(t, resp1.Header)["next"])
			prev := links(t, resp2.Header)["prev"]
			if !mustQuery(t, prev).Has("before") {
				t.Fatalf("prev link %s has no before", prev)
			}
			_, back := m.getOK(prev)
			if fmt.Sprint(ids(back, servedID)) != fmt.Sprint(ids(page1, servedID)) {
				t.Errorf("prev of page 2 is not page 1")
			}
		})
	}
}

func TestDependabotRefusesPageNumbers(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	for _, q := range []string{"page=1", "page=2&per_page=50", "first=10", "last=10", "after=&page=1"} {
		t.Run(q, func(t *testing.T) {
			resp, body := m.get("/orgs/octo-org/dependabot/alerts?" + q)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %s, want 400", resp.Status)
			}
			e := decodeError(t, body)
			if msg, _ := e["message"].(string); !strings.HasPrefix(msg, "Pagination using the `") || !strings.HasSuffix(msg, "` parameter is not supported.") {
				t.Errorf("message %q", msg)
			}
			if e["status"] != "400" || !strings.Contains(fmt.Sprint(e["documentation_url"]), "dependabot") {
				t.Errorf("error body %s", body)
			}
		})
	}
}

func TestMalformedCursor(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	for _, path := range []string{
		"/orgs/octo-org/dependabot/alerts?after=bm90LWEtY3Vyc29y",
		"/orgs/octo-org/dependabot/alerts?before=!!!",
		"/orgs/octo-org/secret-scanning/alerts?after=Y3Vyc29yOnYyOpPP",
		"/orgs/octo-org/code-scanning/alerts?before=xyz",
	} {
		resp, body := m.get(path)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s %.200s, want 400", path, resp.Status, body)
		}
	}
}

func TestSortOrder(t *testing.T) {
	m := newSim(t, Config{Seed: 5})
	tests := []struct {
		query, field string
		desc         bool
	}{
		{"", "created_at", true},
		{"sort=created&direction=asc", "created_at", false},
		{"sort=updated&direction=desc", "updated_at", true},
		{"sort=updated&direction=asc", "updated_at", false},
	}
	for _, family := range []string{"code-scanning", "dependabot", "secret-scanning"} {
		for _, tt := range tests {
			t.Run(family+" "+tt.query, func(t *testing.T) {
				w := m.walk("/orgs/octo-org/" + family + "/alerts?per_page=33&" + tt.query)
				for i := 1; i < len(w.alerts); i++ {
					a, b := w.alerts[i-1], w.alerts[i]
					c := strings.Compare(a[tt.field].(string), b[tt.field].(string))
					if c == 0 { // ties are broken by number, then repository id
						c = compareNumbers(a["number"], b["number"])
						if c == 0 {
							c = compareNumbers(a["repository"].(map[string]any)["id"], b["repository"].(map[string]any)["id"])
						}
					}
					if tt.desc && c <= 0 || !tt.desc && c >= 0 {
						t.Fatalf("alert %d (%s %s) and %d (%s %s) out of order", i-1, alertID(a), a[tt.field], i, alertID(b), b[tt.field])
					}
				}
			})
		}
	}
}

func compareNumbers(a, b any) int {
	x, y := a.(float64), b.(float64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func TestPerPage(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	tests := []struct {
		query string
		want  int
	}{
		{"", 30}, {"per_page=5", 5}, {"per_page=100", 100}, {"per_page=500", 100}, {"per_page=0", 30}, {"per_page=x", 30},
	}
	for _, tt := range tests {
		_, alerts := m.getOK("/orgs/octo-org/dependabot/alerts?" + tt.query)
		if len(alerts) != tt.want {
			t.Errorf("%q: %d alerts, want %d", tt.query, len(alerts), tt.want)
		}
	}
}

func TestPathPrefix(t *testing.T) {
	m := newSim(t, Config{Seed: 1, PathPrefix: "/api/v3"})
	w := m.walk("/api/v3/orgs/octo-org/secret-scanning/alerts?per_page=20")
	sameSet(t, ids(w.alerts, servedID), truthIDs(m, "secret-scanning", "octo-org"))
	want := fmt.Sprintf("%s/api/v3/organizations/%d/secret-scanning/alerts?", m.ts.URL, testOrgID)
	if len(w.urls) < 2 || !strings.HasPrefix(w.urls[1], want) {
		t.Errorf("links %v, want prefix %s", w.urls, want)
	}
	repoURL := w.alerts[0]["repository"].(map[string]any)["url"].(string)
	if !strings.HasPrefix(repoURL, m.ts.URL+"/api/v3/repos/octo-org/") {
		t.Errorf("repository url %s is not under the prefix", repoURL)
	}
	if resp, _ := m.get("/orgs/octo-org/secret-scanning/alerts"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("path without prefix: %s, want 404", resp.Status)
	}
}

func TestNotFound(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	for _, path := range []string{
		"/orgs/no-such-org/dependabot/alerts",
		"/organizations/1/dependabot/alerts",
		"/organizations/octo-org/dependabot/alerts",
		"/orgs/octo-org/dependabot/alert",
		"/orgs/octo-org/code-scanning/alerts/1",
		"/repos/octo-org/api-gateway/code-scanning/alerts",
		"/",
	} {
		resp, body := m.get(path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", path, resp.Status)
			continue
		}
		if e := decodeError(t, body); e["message"] != "Not Found" || e["documentation_url"] == nil {
			t.Errorf("%s: body %s", path, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, m.url("/orgs/octo-org/dependabot/alerts"), nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := m.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST: %s, want 404", resp.Status)
	}
}

func TestOrgNameIsCaseInsensitiveAndIDWorks(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	_, a := m.getOK("/orgs/OCTO-ORG/code-scanning/alerts?per_page=5")
	_, b := m.getOK(fmt.Sprintf("/organizations/%d/code-scanning/alerts?per_page=5", testOrgID))
	if fmt.Sprint(ids(a, servedID)) != fmt.Sprint(ids(b, servedID)) {
		t.Error("/orgs/OCTO-ORG and /organizations/{id} serve different pages")
	}
}

func TestLatency(t *testing.T) {
	m := newSim(t, Config{Seed: 1, Latency: 50 * time.Millisecond})
	start := time.Now()
	m.getOK("/orgs/octo-org/code-scanning/alerts?per_page=1")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %s, want at least the 50ms latency", d)
	}
}
