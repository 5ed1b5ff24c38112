package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/dashboards"
	"github.com/github-security-exporter/github-security-exporter/deploy"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// The simulated organizations of the stack test: big enough that every panel
// has something to show (with seed 4, acme-corp has a repository with open
// alerts of every severity of every family), small enough that a day of
// history stays a couple of million samples. acme-sandbox has code scanning
// switched off.
var stackOrgs = []githubsim.OrgSpec{
	{Login: "acme-corp", Repos: 8, CodeScanning: 300, Dependabot: 400, SecretScanning: 50},
	{Login: "acme-labs", Repos: 4, CodeScanning: 80, Dependabot: 120, SecretScanning: 20},
	{Login: "acme-sandbox", Repos: 2, CodeScanning: 10, Dependabot: 20, SecretScanning: 6},
}

const (
	// sandboxOrg answers 403 on code scanning, as GitHub does without Advanced Security.
	sandboxOrg = "acme-sandbox"
	// history is how far back Prometheus gets backfilled samples: the
	// dashboards and rules look back at most a day ("offset 1d"), plus the
	// 5-minute lookback and the time the test runs.
	history = 25 * time.Hour
	// historyStep is the shipped scrape_interval, so the history looks like
	// what a production Prometheus records.
	historyStep = time.Minute
)

// TestStackPrometheusAlertmanager runs the exporter on the simulated GitHub
// with the real Prometheus and Alertmanager from Debian's packages, configured
// by what deploy/ and alerts/ ship: every dashboard panel query returns data,
// a security alert reaches the security webhook through the example route,
// and promtool/amtool accept the configs and the exporter's metrics.
func TestStackPrometheusAlertmanager(t *testing.T) {
	for _, name := range []string{"prometheus", "promtool", "prometheus-alertmanager", "amtool"} {
		program(t, name)
	}

	sim := githubsim.New(githubsim.Config{Seed: 4, Orgs: stackOrgs})
	// One fault of each retried kind: without retries the exporter-health
	// panel "GitHub API retries by reason" would rightly be empty.
	sim.InjectFault(githubsim.Fault{Path: "dependabot", After: 2, Kind: githubsim.SecondaryRateLimit, RetryAfter: 1})
	sim.InjectFault(githubsim.Fault{Path: "code-scanning", After: 1, Kind: githubsim.BadGateway})
	sim.InjectFault(githubsim.Fault{Path: "secret-scanning", Kind: githubsim.ResetConnection})
	sim.SetUnavailable(sandboxOrg, githubsim.FamilyCodeScanning, http.StatusForbidden,
		"Advanced Security must be enabled for this repository to use code scanning.")
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)

	// A deployment with a state file and the webhook receiver on, so that the
	// exporter-health panels of both (state file age, webhook deliveries and
	// missed changes) have their series.
	const webhookSecret = "whsec-stack-ThisWebhookSecretMustNeverLeak"
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "webhook-secret")
	if err := os.WriteFile(secretFile, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--github.api-url=" + api.URL + "/",
		"--collector.schedule=@every 1m",
		"--github.requests-per-second=50",
		// Off by default (a request per repository); the repository and
		// coverage dashboards show it, as the demo does.
		"--collector.code-scanning-analyses",
		"--storage.path=" + filepath.Join(dir, "state"),
		"--webhook.secret-file=" + secretFile,
	}
	for _, o := range sim.Orgs() {
		args = append(args, "--github.org="+o)
	}
	exp := start(t, []string{"GITHUB_TOKEN=ghp_stackTestToken000000000000000000000", "GITHUB_ORGS="}, args...)
	exp.waitReady(t, 2*time.Minute)
	sim.DeliverWebhooks("http://"+exp.addr+"/webhook/github", []byte(webhookSecret))
	_, body := exp.scrape(t)

	hook := &webhookSink{}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	am := startAlertmanager(t, hookSrv.URL)
	prom := startPrometheus(t, exp, am, body)

	t.Run("headline panels", func(t *testing.T) {
		org, repo := variedRepository(t, body)
		checkHeadlinePanels(t, prom, sim, org, repo)
	})
	t.Run("alert delivery", func(t *testing.T) {
		checkAlertDelivery(t, sim, hook)
	})
	// Then alerts are opened, closed, dismissed and reopened, announced by
	// deliveries: the flow panels (increase over the dashboard's range) see the
	// live samples rise above the backfilled day. The headline numbers and the
	// alert delivery are checked before, against a GitHub the exporter has
	// walked in full.
	changed := time.Now()
	sim.Step(60)
	if _, err := sim.FlushWebhooks(); err != nil {
		t.Fatal(err)
	}
	exp.waitFor(t, 3*time.Minute, "a collection of every source after the changes", collectedSince(changed))
	t.Run("dashboard queries", func(t *testing.T) {
		org, repo := variedRepository(t, body)
		t.Logf("repository variables: org=%s repository=%s", org, repo)
		checkDashboardQueries(t, prom, org, repo)
	})
	t.Run("one series per route", func(t *testing.T) {
		checkRouteSeries(t, prom, body)
	})
	t.Run("served metrics", func(t *testing.T) {
		_, body := exp.scrape(t)
		checkServedMetrics(t, body)
	})
	t.Run("promtool check metrics", func(t *testing.T) {
		// A scrape taken now, after every source (the analyses run after the
		// first collection) and the retries have produced their series.
		_, body := exp.scrape(t)
		out, err := runProgram(t, []byte(body), "promtool", "check", "metrics")
		if err != nil && strings.TrimSpace(out) == "" {
			t.Errorf("promtool check metrics: %v", err)
		}
		var problems []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line != "" {
				problems = append(problems, line)
			}
		}
		if len(problems) > 0 {
			t.Errorf("promtool check metrics on the exporter's /metrics:\n%s", strings.Join(problems, "\n"))
		}
	})
}

// startAlertmanager runs Alertmanager with deploy/'s example route, both
// webhooks pointing at hook, and returns its address.
func startAlertmanager(t *testing.T, hook string) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := deploy.AlertmanagerConfig(hook+"/security", hook+"/platform")
	if err != nil {
		t.Fatal(err)
	}
	cfg = rewriteYAML(t, cfg, func(doc map[string]any) {
		// A test cannot wait the shipped one minute before the first
		// notification and 15 minutes between updates of a group; routing,
		// grouping and receivers stay as shipped.
		route := mapping(t, doc, "route")
		route["group_wait"] = "1s"
		route["group_interval"] = "1s"
	})
	file := writeFile(t, filepath.Join(dir, "alertmanager.yml"), cfg)
	mustRun(t, nil, "amtool", "check-config", file)

	addr := freeAddr(t)
	p := startProcess(t, "prometheus-alertmanager",
		"--config.file="+file,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=", // no gossip port: a single instance on loopback
	)
	p.waitOK(t, "http://"+addr+"/-/ready", time.Minute)
	return addr
}

// startPrometheus backfills a day of history from the scrape body, then runs
// operatorLabels are the target labels the Prometheus Operator sets on the
// targets of deploy/kubernetes/servicemonitor.yaml (endpoint: its port name).
var operatorLabels = map[string]string{
	"endpoint": "http", "namespace": "monitoring", "service": "github-security-exporter", "pod": "github-security-exporter-0",
}

// Prometheus with deploy/'s configuration on a copy of alerts/ whose rules
// fire at once, and waits until it scrapes the exporter with the target
// labels a ServiceMonitor gets.
func startPrometheus(t *testing.T, exp *exporter, alertmanager, body string) *promClient {
	t.Helper()
	dir := t.TempDir()

	// What ships: promtool check rules on every rules file of alerts/ (the
	// generated PrometheusRule is checked by deploy/'s tests).
	shipped, err := filepath.Glob(filepath.Join("..", "alerts", "*.rules.yml"))
	if err != nil || len(shipped) == 0 {
		t.Fatalf("no rules files in alerts/: %v", err)
	}
	mustRun(t, nil, "promtool", append([]string{"check", "rules"}, shipped...)...)

	// Every `for:` becomes 0s so alerts fire within the test; the real
	// durations are covered by the promtool unit tests in alerts/tests/.
	rulesDir := filepath.Join(dir, "rules")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range shipped {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fast := rewriteYAML(t, data, func(doc map[string]any) {
			groups, _ := doc["groups"].([]any)
			for _, g := range groups {
				rules, _ := g.(map[string]any)["rules"].([]any)
				for _, r := range rules {
					if rule := r.(map[string]any); rule["for"] != nil {
						rule["for"] = "0s"
					}
				}
			}
		})
		writeFile(t, filepath.Join(rulesDir, filepath.Base(f)), fast)
	}

	cfg, err := deploy.PrometheusConfig(exp.addr, alertmanager, filepath.Join(rulesDir, "*.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var job string
	cfg = rewriteYAML(t, cfg, func(doc map[string]any) {
		// Fast cycles for the test only; production values stay as shipped
		// (scrape and evaluate every minute, 10s scrape timeout, which may
		// not exceed the interval).
		global := mapping(t, doc, "global")
		global["scrape_interval"] = "1s"
		global["scrape_timeout"] = "1s"
		global["evaluation_interval"] = "1s"
		jobs, _ := doc["scrape_configs"].([]any)
		if len(jobs) > 0 {
			job, _ = jobs[0].(map[string]any)["job_name"].(string)
			// The target labels the Prometheus Operator gives a ServiceMonitor's
			// targets, endpoint (the port name) among them.
			statics, _ := jobs[0].(map[string]any)["static_configs"].([]any)
			statics[0].(map[string]any)["labels"] = operatorLabels
		}
	})
	if job == "" {
		t.Fatal("prometheus.yml has no scrape job")
	}
	file := writeFile(t, filepath.Join(dir, "prometheus.yml"), cfg)
	out := mustRun(t, nil, "promtool", "check", "config", file)
	for _, f := range shipped {
		if !strings.Contains(out, filepath.Base(f)) {
			t.Errorf("promtool check config did not load %s:\n%s", filepath.Base(f), out)
		}
	}

	// History: the scraped values as if Prometheus had scraped them for the
	// past day, labelled with the target labels it adds.
	tsdb := filepath.Join(dir, "data")
	target := maps.Clone(operatorLabels)
	target["job"], target["instance"] = job, exp.addr
	series := openMetricsSeries(parseExposition(t, body), target)
	now := time.Now()
	backfill(t, series, now.Add(-history), now, historyStep, tsdb)
	t.Logf("backfilled %d series × %s at %s steps in %s", len(series), history, historyStep, time.Since(now).Round(time.Millisecond))

	addr := freeAddr(t)
	p := startProcess(t, "prometheus",
		"--config.file="+file,
		"--storage.tsdb.path="+tsdb,
		"--web.listen-address="+addr,
		// Alerts evaluated before Prometheus has discovered the Alertmanager
		// are dropped and only sent again after the resend delay (1m).
		"--rules.alert.resend-delay=1s",
	)
	p.waitOK(t, "http://"+addr+"/-/ready", 2*time.Minute)
	prom := newPromClient(addr)
	prom.job, prom.instance = job, exp.addr

	up := fmt.Sprintf(`up{job=%q, instance=%q} == 1`, job, exp.addr)
	deadline := time.Now().Add(time.Minute)
	for {
		s, err := prom.query(up)
		if err == nil && hasData(s) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus does not scrape the exporter (%s: %v, %v); logs:\n%s", up, s, err, p.Logs())
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The "offset 1d" queries fall back to current values without history,
	// so check the history is there: every backfilled series a day ago.
	past := fmt.Sprintf(`count({job=%q, instance=%q} offset 1d)`, job, exp.addr)
	if s, err := prom.query(past); err != nil || len(s) != 1 || s[0].Value != fmt.Sprint(len(series)) {
		t.Errorf("%s = %v (%v), want the %d backfilled series", past, s, err, len(series))
	}
	checkRulesLoaded(t, prom, shipped)
	return prom
}

// checkRulesLoaded compares the alerting rules Prometheus runs with those of the shipped files.
func checkRulesLoaded(t *testing.T, prom *promClient, files []string) {
	t.Helper()
	var want []string
	for _, f := range files {
		for name := range shippedAlerts(t, f) {
			want = append(want, name)
		}
	}
	var data struct {
		Groups []struct {
			Rules []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := prom.get("/api/v1/rules", nil, &data); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			if r.Type == "alerting" {
				got = append(got, r.Name)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Prometheus runs alerts %q, the rules files define %q", got, want)
	}
}

// shippedAlerts returns the annotations of every alert in a rules file, by alert name.
func shippedAlerts(t *testing.T, file string) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out[r.Alert] = r.Annotations
			}
		}
	}
	return out
}

// variedRepository picks, from the scrape, the org and repository whose open
// alerts cover the most kinds the dashboards tell apart (family and security
// severity, or validity for secrets), then the one with the most alert
// series: a repository for which each panel has something to show.
func variedRepository(t *testing.T, body string) (org, repo string) {
	t.Helper()
	type score struct {
		kinds  map[string]bool
		series int
	}
	scores := map[[2]string]*score{}
	families := parseExposition(t, body)
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts"} {
		for _, m := range families[name].GetMetric() {
			if m.GetGauge().GetValue() == 0 {
				continue // an explicit zero of the inventory: no alert
			}
			l := labelMap(m)
			k := [2]string{l["org"], l["repository"]}
			if scores[k] == nil {
				scores[k] = &score{kinds: map[string]bool{}}
			}
			scores[k].series++
			if l["state"] == "open" && !slices.Contains([]string{"error", "warning", "note", "none"}, l["severity"]) {
				scores[k].kinds[name+"/"+l["severity"]+l["validity"]] = true
			}
		}
	}
	better := func(a, b *score) bool {
		if len(a.kinds) != len(b.kinds) {
			return len(a.kinds) > len(b.kinds)
		}
		return a.series > b.series
	}
	var best [2]string
	for _, k := range slices.SortedFunc(maps.Keys(scores), func(a, b [2]string) int {
		return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1])
	}) {
		if best[0] == "" || better(scores[k], scores[best]) {
			best = k
		}
	}
	if best[0] == "" {
		t.Fatal("the exporter serves no alert counts")
	}
	return best[0], best[1]
}

// allValues returns, for each dashboard whose org and repository variables
// offer "All" (their default), the value Grafana interpolates for it.
func allValues(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, err := dashboardFiles()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for uid, d := range files {
		vars := map[string]string{}
		for _, v := range d.Templating.List {
			if (v.Name == "org" || v.Name == "repository") && v.IncludeAll {
				vars[v.Name] = v.AllValue
				if vars[v.Name] == "" {
					vars[v.Name] = ".*" // Grafana's regex for "All" without a custom value
				}
			}
		}
		if len(vars) == 2 {
			vars["job"], vars["instance"] = ".*", ".*"
			out[uid] = vars
		}
	}
	return out
}

type dashboardVars struct {
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			IncludeAll bool   `json:"includeAll"`
			AllValue   string `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
}

func dashboardFiles() (map[string]dashboardVars, error) {
	names, err := fs.Glob(dashboards.FS, "*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]dashboardVars{}
	for _, n := range names {
		data, err := dashboards.FS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var d dashboardVars
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("dashboards/%s: %w", n, err)
		}
		out[d.UID] = d
	}
	return out, nil
}

// panelQuery is one dashboard query with the variable values it was rendered with.
type panelQuery struct {
	dashboards.Query
	Vars string
}

// checkDashboardQueries runs every panel query of every dashboard, with the
// variables set to one real repository and, where the dashboard offers it, to
// "All", and requires each to return data. Rates need two collections in
// their window, so queries are retried until a bound.
func checkDashboardQueries(t *testing.T, prom *promClient, org, repo string) {
	t.Helper()
	one := map[string]string{"job": prom.job, "instance": prom.instance, "org": org, "repository": repo}
	queries, err := dashboards.Queries(one)
	if err != nil {
		t.Fatal(err)
	}
	var all []panelQuery
	for _, q := range queries {
		all = append(all, panelQuery{q, fmt.Sprintf("org=%s repository=%s", org, repo)})
	}
	for uid, vars := range allValues(t) {
		qs, err := dashboards.Queries(vars)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if q.Dashboard == uid {
				all = append(all, panelQuery{q, "org=All repository=All"})
			}
		}
	}
	if len(all) == 0 {
		t.Fatal("the dashboards have no panel queries")
	}

	type failure struct {
		panelQuery
		result string
	}
	pending, begin := all, time.Now()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		var failed []failure
		for _, q := range pending {
			s, err := prom.query(q.Expr)
			if err != nil || !hasData(s) {
				failed = append(failed, failure{q, fmt.Sprintf("%v %v", s, err)})
			}
		}
		if len(failed) == 0 || time.Now().After(deadline) {
			for _, f := range failed {
				t.Errorf("no data: dashboard %s, panel %q, target %s (%s)\n%s\nresult: %s",
					f.Dashboard, f.Panel, f.RefID, f.Vars, f.Expr, f.result)
			}
			t.Logf("%d of %d panel queries returned data after %s", len(all)-len(failed), len(all), time.Since(begin).Round(time.Second))
			return
		}
		pending = nil
		for _, f := range failed {
			pending = append(pending, f.panelQuery)
		}
		time.Sleep(5 * time.Second)
	}
}

// checkAlertDelivery waits until every repository with an open, active secret
// has its GitHubSecretScanningActiveSecret notification at the security
// webhook and the disabled code scanning of the sandbox org its
// GitHubSecurityExporterSourceUnavailable at the platform webhook, then checks
// that every notification went where the example route sends it.
func checkAlertDelivery(t *testing.T, sim *githubsim.Server, hook *webhookSink) {
	t.Helper()
	const secretAlert, sourceAlert = "GitHubSecretScanningActiveSecret", "GitHubSecurityExporterSourceUnavailable"
	rules := shippedAlerts(t, filepath.Join("..", "alerts", "github-security.rules.yml"))

	// Ground truth: org/repository/secret_type of every open alert whose secret is valid.
	want := map[string]bool{}
	for _, org := range sim.Orgs() {
		for _, a := range sim.SecretScanningAlerts(org) {
			if a.State == "open" && a.Validity == "active" {
				want[org+"/"+a.Repo+"/"+a.SecretType+"/"] = true // no collector label
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the simulated organizations have no open active secret: nothing to alert on")
	}

	// firing returns org/repository/secret_type/collector of each firing
	// alert named alert that reached path.
	firing := func(path, alert string) map[string]bool {
		got := map[string]bool{}
		for _, n := range hook.notifications(path) {
			for _, a := range n.Alerts {
				if a.Labels["alertname"] == alert && a.Status == "firing" {
					l := a.Labels
					got[strings.Join([]string{l["org"], l["repository"], l["secret_type"], l["collector"]}, "/")] = true
				}
			}
		}
		return got
	}
	sandbox := sandboxOrg + "///" + githubsim.FamilyCodeScanning
	delivered := func() bool {
		got := firing("/security", secretAlert)
		for k := range want {
			if !got[k] {
				return false
			}
		}
		return firing("/platform", sourceAlert)[sandbox]
	}
	for deadline := time.Now().Add(2 * time.Minute); !delivered() && time.Now().Before(deadline); {
		time.Sleep(time.Second)
	}

	got := firing("/security", secretAlert)
	for k := range want {
		if !got[k] {
			t.Errorf("%s for %s never reached the security webhook", secretAlert, k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s for %s, which has no open active secret", secretAlert, k)
		}
	}
	if !firing("/platform", sourceAlert)[sandbox] {
		t.Errorf("%s for %s code scanning never reached the platform webhook", sourceAlert, sandboxOrg)
	}
	t.Logf("%s reached the security webhook for %d org/repository/secret_type combinations", secretAlert, len(got))

	// Every notification: the receiver its path stands for, grouped by
	// alertname/org/repository, exporter-health alerts on the platform
	// webhook and all others on the security one.
	for path, receiver := range map[string]string{"/security": "security", "/platform": "platform"} {
		for _, n := range hook.notifications(path) {
			if n.Receiver != receiver {
				t.Errorf("%s got a notification for receiver %q", path, n.Receiver)
			}
			for _, a := range n.Alerts {
				name := a.Labels["alertname"]
				if health := strings.HasPrefix(name, "GitHubSecurityExporter"); health != (receiver == "platform") {
					t.Errorf("%s (labels %v) reached the %s webhook", name, a.Labels, receiver)
				}
				if name == secretAlert {
					checkSecretAlert(t, n, a.Labels, a.Annotations, rules[secretAlert])
				}
			}
		}
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, e := range hook.errs {
		t.Error(e)
	}
}

// checkSecretAlert checks one delivered GitHubSecretScanningActiveSecret alert
// against its rule.
func checkSecretAlert(t *testing.T, n amNotification, labels, annotations, rule map[string]string) {
	t.Helper()
	where := labels["org"] + "/" + labels["repository"]
	if labels["org"] == "" || labels["repository"] == "" || labels["secret_type"] == "" {
		t.Errorf("alert lacks org, repository or secret_type: %v", labels)
	}
	// The backlog found at start-up is a warning; only a new active secret
	// (GitHubSecretScanningNewActiveSecret, an hour of history needed) pages.
	if labels["severity"] != "warning" {
		t.Errorf("%s: severity %q, want warning", where, labels["severity"])
	}
	if annotations["runbook_url"] == "" || annotations["runbook_url"] != rule["runbook_url"] {
		t.Errorf("%s: runbook_url %q, want the rule's %q", where, annotations["runbook_url"], rule["runbook_url"])
	}
	if !strings.Contains(annotations["summary"], where) || !strings.Contains(annotations["description"], where) {
		t.Errorf("%s: summary/description do not name the repository: %v", where, annotations)
	}
	wantGroup := map[string]string{"alertname": labels["alertname"], "org": labels["org"], "repository": labels["repository"]}
	if !maps.Equal(n.GroupLabels, wantGroup) {
		t.Errorf("%s: notification grouped by %v, want %v", where, n.GroupLabels, wantGroup)
	}
}

// headlinePanels are the stat panels of open alerts per family, each of
// whose queries is legended by the severity (or validity) it counts.
var headlinePanels = map[string]string{
	"Open code scanning alerts":   githubsim.FamilyCodeScanning,
	"Open Dependabot alerts":      githubsim.FamilyDependabot,
	"Open secret scanning alerts": githubsim.FamilySecretScanning,
}

// checkHeadlinePanels compares the headline numbers of the overview (all
// organizations) and of the repository dashboard (org/repo) with the open
// alerts the simulated GitHub holds, severity by severity.
func checkHeadlinePanels(t *testing.T, prom *promClient, sim *githubsim.Server, org, repo string) {
	t.Helper()
	views := []struct {
		uid  string
		vars map[string]string
		org  string // "" for all organizations
		repo string
	}{
		{"ghsec-overview", map[string]string{"job": ".*", "instance": ".*", "org": ".*", "repository": ".*"}, "", ""},
		{"ghsec-repository", map[string]string{"job": prom.job, "instance": prom.instance, "org": org, "repository": repo}, org, repo},
	}
	for _, v := range views {
		want := simOpenAlerts(sim, v.org, v.repo)
		queries, err := dashboards.Queries(v.vars)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, q := range queries {
			family, ok := headlinePanels[q.Panel]
			if q.Dashboard != v.uid || !ok {
				continue
			}
			s, err := prom.query(q.Expr)
			if err != nil || len(s) != 1 {
				t.Errorf("%s: panel %q, %s: %v %v", v.uid, q.Panel, q.Legend, s, err)
				continue
			}
			checked++
			if w := fmt.Sprint(want[family][q.Legend]); s[0].Value != w {
				t.Errorf("%s: panel %q shows %s %s, the simulated GitHub has %s open\n%s", v.uid, q.Panel, s[0].Value, q.Legend, w, q.Expr)
			}
		}
		if checked < 10 {
			t.Errorf("%s: compared %d headline numbers, want the 3 panels' 10 or more", v.uid, checked)
		}
	}
}

// simOpenAlerts counts the simulated GitHub's open alerts by family and
// security severity (code scanning, Dependabot) or validity (secret
// scanning; "other" for code scanning alerts without a security severity),
// in org/repo or, when org is "", every organization. Code
// scanning of sandboxOrg is not available to the exporter, so not counted.
func simOpenAlerts(sim *githubsim.Server, org, repo string) map[string]map[string]int {
	out := map[string]map[string]int{
		githubsim.FamilyCodeScanning: {}, githubsim.FamilyDependabot: {}, githubsim.FamilySecretScanning: {},
	}
	for _, o := range sim.Orgs() {
		if org != "" && o != org {
			continue
		}
		in := func(r string) bool { return repo == "" || r == repo }
		if o != sandboxOrg {
			for _, a := range sim.CodeScanningAlerts(o) {
				if a.State == "open" && in(a.Repo) {
					severity := a.SecuritySeverity
					if severity == "" {
						severity = "other" // error, warning, note: the repository dashboard's "other"
					}
					out[githubsim.FamilyCodeScanning][severity]++
				}
			}
		}
		for _, a := range sim.DependabotAlerts(o) {
			if a.State == "open" && in(a.Repo) {
				out[githubsim.FamilyDependabot][a.Severity]++
			}
		}
		for _, a := range sim.SecretScanningAlerts(o) {
			if a.State == "open" && in(a.Repo) {
				validity := a.Validity
				if validity == "" {
					validity = "unknown"
				}
				out[githubsim.FamilySecretScanning][validity]++
			}
		}
	}
	return out
}

// checkServedMetrics checks that every metric the dashboards and rules
// select is one the exporter serves (body: its /metrics) or a recording
// rule of the shipped rules files, or up.
func checkServedMetrics(t *testing.T, body string) {
	t.Helper()
	served := map[string]bool{"up": true}
	for name, mf := range parseExposition(t, body) {
		served[name] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				served[name+suffix] = true
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("..", "alerts", "*.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var exprs []panelQuery
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf struct {
			Groups []struct {
				Rules []struct{ Alert, Record, Expr string } `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(data, &rf); err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					served[r.Record] = true
				}
				exprs = append(exprs, panelQuery{dashboards.Query{Dashboard: filepath.Base(f), Panel: r.Alert + r.Record, Expr: r.Expr}, ""})
			}
		}
	}
	queries, err := dashboards.Queries(map[string]string{"job": "j", "instance": "i", "org": "o", "repository": "r"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		exprs = append(exprs, panelQuery{q, ""})
	}
	for _, q := range exprs {
		expr, err := parser.ParseExpr(q.Expr)
		if err != nil {
			t.Errorf("%s %q: %v", q.Dashboard, q.Panel, err)
			continue
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			for _, m := range vs.LabelMatchers {
				if m.Name != labels.MetricName {
					continue
				}
				names := []string{m.Value}
				if m.Type == labels.MatchRegexp {
					names = strings.Split(m.Value, "|")
				}
				for _, name := range names {
					if !served[name] {
						t.Errorf("%s %q: metric %s is not served by the exporter", q.Dashboard, q.Panel, name)
					}
				}
			}
			return nil
		})
	}
}

// checkRouteSeries runs the exporter-health panels that break the API usage
// down by route and requires one series per route the exporter reports:
// the Operator's endpoint target label must not swallow the route.
func checkRouteSeries(t *testing.T, prom *promClient, body string) {
	t.Helper()
	want := map[string]bool{}
	for _, m := range parseExposition(t, body)["github_exporter_api_requests_total"].GetMetric() {
		want[labelMap(m)["route"]] = true
	}
	if len(want) < 3 || want[""] {
		t.Fatalf("the exporter reports requests for routes %v, want several, none empty", slices.Sorted(maps.Keys(want)))
	}
	queries, err := dashboards.Queries(map[string]string{"job": ".*", "instance": ".*", "org": ".*", "repository": ".*"})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, q := range queries {
		if q.Dashboard != "ghsec-exporter-health" || !strings.Contains(q.Legend, "{{route}}") {
			continue
		}
		checked++
		s, err := prom.query(q.Expr)
		if err != nil {
			t.Errorf("panel %q: %v", q.Panel, err)
			continue
		}
		got := map[string]bool{}
		for _, sample := range s {
			got[sample.Metric["route"]] = true
		}
		for route := range want {
			if !got[route] {
				t.Errorf("panel %q, %s: no series for route %q; routes %v", q.Panel, q.RefID, route, slices.Sorted(maps.Keys(got)))
			}
		}
	}
	if checked < 3 {
		t.Errorf("checked %d exporter-health queries by route, want 3", checked)
	}
}
