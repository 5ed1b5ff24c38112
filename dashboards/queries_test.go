package dashboards

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Sample values for the dashboards' variables. They are distinctive so that
// TestQueriesHonourSelection can tell where each one ended up.
const (
	sampleOrg        = "sample-org"
	sampleRepository = "sample-repository"
)

var sampleVars = map[string]string{"org": sampleOrg, "repository": sampleRepository}

type parsedQuery struct {
	Query
	expr parser.Expr
}

// parsedQueries returns every panel query, substituted with sampleVars and
// parsed. Queries that fail are left out, and reported if report is set.
func parsedQueries(t *testing.T, report bool) []parsedQuery {
	t.Helper()
	queries, err := rawQueries()
	if err != nil {
		t.Fatal(err)
	}
	values := maps.Clone(BuiltinVars)
	maps.Copy(values, sampleVars)
	var out []parsedQuery
	for _, q := range queries {
		s, err := Substitute(q.Expr, values)
		var expr parser.Expr
		if err == nil {
			expr, err = parser.ParseExpr(s)
		}
		if err != nil {
			if report {
				t.Errorf("%s: panel %q, target %s: %v\n%s", q.Dashboard, q.Panel, q.RefID, err, s)
			}
			continue
		}
		out = append(out, parsedQuery{q, expr})
	}
	return out
}

func TestQueriesParse(t *testing.T) {
	perDashboard := map[string]int{}
	for _, q := range parsedQueries(t, true) {
		perDashboard[q.Dashboard]++
		checkMetricNames(t, q.Dashboard+": panel "+q.Panel, q.expr)
	}
	for _, uid := range wantUIDs {
		if perDashboard[uid] == 0 {
			t.Errorf("Queries returned nothing for %s", uid)
		}
	}
}

// TestQueriesHonourSelection checks that every selector of a metric with an
// org (repository) label filters on the org (repository) variable, so no
// panel silently shows other organizations' numbers.
func TestQueriesHonourSelection(t *testing.T) {
	for _, q := range parsedQueries(t, false) { // failures: see TestQueriesParse
		parser.Inspect(q.expr, func(n parser.Node, _ []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			for _, name := range selectorNames(vs) {
				if slices.Contains(orgMetrics, name) && !filters(vs, "org", sampleOrg) {
					t.Errorf("%s: panel %q: %s does not filter on $org", q.Dashboard, q.Panel, vs)
				}
				if slices.Contains(repositoryMetrics, name) && !filters(vs, "repository", sampleRepository) {
					t.Errorf("%s: panel %q: %s does not filter on $repository", q.Dashboard, q.Panel, vs)
				}
			}
			return nil
		})
	}
}

func filters(vs *parser.VectorSelector, label, value string) bool {
	for _, m := range vs.LabelMatchers {
		if m.Name == label && strings.Contains(m.Value, value) &&
			(m.Type == labels.MatchEqual || m.Type == labels.MatchRegexp) {
			return true
		}
	}
	return false
}

func TestQueriesSubstitution(t *testing.T) {
	values := map[string]string{"org": "acme", "__rate_interval": "5m"}
	for in, want := range map[string]string{
		`x{org=~"$org"}`:                          `x{org=~"acme"}`,
		`x{org=~"${org}"}`:                        `x{org=~"acme"}`,
		`x{org=~"${org:regex}"}`:                  `x{org=~"acme"}`,
		`x{org=~"[[org]]"}`:                       `x{org=~"acme"}`,
		`rate(x[$__rate_interval])`:               `rate(x[5m])`,
		`rate(x{org="$org"}[${__rate_interval}])`: `rate(x{org="acme"}[5m])`,
	} {
		got, err := Substitute(in, values)
		if err != nil || got != want {
			t.Errorf("Substitute(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Substitute(`x{repository="$repository"}`, values); err == nil {
		t.Error("Substitute accepted a variable without a value")
	}
	if _, err := Queries(map[string]string{"org": "acme"}); err == nil {
		t.Error("Queries accepted vars without repository")
	}
	queries, err := Queries(sampleVars)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := rawQueries()
	if len(queries) != len(raw) {
		t.Errorf("Queries returned %d queries, the dashboards have %d", len(queries), len(raw))
	}
	for _, q := range queries {
		if VarRefs(q.Expr) != nil {
			t.Errorf("%s: panel %q: variables left in %s", q.Dashboard, q.Panel, q.Expr)
		}
	}
}

var literalNames = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:|]*$`)

// selectorNames returns the metric names a selector matches: its name, or a
// literal a|b|c alternation on __name__. Nil if it names no metric.
func selectorNames(vs *parser.VectorSelector) []string {
	var names []string
	for _, m := range vs.LabelMatchers {
		if m.Name != labels.MetricName {
			continue
		}
		switch {
		case m.Type == labels.MatchEqual:
			names = append(names, m.Value)
		case m.Type == labels.MatchRegexp && literalNames.MatchString(m.Value):
			names = append(names, strings.Split(m.Value, "|")...)
		}
	}
	return names
}

// checkMetricNames reports selectors that name no metric, and metrics the
// exporter does not expose.
func checkMetricNames(t *testing.T, where string, expr parser.Expr) {
	t.Helper()
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		names := selectorNames(vs)
		if len(names) == 0 {
			t.Errorf("%s: selector %s names no metric (use a name, or __name__=~\"a|b\")", where, vs)
		}
		for _, name := range names {
			if !IsExporterMetric(name) {
				t.Errorf("%s: metric %s is not exposed by the exporter (ExporterMetrics)", where, name)
			}
		}
		return nil
	})
}
