package alerts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const (
	rulesFile = "github-security.rules.yml"
	// recordingFile holds the recording rules the dashboards read.
	recordingFile = "github-security.recording.rules.yml"
	runbook       = "runbook.md"
	runbookURL    = "https://github.com/github-security-exporter/github-security-exporter/blob/main/alerts/runbook.md#"
)

var severities = []string{"critical", "warning", "info"}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func promtool(t *testing.T, args ...string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found in PATH (%v): install Debian package prometheus; .ci/run does", err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool(t, "check", "rules", rulesFile, recordingFile)
}

func TestPromtoolTestRules(t *testing.T) {
	tests, err := filepath.Glob("tests/*.test.yml")
	if err != nil || len(tests) == 0 {
		t.Fatalf("no promtool tests in tests/*.test.yml (%v)", err)
	}
	promtool(t, append([]string{"test", "rules"}, tests...)...)
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parsing %s: %v", rulesFile, err)
	}
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no rules", rulesFile)
	}
	return rules
}

func TestRulesAreLabelledAndAnnotated(t *testing.T) {
	anchors := runbookAnchors(t)
	seen := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			t.Errorf("recording rule %q: this file holds alerting rules only", r.Record)
			continue
		}
		if seen[r.Alert] {
			t.Errorf("alert %s defined twice", r.Alert)
		}
		seen[r.Alert] = true
		if s := r.Labels["severity"]; !slices.Contains(severities, s) {
			t.Errorf("alert %s: severity %q, want one of %v", r.Alert, s, severities)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("alert %s: annotation %s missing", r.Alert, a)
			}
		}
		if url := r.Annotations["runbook_url"]; url != "" {
			anchor, ok := strings.CutPrefix(url, runbookURL)
			if !ok || !anchors[anchor] {
				t.Errorf("alert %s: runbook_url %q is not %s<anchor> with an anchor of a heading in %s", r.Alert, url, runbookURL, runbook)
			}
		}
		if d, err := model.ParseDuration(r.For); err != nil || d == 0 {
			t.Errorf("alert %s: for %q, want a non-zero duration (%v)", r.Alert, r.For, err)
		}
	}
}

// TestRulesNameTheirMetrics checks that every expression parses and each
// selector names its metric. That the names are those the exporter serves
// is checked against its real /metrics by e2e.TestStackPrometheusAlertmanager
// ("served metrics").
func TestRulesNameTheirMetrics(t *testing.T) {
	for _, r := range loadRules(t) {
		expr, err := parser.ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("alert %s: %v", r.Alert, err)
			continue
		}
		metricNames(t, expr)
	}
}

// metricNames returns the metric names of every selector in expr. A selector
// must name its metric, directly or as a literal alternation on __name__.
func metricNames(t *testing.T, expr parser.Expr) []string {
	t.Helper()
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		found := false
		for _, m := range vs.LabelMatchers {
			if m.Name != labels.MetricName {
				continue
			}
			found = true
			switch {
			case m.Type == labels.MatchEqual:
				names = append(names, m.Value)
			case m.Type == labels.MatchRegexp && regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:|]*$`).MatchString(m.Value):
				names = append(names, strings.Split(m.Value, "|")...)
			default:
				t.Errorf("selector %s: match metric names by name or a|b|c alternation", vs)
			}
		}
		if !found {
			t.Errorf("selector %s has no metric name", vs)
		}
		return nil
	})
	return names
}

// runbookAnchors returns the anchors GitHub generates for the headings of
// runbook.md: lower case, punctuation dropped, spaces turned into hyphens.
func runbookAnchors(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
	anchors := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.TrimSpace(strings.TrimLeft(line, "#"))
		a := strings.ToLower(drop.ReplaceAllString(heading, ""))
		anchors[strings.ReplaceAll(a, " ", "-")] = true
	}
	return anchors
}

// TestEveryAlertHasFiringAndQuietCases reads the promtool tests and checks
// that each alert is expected to fire in at least one case and expected not
// to fire in another (before it fires, after it clears, or never).
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	files, err := filepath.Glob("tests/*.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string `yaml:"alertname"`
					ExpAlerts []struct {
						ExpLabels      map[string]string `yaml:"exp_labels"`
						ExpAnnotations map[string]string `yaml:"exp_annotations"`
					} `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(b, &tf); err != nil {
			t.Fatalf("parsing %s: %v", f, err)
		}
		for _, tc := range tf.Tests {
			for _, at := range tc.AlertRuleTest {
				if len(at.ExpAlerts) == 0 {
					quiet[at.Alertname] = true
					continue
				}
				fires[at.Alertname] = true
				for _, a := range at.ExpAlerts {
					if a.ExpLabels["severity"] == "" || a.ExpAnnotations["description"] == "" {
						t.Errorf("%s: a firing case of %s does not check exp_labels (severity) and exp_annotations (description)", f, at.Alertname)
					}
				}
			}
		}
	}
	for _, r := range loadRules(t) {
		if !fires[r.Alert] {
			t.Errorf("alert %s has no promtool test case in which it fires", r.Alert)
		}
		if !quiet[r.Alert] {
			t.Errorf("alert %s has no promtool test case in which it does not fire", r.Alert)
		}
	}
}
