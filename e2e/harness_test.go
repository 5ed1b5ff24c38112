// Package e2e runs the real exporter binary against the simulated GitHub.
package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// binary is the exporter built once for all tests of the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "github-security-exporter")
	build := exec.Command("go", "build", "-race", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the exporter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a program a test runs (the exporter, Prometheus, Alertmanager), with its
// output kept for error messages.
type process struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	once sync.Once
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

// Logs returns everything the program printed so far.
func (p *process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// start runs the program and stops it when the test ends.
func (p *process) start(t *testing.T) {
	t.Helper()
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", p.name, err)
	}
	t.Cleanup(func() { p.stop(t) })
}

// stop ends the program with SIGINT and waits for it, killing it after a bound; a
// program that had to be killed fails the test. Stopping twice is stopping once.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
			t.Errorf("%s did not stop on SIGINT; logs:\n%s", p.name, tail(p.Logs()))
		}
	})
}

// waitOK polls url until it answers 200. The bound only keeps a broken program from
// hanging the suite.
func (p *process) waitOK(t *testing.T, url string, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %s not OK after %s; logs:\n%s", p.name, url, bound, tail(p.Logs()))
}

// tail keeps the last 8 KiB of a program's output for an error message.
func tail(s string) string {
	if len(s) > 8<<10 {
		return s[len(s)-8<<10:]
	}
	return s
}

// exporter is a running exporter.
type exporter struct {
	*process
	addr string
}

// start runs the exporter with args on a free loopback port and stops it when the test ends.
func start(t *testing.T, env []string, args ...string) *exporter {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append(args, "--web.listen-address="+addr)...)
	cmd.Env = append(os.Environ(), env...)
	e := &exporter{process: &process{name: "exporter", cmd: cmd}, addr: addr}
	e.start(t)
	return e
}

// waitReady waits until the first collection has finished.
func (e *exporter) waitReady(t *testing.T, bound time.Duration) {
	t.Helper()
	e.waitOK(t, "http://"+e.addr+"/-/ready", bound)
}

// waitHealthy waits until the exporter serves, whatever its collections do.
func (e *exporter) waitHealthy(t *testing.T, bound time.Duration) {
	t.Helper()
	e.waitOK(t, "http://"+e.addr+"/-/healthy", bound)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// scrape returns the exporter's metrics as series ("name{a="x",b="y"}", labels sorted) to value.
func (e *exporter) scrape(t *testing.T) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get("http://" + e.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			out[seriesKey(name, labelMap(m))] = value(mf.GetType(), m)
		}
	}
	return out, string(body)
}

func labelMap(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

func value(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	}
	return -1
}

// seriesKey renders a series name and labels in one canonical form.
func seriesKey(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// family keeps the series of one metric name.
func family(series map[string]float64, name string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range series {
		if strings.HasPrefix(k, name+"{") {
			out[k] = v
		}
	}
	return out
}

// diff lists the differences between two sets of series, at most max lines.
func diff(want, got map[string]float64, max int) []string {
	var out []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			out = append(out, fmt.Sprintf("missing %s %v", k, w))
		} else if g != w {
			out = append(out, fmt.Sprintf("wrong   %s = %v, want %v", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("extra   %s %v", k, g))
		}
	}
	sort.Strings(out)
	if len(out) > max {
		out = append(out[:max], fmt.Sprintf("... and %d more", len(out)-max))
	}
	return out
}
