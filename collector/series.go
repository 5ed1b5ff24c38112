package collector

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/metricstore"
)

// A Sink receives the series of each organization's source when they change (package
// metricstore's Store). part is "org/collector"; nil metrics remove the part.
type Sink interface {
	Update(part string, metrics []prometheus.Metric) error
}

// ClosedRows says what the alert count families do with the rows of closed alerts
// (every state but open).
type ClosedRows string

const (
	ClosedKeep ClosedRows = "keep" // one row per repository and labels, as open ones (default)
	ClosedFold ClosedRows = "fold" // one row per organization and labels: repository ""
	ClosedDrop ClosedRows = "drop" // no rows: only open alerts are counted
)

// SeriesOptions bound what the sources' series become, in the spirit of
// kube-state-metrics' allow and deny lists.
type SeriesOptions struct {
	// Allow, when not nil, keeps only the metric families whose name it matches; Deny
	// leaves out those it matches. Both are anchored at both ends.
	Allow, Deny *regexp.Regexp
	// Closed is what becomes of closed alerts' rows in the count families; "": keep.
	Closed ClosedRows
	// DropRepository names metric families (github_dependabot_alerts, ...,
	// github_alerts_oldest_open_timestamp_seconds) whose repository label is left empty,
	// their rows summed (oldest: the earliest) per organization and other labels.
	DropRepository []string
	// MaxSeries caps the series of one organization's source; beyond it the rest are
	// left out (closed-alert rows first), counted in github_exporter_series_dropped,
	// and the collection still succeeds. 0: no cap.
	MaxSeries int
}

var droppedDesc = prometheus.NewDesc(
	"github_exporter_series_dropped",
	"Series of the source for the organization that its last collection left out because of --metrics.max-series.",
	[]string{"org", "collector"}, nil)

// shape applies the allow and deny lists and the series cap; it returns the series kept
// and how many the cap left out.
func (o SeriesOptions) shape(metrics []prometheus.Metric) ([]prometheus.Metric, int) {
	if o.Allow != nil || o.Deny != nil {
		kept := metrics[:0:0]
		for _, m := range metrics {
			if o.allowed(metricstore.Name(m.Desc())) {
				kept = append(kept, m)
			}
		}
		metrics = kept
	}
	if o.MaxSeries <= 0 || len(metrics) <= o.MaxSeries {
		return metrics, 0
	}
	// The same series are kept every time: open rows before closed ones, the alert
	// counts and oldest-open times before the other families, then by name and label values.
	type ranked struct {
		m   prometheus.Metric
		key string
	}
	all := make([]ranked, len(metrics))
	for i, m := range metrics {
		all[i] = ranked{m, rankKey(m)}
	}
	slices.SortFunc(all, func(a, b ranked) int { return cmp.Compare(a.key, b.key) })
	kept := make([]prometheus.Metric, o.MaxSeries)
	for i := range kept {
		kept[i] = all[i].m
	}
	return kept, len(metrics) - o.MaxSeries
}

func rankKey(m prometheus.Metric) string {
	var pb dto.Metric
	_ = m.Write(&pb)
	closed := "0"
	var b strings.Builder
	for _, l := range pb.GetLabel() {
		if l.GetName() == "state" && l.GetValue() != "open" {
			closed = "1"
		}
		b.WriteString("\x00" + l.GetValue())
	}
	// The per-repository alert data comes first, then the organization's aggregates.
	name := metricstore.Name(m.Desc())
	family := "1"
	if strings.HasSuffix(name, "_alerts") && !strings.HasPrefix(name, "github_alerts_") || name == "github_alerts_oldest_open_timestamp_seconds" {
		family = "0"
	}
	return closed + family + name + b.String()
}

func (o SeriesOptions) allowed(name string) bool {
	return (o.Allow == nil || o.Allow.MatchString(name)) && (o.Deny == nil || !o.Deny.MatchString(name))
}

// dropsRepository reports whether the family named loses its repository label.
func (o SeriesOptions) dropsRepository(name string) bool {
	return slices.Contains(o.DropRepository, name)
}

// CompileFamilies compiles a regular expression over metric family names, anchored at
// both ends; "" gives nil.
func CompileFamilies(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, fmt.Errorf("compiling %q: %w", expr, err)
	}
	return re, nil
}

// reshape folds a tally's rows as o asks: key is the joined label values after org,
// repository at index repo and the state at index state (-1: no state). min keeps the
// smallest value instead of the sum (times).
func (o SeriesOptions) reshape(counts map[string]float64, family string, repo, state int, min bool) map[string]float64 {
	dropRepo := o.dropsRepository(family)
	if !dropRepo && (o.Closed == "" || o.Closed == ClosedKeep || state < 0) {
		return counts
	}
	out := make(map[string]float64, len(counts))
	for key, v := range counts {
		values := strings.Split(key, sep)
		if state >= 0 && values[state] != "open" {
			switch o.Closed {
			case ClosedDrop:
				continue
			case ClosedFold:
				values[repo] = ""
			}
		}
		if dropRepo {
			values[repo] = ""
		}
		k := strings.Join(values, sep)
		if cur, ok := out[k]; !ok {
			out[k] = v
		} else if min {
			out[k] = math.Min(cur, v)
		} else {
			out[k] = cur + v
		}
	}
	return out
}
