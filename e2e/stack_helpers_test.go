package e2e

// Helpers for stack_test.go: the real Prometheus, promtool, Alertmanager and
// amtool from Debian's packages, history backfilled with promtool, the
// Prometheus HTTP API and a webhook receiver.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// debianPackage names the Debian package that ships each program the stack test runs.
var debianPackage = map[string]string{
	"prometheus":              "prometheus",
	"promtool":                "prometheus",
	"prometheus-alertmanager": "prometheus-alertmanager",
	"amtool":                  "prometheus-alertmanager",
}

// program returns the path of a program from Debian's packages. A missing one
// fails the test: a skipped end-to-end check looks like a passed one in CI.
func program(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s (.ci/run installs it when missing)", name, debianPackage[name])
	}
	return p
}

// runProgram runs a program to completion with stdin and returns its combined output.
func runProgram(t *testing.T, stdin []byte, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, program(t, name), args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustRun is runProgram that fails the test when the program fails.
func mustRun(t *testing.T, stdin []byte, name string, args ...string) string {
	t.Helper()
	out, err := runProgram(t, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// startProcess starts a program and stops it (SIGINT, then SIGKILL after a bound) when
// the test ends.
func startProcess(t *testing.T, name string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(program(t, name), args...)}
	p.start(t)
	return p
}

// rewriteYAML decodes a YAML mapping, lets edit change it and encodes it again.
func rewriteYAML(t *testing.T, data []byte, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decoding YAML: %v", err)
	}
	edit(doc)
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mapping returns doc[key] as a mapping, failing the test if it is not one.
func mapping(t *testing.T, doc map[string]any, key string) map[string]any {
	t.Helper()
	m, ok := doc[key].(map[string]any)
	if !ok {
		t.Fatalf("YAML key %q is not a mapping: %#v", key, doc[key])
	}
	return m
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// parseExposition decodes the text exposition format.
func parseExposition(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return families
}

// omSeries is one series of a scrape in OpenMetrics text, its labels including
// the target labels Prometheus adds (job, instance).
type omSeries struct {
	name   string
	value  float64
	labels string // `{a="x",...}`
}

// openMetricsSeries flattens metric families into series, histograms and
// summaries into their _bucket/quantile, _sum and _count series, each with
// the target labels added.
func openMetricsSeries(families map[string]*dto.MetricFamily, target map[string]string) []omSeries {
	var out []omSeries
	add := func(name string, labels []*dto.LabelPair, extra map[string]string, v float64) {
		l := map[string]string{}
		for _, p := range labels {
			l[p.GetName()] = p.GetValue()
		}
		for k, v := range target {
			if old, clash := l[k]; clash {
				l["exported_"+k] = old // as Prometheus does without honor_labels
			}
			l[k] = v
		}
		for k, v := range extra {
			l[k] = v
		}
		keys := slices.Sorted(maps.Keys(l))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + `="` + omEscape(l[k]) + `"`
		}
		out = append(out, omSeries{name: name, value: v, labels: "{" + strings.Join(parts, ",") + "}"})
	}
	for _, name := range slices.Sorted(maps.Keys(families)) {
		mf := families[name]
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m.GetLabel(), nil, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.GetLabel(), nil, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				add(name, m.GetLabel(), nil, m.GetUntyped().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				inf := false
				for _, b := range h.GetBucket() {
					add(name+"_bucket", m.GetLabel(), map[string]string{"le": omFloat(b.GetUpperBound())}, float64(b.GetCumulativeCount()))
					inf = inf || math.IsInf(b.GetUpperBound(), 1)
				}
				if !inf { // the text format's +Inf bucket is parsed as a bucket, the protobuf one is implied
					add(name+"_bucket", m.GetLabel(), map[string]string{"le": "+Inf"}, float64(h.GetSampleCount()))
				}
				add(name+"_sum", m.GetLabel(), nil, h.GetSampleSum())
				add(name+"_count", m.GetLabel(), nil, float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, m.GetLabel(), map[string]string{"quantile": omFloat(q.GetQuantile())}, q.GetValue())
				}
				add(name+"_sum", m.GetLabel(), nil, s.GetSampleSum())
				add(name+"_count", m.GetLabel(), nil, float64(s.GetSampleCount()))
			}
		}
	}
	return out
}

func omEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func omFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// backfillBlock is promtool's block length: it reads its whole input once per
// two-hour block, so history is written and imported one block at a time.
const backfillBlock = 2 * time.Hour

// backfill writes into tsdbDir, with promtool tsdb create-blocks-from
// openmetrics, one sample of every series at each step in [from, to): the
// history a Prometheus scraping these values would have recorded. Samples are
// whole seconds; blocks are aligned to two hours as promtool aligns them, and
// a few are imported at once (promtool mostly waits for the disk).
func backfill(t *testing.T, series []omSeries, from, to time.Time, step time.Duration, tsdbDir string) {
	t.Helper()
	promtool := program(t, "promtool")
	dir := t.TempDir()
	first := from.Truncate(time.Second)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for start := first.Truncate(backfillBlock); start.Before(to); start = start.Add(backfillBlock) {
		var times []int64
		for ts := first; ts.Before(to); ts = ts.Add(step) {
			if !ts.Before(start) && ts.Before(start.Add(backfillBlock)) {
				times = append(times, ts.Unix())
			}
		}
		if len(times) == 0 {
			continue
		}
		file := filepath.Join(dir, fmt.Sprintf("history-%d.om.txt", start.Unix()))
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := writeOpenMetrics(file, series, times)
			if err == nil {
				var out []byte
				out, err = exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", file, tsdbDir).CombinedOutput()
				if err != nil {
					err = fmt.Errorf("promtool tsdb create-blocks-from openmetrics %s: %w\n%s", file, err, out)
				}
			}
			os.Remove(file)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
}

// writeOpenMetrics writes every series at every timestamp (seconds), each
// series' samples together and in time order, as promtool requires.
func writeOpenMetrics(file string, series []omSeries, times []int64) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	for _, s := range series {
		prefix := s.name + s.labels + " " + omFloat(s.value) + " "
		for _, ts := range times {
			w.WriteString(prefix)
			w.WriteString(strconv.FormatInt(ts, 10))
			w.WriteByte('\n')
		}
	}
	w.WriteString("# EOF\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// promSample is one element of an instant query's result.
type promSample struct {
	Metric map[string]string
	Value  string
}

// promClient queries a Prometheus server's HTTP API.
type promClient struct {
	base   string // http://host:port
	client *http.Client
	// job and instance are the exporter's target labels.
	job, instance string
}

func newPromClient(addr string) *promClient {
	return &promClient{base: "http://" + addr, client: &http.Client{Timeout: 15 * time.Second}}
}

// get decodes the data of a successful API answer into v.
func (p *promClient) get(path string, params url.Values, v any) error {
	resp, err := p.client.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s", path, body.Error)
	}
	return json.Unmarshal(body.Data, v)
}

// query runs an instant query at the current time.
func (p *promClient) query(expr string) ([]promSample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get("/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, err
	}
	switch data.ResultType {
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, err
		}
		out := make([]promSample, len(v))
		for i, s := range v {
			out[i] = promSample{Metric: s.Metric, Value: fmt.Sprint(s.Value[1])}
		}
		return out, nil
	case "scalar":
		var s [2]any
		if err := json.Unmarshal(data.Result, &s); err != nil {
			return nil, err
		}
		return []promSample{{Value: fmt.Sprint(s[1])}}, nil
	}
	return nil, fmt.Errorf("unexpected result type %q", data.ResultType)
}

// hasData reports whether a result holds at least one number: a panel showing
// only NaN shows nothing either.
func hasData(samples []promSample) bool {
	for _, s := range samples {
		if s.Value != "NaN" {
			return true
		}
	}
	return false
}

// amNotification is the body Alertmanager's webhook_configs post.
type amNotification struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// webhookSink records the notifications posted to each path.
type webhookSink struct {
	mu     sync.Mutex
	byPath map[string][]amNotification
	errs   []string
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n amNotification
	err := json.NewDecoder(r.Body).Decode(&n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, fmt.Sprintf("%s: undecodable notification: %v", r.URL.Path, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.byPath == nil {
		s.byPath = map[string][]amNotification{}
	}
	s.byPath[r.URL.Path] = append(s.byPath[r.URL.Path], n)
}

// notifications returns a copy of what reached path so far.
func (s *webhookSink) notifications(path string) []amNotification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.byPath[path])
}

// collectedSince holds for a scrape in which the three alert families of
// every organization have been collected since t: each of their
// github_exporter_last_success_timestamp_seconds is at t or later, but those
// of sources GitHub reports unavailable. (Other sources, such as the code
// scanning analyses, keep schedules of their own.)
func collectedSince(t time.Time) func(map[string]float64) bool {
	const success, available = "github_exporter_last_success_timestamp_seconds{", "github_exporter_source_available{"
	alertFamily := regexp.MustCompile(`collector="(code_scanning|dependabot|secret_scanning)"`)
	return func(series map[string]float64) bool {
		n := 0
		for k, v := range series {
			labels, ok := strings.CutPrefix(k, success)
			if !ok || !alertFamily.MatchString(labels) {
				continue
			}
			if up, ok := series[available+labels]; ok && up == 0 {
				continue
			}
			if v < float64(t.Unix()) {
				return false
			}
			n++
		}
		return n > 0
	}
}
