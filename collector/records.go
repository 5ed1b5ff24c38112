package collector

import (
	"math"
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
// age it and to merge a later change. Times are Unix seconds; Closed is 0 while open.
type alertRecord struct {
	Tuple         uint32 // index into alertSet.Tuples
	Created       int64
	Updated       int64
	Closed        int64
	FalsePositive bool // closed as a false positive: left out of time to remediate
}

// labelTuple is an interned set of an alert's label values: the family's labels after
// org, repository first and state last, and the severity used for ages and SLAs.
type labelTuple struct {
	Values   []string
	Severity string
}

func (l labelTuple) repository() string { return l.Values[0] }
func (l labelTuple) open() bool         { return l.Values[len(l.Values)-1] == "open" }

// familySpec describes an alert family: its name (the family and collector label), its
// count metric and how many label values follow org in it.
type familySpec struct {
	name   string
	desc   *prometheus.Desc
	labels int
}

// alertFields is one alert as a family's listing describes it.
type alertFields struct {
	key           alertKey
	labels        []string // the family's label values after org: repository first, state last
	severity      string
	created       githubTime
	updated       githubTime
	closed        githubTime
	falsePositive bool
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
	// Missed counts the changes walks found that no webhook delivery announced (apply.go).
	Missed uint64

	tupleIndex map[string]uint32
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
	}
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

// put stores an alert, replacing what was known of it.
func (s *alertSet) put(a alertFields) error {
	i, err := s.tuple(a.labels, a.severity)
	if err != nil {
		return err
	}
	if a.updated.IsZero() {
		s.Incremental = false
	}
	s.Records[a.key] = alertRecord{
		Tuple: i, Created: a.created.unixSeconds(), Updated: a.updated.unixSeconds(),
		Closed: a.closed.unixSeconds(), FalsePositive: a.falsePositive,
	}
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
		s.Records[k] = r
	}
	return nil
}

// Buckets of the age and remediation-time histograms, in seconds.
var (
	day              = (24 * time.Hour).Seconds()
	openAgeBuckets   = []float64{1 * day, 7 * day, 30 * day, 90 * day, 180 * day, 365 * day, 730 * day}
	remediateBuckets = []float64{3600, 1 * day, 7 * day, 30 * day, 90 * day, 180 * day, 365 * day}
)

var (
	openAgeDesc = prometheus.NewDesc(
		"github_alerts_open_age_seconds",
		"Age of the open alerts (now minus creation) by alert family and severity, refreshed on schedule.",
		[]string{"org", "family", "severity"}, nil)
	remediateDesc = prometheus.NewDesc(
		"github_alerts_time_to_remediate_seconds",
		"Time from creation to fixing, dismissal or resolution of the closed alerts, false positives left out, by alert family and severity, refreshed on schedule.",
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

// histogram accumulates a const histogram.
type histogram struct {
	buckets []float64
	counts  []uint64
	count   uint64
	sum     float64
}

func newHistogram(buckets []float64) *histogram {
	return &histogram{buckets: buckets, counts: make([]uint64, len(buckets))}
}

func (h *histogram) observe(v float64) {
	h.count++
	h.sum += v
	for i, b := range h.buckets {
		if v <= b {
			h.counts[i]++
		}
	}
}

func (h *histogram) metric(desc *prometheus.Desc, labels ...string) (prometheus.Metric, error) {
	cumulative := make(map[float64]uint64, len(h.buckets))
	for i, b := range h.buckets {
		cumulative[b] = h.counts[i]
	}
	return prometheus.NewConstHistogram(desc, h.count, h.sum, cumulative, labels...)
}

// metrics derives every series of the set for t's organization at now: counts by label
// tuple (with explicit zeros for inventory repositories without open alerts), oldest
// open alert per repository and severity, open-age and remediation-time histograms and
// SLA breaches per severity.
func (s *alertSet) metrics(f familySpec, t *Target, sla SLA, now time.Time) ([]prometheus.Metric, error) {
	family := f.name
	keep := make([]bool, len(s.Tuples))
	for i, tu := range s.Tuples {
		keep[i] = t.Keep(tu.repository())
	}
	counts := newAlertCounts(family)
	openAge, remediate := map[string]*histogram{}, map[string]*histogram{}
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
		switch {
		case open && r.Created > 0:
			age := float64(nowUnix - r.Created)
			histogramFor(openAge, tu.Severity, openAgeBuckets).observe(math.Max(age, 0))
			if limit, ok := sla[slaKey(family, tu.Severity)]; ok && age > limit.Seconds() {
				breached[tu.Severity]++
			}
		case !open && r.Closed > 0 && r.Created > 0 && !r.FalsePositive:
			histogramFor(remediate, tu.Severity, remediateBuckets).observe(math.Max(float64(r.Closed-r.Created), 0))
		}
	}
	out, err := counts.metrics(f.desc, t, f.labels)
	if err != nil {
		return nil, err
	}
	for severity, h := range openAge {
		m, err := h.metric(openAgeDesc, t.Org, family, severity)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	for severity, h := range remediate {
		m, err := h.metric(remediateDesc, t.Org, family, severity)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
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

func histogramFor(m map[string]*histogram, severity string, buckets []float64) *histogram {
	h, ok := m[severity]
	if !ok {
		h = newHistogram(buckets)
		m[severity] = h
	}
	return h
}
