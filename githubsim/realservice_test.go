package githubsim

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// Behaviours of the real service that cost a naive client correctness: secret literals,
// generic secret types, repositories that go or change name, labels that change without
// updated_at, servers that ignore sort, token-specific ETags, page numbers that shift.

func TestSecretLiteralsServedUnlessHidden(t *testing.T) {
	for _, tt := range []struct {
		name       string
		cfg        Config
		prefix     string
		query      string
		wantHidden bool
	}{
		{"github.com", Config{}, "", "per_page=20&after=", false},
		{"github.com hide_secret", Config{}, "", "per_page=20&after=&hide_secret=true", true},
		{"Enterprise Server hide_secret", Config{PathPrefix: "/api/v3"}, "/api/v3", "per_page=20&hide_secret=true", true},
		{"hide_secret=false", Config{}, "", "per_page=20&hide_secret=false", false},
		// The parameter arrived in Enterprise Server 3.18: 2.22 ignores it.
		{"Enterprise Server 2.22 ignores hide_secret", Config{Enterprise: Enterprise222}, "/api/v3", "per_page=20&hide_secret=true", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newSim(t, tt.cfg)
			w := m.walk(tt.prefix + "/orgs/octo-org/secret-scanning/alerts?" + tt.query)
			withSecret := 0
			for _, a := range w.alerts {
				if _, ok := a["secret"]; ok {
					withSecret++
				}
			}
			literals := m.s.Stats().SecretLiterals
			if tt.wantHidden && (withSecret != 0 || literals != 0) {
				t.Errorf("%d alerts with a secret field, %d literals counted; want none", withSecret, literals)
			}
			if !tt.wantHidden && (withSecret != len(w.alerts) || literals != len(w.alerts)) {
				t.Errorf("%d alerts with a secret field, %d literals counted; want %d", withSecret, literals, len(w.alerts))
			}
		})
	}
}

func TestGenericSecretsOnlyWhenNamed(t *testing.T) {
	m := newSim(t, Config{Orgs: []OrgSpec{{Login: "octo-org", Repos: 6, SecretScanning: 60, GenericSecretScanning: 40}}})
	var provider, generic []SecretScanningAlert
	for _, a := range m.s.SecretScanningAlerts("octo-org") {
		if a.Generic {
			generic = append(generic, a)
		} else {
			provider = append(provider, a)
		}
	}
	if len(generic) != 40 || len(provider) != 60 {
		t.Fatalf("ground truth: %d generic, %d provider alerts; want 40, 60", len(generic), len(provider))
	}
	served := func(query string) map[string]int {
		return ids(m.walk("/orgs/octo-org/secret-scanning/alerts?per_page=25&after="+query).alerts, servedID)
	}
	t.Run("default listing leaves generic types out", func(t *testing.T) {
		sameSet(t, served(""), ids(provider, ssID))
	})
	t.Run("naming the generic types lists only them", func(t *testing.T) {
		sameSet(t, served("&secret_type="+url.QueryEscape(joinTypes(GenericSecretTypes()))), ids(generic, ssID))
	})
	t.Run("naming one provider type lists only it", func(t *testing.T) {
		typ := provider[0].SecretType
		want := slices.DeleteFunc(slices.Clone(provider), func(a SecretScanningAlert) bool { return a.SecretType != typ })
		sameSet(t, served("&secret_type="+typ), ids(want, ssID))
	})
}

func joinTypes(types []string) string {
	s := ""
	for i, t := range types {
		if i > 0 {
			s += ","
		}
		s += t
	}
	return s
}

func TestRepositoriesDeletedTransferredRenamed(t *testing.T) {
	m := newSim(t, Config{})
	before := m.s.DependabotAlerts("octo-org")
	updated := map[int64]map[int]string{} // repository id → number → updated_at
	inv := m.s.Repositories("octo-org")
	idOf := map[string]int64{}
	for _, r := range inv {
		idOf[r.Name] = r.DatabaseID
	}
	for _, a := range before {
		if updated[idOf[a.Repo]] == nil {
			updated[idOf[a.Repo]] = map[int]string{}
		}
		updated[idOf[a.Repo]][a.Number] = timestamp(a.UpdatedAt)
	}
	repos := m.s.Repos("octo-org")
	deleted, transferred, renamed := repos[0], repos[1], repos[2]
	if !m.s.DeleteRepository("octo-org", deleted) || !m.s.TransferRepository("octo-org", transferred, "elsewhere") ||
		!m.s.RenameRepository("octo-org", renamed, renamed+"-v2") {
		t.Fatal("a repository operation failed")
	}
	if m.s.RenameRepository("octo-org", deleted, "x") {
		t.Error("a deleted repository could be renamed")
	}

	names := map[int64]string{}
	for _, r := range m.s.Repositories("octo-org") {
		names[r.DatabaseID] = r.Name
	}
	if len(names) != len(inv)-2 {
		t.Errorf("inventory lists %d repositories; want %d", len(names), len(inv)-2)
	}
	if names[idOf[renamed]] != renamed+"-v2" {
		t.Errorf("inventory names repository %d %q; want %q", idOf[renamed], names[idOf[renamed]], renamed+"-v2")
	}
	for _, gone := range []string{deleted, transferred} {
		if _, ok := names[idOf[gone]]; ok {
			t.Errorf("inventory still lists %s", gone)
		}
	}
	w := m.walk("/orgs/octo-org/dependabot/alerts?per_page=50")
	seenRenamed := 0
	for _, a := range w.alerts {
		r := a["repository"].(map[string]any)
		id, name := int64(r["id"].(float64)), r["name"].(string)
		if name != names[id] {
			t.Errorf("alert %s: repository %d served as %q; the inventory says %q", alertID(a), id, name, names[id])
		}
		if id == idOf[renamed] {
			seenRenamed++
		}
		if want := updated[id][int(a["number"].(float64))]; a["updated_at"] != want {
			t.Errorf("alert %s: updated_at %v; want %s as before", alertID(a), a["updated_at"], want)
		}
	}
	if seenRenamed != len(updated[idOf[renamed]]) {
		t.Errorf("renamed repository: %d alerts served; want its %d", seenRenamed, len(updated[idOf[renamed]]))
	}
	if got, want := len(w.alerts), len(before)-len(updated[idOf[deleted]])-len(updated[idOf[transferred]]); got != want {
		t.Errorf("%d alerts served; want %d", got, want)
	}
	resp, _ := m.get("/repos/octo-org/" + deleted + "/code-scanning/alerts")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("per-repository listing of a deleted repository: %s; want 404", resp.Status)
	}
}

func TestReclassificationsMoveNoUpdatedAt(t *testing.T) {
	m := newSim(t, Config{})
	depBefore := m.s.DependabotAlerts("octo-org")
	csBefore := m.s.CodeScanningAlerts("octo-org")
	if m.s.ReclassifyAdvisories(3) == 0 || m.s.ChangeRuleSeverities("octo-org", 2) == 0 || m.s.ChangeDependencyScopes("octo-org", 4) == 0 {
		t.Fatal("nothing changed")
	}
	changed := 0
	served := map[string]map[string]any{}
	for _, a := range m.walk("/orgs/octo-org/dependabot/alerts?per_page=100").alerts {
		served[alertID(a)] = a
	}
	for i, a := range m.s.DependabotAlerts("octo-org") {
		b := depBefore[i]
		if a.UpdatedAt != b.UpdatedAt {
			t.Errorf("dependabot %s: updated_at moved", depID(a))
		}
		if a.Severity != b.Severity || a.Scope != b.Scope {
			changed++
		}
		j := served[depID(a)]
		if sev := j["security_advisory"].(map[string]any)["severity"]; sev != a.Severity {
			t.Errorf("dependabot %s: served severity %v; ground truth %s", depID(a), sev, a.Severity)
		}
		if scope, _ := j["dependency"].(map[string]any)["scope"].(string); scope != a.Scope {
			t.Errorf("dependabot %s: served scope %v; ground truth %s", depID(a), scope, a.Scope)
		}
	}
	for i, a := range m.s.CodeScanningAlerts("octo-org") {
		if a.UpdatedAt != csBefore[i].UpdatedAt {
			t.Errorf("code scanning %s: updated_at moved", csID(a))
		}
		if a.SecuritySeverity != csBefore[i].SecuritySeverity {
			changed++
		}
	}
	if changed == 0 {
		t.Error("no alert's labels changed")
	}
}

func TestServerIgnoringSortUpdated(t *testing.T) {
	m := newSim(t, Config{IgnoreSortUpdated: true, PathPrefix: "/api/v3"})
	m.s.Step(40) // updates out of creation order
	updatedFirst := m.walk("/api/v3/orgs/octo-org/code-scanning/alerts?per_page=100&sort=updated&direction=desc&after=").alerts
	createdFirst := m.walk("/api/v3/orgs/octo-org/code-scanning/alerts?per_page=100&sort=created&direction=desc&after=").alerts
	if !slices.EqualFunc(updatedFirst, createdFirst, func(a, b map[string]any) bool { return alertID(a) == alertID(b) }) {
		t.Error("sort=updated listed otherwise than by creation")
	}
	ordered := slices.IsSortedFunc(updatedFirst, func(a, b map[string]any) int {
		return -compareStrings(a["updated_at"].(string), b["updated_at"].(string))
	})
	if ordered {
		t.Error("listing is in updated_at order: the test shows nothing")
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestETagsAreSpecificToTheToken(t *testing.T) {
	m := newSim(t, Config{})
	const path = "/orgs/octo-org/dependabot/alerts?per_page=10"
	resp, _ := m.get(path)
	etag := resp.Header.Get("ETag")
	if resp, _ := m.get(path, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("same token: %s; want 304", resp.Status)
	}
	m.token = "another-token"
	resp, _ = m.get(path, "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Errorf("another token: %s with ETag %s; want 200 with another ETag than %s", resp.Status, resp.Header.Get("ETag"), etag)
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t.Errorf("Last-Modified %q on a listing; GitHub documents none", lm)
	}
}

// TestPageNumbersShiftWhenAlertsVanish shows why a walk asks for cursor links: alerts
// that vanish behind a page-number walk shift the later pages forward, so alerts that
// were there all along are never served; cursors continue after the last alert seen.
func TestPageNumbersShiftWhenAlertsVanish(t *testing.T) {
	for _, tt := range []struct {
		name, first string
		wantMissed  bool
	}{
		{"page numbers", "/orgs/octo-org/code-scanning/alerts?per_page=20&sort=created&direction=asc", true},
		{"cursors", "/orgs/octo-org/code-scanning/alerts?per_page=20&sort=created&direction=asc&after=", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newSim(t, Config{})
			resp, page := m.getOK(tt.first)
			seen := ids(page, servedID)
			victim := page[0]["repository"].(map[string]any)["name"].(string)
			m.s.DeleteRepository("octo-org", victim) // its alerts on the first page vanish
			for u := links(t, resp.Header)["next"]; u != ""; {
				r, p := m.getOK(u)
				for id, n := range ids(p, servedID) {
					seen[id] += n
				}
				u = links(t, r.Header)["next"]
			}
			missed := 0
			for id := range truthIDs(m, "code-scanning", "octo-org") {
				if seen[id] == 0 {
					missed++
				}
			}
			if (missed > 0) != tt.wantMissed {
				t.Errorf("%d alerts present all along were never served; want missed: %v", missed, tt.wantMissed)
			}
		})
	}
}
