package overview

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// families gathers metrics as the metric store hands a part to its observers.
func gathered(t *testing.T, metrics ...prometheus.Metric) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(constMetrics(metrics))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func renderCounts(t *testing.T, counts *Counts, status []collector.SourceStatus) string {
	t.Helper()
	h := New(nil, func() []collector.SourceStatus { return status }, Options{Name: "x", Counts: counts}).(*handler)
	h.now = func() time.Time { return now }
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec.Body.String()
}

// TestCountsFromTheStore feeds the page from parts of the metric store, as the exporter
// does, and checks it shows what a Gather of the same series shows; a removed part is gone.
func TestCountsFromTheStore(t *testing.T) {
	code := []prometheus.Metric{cs("acme", "api", "critical", "open", 2), cs("acme", "web", "high", "open", 3), cs("acme", "api", "low", "fixed", 9)}
	deps := []prometheus.Metric{dep("acme", "api", "critical", "open", 1), dep("acme", "web", "medium", "open", 1234)}
	counts := NewCounts()
	counts.Observe("acme/code_scanning", gathered(t, code...))
	counts.Observe("acme/dependabot", gathered(t, deps...))
	status := allOK("acme")

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(constMetrics(append(append([]prometheus.Metric{}, code...), deps...)))
	page, want := renderCounts(t, counts, status), render(t, reg, status)
	for _, s := range []string{cell("acme/code_scanning/open", "5"), cell("acme/dependabot/open", "1,235"), cell("acme/all/open", "1,240"),
		`<tr data-repo="web"><td class="rank">1</td>`} {
		if !strings.Contains(want, s) || !strings.Contains(page, s) {
			t.Errorf("%q: in the page from the store %v, from a Gather %v", s, strings.Contains(page, s), strings.Contains(want, s))
		}
	}
	counts.Observe("acme/dependabot", nil)
	if page := renderCounts(t, counts, status); !strings.Contains(page, cell("acme/all/open", "5")) {
		t.Error("the dependabot part is still counted after it was removed")
	}
}

func TestWalkProgressBar(t *testing.T) {
	status := allOK("acme")
	status[1].Walk = collector.Walk{Running: true, Full: true, PagesRead: 30, PagesExpected: 120, ETA: 12 * time.Minute}
	status[2].Walk = collector.Walk{Running: true, PagesRead: 7}
	page := renderCounts(t, NewCounts(), status)
	for _, s := range []string{`<span style="width:25.0%">`, "walking: 30 of 120 pages · about 12 min left", "walking: 7 pages read"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Count(page, `class="walk-bar"`) != 1 {
		t.Errorf("want one progress bar, for the walk whose pages are known; got %d", strings.Count(page, `class="walk-bar"`))
	}
}
