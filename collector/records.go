package collector

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// alertKey identifies an alert in an organization's listing: GitHub numbers alerts per
// repository. Repo is the repository id, or a negative number standing for the name
// when a server sends no id.
type alertKey struct {
	Repo   int64
	Number int64
}

// alertRecord is what is kept of one alert between collections: enough to count it, to
// age it and to merge a later change. Times are Unix seconds; Closed, the last closing
// time, is 0 while open.
type alertRecord struct {
	Tuple         uint32 // index into alertSet.Tuples
	FalsePositive bool   // closed as a false positive: left out of time to remediate
	Created       int64
	Updated       int64
	Closed        int64
	SeenOpen      int64  // exporter clock: when it was last seen new and open, or reopened
	Detail        uint32 // 1 + index into alertSet.Details; 0: none known (details.go)
}

// labelTuple is an interned set of an alert's label values: the family's labels after
// org, repository first and state last, and the severity used for ages and SLAs.
type labelTuple struct {
	Values   []string
	Severity string
}

func (l labelTuple) repository() string { return l.Values[0] }
func (l labelTuple) open() bool         { return l.Values[len(l.Values)-1] == "open" }

// state is the flow class of the tuple's state label.
func (l labelTuple) state() stateClass {
	switch l.Values[len(l.Values)-1] {
	case "open":
		return stateOpen
	case "unknown":
		return stateUnknown
	}
	return stateClosed
}

// familySpec describes an alert family: its name (the family and collector label), its
// count metric and how many label values follow org in it.
type familySpec struct {
	name   string
	desc   *prometheus.Desc
	labels int
	// extra, when set, derives the family's further metrics from the records of kept
	// tuples (keep is indexed by Tuple), e.g. Dependabot's EPSS bands (details.go).
	extra func(s *alertSet, t *Target, keep []bool) ([]prometheus.Metric, error)
	// openLabels, when set, turns the label values of a closed alert into those it had
	// while open, besides the state: secret scanning's resolution (history.go).
	openLabels func(values []string)
}

// alertFields is one alert as a family's listing describes it.
type alertFields struct {
	key           alertKey
	labels        []string // the family's label values after org: repository first, state last
	severity      string
	created       githubTime
	updated       githubTime
	closed        githubTime // the last closing time as GitHub's fields tell it
	reason        string     // closeReason of a closed alert; "" while open or unknown
	falsePositive bool
	detail        alertDetail // what the family's further metrics need (details.go)
	bypassedAt    githubTime  // secret scanning: when push protection was bypassed
}

// alertSet is one organization's alerts of one family, with what incremental and
// conditional walks need. Exported fields are persisted.
type alertSet struct {
	Records   map[alertKey]alertRecord
	Tuples    []labelTuple
	RepoNames map[string]int64 // stand-in ids of repositories a server sent without id
	// HighWater is the latest updated_at seen at the head of the updated-first listing.
	HighWater int64
	// LastFull is when the last full walk finished (exporter clock).
	LastFull int64
	// Incremental is false when some alert came without updated_at (old servers): then
	// only full walks are correct.
	Incremental bool
	// Pages remembers, per listing page URL, its validator and the alerts it held.
	Pages map[string]cachedPage
	// Flow are the flow counters, nil in a state file written before them.
	Flow *flowCounts
	// Details are the interned alertDetail values records point to (details.go).
	Details []alertDetail
	// Bypasses holds, per alert ever seen with push protection bypassed, when it was
	// bypassed: the bypass counter, carried from walk to walk so that it never decreases.
	Bypasses map[alertKey]int64
	// Missed counts the changes walks found that no webhook delivery announced (apply.go).
	Missed uint64

	tupleIndex  map[string]uint32
	detailIndex map[alertDetail]uint32
	merge       mergeContext
}

// mergeContext is what put needs of the walk or delivery that brings alerts. A full walk
// fills a new set from a prior one (after); an incremental walk, or a webhook delivery,
// puts into the set itself with prior nil. Either way a change is counted once: the
// record put holds the new state, so a walk that later reads the same state counts nothing.
type mergeContext struct {
	prior *alertSet // the records a full walk replaces; nil: the set's own
	now   int64     // exporter clock, Unix seconds
	keep  func(repository string) bool
}

// cachedPage is what a 304 for a page URL stands for.
type cachedPage struct {
	ETag, Next string
	Keys       []alertKey
}

func newAlertSet() *alertSet {
	return &alertSet{
		Records:     map[alertKey]alertRecord{},
		RepoNames:   map[string]int64{},
		Pages:       map[string]cachedPage{},
		Incremental: true,
		Flow:        newFlowCounts(),
	}
}

// counted returns s, or, for records of a state file written before the flow counters,
// an empty set with s's repository stand-ins: the next walk then counts as a first walk
// and, without validators, reads every page.
func (s *alertSet) counted() *alertSet {
	if s.Flow != nil {
		return s
	}
	fresh := newAlertSet()
	fresh.RepoNames = s.RepoNames
	return fresh
}

// after returns an empty set that a full walk fills to replace old (a counted set): it
// carries old's repository stand-ins, high-water mark and a copy of its counters (kept
// only if the walk succeeds), and counts transitions from old's records.
func (old *alertSet) after(t *Target, now time.Time) *alertSet {
	set := newAlertSet()
	set.RepoNames, set.HighWater = old.RepoNames, old.HighWater
	set.merge = mergeContext{prior: old, now: now.Unix(), keep: t.Keep}
	set.Flow = old.Flow.clone()
	return set
}

// tuple interns label values and returns their index.
func (s *alertSet) tuple(values []string, severity string) (uint32, error) {
	if s.tupleIndex == nil {
		s.tupleIndex = make(map[string]uint32, len(s.Tuples))
		for i, t := range s.Tuples {
			s.tupleIndex[tupleKey(t.Values, t.Severity)] = uint32(i)
		}
	}
	key := tupleKey(values, severity)
	if i, ok := s.tupleIndex[key]; ok {
		return i, nil
	}
	if len(s.Tuples) >= maxSeries {
		return 0, errTooManySeries
	}
	i := uint32(len(s.Tuples))
	s.Tuples = append(s.Tuples, labelTuple{Values: strings.Split(key, sep)[:len(values)], Severity: cleanLabel(severity)})
	s.tupleIndex[key] = i
	return i, nil
}

func tupleKey(values []string, severity string) string {
	return joinLabels(append(append([]string(nil), values...), severity))
}

// repoKey returns the key part of a repository: its id, or a stand-in for its name.
func (s *alertSet) repoKey(id int64, name string) int64 {
	if id > 0 {
		return id
	}
	if k, ok := s.RepoNames[name]; ok {
		return k
	}
	k := -int64(len(s.RepoNames) + 1)
	s.RepoNames[name] = k
	return k
}

// put stores an alert, replacing what was known of it, and counts its transition in the
// flow counters: the one merge path of every feed.
func (s *alertSet) put(a alertFields) error {
	i, err := s.tuple(a.labels, a.severity)
	if err != nil {
		return err
	}
	if a.updated.IsZero() {
		s.Incremental = false
	}
	r := alertRecord{
		Tuple: i, Created: a.created.unixSeconds(), Updated: a.updated.unixSeconds(),
		FalsePositive: a.falsePositive, Detail: s.internDetail(a.detail),
	}
	if a.reason != "" {
		r.Closed = a.closed.unixSeconds()
	}
	// Before is what this walk already put (an alert met twice), else what the walk replaces.
	from := s
	before, known := s.Records[a.key]
	if !known && s.merge.prior != nil {
		from = s.merge.prior
		before, known = from.Records[a.key]
	}
	var beforeState stateClass
	if known {
		beforeState = from.Tuples[before.Tuple].state()
	}
	if keep := s.merge.keep; s.Flow != nil && (keep == nil || keep(a.labels[0])) {
		s.Flow.transition(before, beforeState, known, &r, a, s.merge.now)
	}
	s.Records[a.key] = r
	s.noteBypass(a)
	return nil
}

// putAll stores alerts in order.
func (s *alertSet) putAll(alerts []alertFields) error {
	for _, a := range alerts {
		if err := s.put(a); err != nil {
			return err
		}
	}
	return nil
}

// copyFrom takes the records of keys from old, for pages a server answered 304.
func (s *alertSet) copyFrom(old *alertSet, keys []alertKey) error {
	for _, k := range keys {
		r, ok := old.Records[k]
		if !ok {
			continue
		}
		t := old.Tuples[r.Tuple]
		i, err := s.tuple(t.Values, t.Severity)
		if err != nil {
			return err
		}
		r.Tuple = i
		r.Detail = s.internDetail(old.detail(r))
		s.Records[k] = r
	}
	return nil
}

// Bounds of the open-age gauges and of the remediation-time histogram, in seconds.
var (
	day              = (24 * time.Hour).Seconds()
	openAgeBuckets   = []float64{1 * day, 7 * day, 30 * day, 90 * day, 180 * day, 365 * day, 730 * day}
	remediateBuckets = []float64{3600, 1 * day, 7 * day, 30 * day, 90 * day, 180 * day, 365 * day}
)

var (
	openByAgeDesc = prometheus.NewDesc(
		"github_alerts_open_by_age",
		"Open alerts whose age (now minus creation) is at most max_age seconds, by alert family and severity, refreshed on schedule.",
		[]string{"org", "family", "severity", "max_age"}, nil)
	remediateDesc = prometheus.NewDesc(
		"github_alerts_time_to_remediate_seconds",
		"Seconds from creation to the last closing of each remediation the exporter has seen (fixed, dismissed or resolved; false positives and auto-dismissals left out; on its first walk: every closed alert found), by alert family and severity; kept across restarts, refreshed on schedule.",
		[]string{"org", "family", "severity"}, nil)
	slaBreachedDesc = prometheus.NewDesc(
		"github_alerts_sla_breached",
		"Open alerts older than the SLA of their severity, by alert family and severity, refreshed on schedule.",
		[]string{"org", "family", "severity"}, nil)
	trackedDesc = prometheus.NewDesc(
		"github_exporter_tracked_alerts",
		"Alerts the exporter keeps a record of, by organization and collector.",
		[]string{"org", "collector"}, nil)
)

// SLA is the longest an open alert of a severity may stay open. Severities without an
// entry have no SLA. Secret scanning alerts have no severity; they use the "secret" entry.
type SLA map[string]time.Duration

// DefaultSLA are the days GitHub's and most security teams' policies start from.
var DefaultSLA = SLA{
	"critical": 7 * 24 * time.Hour, "high": 30 * 24 * time.Hour,
	"medium": 90 * 24 * time.Hour, "low": 180 * 24 * time.Hour,
	"secret": 7 * 24 * time.Hour,
}

// metrics derives every series of the set for t's organization at now: counts by label
// tuple (with explicit zeros for inventory repositories without open alerts), oldest
// open alert per repository and severity, open alerts by age and SLA breaches per
// severity, and the flow counters.
func (s *alertSet) metrics(f familySpec, t *Target, sla SLA, now time.Time) ([]prometheus.Metric, error) {
	family := f.name
	keep := make([]bool, len(s.Tuples))
	for i, tu := range s.Tuples {
		keep[i] = t.Keep(tu.repository())
	}
	counts := newAlertCounts(family)
	openAge := map[string][]float64{} // per severity: open alerts per bound, the last +Inf
	breached := map[string]float64{}
	nowUnix := now.Unix()
	for _, r := range s.Records {
		if !keep[r.Tuple] {
			continue
		}
		tu := s.Tuples[r.Tuple]
		open := tu.open()
		if err := counts.add(open, r.Created, tu.repository(), tu.Severity, tu.Values...); err != nil {
			return nil, err
		}
		if !open {
			continue
		}
		byAge := openAge[tu.Severity]
		if byAge == nil {
			byAge = make([]float64, len(openAgeBuckets)+1)
			openAge[tu.Severity] = byAge
		}
		byAge[len(openAgeBuckets)]++
		if r.Created == 0 {
			continue // age unknown: counted under +Inf only
		}
		age := float64(nowUnix - r.Created)
		for i, b := range openAgeBuckets {
			if age <= b {
				byAge[i]++
			}
		}
		if limit, ok := sla[slaKey(family, tu.Severity)]; ok && age > limit.Seconds() {
			breached[tu.Severity]++
		}
	}
	out, err := counts.metrics(f.desc, t, f.labels)
	if err != nil {
		return nil, err
	}
	for severity, byAge := range openAge {
		for i, n := range byAge {
			le := "+Inf"
			if i < len(openAgeBuckets) {
				le = strconv.FormatFloat(openAgeBuckets[i], 'f', -1, 64)
			}
			m, err := prometheus.NewConstMetric(openByAgeDesc, prometheus.GaugeValue, n, t.Org, family, severity, le)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	if s.Flow != nil {
		flow, err := s.Flow.metrics(t.Org, family)
		if err != nil {
			return nil, err
		}
		out = append(out, flow...)
	}
	for severity, limit := range sla {
		if limit <= 0 || (severity == "secret") != (family == "secret_scanning") {
			continue
		}
		if family == "secret_scanning" {
			severity = ""
		}
		m, err := prometheus.NewConstMetric(slaBreachedDesc, prometheus.GaugeValue, breached[severity], t.Org, family, severity)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if f.extra != nil {
		more, err := f.extra(s, t, keep)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	tracked, err := prometheus.NewConstMetric(trackedDesc, prometheus.GaugeValue, float64(len(s.Records)), t.Org, family)
	if err != nil {
		return nil, err
	}
	return append(out, tracked), nil
}

func slaKey(family, severity string) string {
	if family == "secret_scanning" {
		return "secret"
	}
	return severity
}
