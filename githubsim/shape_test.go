package githubsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestShapesMatchGitHubExamples compares every served alert with GitHub's own
// example bodies (testdata/*.json, copied from the project's reference
// fixtures): the same keys at every level, the same JSON kinds. Documented
// fields the examples happen to leave out are listed as extras.
func TestShapesMatchGitHubExamples(t *testing.T) {
	m := newSim(t, Config{Seed: 2})
	tests := []struct {
		family   string
		extras   map[string][]string // path → keys GitHub documents but the example lacks
		optional map[string][]string // path → keys that may be absent
	}{
		{
			family: "code-scanning",
			extras: map[string][]string{
				"":     {"updated_at", "fixed_at"},
				"rule": {"security_severity_level"},
			},
			// Absent for tools that report no security severity, as in the example.
			optional: map[string][]string{"rule": {"security_severity_level"}},
		},
		{
			family: "dependabot",
			extras: map[string][]string{"": {"auto_dismissed_at"}},
		},
		{
			family:   "secret-scanning",
			extras:   map[string][]string{"": {"updated_at"}},
			optional: map[string][]string{"": {"validity"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			var examples []any
			raw, err := os.ReadFile(filepath.Join("testdata", tt.family+"-org-alerts.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &examples); err != nil {
				t.Fatal(err)
			}
			var want any
			for _, e := range examples {
				want = mergeShape(want, e)
			}
			w := m.walk("/orgs/octo-org/" + tt.family + "/alerts?per_page=100")
			for _, a := range w.alerts {
				checkShape(t, alertID(a), "", want, a, tt.extras, tt.optional)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// mergeShape unions two example values: keys of objects, first elements of arrays.
func mergeShape(a, b any) any {
	switch x := a.(type) {
	case nil:
		return b
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return a
		}
		out := map[string]any{}
		for k, v := range x {
			out[k] = v
		}
		for k, v := range y {
			out[k] = mergeShape(out[k], v)
		}
		return out
	case []any:
		if y, ok := b.([]any); ok && len(x) == 0 {
			return y
		}
	}
	return a
}

// kindExceptions are fields whose example value contradicts GitHub's schema;
// the simulator follows the schema.
var kindExceptions = map[string]bool{
	"security_advisory.epss.percentile": true, // example "0.16001e0", schema number
}

// objectOrArray are fields GitHub sends as the documented object or as an array of it,
// as some of its examples show; the simulator serves both, compared element-wise.
var objectOrArray = map[string]bool{"security_advisory.epss": true}

func checkShape(t *testing.T, id, path string, want, got any, extras, optional map[string][]string) {
	t.Helper()
	if arr, ok := got.([]any); ok && objectOrArray[path] && len(arr) > 0 {
		got = arr[0]
	}
	if want == nil || got == nil {
		return // null on either side: nothing to compare
	}
	if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) && !kindExceptions[path] {
		t.Errorf("%s: %s is %T, GitHub's example has %T", id, path, got, want)
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k := range g {
			if _, ok := w[k]; !ok && !slices.Contains(extras[path], k) {
				t.Errorf("%s: %s has key %q that GitHub's example has not", id, orRoot(path), k)
			}
		}
		for k := range w {
			if _, ok := g[k]; !ok && !slices.Contains(optional[path], k) {
				t.Errorf("%s: %s lacks key %q", id, orRoot(path), k)
			}
		}
		for k, v := range g {
			checkShape(t, id, join(path, k), w[k], v, extras, optional)
		}
	case []any:
		if g := got.([]any); len(w) > 0 && len(g) > 0 {
			for _, v := range g {
				checkShape(t, id, path, w[0], v, extras, optional)
			}
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orRoot(path string) string {
	if path == "" {
		return "the alert"
	}
	return path
}

// TestNullsAndAbsences checks the representations the brief asks for: state
// null when unknown, security_severity_level only when set or null,
// dependency.scope null, validity absent.
func TestNullsAndAbsences(t *testing.T) {
	m := newSim(t, Config{Seed: 2, Orgs: []OrgSpec{{Login: "big", Repos: 30, CodeScanning: 800, Dependabot: 600, SecretScanning: 400}}})
	seen := map[string]bool{}
	for _, a := range m.walk("/orgs/big/code-scanning/alerts?per_page=100").alerts {
		rule := a["rule"].(map[string]any)
		sev, has := rule["security_severity_level"]
		switch {
		case a["state"] == nil:
			seen["null state"] = true
		case !has:
			seen["security severity absent"] = true
		case sev == nil:
			seen["security severity null"] = true
		default:
			seen["security severity set"] = true
		}
	}
	for _, a := range m.walk("/orgs/big/dependabot/alerts?per_page=100").alerts {
		dep := a["dependency"].(map[string]any)
		if v, ok := dep["scope"]; ok && v == nil {
			seen["scope null"] = true
		}
		adv, vuln := a["security_advisory"].(map[string]any), a["security_vulnerability"].(map[string]any)
		if adv["severity"] != vuln["severity"] || adv["severity"] == "moderate" {
			t.Errorf("%s: advisory severity %v, vulnerability severity %v", alertID(a), adv["severity"], vuln["severity"])
		}
	}
	for _, a := range m.walk("/orgs/big/secret-scanning/alerts?per_page=100").alerts {
		if _, ok := a["validity"]; !ok {
			seen["validity absent"] = true
		}
		if a["state"] == "open" && a["resolution"] == nil {
			seen["resolution null"] = true
		}
	}
	for _, k := range []string{"null state", "security severity absent", "security severity null", "security severity set", "scope null", "validity absent", "resolution null"} {
		if !seen[k] {
			t.Errorf("no served alert with %s", k)
		}
	}
}
