package dashboards

import (
	"fmt"
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
	sampleJob        = "sample-job"
	sampleInstance   = "sample-instance"
	sampleOrg        = "sample-org"
	sampleRepository = "sample-repository"
)

var sampleVars = map[string]string{"job": sampleJob, "instance": sampleInstance, "org": sampleOrg, "repository": sampleRepository}

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

// TestQueriesHonourSelection checks that every selector filters on the job
// and instance variables (grafana/dashboard-linter's job and instance rules:
// one exporter per view, whatever the scrape job is called), and every
// selector of a metric with an org (repository) label on the org
// (repository) variable, so no panel silently shows other numbers.
func TestQueriesHonourSelection(t *testing.T) {
	for _, q := range parsedQueries(t, false) { // failures: see TestQueriesParse
		for _, problem := range selectionProblems(q.expr) {
			t.Errorf("%s: panel %q: %s", q.Dashboard, q.Panel, problem)
		}
	}
}

// TestSelectionProblemsCatchesMissingMatchers shows the check above fails a
// query without the job (or instance, org) matcher.
func TestSelectionProblemsCatchesMissingMatchers(t *testing.T) {
	for expr, want := range map[string]string{
		`sum(github_dependabot_alerts{instance=~"sample-instance", org=~"sample-org", repository=~"sample-repository"})`:                    "does not filter on $job",
		`sum(github_dependabot_alerts{job=~"sample-job", org=~"sample-org", repository=~"sample-repository"})`:                              "does not filter on $instance",
		`sum(github_dependabot_alerts{job=~"sample-job", instance=~"sample-instance", repository=~"sample-repository"})`:                    "does not filter on $org",
		`max(github_exporter_collection_interval_seconds{job=~"sample-job", instance=~"sample-instance"}) * on () group_left () up{}`:       "does not filter on $job",
		`sum(github_dependabot_alerts{job=~"sample-job", instance=~"sample-instance", org=~"sample-org", repository=~"sample-repository"})`: "",
	} {
		e, err := parser.ParseExpr(expr)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(selectionProblems(e), "; ")
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("selectionProblems(%s) = %q, want %q", expr, got, want)
		}
	}
}

func selectionProblems(expr parser.Expr) []string {
	var out []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for label, value := range map[string]string{"job": sampleJob, "instance": sampleInstance} {
			if !filters(vs, label, value) {
				out = append(out, fmt.Sprintf("%s does not filter on $%s", vs, label))
			}
		}
		for _, name := range selectorNames(vs) {
			if slices.Contains(orgMetrics, name) && !filters(vs, "org", sampleOrg) {
				out = append(out, fmt.Sprintf("%s does not filter on $org", vs))
			}
			if slices.Contains(repositoryMetrics, name) && !filters(vs, "repository", sampleRepository) {
				out = append(out, fmt.Sprintf("%s does not filter on $repository", vs))
			}
		}
		return nil
	})
	slices.Sort(out)
	return out
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
	if _, err := Queries(map[string]string{"job": "j", "instance": "i", "org": "acme"}); err == nil {
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

// checkMetricNames reports selectors that name no metric. That each name is
// one the exporter serves is checked against its real /metrics by
// e2e.TestStackPrometheusAlertmanager ("served metrics").
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
		return nil
	})
}
