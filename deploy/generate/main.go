// Command generate writes the dashboards, and the Kubernetes manifests that are
// derived from other folders of the repository, so they never drift from
// their sources:
//
//	dashboards/*.json                          from dashboard_*.go (Grafana's foundation SDK)
//	alerts/*.rules.yml                         from alerts/*.rules.yml.tmpl and rulesConfig
//	deploy/kubernetes/prometheusrule.yaml      from the rules
//	deploy/kubernetes/grafana-dashboards.yaml  from the dashboards
//
// Run it from the repository root:
//
//	go run ./deploy/generate [-rules.selector='job="github-security-exporter"']
//
// A test in this package fails when the checked-in files differ from what the
// generator produces.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Output files, relative to the repository root (slash-separated).
const (
	prometheusRuleFile = "deploy/kubernetes/prometheusrule.yaml"
	dashboardsFile     = "deploy/kubernetes/grafana-dashboards.yaml"
)

// Inputs, relative to the repository root.
const (
	rulesGlob = "alerts/*.rules.yml"
)

const appName = "github-security-exporter"

func main() {
	cfg := defaultRulesConfig
	flag.StringVar(&cfg.Selector, "rules.selector", cfg.Selector, "label matcher selecting the exporter's targets in every rule")
	flag.Parse()
	if err := run(".", cfg); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(root string, cfg rulesConfig) error {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("run from the repository root (go run ./deploy/generate): %w", err)
	}
	files, err := generate(root, cfg)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// generate returns the generated files, keyed by their slash-separated path
// relative to root. The output depends only on the input files' contents.
func generate(root string, cfg rulesConfig) (map[string][]byte, error) {
	rules, err := renderRules(root, cfg)
	if err != nil {
		return nil, err
	}
	prometheusRules, err := prometheusRule(rules)
	if err != nil {
		return nil, err
	}
	files, err := dashboardJSON()
	if err != nil {
		return nil, err
	}
	configMaps, err := dashboardConfigMaps(files)
	if err != nil {
		return nil, err
	}
	maps.Copy(files, rules)
	files[prometheusRuleFile] = prometheusRules
	files[dashboardsFile] = configMaps
	return files, nil
}

type metadata struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type prometheusRuleObject struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       struct {
		Groups []*yaml.Node `yaml:"groups"`
	} `yaml:"spec"`
}

type configMap struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   metadata          `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}

// prometheusRule renders one PrometheusRule whose spec.groups are the groups of
// every rules file (rendered, keyed by file), in file order and then in the
// order written.
func prometheusRule(rendered map[string][]byte) ([]byte, error) {
	files := slices.Sorted(maps.Keys(rendered))
	obj := prometheusRuleObject{
		APIVersion: "monitoring.coreos.com/v1",
		Kind:       "PrometheusRule",
		Metadata: metadata{
			Name:   appName,
			Labels: map[string]string{"app.kubernetes.io/name": appName},
		},
	}
	seen := map[string]string{}
	for _, name := range files {
		groups, err := ruleGroups(rendered[name])
		if err != nil {
			return nil, fmt.Errorf("reading rule groups of %s: %w", name, err)
		}
		for _, g := range groups {
			groupName := mappingValue(g, "name")
			if groupName == nil || groupName.Value == "" {
				return nil, fmt.Errorf("%s: a rule group has no name", name)
			}
			if first, dup := seen[groupName.Value]; dup {
				return nil, fmt.Errorf("rule group %q is in both %s and %s", groupName.Value, first, name)
			}
			seen[groupName.Value] = name
			obj.Spec.Groups = append(obj.Spec.Groups, g)
		}
	}
	return encode(files, obj)
}

// ruleGroups returns the items of the top-level "groups" list of a Prometheus
// rules file, without comments.
func ruleGroups(data []byte) ([]*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("not a YAML document")
	}
	groups := mappingValue(doc.Content[0], "groups")
	if groups == nil || groups.Kind != yaml.SequenceNode || len(groups.Content) == 0 {
		return nil, errors.New("no groups list")
	}
	stripComments(groups)
	return groups.Content, nil
}

// mappingValue returns the value of key in a mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func stripComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c)
	}
}

// dashboardConfigMaps renders one ConfigMap per dashboard (keyed by file),
// labelled for the Grafana sidecar (kiwigrid/k8s-sidecar, as in the Grafana
// Helm chart and kube-prometheus-stack), with the JSON file as its only data item.
func dashboardConfigMaps(dashboards map[string][]byte) ([]byte, error) {
	files := slices.Sorted(maps.Keys(dashboards))
	objs := make([]any, 0, len(files))
	for _, name := range files {
		data := dashboards[name]
		if !json.Valid(data) {
			return nil, fmt.Errorf("%s is not valid JSON", name)
		}
		key := path.Base(name)
		if !configMapKey.MatchString(key) {
			return nil, fmt.Errorf("%s: %q cannot be a ConfigMap key", name, key)
		}
		objs = append(objs, configMap{
			APIVersion: "v1",
			Kind:       "ConfigMap",
			Metadata: metadata{
				Name: appName + "-dashboard-" + dnsLabel(strings.TrimSuffix(key, ".json")),
				Labels: map[string]string{
					"app.kubernetes.io/name": appName,
					"grafana_dashboard":      "1",
				},
				Annotations: map[string]string{"grafana_folder": "GitHub Security"},
			},
			Data: map[string]string{key: string(data)},
		})
	}
	return encode(files, objs...)
}

var (
	configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	notDNS       = regexp.MustCompile(`[^a-z0-9]+`)
)

// dnsLabel turns a file name into the lower-case, hyphenated form Kubernetes
// allows in object names.
func dnsLabel(s string) string {
	return strings.Trim(notDNS.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// inputs returns the files matching pattern under root, slash-separated,
// relative to root and sorted.
func inputs(root, pattern string) ([]string, error) {
	matches, err := fs.Glob(os.DirFS(root), pattern)
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("no files match %s under %s", pattern, root)
	}
	slices.Sort(matches)
	return matches, nil
}

// encode writes the header naming the sources, then each object as its own
// YAML document.
func encode(sources []string, objs ...any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# generated by go run ./deploy/generate; do not edit.\n")
	for _, s := range sources {
		fmt.Fprintf(&buf, "# source: %s\n", s)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, obj := range objs {
		if err := enc.Encode(obj); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
