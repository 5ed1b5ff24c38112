package collector

import "github.com/prometheus/client_golang/prometheus"

// Changes a walk finds that no webhook delivery announced: counted per organization and
// family once the receiver is on, and kept with the records in the state file.

var missedDesc = prometheus.NewDesc(
	"github_exporter_webhook_missed_changes_total",
	"Alert changes a walk found that no webhook delivery had announced, by organization and collector.",
	[]string{"org", "collector"}, nil)

// CountMissedChanges makes the walks count the changes no delivery announced, from the
// counts saved with the state; the webhook receiver turns it on.
func (e *Exporter) CountMissedChanges() {
	e.orgsMu.Lock()
	defer e.orgsMu.Unlock()
	e.missedOn = true
	for _, t := range e.targets {
		t.live.mu.Lock()
		t.live.counting = true
		t.live.missed = map[string]float64{}
		for family, set := range t.alerts {
			t.live.missed[family] = float64(set.Missed)
		}
		t.live.mu.Unlock()
	}
}

// countMissed counts the records a walk brought that differ from what was known before
// it: changes that no delivery announced. For a full walk old and walked differ; an
// incremental walk passes the alerts it read before merging them.
func (t *Target) countMissed(family string, old *alertSet, walked []alertFields, full *alertSet) {
	t.live.mu.Lock()
	counting := t.live.counting
	t.live.mu.Unlock()
	if full != nil {
		full.Missed = old.Missed
	}
	if !counting || old.LastFull == 0 {
		return
	}
	n := 0
	if full != nil {
		for k, r := range full.Records {
			if o, ok := old.Records[k]; !ok || !sameRecord(old, o, full, r) {
				n++
			}
		}
		for k := range old.Records {
			if _, ok := full.Records[k]; !ok {
				n++
			}
		}
	}
	for _, a := range walked {
		o, ok := old.Records[a.key]
		if !ok || o.Closed != a.closed.unixSeconds() || !sameValues(old.Tuples[o.Tuple].Values, a.labels) {
			n++
		}
	}
	if n == 0 {
		return
	}
	t.live.mu.Lock()
	if t.live.missed == nil {
		t.live.missed = map[string]float64{}
	}
	t.live.missed[family] += float64(n)
	old.Missed += uint64(n)
	if full != nil {
		full.Missed = old.Missed
	}
	t.live.mu.Unlock()
}

func sameRecord(a *alertSet, ra alertRecord, b *alertSet, rb alertRecord) bool {
	return ra.Closed == rb.Closed && sameValues(a.Tuples[ra.Tuple].Values, b.Tuples[rb.Tuple].Values)
}

func sameValues(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if cleanLabel(a[i]) != cleanLabel(b[i]) {
			return false
		}
	}
	return true
}

// collectMissed sends the missed-changes counters of every organization.
func (e *Exporter) collectMissed(ch chan<- prometheus.Metric) {
	e.orgsMu.RLock()
	defer e.orgsMu.RUnlock()
	for _, org := range e.orgs {
		t := e.targets[org]
		t.live.mu.Lock()
		if t.live.counting {
			for family := range alertFamilies {
				if e.collects(family) {
					ch <- prometheus.MustNewConstMetric(missedDesc, prometheus.CounterValue, t.live.missed[family], org, family)
				}
			}
		}
		t.live.mu.Unlock()
	}
}
