package dashboards

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Query is one panel query of a shipped dashboard.
type Query struct {
	Dashboard string // dashboard uid, e.g. "ghsec-overview"
	Panel     string // panel title
	RefID     string // target refId within the panel ("A", "B", ...)
	Expr      string // PromQL with every variable substituted
	Legend    string // legend format, e.g. "critical" or "{{org}}"
}

// BuiltinVars are the values Queries uses for Grafana's built-in variables
// unless the caller passes its own.
var BuiltinVars = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__interval_ms":   "60000",
	"__range":         "1h",
	"__range_s":       "3600",
	"__range_ms":      "3600000",
}

// Queries returns every panel query of every dashboard in FS, in file and
// panel order, with Grafana variables ($org, ${org}, [[org]], ${org:regex},
// $__rate_interval, ...) replaced by vars. vars holds the text Grafana would
// interpolate, e.g. {"org": "acme", "repository": "api"} or ".*" for "All";
// built-in variables default to BuiltinVars. A variable that has no value is
// an error.
func Queries(vars map[string]string) ([]Query, error) {
	values := maps.Clone(BuiltinVars)
	maps.Copy(values, vars)
	queries, err := rawQueries()
	if err != nil {
		return nil, err
	}
	for i, q := range queries {
		queries[i].Expr, err = Substitute(q.Expr, values)
		if err != nil {
			return nil, fmt.Errorf("%s: panel %q, target %s: %w", q.Dashboard, q.Panel, q.RefID, err)
		}
	}
	return queries, nil
}

// rawQueries returns every panel query as written, variables unsubstituted.
func rawQueries() ([]Query, error) {
	files, err := fs.Glob(FS, "*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var out []Query
	for _, file := range files {
		d, err := load(file)
		if err != nil {
			return nil, err
		}
		for _, p := range d.allPanels() {
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) != "" {
					out = append(out, Query{Dashboard: d.UID, Panel: p.Title, RefID: t.RefID, Expr: t.Expr, Legend: t.LegendFormat})
				}
			}
		}
	}
	return out, nil
}

// varRef matches Grafana's variable syntaxes: ${name}, ${name:format},
// [[name]], [[name:format]] and $name. Built-ins such as
// ${__data.fields.org} contain dots.
var varRef = regexp.MustCompile(`\$\{([A-Za-z0-9_.]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_.]+)(?::[^\]]*)?\]\]|\$([A-Za-z_][A-Za-z0-9_]*)`)

// VarRefs returns the names of the variables s refers to, in order.
func VarRefs(s string) []string {
	var names []string
	for _, m := range varRef.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1]+m[2]+m[3])
	}
	return names
}

// Substitute replaces every variable reference in s by its value in values.
func Substitute(s string, values map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := VarRefs(ref)[0]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for variable(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// dashboard is the part of Grafana's dashboard JSON that the package and its
// tests look at.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Refresh       string  `json:"refresh"`
	Panels        []panel `json:"panels"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Collapsed   bool        `json:"collapsed"`
	Datasource  *datasource `json:"datasource"`
	GridPos     gridPos     `json:"gridPos"`
	Targets     []target    `json:"targets"`
	Panels      []panel     `json:"panels"` // children of a collapsed row
}

type gridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

type target struct {
	RefID        string      `json:"refId"`
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat"`
	Datasource   *datasource `json:"datasource"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Label      string          `json:"label"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasource     `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// queryText returns a query variable's query whether Grafana stored it as a
// string or as {"query": "..."}.
func (v variable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var q struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.Query, &q) == nil {
		return q.Query
	}
	return ""
}

func load(file string) (dashboard, error) {
	var d dashboard
	b, err := FS.ReadFile(file)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("decoding %s: %w", file, err)
	}
	return d, nil
}

// allPanels returns the top-level panels followed, for each row, by the
// panels stored inside it (collapsed rows keep their children there).
func (d dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}
