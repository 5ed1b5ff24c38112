package collector

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultTopAdvisories is how many advisories github_dependabot_top_advisory_open_alerts
// shows per organization when Config.TopAdvisories is not set.
const DefaultTopAdvisories = 10

// epssBands are the lower bounds of the EPSS bands, as ratios (0.001 is 0.1%). The bands
// are cumulative: an alert with EPSS 0.15 counts in all three.
var epssBands = []float64{0.001, 0.01, 0.1}

var (
	dependabotEPSSDesc = prometheus.NewDesc(
		"github_dependabot_open_alerts_by_epss",
		"Open Dependabot alerts whose advisory's EPSS percentage (probability of exploitation in the next 30 days) is at least the epss label (a ratio: 0.001 is 0.1%), by advisory severity, refreshed on schedule. Cumulative: an alert counts in every band below its score.",
		[]string{"org", "severity", "epss"}, nil)
	dependabotPatchDesc = prometheus.NewDesc(
		"github_dependabot_open_alerts_by_patch",
		"Open Dependabot alerts by whether the vulnerability has a patched version (security_vulnerability.first_patched_version) and advisory severity, refreshed on schedule.",
		[]string{"org", "severity", "patched"}, nil)
	dependabotRelationshipDesc = prometheus.NewDesc(
		"github_dependabot_open_alerts_by_relationship",
		"Open Dependabot alerts by the vulnerable dependency's relationship to the project (direct, transitive, or unknown where GitHub does not say) and advisory severity, refreshed on schedule.",
		[]string{"org", "severity", "relationship"}, nil)
	dependabotTopAdvisoryDesc = prometheus.NewDesc(
		"github_dependabot_top_advisory_open_alerts",
		"Open Dependabot alerts of the advisories with the most open alerts in the organization (the top --collector.dependabot.top-advisories), by advisory and severity, refreshed on schedule.",
		[]string{"org", "ghsa_id", "severity"}, nil)
)

func describeDependabotRisk(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dependabotEPSSDesc, dependabotPatchDesc, dependabotRelationshipDesc, dependabotTopAdvisoryDesc} {
		ch <- d
	}
}

// dependabotRisk derives, from the open alerts of kept repositories, the counts by EPSS
// band, by patch availability and by relationship per severity (every band and value
// with a row, 0 included, for each severity with open alerts), and the top advisories.
func dependabotRisk(s *alertSet, t *Target, keep []bool) ([]prometheus.Metric, error) {
	epss, patch, relationship := newTally(), newTally(), newTally()
	advisories := map[string]map[string]float64{} // ghsa_id → severity → open alerts
	for _, r := range s.Records {
		tu := s.Tuples[r.Tuple]
		if !keep[r.Tuple] || !tu.open() {
			continue
		}
		d, severity := s.detail(r), tu.Severity
		for _, band := range epssBands {
			label := strconv.FormatFloat(band, 'g', -1, 64)
			if err := epss.zero(severity, label); err != nil {
				return nil, err
			}
			if d.EPSS >= band {
				epss.counts[joinLabels([]string{severity, label})]++
			}
		}
		for _, v := range []string{"true", "false"} {
			if err := patch.zero(severity, v); err != nil {
				return nil, err
			}
		}
		for _, v := range []string{"direct", "transitive", "unknown"} {
			if err := relationship.zero(severity, v); err != nil {
				return nil, err
			}
		}
		patch.counts[joinLabels([]string{severity, strconv.FormatBool(d.Patched)})]++
		relationship.counts[joinLabels([]string{severity, orDefault(&d.Relationship, "unknown")})]++
		if d.Advisory != "" {
			if advisories[d.Advisory] == nil {
				advisories[d.Advisory] = map[string]float64{}
			}
			advisories[d.Advisory][severity]++
		}
	}
	var out []prometheus.Metric
	for _, c := range []struct {
		desc  *prometheus.Desc
		tally *tally
	}{{dependabotEPSSDesc, epss}, {dependabotPatchDesc, patch}, {dependabotRelationshipDesc, relationship}} {
		m, err := c.tally.metrics(c.desc, t.Org)
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	top, err := topAdvisories(advisories, t)
	if err != nil {
		return nil, err
	}
	return append(out, top...), nil
}

// topAdvisories keeps the advisories with the most open alerts, ties broken by ghsa_id
// so that the choice is stable from one collection to the next.
func topAdvisories(advisories map[string]map[string]float64, t *Target) ([]prometheus.Metric, error) {
	type ranked struct {
		ghsa string
		open float64
	}
	var list []ranked
	for ghsa, bySeverity := range advisories {
		r := ranked{ghsa: ghsa}
		for _, n := range bySeverity {
			r.open += n
		}
		list = append(list, r)
	}
	slices.SortFunc(list, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.open, a.open), cmp.Compare(a.ghsa, b.ghsa))
	})
	n := t.TopAdvisories
	if n <= 0 {
		n = DefaultTopAdvisories
	}
	rows := newTally()
	for _, r := range list[:min(n, len(list))] {
		for severity, count := range advisories[r.ghsa] {
			if err := rows.zero(r.ghsa, severity); err != nil {
				return nil, err
			}
			rows.counts[joinLabels([]string{r.ghsa, severity})] = count
		}
	}
	return rows.metrics(dependabotTopAdvisoryDesc, t.Org)
}
