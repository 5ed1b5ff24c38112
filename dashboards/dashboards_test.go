package dashboards

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// wantUIDs are the stable uids of the shipped dashboards; links and
// bookmarks depend on them.
var wantUIDs = map[string]string{
	"security-overview.json": "ghsec-overview",
	"repository-detail.json": "ghsec-repository",
	"exporter-health.json":   "ghsec-exporter-health",
	// Secret scanning patterns, code security configurations, repository coverage.
	"secret-scanning-coverage.json": "ghsec-coverage",
}

// singleSelect lists the variables a dashboard offers as single values
// instead of multi-value with "All".
var singleSelect = map[string][]string{
	// Repository names are unique only within an organization.
	"ghsec-repository": {"org", "repository"},
}

var panelTypes = []string{"row", "text", "stat", "timeseries", "bargauge", "table"}

// Labels the exporter's metrics carry, for checking that queries honour the
// dashboard's org and repository selection.
var (
	repositoryMetrics = []string{
		"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts",
		"github_alerts_oldest_open_timestamp_seconds",
		"github_repository_info", "github_code_scanning_last_analysis_timestamp_seconds",
	}
	orgMetrics = append([]string{
		"github_exporter_collection_success", "github_exporter_last_success_timestamp_seconds",
		"github_exporter_collection_duration_seconds", "github_exporter_source_available",
		"github_exporter_collection_failures_total", "github_exporter_tracked_alerts",
		"github_alerts_open_age_seconds_bucket", "github_alerts_open_age_seconds_sum",
		"github_alerts_open_age_seconds_count", "github_alerts_time_to_remediate_seconds_bucket",
		"github_alerts_time_to_remediate_seconds_sum", "github_alerts_time_to_remediate_seconds_count",
		"github_alerts_sla_breached",
		"github_secret_scanning_pattern_alerts", "github_secret_scanning_pattern_false_positives",
		"github_secret_scanning_pattern_false_positive_ratio", "github_secret_scanning_pattern_bypass_ratio",
		"github_secret_scanning_pattern_push_protection_enabled",
		"github_code_security_configuration_info", "github_code_security_configuration_setting",
		"github_code_security_configuration_repositories",
	}, repositoryMetrics...)
)

type file struct {
	name string
	raw  []byte
	d    dashboard
}

func loadFiles(t *testing.T) []file {
	t.Helper()
	names, err := fs.Glob(FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no dashboards embedded")
	}
	var files []file
	for _, name := range names {
		raw, err := FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Errorf("%s is not valid JSON", name)
			continue
		}
		d, err := load(name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		files = append(files, file{name, raw, d})
	}
	return files
}

func TestUIDsAndDefaults(t *testing.T) {
	files := loadFiles(t)
	seen := map[string]string{}
	for _, f := range files {
		d := f.d
		if d.UID == "" {
			t.Errorf("%s: no uid", f.name)
		}
		if other, dup := seen[d.UID]; dup {
			t.Errorf("%s: uid %q already used by %s", f.name, d.UID, other)
		}
		seen[d.UID] = f.name
		if want, ok := wantUIDs[f.name]; ok && d.UID != want {
			t.Errorf("%s: uid %q, want %q (uids must stay stable)", f.name, d.UID, want)
		}
		if d.Title == "" {
			t.Errorf("%s: no title", f.name)
		}
		if d.SchemaVersion < 39 {
			t.Errorf("%s: schemaVersion %d, want 39 or later", f.name, d.SchemaVersion)
		}
		if d.Time.From == "" || d.Time.To == "" || d.Refresh == "" {
			t.Errorf("%s: set a default time range and refresh (time %+v, refresh %q)", f.name, d.Time, d.Refresh)
		}
	}
	for name := range wantUIDs {
		if _, ok := seen[wantUIDs[name]]; !ok {
			t.Errorf("dashboard %s (uid %s) is missing", name, wantUIDs[name])
		}
	}
}

func TestTemplateVariables(t *testing.T) {
	for _, f := range loadFiles(t) {
		vars := map[string]variable{}
		for _, v := range f.d.Templating.List {
			vars[v.Name] = v
		}
		ds, ok := vars["datasource"]
		if !ok || ds.Type != "datasource" || ds.queryText() != "prometheus" {
			t.Errorf("%s: want a variable datasource of type datasource with query prometheus, got %+v", f.name, ds)
		}
		for _, name := range []string{"job", "instance", "org", "repository"} {
			v, ok := vars[name]
			if !ok {
				t.Errorf("%s: variable %s missing", f.name, name)
				continue
			}
			if v.Type != "query" || !usesDatasourceVar(v.Datasource) {
				t.Errorf("%s: variable %s must be a query on ${datasource}", f.name, name)
			}
			if name == "instance" && !strings.Contains(v.queryText(), `job=~"$job"`) {
				t.Errorf("%s: variable instance must list the instances of the selected jobs", f.name)
			}
			single := slices.Contains(singleSelect[f.d.UID], name)
			if single && (v.Multi || v.IncludeAll) {
				t.Errorf("%s: variable %s must be single-select", f.name, name)
			}
			if !single && (!v.Multi || !v.IncludeAll || v.AllValue != ".*") {
				t.Errorf("%s: variable %s must be multi-value with All = .* (multi %v, includeAll %v, allValue %q)",
					f.name, name, v.Multi, v.IncludeAll, v.AllValue)
			}
			checkVariableQuery(t, f.name, name, v.queryText())
		}
	}
}

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// checkVariableQuery parses label_values(selector, label) and checks the
// selector's metric names.
func checkVariableQuery(t *testing.T, file, name, query string) {
	t.Helper()
	m := labelValues.FindStringSubmatch(strings.TrimSpace(query))
	if m == nil {
		t.Errorf("%s: variable %s: query %q is not label_values(selector, label)", file, name, query)
		return
	}
	if m[2] != name {
		t.Errorf("%s: variable %s lists values of label %s", file, name, m[2])
	}
	sel, err := Substitute(m[1], sampleVars)
	if err != nil {
		t.Errorf("%s: variable %s: %v", file, name, err)
		return
	}
	expr, err := parser.ParseExpr(sel)
	if err != nil {
		t.Errorf("%s: variable %s: selector %q: %v", file, name, sel, err)
		return
	}
	checkMetricNames(t, fmt.Sprintf("%s: variable %s", file, name), expr)
}

func usesDatasourceVar(ds *datasource) bool {
	return ds != nil && ds.Type == "prometheus" && ds.UID == "${datasource}"
}

func TestPanels(t *testing.T) {
	for _, f := range loadFiles(t) {
		ids := map[int]bool{}
		for _, p := range f.d.allPanels() {
			where := fmt.Sprintf("%s: panel %d %q", f.name, p.ID, p.Title)
			if p.ID <= 0 || ids[p.ID] {
				t.Errorf("%s: id missing or not unique", where)
			}
			ids[p.ID] = true
			if !slices.Contains(panelTypes, p.Type) {
				t.Errorf("%s: type %q, want one of %v", where, p.Type, panelTypes)
			}
			if p.Title == "" {
				t.Errorf("%s: no title", where)
			}
			if p.Type == "row" {
				continue
			}
			if p.Description == "" {
				t.Errorf("%s: no description", where)
			}
			if p.Type == "text" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no queries", where)
			}
			if !usesDatasourceVar(p.Datasource) {
				t.Errorf("%s: panel datasource must be the ${datasource} variable, got %+v", where, p.Datasource)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if !usesDatasourceVar(tg.Datasource) {
					t.Errorf("%s: target %s datasource must be the ${datasource} variable", where, tg.RefID)
				}
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("%s: refId %q missing or not unique", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: target %s has no expr", where, tg.RefID)
				}
			}
		}
	}
}

func TestLayoutDoesNotOverlap(t *testing.T) {
	for _, f := range loadFiles(t) {
		checkOverlap(t, f.name, f.d.Panels)
		for _, p := range f.d.Panels {
			if p.Type == "row" && len(p.Panels) > 0 {
				if !p.Collapsed {
					t.Errorf("%s: row %q is expanded but stores panels", f.name, p.Title)
				}
				checkOverlap(t, fmt.Sprintf("%s (row %q)", f.name, p.Title), p.Panels)
			}
		}
	}
}

func checkOverlap(t *testing.T, where string, panels []panel) {
	t.Helper()
	for i, a := range panels {
		g := a.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: panel %q has gridPos %+v outside the 24-column grid", where, a.Title, g)
		}
		for _, b := range panels[i+1:] {
			h := b.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("%s: panels %q %+v and %q %+v overlap", where, a.Title, g, b.Title, h)
			}
		}
	}
}

// TestVariablesAreDefined finds every variable reference anywhere in the
// dashboards (queries, titles, links) and checks it is a templating variable,
// one of Grafana's built-ins (all named __...) or an import input (DS_...,
// checked by TestImportAsksForDataSource).
func TestVariablesAreDefined(t *testing.T) {
	for _, f := range loadFiles(t) {
		defined := map[string]bool{}
		for _, v := range f.d.Templating.List {
			defined[v.Name] = true
		}
		var doc any
		if err := json.Unmarshal(f.raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range allStrings(doc) {
			for _, name := range VarRefs(s) {
				if !defined[name] && !strings.HasPrefix(name, "__") && !strings.HasPrefix(name, "DS_") {
					t.Errorf("%s: %q uses undefined variable %s", f.name, s, name)
				}
			}
		}
	}
}

// allStrings returns every string value in a decoded JSON document.
func allStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, allStrings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, allStrings(e)...)
		}
		return out
	}
	return nil
}

// TestImportAsksForDataSource checks what Grafana's import (Dashboards >
// New > Import, as the README describes) needs to ask for the data source.
func TestImportAsksForDataSource(t *testing.T) {
	for _, f := range loadFiles(t) {
		for _, problem := range importProblems(f.raw) {
			t.Errorf("%s: %s", f.name, problem)
		}
	}
}

// TestImportProblemsCatchesMissingInputs shows the check above fails an
// export without __inputs.
func TestImportProblemsCatchesMissingInputs(t *testing.T) {
	raw, err := FS.ReadFile("security-overview.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "__inputs")
	stripped, _ := json.Marshal(doc)
	if got := importProblems(stripped); len(got) == 0 {
		t.Error("importProblems accepts a dashboard without __inputs")
	}
}

// importProblems returns what keeps Grafana's import from asking for the
// Prometheus data source: a datasource input in __inputs, the datasource
// variable defaulting to it, and no ${DS_...} reference that is not an input.
func importProblems(raw []byte) []string {
	var d struct {
		Inputs []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			PluginID string `json:"pluginId"`
		} `json:"__inputs"`
		Templating struct {
			List []struct {
				Name    string `json:"name"`
				Current struct {
					Value any `json:"value"`
				} `json:"current"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	inputs := map[string]bool{}
	for _, in := range d.Inputs {
		if in.Type == "datasource" && in.PluginID == "prometheus" {
			inputs[in.Name] = true
		}
	}
	if len(inputs) == 0 {
		problems = append(problems, "no __inputs entry of type datasource, pluginId prometheus")
	}
	for _, v := range d.Templating.List {
		if v.Name != "datasource" {
			continue
		}
		ref, _ := v.Current.Value.(string)
		if name := strings.TrimSuffix(strings.TrimPrefix(ref, "${"), "}"); !inputs[name] {
			problems = append(problems, fmt.Sprintf("variable datasource defaults to %q, not to an __inputs data source", ref))
		}
	}
	for _, m := range dsRef.FindAllStringSubmatch(string(raw), -1) {
		if !inputs[m[1]] {
			problems = append(problems, fmt.Sprintf("${%s} is not an __inputs entry", m[1]))
		}
	}
	return problems
}

var dsRef = regexp.MustCompile(`\$\{(DS_[A-Z0-9_]+)\}`)
