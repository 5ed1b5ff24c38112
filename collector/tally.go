package collector

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// maxSeries bounds the label combinations one source may produce for one organization, so a
// hostile or broken server cannot make the exporter grow without limit.
const maxSeries = 250_000

// maxLabelLen bounds one label value; GitHub names are far shorter.
const maxLabelLen = 256

// sep joins label values into a map key; it cannot occur in a cleaned label value.
const sep = "\x00"

var errTooManySeries = fmt.Errorf("more than %d label combinations", maxSeries)

// A tally counts alerts by the full tuple of their label values, so that a series is
// never emitted twice.
type tally struct {
	counts map[string]float64
}

func newTally() *tally { return &tally{counts: make(map[string]float64)} }

// add counts one alert under the given label values.
func (t *tally) add(values ...string) error {
	key := joinLabels(values)
	if _, ok := t.counts[key]; !ok && len(t.counts) >= maxSeries {
		return errTooManySeries
	}
	t.counts[key]++
	return nil
}

// zero makes sure the label values have a row, counted 0 unless counted already.
func (t *tally) zero(values ...string) error {
	key := joinLabels(values)
	if _, ok := t.counts[key]; ok {
		return nil
	}
	if len(t.counts) >= maxSeries {
		return errTooManySeries
	}
	t.counts[key] = 0
	return nil
}

// metrics turns the counts into gauges of desc, prefixed with the org label.
func (t *tally) metrics(desc *prometheus.Desc, org string) ([]prometheus.Metric, error) {
	out := make([]prometheus.Metric, 0, len(t.counts))
	for key, v := range t.counts {
		m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, append([]string{org}, strings.Split(key, sep)...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// oldest keeps the earliest creation time of open alerts by label tuple.
type oldest struct {
	times map[string]float64
}

func newOldest() *oldest { return &oldest{times: make(map[string]float64)} }

func (o *oldest) observe(unixSeconds float64, values ...string) {
	if unixSeconds <= 0 {
		return
	}
	key := joinLabels(values)
	if cur, ok := o.times[key]; !ok || unixSeconds < cur {
		o.times[key] = unixSeconds
	}
}

func (o *oldest) metrics(desc *prometheus.Desc, org string) ([]prometheus.Metric, error) {
	t := &tally{counts: o.times}
	return t.metrics(desc, org)
}

func joinLabels(values []string) string {
	for i, v := range values {
		values[i] = cleanLabel(v)
	}
	return strings.Join(values, sep)
}

// cleanLabel makes a value from GitHub safe as a label value: valid UTF-8, no NUL, bounded length.
func cleanLabel(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	v = strings.ReplaceAll(v, sep, "")
	if len(v) > maxLabelLen {
		v = v[:maxLabelLen]
		for !utf8.ValidString(v) {
			v = v[:len(v)-1]
		}
	}
	return v
}

// orDefault returns v, or def when v is nil or empty.
func orDefault(v *string, def string) string {
	if v == nil || *v == "" {
		return def
	}
	return *v
}
