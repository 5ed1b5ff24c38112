package collector

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/store"
)

// A History is one organization's records of one alert family, read to derive the
// family's series as they were at a past time: for backfilling Prometheus (package
// backfill) and for the overview page's sparklines.
//
// The past is reconstructed from each record's creation and closing times and its labels
// of today: an alert counts from its creation, as open (with the labels it has while
// open) until its closing time, and with its closed state and reason after it. What the
// records do not hold cannot be known: that an alert was closed and reopened before the
// exporter saw it (it counts as open since its creation), alerts of deleted repositories
// (gone from GitHub's listings, so from the records), alerts without a creation time,
// and labels that changed (a secret's validity, an advisory's severity).
//
// A History shares the exporter's records: use it before the next collection.
type History struct {
	Org, Family string
	set         *alertSet
	target      *Target
	spec        familySpec
	view        *alertSet // reused by Metrics
	openTuple   []uint32  // per tuple of set: the index in view of its open variant
	keep        []bool    // per tuple of set: its repository passes the filter
}

// Histories returns the records of every organization and alert family collected so
// far, in configuration order.
func (e *Exporter) Histories() []*History {
	var out []*History
	for _, org := range e.orgs {
		out = append(out, histories(e.targets[org])...)
	}
	return out
}

func histories(t *Target) []*History {
	var out []*History
	for _, family := range slices.Sorted(maps.Keys(alertFamilies)) {
		set, ok := t.alerts[family]
		if family == "secret_scanning" && (ok && set != nil || t.alerts[genericSecretsKey] != nil) {
			set, ok = secretScanningRecords(t), true // with the generic walk's records
		}
		if ok && set != nil {
			out = append(out, &History{Org: t.Org, Family: family, set: set, target: t, spec: alertFamilies[family]})
		}
	}
	return out
}

// HistoryOptions are what a History needs besides the records: what the exporter's
// flags would say.
type HistoryOptions struct {
	Orgs          []string // empty: every organization of the state file
	Filter        RepoFilter
	SLA           SLA // nil: DefaultSLA
	TopAdvisories int
}

// LoadHistories reads the state file of an exporter (--storage.path), without changing
// it: a running exporter's file may be read at any time, it is replaced atomically.
func LoadHistories(path string, opts HistoryOptions) ([]*History, error) {
	payload, err := (&store.File{Path: path, Version: stateVersion}).Read()
	if errors.Is(err, store.ErrNotExist) {
		return nil, fmt.Errorf("reading state file %s: %w", path, err)
	}
	if err != nil {
		return nil, err
	}
	var state savedState
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&state); err != nil {
		return nil, fmt.Errorf("decoding state file %s: %w", path, err)
	}
	if opts.SLA == nil {
		opts.SLA = DefaultSLA
	}
	orgs := opts.Orgs
	if len(orgs) == 0 {
		orgs = slices.Sorted(maps.Keys(state.Orgs))
	}
	var out []*History
	for _, org := range orgs {
		saved, ok := state.Orgs[org]
		if !ok {
			return nil, fmt.Errorf("state file %s holds no records of organization %s", path, org)
		}
		t := &Target{Org: org, Filter: opts.Filter, SLA: opts.SLA, TopAdvisories: opts.TopAdvisories, alerts: saved.Alerts}
		if len(saved.Repos) > 0 {
			t.Repos = NewInventory(saved.Repos)
		}
		out = append(out, histories(t)...)
	}
	return out, nil
}

// First returns the creation time of the oldest record, zero when there is none.
func (h *History) First() time.Time {
	var first int64
	for _, r := range h.set.Records {
		if r.Created > 0 && (first == 0 || r.Created < first) {
			first = r.Created
		}
	}
	if first == 0 {
		return time.Time{}
	}
	return time.Unix(first, 0).UTC()
}

// stateAt says whether a record existed at a time (Unix seconds) and whether it was open.
func (h *History) stateAt(r alertRecord, at int64) (exists, open bool) {
	if r.Created <= 0 || r.Created > at {
		return false, false
	}
	if h.set.Tuples[r.Tuple].open() {
		return true, true
	}
	// Closed today: open until its closing time. A closed alert without a closing time
	// (a state GitHub sent as null) keeps today's labels throughout.
	return true, r.Closed > at
}

// Metrics returns the family's series as the exporter would have served them at a past
// time (counts by the same labels, oldest open alert, ages, remediation times, SLA
// breaches and the family's further metrics), and the flow counters up to that time.
func (h *History) Metrics(at time.Time) ([]prometheus.Metric, error) {
	if h.view == nil {
		h.view = &alertSet{Tuples: slices.Clone(h.set.Tuples), Details: h.set.Details, Records: map[alertKey]alertRecord{}}
		h.openTuple = make([]uint32, len(h.set.Tuples))
		for i, tu := range h.set.Tuples {
			values := slices.Clone(tu.Values)
			values[len(values)-1] = "open"
			if h.spec.openLabels != nil {
				h.spec.openLabels(values)
			}
			j, err := h.view.tuple(values, tu.Severity)
			if err != nil {
				return nil, err
			}
			h.openTuple[i] = j
		}
	}
	unix := at.Unix()
	v := h.view
	clear(v.Records)
	v.Bypasses = map[alertKey]int64{}
	for k, when := range h.set.Bypasses {
		if when <= unix {
			v.Bypasses[k] = when
		}
	}
	for k, r := range h.set.Records {
		exists, open := h.stateAt(r, unix)
		if !exists {
			continue
		}
		if open {
			r.Tuple, r.Closed = h.openTuple[r.Tuple], 0
		}
		v.Records[k] = r
	}
	out, err := v.metrics(h.spec, h.target, h.target.SLA, at)
	if err != nil {
		return nil, err
	}
	return append(out, h.flow(unix)...), nil
}

// flow counts the alerts of kept repositories opened and closed up to a time.
func (h *History) flow(at int64) []prometheus.Metric {
	opened, closed := newTally(), newTally()
	keep := h.kept()
	for _, r := range h.set.Records {
		tu := h.set.Tuples[r.Tuple]
		if !keep[r.Tuple] {
			continue
		}
		if exists, open := h.stateAt(r, at); !exists {
			continue
		} else if !open && r.Closed > 0 {
			reason := h.set.detail(r).Reason
			if reason == "" {
				reason = tu.Values[len(tu.Values)-1] // a record from before reasons were kept: its state
			}
			reason = closeReason(reason) // the live counter's bounded set
			_ = closed.add(h.Family, tu.Severity, reason)
		}
		_ = opened.add(h.Family, tu.Severity)
	}
	return append(opened.counters(openedDesc, h.Org), closed.counters(closedDesc, h.Org)...)
}

// counters turns the counts into counters of desc, prefixed with the org label.
func (t *tally) counters(desc *prometheus.Desc, org string) []prometheus.Metric {
	out := make([]prometheus.Metric, 0, len(t.counts))
	for key, v := range t.counts {
		out = append(out, prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v, append([]string{org}, strings.Split(key, sep)...)...))
	}
	return out
}

// kept returns, per tuple, whether its repository passes the target's filter.
func (h *History) kept() []bool {
	if len(h.keep) != len(h.set.Tuples) {
		h.keep = make([]bool, len(h.set.Tuples))
		for i, tu := range h.set.Tuples {
			h.keep[i] = h.target.Keep(tu.repository())
		}
	}
	return h.keep
}

// OpenCounts returns how many alerts of kept repositories were open at each time; times
// are in ascending order. Each record adds its open interval once, whatever the number of
// times.
func (h *History) OpenCounts(times []time.Time) []float64 {
	unix := make([]int64, len(times))
	for i, at := range times {
		unix[i] = at.Unix()
	}
	delta := make([]float64, len(times)+1)
	keep := h.kept()
	for _, r := range h.set.Records {
		if !keep[r.Tuple] || r.Created <= 0 {
			continue
		}
		// Open at every time from the first at or after its creation, up to (without) the
		// first at or after its closing: the rule of stateAt.
		from, _ := slices.BinarySearch(unix, r.Created)
		to := len(unix)
		if !h.set.Tuples[r.Tuple].open() {
			to, _ = slices.BinarySearch(unix, r.Closed)
		}
		if from < to {
			delta[from]++
			delta[to]--
		}
	}
	out := make([]float64, len(times))
	var open float64
	for i := range out {
		open += delta[i]
		out[i] = open
	}
	return out
}

// TrendDays is how many days back SourceStatus.Trend goes.
const TrendDays = 90

// trend returns the open alerts of an alert family at each of the last TrendDays days
// and now, nil for a source that keeps no alert records.
func (t *Target) trend(family string, now time.Time) []float64 {
	set, ok := t.alerts[family]
	if _, isFamily := alertFamilies[family]; !ok || !isFamily || set == nil || now.IsZero() {
		return nil
	}
	times := make([]time.Time, TrendDays+1)
	for i := range times {
		times[i] = now.Add(-time.Duration(TrendDays-i) * 24 * time.Hour)
	}
	h := &History{Org: t.Org, Family: family, set: set, target: t, spec: alertFamilies[family]}
	return h.OpenCounts(times)
}
