package collector

import (
	"maps"

	"github.com/prometheus/client_golang/prometheus"
)

// Flow: what the exporter has seen happen to alerts, as monotonic counters kept in the
// state file: alerts opened, closed by reason, reopened, and the time to remediate of each
// remediation. They are counted in one place, where a record is merged (alertSet.put),
// whichever feed brings the change: a full walk, an incremental walk or, later, a webhook.
// A counter never goes down: alerts that vanish (deleted repositories) keep what they
// added, and a restart carries on from the state file.

var (
	openedDesc = prometheus.NewDesc(
		"github_alerts_opened_total",
		"Alerts the exporter has seen opened (on its first walk: every alert it found), by alert family and severity; kept across restarts, refreshed on schedule.",
		[]string{"org", "family", "severity"}, nil)
	closedDesc = prometheus.NewDesc(
		"github_alerts_closed_total",
		"Alerts the exporter has seen closed (on its first walk: every closed alert it found), by alert family, severity and reason (fixed, auto_dismissed, the dismissed reason or resolution); kept across restarts, refreshed on schedule.",
		[]string{"org", "family", "severity", "reason"}, nil)
	reopenedDesc = prometheus.NewDesc(
		"github_alerts_reopened_total",
		"Alerts the exporter has seen closed and then open again, by alert family and severity; kept across restarts, refreshed on schedule.",
		[]string{"org", "family", "severity"}, nil)
)

// flowCounts are one organization's flow counters of one alert family. Exported fields
// are persisted with the alert set.
type flowCounts struct {
	Opened    map[string]uint64      // by severity
	Reopened  map[string]uint64      // by severity
	Closed    map[closedKey]uint64   // by severity and reason
	Remediate map[string]*remediated // by severity: github_alerts_time_to_remediate_seconds
}

type closedKey struct{ Severity, Reason string }

// remediated is a cumulative histogram of seconds from creation to a remediation.
type remediated struct {
	Buckets []uint64 // per bound of remediateBuckets, not cumulative
	Count   uint64
	Sum     int64 // seconds
}

func newFlowCounts() *flowCounts {
	return &flowCounts{Opened: map[string]uint64{}, Reopened: map[string]uint64{},
		Closed: map[closedKey]uint64{}, Remediate: map[string]*remediated{}}
}

// clone returns a copy that a walk may change and throw away if it fails.
func (f *flowCounts) clone() *flowCounts {
	c := &flowCounts{Opened: maps.Clone(f.Opened), Reopened: maps.Clone(f.Reopened),
		Closed: maps.Clone(f.Closed), Remediate: make(map[string]*remediated, len(f.Remediate))}
	for k, h := range f.Remediate {
		c.Remediate[k] = &remediated{Buckets: append([]uint64(nil), h.Buckets...), Count: h.Count, Sum: h.Sum}
	}
	return c
}

// add adds o's counts to f: the counters of two walks of one family (secret scanning's
// default and generic listings) served as one.
func (f *flowCounts) add(o *flowCounts) {
	for k, v := range o.Opened {
		f.Opened[k] += v
	}
	for k, v := range o.Reopened {
		f.Reopened[k] += v
	}
	for k, v := range o.Closed {
		f.Closed[k] += v
	}
	for k, h := range o.Remediate {
		m := f.Remediate[k]
		if m == nil {
			m = &remediated{Buckets: make([]uint64, len(h.Buckets))}
			f.Remediate[k] = m
		}
		for i, b := range h.Buckets {
			m.Buckets[i] += b
		}
		m.Count += h.Count
		m.Sum += h.Sum
	}
}

// Reasons a closed alert is counted under, in snake_case: each family's dismissal
// reasons and resolutions, "fixed" and "auto_dismissed"; anything else is "other".
var closeReasons = map[string]string{
	"fixed": "fixed", "auto_dismissed": "auto_dismissed",
	// code scanning dismissed_reason
	"false positive": "false_positive", "won't fix": "wont_fix", "used in tests": "used_in_tests",
	// Dependabot dismissed_reason
	"fix_started": "fix_started", "inaccurate": "inaccurate", "no_bandwidth": "no_bandwidth",
	"not_used": "not_used", "tolerable_risk": "tolerable_risk",
	// secret scanning resolution
	"false_positive": "false_positive", "wont_fix": "wont_fix", "revoked": "revoked",
	"used_in_tests": "used_in_tests", "pattern_edited": "pattern_edited", "pattern_deleted": "pattern_deleted",
}

// closeReason is the reason label of a GitHub dismissal reason or resolution.
func closeReason(v string) string {
	if r, ok := closeReasons[v]; ok {
		return r
	}
	return "other"
}

// transition counts the change from before (known false: an alert new to the exporter)
// to after, and settles after.Closed: the last closing time. a is what the feed said;
// now is the exporter's clock. The closing time comes from GitHub's fields where they
// are exact (see each family's fields); when a server sends no updated_at and its closing
// time predates the reopening the exporter saw, or sends none, an alert seen open and now
// closed is taken as closed now, late by at most a collection interval.
func (f *flowCounts) transition(before alertRecord, beforeState stateClass, known bool, after *alertRecord, a alertFields, now int64) {
	severity := cleanLabel(a.severity)
	state := classify(a)
	switch {
	case !known:
		f.Opened[severity]++
		if state == stateOpen {
			after.SeenOpen = now
		}
		if state == stateClosed {
			f.closed(after, a, severity)
		}
	case beforeState == stateOpen && state == stateClosed:
		if after.Closed == 0 || a.updated.IsZero() && after.Closed < before.SeenOpen {
			after.Closed = now
		}
		f.closed(after, a, severity)
	case beforeState == stateClosed && state == stateOpen:
		f.Reopened[severity]++
		after.SeenOpen = now
	case beforeState == stateClosed && state == stateClosed && before.Closed > 0 && after.Closed > before.Closed:
		// Closed again at a later time: it was reopened between two walks.
		f.Reopened[severity]++
		f.closed(after, a, severity)
	default:
		after.SeenOpen = before.SeenOpen
		if state == stateClosed && beforeState == stateClosed {
			after.Closed = max(after.Closed, before.Closed)
		}
	}
}

// closed counts a closing, and a remediation unless it was a false positive or an
// auto-triage rule's: those are no team's remediation (they have their reasons).
func (f *flowCounts) closed(r *alertRecord, a alertFields, severity string) {
	f.Closed[closedKey{severity, a.reason}]++
	if a.falsePositive || a.reason == "auto_dismissed" || r.Closed == 0 || r.Created == 0 {
		return
	}
	h := f.Remediate[severity]
	if h == nil {
		h = &remediated{Buckets: make([]uint64, len(remediateBuckets))}
		f.Remediate[severity] = h
	}
	age := max(r.Closed-r.Created, 0)
	h.Count++
	h.Sum += age
	for i, b := range remediateBuckets {
		if float64(age) <= b {
			h.Buckets[i]++
			break
		}
	}
}

// stateClass is what the flow counters tell apart: open, closed (with a reason) and the
// null state some code scanning alerts have.
type stateClass int

const (
	stateUnknown stateClass = iota
	stateOpen
	stateClosed
)

func classify(a alertFields) stateClass {
	switch {
	case a.reason != "":
		return stateClosed
	case a.labels[len(a.labels)-1] == "open":
		return stateOpen
	}
	return stateUnknown
}

// Severities and reasons whose series start at zero: a series born inside a range loses
// its first increase to increase() and rate(), so the documented values are there from
// the first walk. Other values (e.g. severity "unknown", reason "other") appear when seen.
var (
	flowSeverities = map[string][]string{
		"code_scanning":   {"critical", "high", "medium", "low", "error", "warning", "note", "none"},
		"dependabot":      {"critical", "high", "medium", "low"},
		"secret_scanning": {""},
	}
	flowReasons = map[string][]string{
		"code_scanning":   {"fixed", "false_positive", "wont_fix", "used_in_tests"},
		"dependabot":      {"fixed", "auto_dismissed", "fix_started", "inaccurate", "no_bandwidth", "not_used", "tolerable_risk"},
		"secret_scanning": {"false_positive", "wont_fix", "revoked", "used_in_tests", "pattern_edited", "pattern_deleted"},
	}
)

// metrics returns the counters and the remediation histogram of t's organization.
func (f *flowCounts) metrics(org, family string) ([]prometheus.Metric, error) {
	f = f.clone() // the zeros below are not counts to keep
	for _, severity := range flowSeverities[family] {
		f.Opened[severity] += 0
		f.Reopened[severity] += 0
		if f.Remediate[severity] == nil {
			f.Remediate[severity] = &remediated{Buckets: make([]uint64, len(remediateBuckets))}
		}
		for _, reason := range flowReasons[family] {
			f.Closed[closedKey{severity, reason}] += 0
		}
	}
	var out []prometheus.Metric
	add := func(desc *prometheus.Desc, v uint64, labels ...string) error {
		m, err := prometheus.NewConstMetric(desc, prometheus.CounterValue, float64(v), append([]string{org, family}, labels...)...)
		out = append(out, m)
		return err
	}
	for severity, v := range f.Opened {
		if err := add(openedDesc, v, severity); err != nil {
			return nil, err
		}
	}
	for severity, v := range f.Reopened {
		if err := add(reopenedDesc, v, severity); err != nil {
			return nil, err
		}
	}
	for k, v := range f.Closed {
		if err := add(closedDesc, v, k.Severity, k.Reason); err != nil {
			return nil, err
		}
	}
	for severity, h := range f.Remediate {
		cumulative := make(map[float64]uint64, len(remediateBuckets))
		var n uint64
		for i, b := range remediateBuckets {
			if i < len(h.Buckets) {
				n += h.Buckets[i]
			}
			cumulative[b] = n
		}
		m, err := prometheus.NewConstHistogram(remediateDesc, h.Count, float64(h.Sum), cumulative, org, family, severity)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
