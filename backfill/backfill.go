// Package backfill writes the past of the exporter's alert series, reconstructed from
// its per-alert records (collector.History), as an OpenMetrics file that
// `promtool tsdb create-blocks-from openmetrics FILE DIR` turns into Prometheus blocks:
// the trend panels then show the past year on the day the exporter is installed.
//
// Each sample time gets exactly the series the exporter would have served then, by the
// same labels (the collector derives them), plus the flow counters
// github_alerts_opened_total and github_alerts_closed_total.
package backfill

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// Options say which past to write.
type Options struct {
	Days int           // how many days before End; default 365
	Step time.Duration // time between two samples of a series; default 1h
	// End is the latest sample time; default now. Samples fall on multiples of Step since
	// the Unix epoch, so that range queries aligned to the step find them.
	End time.Time
	// Labels are added to every series, e.g. the job and instance labels Prometheus gives
	// the live series, so that the past and the live samples make one series each.
	Labels map[string]string
}

func (o Options) withDefaults() Options {
	if o.Days <= 0 {
		o.Days = 365
	}
	if o.Step <= 0 {
		o.Step = time.Hour
	}
	if o.End.IsZero() {
		o.End = time.Now()
	}
	return o
}

// Times returns the sample times: multiples of Step from Days before End to End.
func (o Options) Times() []time.Time {
	o = o.withDefaults()
	step := int64(o.Step.Seconds())
	end := o.End.Unix() / step * step
	start := o.End.Add(-time.Duration(o.Days) * 24 * time.Hour).Unix()
	start = (start + step - 1) / step * step
	var times []time.Time
	for t := start; t <= end; t += step {
		times = append(times, time.Unix(t, 0).UTC())
	}
	return times
}

// Write reconstructs the series of every history at each sample time and writes them
// as OpenMetrics: each metric family once, each series' samples together and in time
// order, then "# EOF". The exporter's own health series are not part of the past.
func Write(w io.Writer, histories []*collector.History, opts Options) error {
	times := opts.Times()
	acc := newAccumulator(len(times))
	for _, name := range slices.Sorted(maps.Keys(opts.Labels)) {
		acc.extra = append(acc.extra, labelText(name, opts.Labels[name]))
	}
	current := metricSet{}
	reg := prometheus.NewRegistry()
	if err := reg.Register(&current); err != nil {
		return err
	}
	for i, at := range times {
		current.metrics = current.metrics[:0]
		for _, h := range histories {
			ms, err := h.Metrics(at)
			if err != nil {
				return fmt.Errorf("reconstructing %s of %s at %s: %w", h.Family, h.Org, at.Format(time.RFC3339), err)
			}
			current.metrics = append(current.metrics, ms...)
		}
		families, err := reg.Gather()
		if err != nil {
			return fmt.Errorf("reconstructing the series at %s: %w", at.Format(time.RFC3339), err)
		}
		acc.add(i, families)
	}
	bw := bufio.NewWriter(w)
	if err := acc.write(bw, times); err != nil {
		return err
	}
	return bw.Flush()
}

// metricSet is an unchecked collector of the metrics of one sample time.
type metricSet struct{ metrics []prometheus.Metric }

func (m *metricSet) Describe(chan<- *prometheus.Desc) {}
func (m *metricSet) Collect(ch chan<- prometheus.Metric) {
	for _, x := range m.metrics {
		ch <- x
	}
}

// accumulator holds, per metric family and series, each sample's value at each sample
// time (NaN: the series did not exist then).
type accumulator struct {
	steps    int
	families map[string]*family
	extra    []string // labels added to every series, as text
}

type family struct {
	name, help string
	typ        dto.MetricType
	buckets    []float64          // a histogram's upper bounds, +Inf left out
	series     map[string]*series // by rawKey of the labels
}

// series is one labelled metric: one sample for a gauge or counter; the buckets in
// ascending order, then _count and _sum, for a histogram.
type series struct {
	samples []string    // name and labels of each sample, e.g. `x_bucket{a="1",le="5"}`
	values  [][]float64 // per sample, per sample time
}

func newAccumulator(steps int) *accumulator {
	return &accumulator{steps: steps, families: map[string]*family{}}
}

func (a *accumulator) add(step int, families []*dto.MetricFamily) {
	for _, mf := range families {
		name := mf.GetName()
		if strings.HasPrefix(name, "github_exporter_") {
			continue // the exporter's health: not something the past had
		}
		f, ok := a.families[name]
		if !ok {
			f = &family{name: name, help: mf.GetHelp(), typ: mf.GetType(), series: map[string]*series{}}
			if len(mf.GetMetric()) > 0 {
				for _, b := range mf.GetMetric()[0].GetHistogram().GetBucket() {
					if !math.IsInf(b.GetUpperBound(), 1) {
						f.buckets = append(f.buckets, b.GetUpperBound())
					}
				}
			}
			a.families[name] = f
		}
		for _, m := range mf.GetMetric() {
			labels := m.GetLabel()
			key := rawKey(labels)
			s, ok := f.series[key]
			if !ok {
				s = a.newSeries(f, labels)
				f.series[key] = s
			}
			switch f.typ {
			case dto.MetricType_HISTOGRAM:
				h, i := m.GetHistogram(), 0
				for _, b := range h.GetBucket() {
					if !math.IsInf(b.GetUpperBound(), 1) && i < len(s.values)-3 {
						s.values[i][step] = float64(b.GetCumulativeCount())
						i++
					}
				}
				n := len(s.values)
				s.values[n-3][step], s.values[n-2][step], s.values[n-1][step] = float64(h.GetSampleCount()), float64(h.GetSampleCount()), h.GetSampleSum()
			case dto.MetricType_COUNTER:
				s.values[0][step] = m.GetCounter().GetValue()
			default:
				s.values[0][step] = m.GetGauge().GetValue()
			}
		}
	}
}

// newSeries makes the samples of a series seen for the first time: for a histogram, one
// per bucket of the exporter's fixed buckets (the same at every step), +Inf, _count and _sum.
func (a *accumulator) newSeries(f *family, labels []*dto.LabelPair) *series {
	var names []string
	switch f.typ {
	case dto.MetricType_HISTOGRAM:
		for _, le := range f.buckets {
			names = append(names, a.sample(f.name+"_bucket", labels, "le", formatFloat(le)))
		}
		names = append(names, a.sample(f.name+"_bucket", labels, "le", "+Inf"), a.sample(f.name+"_count", labels, "", ""), a.sample(f.name+"_sum", labels, "", ""))
	default:
		names = []string{a.sample(f.name, labels, "", "")}
	}
	s := &series{samples: names, values: make([][]float64, len(names))}
	for i := range s.values {
		s.values[i] = nanSlice(a.steps)
	}
	return s
}

// rawKey identifies a series of a family by its label values, cheaply.
func rawKey(labels []*dto.LabelPair) string {
	var b strings.Builder
	for _, l := range labels {
		b.WriteString(l.GetName())
		b.WriteByte(0)
		b.WriteString(l.GetValue())
		b.WriteByte(0)
	}
	return b.String()
}

func nanSlice(n int) []float64 {
	values := make([]float64, n)
	for i := range values {
		values[i] = math.NaN()
	}
	return values
}

// sample is the text of a sample's name and labels, the added labels after them and an
// extra label (le) last.
func (a *accumulator) sample(name string, labels []*dto.LabelPair, extraName, extraValue string) string {
	parts := make([]string, 0, len(labels)+len(a.extra)+1)
	for _, l := range labels {
		parts = append(parts, labelText(l.GetName(), l.GetValue()))
	}
	parts = append(parts, a.extra...)
	if extraName != "" {
		parts = append(parts, labelText(extraName, extraValue))
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func labelText(name, value string) string {
	return name + `="` + labelEscaper.Replace(value) + `"`
}

// formatFloat writes a value as the exporter's text exposition does, so that a bucket's
// le label is the same in the past as in the live series.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

// write writes each family once, and each series' points in time order: for a
// histogram, each point's buckets, count and sum together.
func (a *accumulator) write(w *bufio.Writer, times []time.Time) error {
	for _, name := range slices.Sorted(maps.Keys(a.families)) {
		f := a.families[name]
		familyName := name
		if f.typ == dto.MetricType_COUNTER {
			familyName = strings.TrimSuffix(name, "_total") // OpenMetrics: the family has no _total
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", familyName, helpEscaper.Replace(f.help), familyName, strings.ToLower(f.typ.String()))
		for _, key := range slices.Sorted(maps.Keys(f.series)) {
			s := f.series[key]
			for step, at := range times {
				for i, sample := range s.samples {
					if v := s.values[i][step]; !math.IsNaN(v) {
						fmt.Fprintf(w, "%s %s %d\n", sample, formatFloat(v), at.Unix())
					}
				}
			}
		}
	}
	if _, err := w.WriteString("# EOF\n"); err != nil {
		return fmt.Errorf("writing the OpenMetrics file: %w", err)
	}
	return nil
}
