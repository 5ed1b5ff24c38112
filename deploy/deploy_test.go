package deploy

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The rules file of alerts/, relative to this folder.
const rulesFile = "../alerts/github-security.rules.yml"

// tool returns the path of a command-line tool the tests need. A missing tool
// fails the test: a skipped check looks like a passed one in CI.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian packages prometheus and prometheus-alertmanager; .ci/run does", name)
	}
	return p
}

// runTool runs a tool in dir and returns its standard output.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// documents decodes every YAML document of a file.
func documents(t *testing.T, file string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", file, len(docs)+1, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// alertRules returns the alerting rules of alerts/github-security.rules.yml.
func alertRules(t *testing.T) []alertRule {
	t.Helper()
	var f struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, rulesFile, &f)
	var rules []alertRule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				r.Group = g.Name
				rules = append(rules, r)
			}
		}
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no alerting rules", rulesFile)
	}
	return rules
}

type alertRule struct {
	Group  string
	Alert  string            `yaml:"alert"`
	Labels map[string]string `yaml:"labels"`
}

func TestPrometheusConfig(t *testing.T) {
	var cfg struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &cfg)
	if cfg.Global.ScrapeInterval != "1m" {
		t.Errorf("scrape_interval = %q, want 1m", cfg.Global.ScrapeInterval)
	}
	if len(cfg.ScrapeConfigs) == 0 || cfg.ScrapeConfigs[0].JobName != "github-security-exporter" {
		t.Errorf("first scrape job is not github-security-exporter: %+v", cfg.ScrapeConfigs)
	}
	if !slices.Equal(cfg.RuleFiles, []string{RuleFiles}) {
		t.Errorf("rule_files = %q, want [%q]", cfg.RuleFiles, RuleFiles)
	}
	// promtool accepts a glob that matches nothing, so check it matches the real file.
	matches, _ := filepath.Glob(filepath.Join("prometheus", filepath.FromSlash(RuleFiles)))
	if !slices.Contains(matches, filepath.FromSlash(rulesFile)) {
		t.Errorf("rule_files glob %q matches %q, not %s", RuleFiles, matches, rulesFile)
	}

	t.Run("as shipped", func(t *testing.T) {
		out := runTool(t, "prometheus", "promtool", "check", "config", "prometheus.yml")
		if !strings.Contains(out, "github-security.rules.yml") {
			t.Errorf("promtool did not check the alerts file:\n%s", out)
		}
	})
	t.Run("rendered for a test", func(t *testing.T) {
		rules, err := filepath.Abs(filepath.Join("..", "alerts", "*.rules.yml"))
		if err != nil {
			t.Fatal(err)
		}
		data, err := PrometheusConfig("127.0.0.1:19816", "127.0.0.1:19093", rules)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"127.0.0.1:19816", "127.0.0.1:19093", rules} {
			if !bytes.Contains(data, []byte(want)) {
				t.Errorf("rendered config lacks %q", want)
			}
		}
		p := writeTemp(t, "prometheus.yml", data)
		out := runTool(t, filepath.Dir(p), "promtool", "check", "config", p)
		if !strings.Contains(out, "github-security.rules.yml") {
			t.Errorf("promtool did not check the alerts file:\n%s", out)
		}
	})
}

// TestPrometheusRuleManifest checks that the generated PrometheusRule's groups
// form a valid rules file (deploy/generate's test checks they are up to date).
func TestPrometheusRuleManifest(t *testing.T) {
	docs := documents(t, "kubernetes/prometheusrule.yaml")
	if len(docs) != 1 || docs[0]["kind"] != "PrometheusRule" {
		t.Fatalf("want one PrometheusRule, got %d documents", len(docs))
	}
	spec, _ := docs[0]["spec"].(map[string]any)
	data, err := yaml.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	runTool(t, ".", "promtool", "check", "rules", writeTemp(t, "spec.rules.yml", data))
}

func TestAlertmanagerConfig(t *testing.T) {
	t.Run("as shipped", func(t *testing.T) {
		runTool(t, ".", "amtool", "check-config", "alertmanager/alertmanager.yml")
	})

	const security, platform = "http://127.0.0.1:15001/security", "http://127.0.0.1:15002/platform"
	data, err := AlertmanagerConfig(security, platform)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{security, platform} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("rendered config lacks %q", want)
		}
	}
	p := writeTemp(t, "alertmanager.yml", data)
	runTool(t, ".", "amtool", "check-config", p)

	// Every alert of the rules file reaches the receiver its group is meant for;
	// losing a source that used to work is news for the security team.
	routed := map[string]bool{}
	for _, r := range alertRules(t) {
		routed[r.Alert] = true
		want := "security"
		if isExporterHealth(r) {
			want = "platform"
		}
		args := []string{"config", "routes", "test", "--config.file=" + p, "alertname=" + r.Alert}
		for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
			if !strings.Contains(r.Labels[k], "{{") {
				args = append(args, k+"="+r.Labels[k])
			}
		}
		got := strings.TrimSpace(runTool(t, ".", "amtool", args...))
		if got != want {
			t.Errorf("alert %s (group %s, labels %v) routes to %q, want %q", r.Alert, r.Group, r.Labels, got, want)
		}
	}
	for _, name := range []string{"GitHubSecurityVisibilityLost", "GitHubSecretScanningNewActiveSecret"} {
		if !routed[name] {
			t.Errorf("alert %s is not in the rules file, so its route to security was not tested", name)
		}
	}
}

// isExporterHealth tells alerts about the exporter itself from alerts about
// the security findings it reports.
func isExporterHealth(r alertRule) bool {
	return strings.Contains(r.Group, "exporter") || strings.Contains(r.Alert, "Exporter")
}

// TestYAMLWellFormed parses every YAML file under deploy/ and checks that each
// Kubernetes document names its apiVersion, kind and metadata.name.
func TestYAMLWellFormed(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d YAML files: %v", len(files), files)
	}
	for _, f := range files {
		docs := documents(t, f)
		if len(docs) == 0 {
			t.Errorf("%s has no YAML document", f)
		}
		if filepath.Dir(f) != "kubernetes" || filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for i, doc := range docs {
			meta, _ := doc["metadata"].(map[string]any)
			if doc["apiVersion"] == nil || doc["kind"] == nil || meta["name"] == nil {
				t.Errorf("%s: document %d lacks apiVersion, kind or metadata.name", f, i+1)
			}
		}
	}
}

func TestKustomization(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
	}
	readYAML(t, "kubernetes/kustomization.yaml", &k)
	manifests, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range manifests {
		switch b := filepath.Base(m); b {
		case "kustomization.yaml", "secret.example.yaml": // the example Secret holds a placeholder token
		case "statefulset.yaml": // the sharded alternative to deployment.yaml, applied on its own
		default:
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources = %q, want every manifest but the example Secret: %q", got, want)
	}
}

type container struct {
	Name         string   `yaml:"name"`
	Image        string   `yaml:"image"`
	Args         []string `yaml:"args"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type deployment struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
				SecurityContext              struct {
					RunAsNonRoot   *bool `yaml:"runAsNonRoot"`
					RunAsUser      *int  `yaml:"runAsUser"`
					SeccompProfile struct {
						Type string `yaml:"type"`
					} `yaml:"seccompProfile"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func isTrue(b *bool) bool { return b != nil && *b }

func TestDeployment(t *testing.T) {
	var d deployment
	readYAML(t, "kubernetes/deployment.yaml", &d)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	checks := []struct {
		what string
		ok   bool
	}{
		{"kind is Deployment", d.Kind == "Deployment"},
		{"selector matches the pod labels", subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)},
		{"automountServiceAccountToken is false", pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken},
		{"pod runAsNonRoot", isTrue(pod.SecurityContext.RunAsNonRoot)},
		{"pod runAsUser is not 0", pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser != 0},
		{"seccompProfile RuntimeDefault", pod.SecurityContext.SeccompProfile.Type == "RuntimeDefault"},
		{"container readOnlyRootFilesystem", isTrue(c.SecurityContext.ReadOnlyRootFilesystem)},
		{"container runAsNonRoot", isTrue(c.SecurityContext.RunAsNonRoot)},
		{"allowPrivilegeEscalation is false", c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation},
		{"capabilities drop ALL", slices.Equal(c.SecurityContext.Capabilities.Drop, []string{"ALL"})},
		{"liveness probe on /-/healthy", c.LivenessProbe != nil && c.LivenessProbe.HTTPGet.Path == "/-/healthy"},
		{"readiness probe on /-/ready", c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet.Path == "/-/ready"},
		{"cpu and memory requests", c.Resources.Requests["cpu"] != "" && c.Resources.Requests["memory"] != ""},
		{"memory limit", c.Resources.Limits["memory"] != ""},
		{"port 9816 named http", len(c.Ports) == 1 && c.Ports[0].ContainerPort == 9816 && c.Ports[0].Name == "http"},
		{"probes use the named port", c.LivenessProbe != nil && c.ReadinessProbe != nil &&
			c.LivenessProbe.HTTPGet.Port == "http" && c.ReadinessProbe.HTTPGet.Port == "http"},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("deployment.yaml: want %s", ch.what)
		}
	}

	var token bool
	for _, e := range c.Env {
		if e.Name != "GITHUB_TOKEN" {
			continue
		}
		token = true
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
			e.ValueFrom.SecretKeyRef.Name != "github-security-exporter" || e.ValueFrom.SecretKeyRef.Key != "token" {
			t.Error("GITHUB_TOKEN must come from Secret github-security-exporter, key token, never inline")
		}
	}
	if !token {
		t.Error("no GITHUB_TOKEN in the container's environment")
	}
	for _, a := range c.Args {
		if strings.Contains(a, "token") && !strings.HasPrefix(a, "--github.token-file") {
			t.Errorf("argument %q looks like an inline token", a)
		}
		// The root filesystem is read-only: the state file must live on a mounted volume.
		if path, ok := strings.CutPrefix(a, "--storage.path="); ok {
			mounted := false
			for _, m := range c.VolumeMounts {
				mounted = mounted || strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")
			}
			if !mounted {
				t.Errorf("--storage.path %s is on the read-only root filesystem, not on a mounted volume", path)
			}
		}
	}
	if !slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--storage.path=") }) {
		t.Error("no --storage.path: a restarted pod would walk every alert again")
	}

	var s struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Type       string            `yaml:"type"`
		StringData map[string]string `yaml:"stringData"`
	}
	readYAML(t, "kubernetes/secret.example.yaml", &s)
	if _, ok := s.StringData["token"]; s.Metadata.Name != "github-security-exporter" || !ok {
		t.Errorf("secret.example.yaml: want Secret github-security-exporter with key token, got %+v", s)
	}
}

// subset reports whether every label of sel is in labels with the same value.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestServiceAndServiceMonitor(t *testing.T) {
	var d deployment
	readYAML(t, "kubernetes/deployment.yaml", &d)
	var svc struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	readYAML(t, "kubernetes/service.yaml", &svc)
	var sm struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Endpoints []struct {
				Port     string `yaml:"port"`
				Path     string `yaml:"path"`
				Interval string `yaml:"interval"`
			} `yaml:"endpoints"`
		} `yaml:"spec"`
	}
	readYAML(t, "kubernetes/servicemonitor.yaml", &sm)

	if !subset(svc.Spec.Selector, d.Spec.Template.Metadata.Labels) {
		t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, d.Spec.Template.Metadata.Labels)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9816 || svc.Spec.Ports[0].TargetPort != d.Spec.Template.Spec.Containers[0].Ports[0].Name {
		t.Errorf("Service ports %+v: want 9816 to the container's named port", svc.Spec.Ports)
	}
	if sm.APIVersion != "monitoring.coreos.com/v1" || sm.Kind != "ServiceMonitor" {
		t.Errorf("servicemonitor.yaml is %s %s", sm.APIVersion, sm.Kind)
	}
	if !subset(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		t.Errorf("ServiceMonitor selector %v does not select the Service %v", sm.Spec.Selector.MatchLabels, svc.Metadata.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name ||
		sm.Spec.Endpoints[0].Path != "/metrics" || sm.Spec.Endpoints[0].Interval == "" {
		t.Errorf("ServiceMonitor endpoints %+v: want the Service's port, /metrics and an interval", sm.Spec.Endpoints)
	}
}

type composeFile struct {
	Version  string `yaml:"version"`
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// mounts maps the container path of each bind mount of a service to its
// source, relative to deploy/.
func (c composeFile) mounts(t *testing.T, service string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, v := range c.Services[service].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("%s: volume %q has no container path", service, v)
			continue
		}
		m[parts[1]] = parts[0]
	}
	return m
}

func TestCompose(t *testing.T) {
	var c composeFile
	readYAML(t, "docker-compose.yml", &c)
	if c.Version != "" {
		t.Error("docker-compose.yml: the version key is obsolete")
	}
	for _, s := range []string{"exporter", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("docker-compose.yml has no %s service", s)
		}
	}

	exp := c.Services["exporter"]
	if exp.Build == nil || exp.Build.Context != ".." || exp.Build.Dockerfile != "deploy/Dockerfile" {
		t.Errorf("exporter must build from the repository root with deploy/Dockerfile: %+v", exp.Build)
	} else if _, err := os.Stat(filepath.Join(exp.Build.Context, exp.Build.Dockerfile)); err != nil {
		t.Error(err)
	}
	if !slices.Contains(exp.Command, "--demo") {
		t.Errorf("exporter command %q lacks --demo", exp.Command)
	}

	for name, s := range c.Services {
		if name != "exporter" && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
		for target, source := range c.mounts(t, name) {
			if strings.HasPrefix(source, ".") {
				if _, err := os.Stat(source); err != nil {
					t.Errorf("%s mounts %s at %s: %v", name, source, target, err)
				}
			} else if _, ok := c.Volumes[source]; !ok {
				t.Errorf("%s uses volume %q, which is not declared", name, source)
			}
		}
	}

	// Prometheus: the config is the shipped one, and its relative rule_files
	// glob resolves to where alerts/ is mounted.
	prom := c.mounts(t, "prometheus")
	const promConfig = "/etc/prometheus/prometheus.yml"
	if prom[promConfig] != "./prometheus/prometheus.yml" || !slices.Contains(c.Services["prometheus"].Command, "--config.file="+promConfig) {
		t.Errorf("prometheus must load ./prometheus/prometheus.yml from %s: mounts %v", promConfig, prom)
	}
	rulesDir := path.Dir(path.Join(path.Dir(promConfig), RuleFiles))
	if prom[rulesDir] != "../alerts" {
		t.Errorf("rule_files %q resolve to %s in the container, where ../alerts is not mounted (mounts %v)", RuleFiles, rulesDir, prom)
	}

	am := c.mounts(t, "alertmanager")
	if am["/etc/alertmanager/alertmanager.yml"] != "./alertmanager/alertmanager.yml" {
		t.Errorf("alertmanager does not mount ./alertmanager/alertmanager.yml: %v", am)
	}

	// Grafana: the dashboards provider reads where ../dashboards is mounted.
	graf := c.mounts(t, "grafana")
	var providers struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "grafana/provisioning/dashboards/github-security-exporter.yml", &providers)
	if len(providers.Providers) != 1 || graf[providers.Providers[0].Options.Path] != "../dashboards" {
		t.Errorf("the dashboards provider does not read the mounted ../dashboards: %+v, mounts %v", providers, graf)
	}
	if graf["/etc/grafana/provisioning/datasources"] != "./grafana/provisioning/datasources" ||
		graf["/etc/grafana/provisioning/dashboards"] != "./grafana/provisioning/dashboards" {
		t.Errorf("grafana does not mount the provisioning folders: %v", graf)
	}
	if home, dir := c.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"], providers.Providers[0].Options.Path; home != "" {
		if !strings.HasPrefix(home, dir+"/") {
			t.Errorf("home dashboard %s is not in the provisioned folder %s", home, dir)
		} else if _, err := os.Stat(filepath.Join("..", "dashboards", strings.TrimPrefix(home, dir+"/"))); err != nil {
			t.Errorf("home dashboard: %v", err)
		}
	}
	var ds struct {
		Datasources []struct {
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("want one prometheus datasource at http://prometheus:9090: %+v", ds.Datasources)
	}
}

// dockerfile returns the instructions of deploy/Dockerfile with continuation
// lines joined and comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") || (l == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\"))
			continue
		}
		cur.WriteString(l)
		lines = append(lines, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	return lines
}

func TestDockerfile(t *testing.T) {
	lines := dockerfile(t)
	var froms, labels []string
	var build, user, expose, entrypoint string
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			froms = append(froms, rest)
		case "LABEL":
			labels = append(labels, rest)
		case "RUN":
			if strings.Contains(rest, "go build") {
				build = rest
			}
		case "USER":
			user = rest
		case "EXPOSE":
			expose = rest
		case "ENTRYPOINT":
			entrypoint = rest
		}
	}
	// The build image's Go is go.mod's, so the build downloads no toolchain.
	goVersion := goModGoVersion(t)
	if len(froms) != 2 || !strings.Contains(froms[0], "golang:"+goVersion+" ") ||
		(froms[1] != "gcr.io/distroless/static-debian12:nonroot" && froms[1] != "scratch") {
		t.Errorf("want a golang:%s build stage and a distroless/scratch final stage, got FROM %q", goVersion, froms)
	}
	if !slices.Contains(lines, "ENV GOTOOLCHAIN=local") {
		t.Error("the build stage does not forbid toolchain downloads (ENV GOTOOLCHAIN=local)")
	}
	label := strings.Join(labels, " ")
	for _, want := range []string{"title", "source", "licenses=\"Apache-2.0\"", "version", "revision", "created"} {
		if !strings.Contains(label, "org.opencontainers.image."+want) {
			t.Errorf("no OCI label org.opencontainers.image.%s: LABEL %s", want, label)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out/github-security-exporter ."} {
		if !strings.Contains(build, want) {
			t.Errorf("go build step lacks %q: %s", want, build)
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || strings.Trim(u, "0123456789") != "" {
		t.Errorf("USER %q: want a numeric non-root user", user)
	}
	if expose != "9816" {
		t.Errorf("EXPOSE %q, want 9816", expose)
	}
	if entrypoint != `["/bin/github-security-exporter"]` {
		t.Errorf("ENTRYPOINT %s, want the binary in exec form", entrypoint)
	}

	// Build with the Dockerfile's -X flags: a misspelt variable would be
	// ignored silently by the linker.
	xflags := regexp.MustCompile(`-X (\S+)=(\S+)`).FindAllStringSubmatch(build, -1)
	if len(xflags) == 0 {
		t.Fatalf("go build step sets no version variables: %s", build)
	}
	ldflags := []string{}
	for _, x := range xflags {
		ldflags = append(ldflags, "-X", x[1]+"=test-"+path.Ext(x[1])[1:])
	}
	bin := filepath.Join(t.TempDir(), "github-security-exporter")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", strings.Join(ldflags, " "), "-o", bin, ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build with the Dockerfile's flags: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	for _, x := range xflags {
		if want := "test-" + path.Ext(x[1])[1:]; !strings.Contains(string(out), want) {
			t.Errorf("--version does not show %s set by -X %s:\n%s", want, x[1], out)
		}
	}
}

// goModGoVersion returns the go directive of ../go.mod.
func goModGoVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// TestDockerignore reads the repository root's .dockerignore (the build
// context of deploy/Dockerfile) and checks, with Docker's matching rules for
// these simple patterns, that Git history, build output and state files of a
// local run stay out of the image build while the sources go in.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/"))
		}
	}
	excluded := func(p string) bool {
		for _, pat := range patterns {
			for dir := p; dir != "."; dir = filepath.Dir(dir) { // a pattern excluding a folder excludes its files
				if ok, _ := filepath.Match(pat, dir); ok {
					return true
				}
				if rest, ok := strings.CutPrefix(pat, "**/"); ok {
					if ok, _ := filepath.Match(rest, filepath.Base(dir)); ok {
						return true
					}
				}
			}
		}
		return false
	}
	for _, p := range []string{".git", ".git/config", "dist/github-security-exporter-1.0.0.linux-amd64",
		"github-security-exporter", "state", "data/state", "var/lib/github-security-exporter/state", "records.db"} {
		if !excluded(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "main.go", "collector/collector.go", "store/store.go", "dashboards/security-overview.json"} {
		if excluded(p) {
			t.Errorf(".dockerignore keeps %s, which the build needs, out of the context", p)
		}
	}
}

// TestReleaseScript builds the release binary for this machine with
// scripts/release (CI builds every target with it): the checksum file
// matches the binary, and --version reports the version and revision git
// gives for this checkout.
func TestReleaseScript(t *testing.T) {
	out := t.TempDir()
	target := runtime.GOOS + "/" + runtime.GOARCH
	cmd := exec.Command(filepath.Join("..", "scripts", "release"), "-o", out, "-t", target)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, b)
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sum, name, ok := strings.Cut(strings.TrimSpace(string(sums)), "  ")
	if !ok || strings.Contains(name, "\n") {
		t.Fatalf("SHA256SUMS = %q, want one line for the one target", sums)
	}
	bin, err := os.ReadFile(filepath.Join(out, name))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(bin)); got != sum {
		t.Errorf("SHA256SUMS says %s for %s, the file's SHA-256 is %s", sum, name, got)
	}
	git := func(args ...string) string {
		b, err := exec.Command("git", args...).Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(b))
	}
	version := strings.TrimPrefix(git("describe", "--tags", "--always", "--dirty"), "v")
	revision := git("rev-parse", "HEAD")
	v, err := exec.Command(filepath.Join(out, name), "--version").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(v), "version "+version+" ") || !strings.Contains(string(v), "revision: "+revision) {
		t.Errorf("--version says\n%s\nwant version %s and revision %s", v, version, revision)
	}
	if want := "github-security-exporter-" + version + "." + runtime.GOOS + "-" + runtime.GOARCH; strings.TrimSuffix(name, ".exe") != want {
		t.Errorf("binary %s, want %s", name, want)
	}
}

// Memory the benchmark measured at 300,000 alerts (README, "Benchmark"): the heap held in
// steady state and its peak during a first walk. The manifests are sized from them.
const (
	benchmarkSteadyMiB = 110
	benchmarkPeakMiB   = 160
)

// mebibytes parses a Kubernetes memory quantity in Mi or Gi.
func mebibytes(t *testing.T, q string) int {
	t.Helper()
	for suffix, factor := range map[string]int{"Mi": 1, "Gi": 1024} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			v, err := strconv.Atoi(n)
			if err == nil {
				return v * factor
			}
		}
	}
	t.Fatalf("memory quantity %q: want Mi or Gi", q)
	return 0
}

// at walks a decoded YAML document along keys (a number indexes a list).
func at(doc any, keys ...any) any {
	for _, k := range keys {
		switch key := k.(type) {
		case string:
			m, _ := doc.(map[string]any)
			doc = m[key]
		case int:
			l, _ := doc.([]any)
			if key >= len(l) {
				return nil
			}
			doc = l[key]
		}
	}
	return doc
}

// TestScaleManifests checks the single-replica Deployment's rollout (never two pods
// serving at once, which would double every sum), the resources sized from the benchmark,
// and the StatefulSet that shards by pod ordinal and is scraped through the ServiceMonitor.
func TestScaleManifests(t *testing.T) {
	dep := documents(t, "kubernetes/deployment.yaml")[0]
	if r := at(dep, "spec", "replicas"); r != 1 {
		t.Errorf("deployment.yaml: replicas %v, want 1", r)
	}
	if s := at(dep, "spec", "strategy", "type"); s != "Recreate" {
		t.Errorf("deployment.yaml: strategy %v, want Recreate: a rolling update runs the old and the new pod side by side, both scraped", s)
	}
	checkResources := func(file string, c any) {
		req, _ := at(c, "resources", "requests", "memory").(string)
		limit, _ := at(c, "resources", "limits", "memory").(string)
		if req == "" || limit == "" {
			t.Fatalf("%s: want memory request and limit", file)
		}
		if mebibytes(t, req) < benchmarkSteadyMiB {
			t.Errorf("%s: memory request %s below the benchmark's steady heap of %d MiB", file, req, benchmarkSteadyMiB)
		}
		// GOMEMLIMIT is 90% of the limit; the peak must fit under it with room for the
		// memory the Go heap does not count.
		if float64(mebibytes(t, limit))*0.9 < 1.2*benchmarkPeakMiB {
			t.Errorf("%s: memory limit %s leaves under 1.2 × the benchmark's peak heap (%d MiB) below GOMEMLIMIT", file, limit, benchmarkPeakMiB)
		}
	}
	checkResources("deployment.yaml", at(dep, "spec", "template", "spec", "containers", 0))

	docs := documents(t, "kubernetes/statefulset.yaml")
	var sts, svc map[string]any
	for _, d := range docs {
		switch d["kind"] {
		case "StatefulSet":
			sts = d
		case "Service":
			svc = d
		}
	}
	if sts == nil || svc == nil {
		t.Fatalf("statefulset.yaml: want a StatefulSet and its Service, got %d documents", len(docs))
	}
	c := at(sts, "spec", "template", "spec", "containers", 0)
	var args []string
	for _, a := range at(c, "args").([]any) {
		args = append(args, a.(string))
	}
	replicas, _ := at(sts, "spec", "replicas").(int)
	if replicas < 2 || !slices.Contains(args, "--total-shards="+strconv.Itoa(replicas)) {
		t.Errorf("statefulset.yaml: replicas %d and args %q: want --total-shards equal to replicas (2 or more)", replicas, args)
	}
	if !slices.Contains(args, "--shard=$(SHARD)") {
		t.Errorf("statefulset.yaml: args %q: want --shard=$(SHARD)", args)
	}
	shardFromOrdinal := false
	for _, e := range at(c, "env").([]any) {
		if at(e, "name") == "SHARD" && at(e, "valueFrom", "fieldRef", "fieldPath") == "metadata.labels['apps.kubernetes.io/pod-index']" {
			shardFromOrdinal = true
		}
	}
	if !shardFromOrdinal {
		t.Error("statefulset.yaml: SHARD must come from the pod's ordinal (label apps.kubernetes.io/pod-index)")
	}
	if at(sts, "spec", "updateStrategy", "type") != "RollingUpdate" {
		t.Error("statefulset.yaml: want updateStrategy RollingUpdate (a shard's pod is replaced, never doubled)")
	}
	if at(sts, "spec", "serviceName") != at(svc, "metadata", "name") || at(svc, "spec", "clusterIP") != "None" {
		t.Error("statefulset.yaml: serviceName must name the headless Service of the file")
	}
	toStrings := func(v any) map[string]string {
		out := map[string]string{}
		m, _ := v.(map[string]any)
		for k, x := range m {
			out[k], _ = x.(string)
		}
		return out
	}
	podLabels := toStrings(at(sts, "spec", "template", "metadata", "labels"))
	if !subset(toStrings(at(svc, "spec", "selector")), podLabels) || !subset(toStrings(at(sts, "spec", "selector", "matchLabels")), podLabels) {
		t.Error("statefulset.yaml: the Service's and the StatefulSet's selectors must match the pod labels")
	}
	monitor := documents(t, "kubernetes/servicemonitor.yaml")[0]
	if !subset(toStrings(at(monitor, "spec", "selector", "matchLabels")), toStrings(at(svc, "metadata", "labels"))) {
		t.Error("the ServiceMonitor does not select the shards' Service: the shards would not be scraped")
	}
	// The Deployment's Service must not select the shards' pods, nor the shards' Service
	// the Deployment's pod: each pod scraped once.
	deployService := documents(t, "kubernetes/service.yaml")[0]
	if subset(toStrings(at(deployService, "spec", "selector")), podLabels) {
		t.Error("service.yaml selects the shards' pods too: they would be scraped twice")
	}
	if subset(toStrings(at(svc, "spec", "selector")), toStrings(at(dep, "spec", "template", "metadata", "labels"))) {
		t.Error("the shards' Service selects the Deployment's pod too")
	}
	if at(sts, "spec", "volumeClaimTemplates", 0, "metadata", "name") != at(c, "volumeMounts", 0, "name") {
		t.Error("statefulset.yaml: the state volume must come from a volumeClaimTemplate, one per shard")
	}
	checkResources("statefulset.yaml", c)
}
