package collector

import (
	"github.com/prometheus/client_golang/prometheus"
)

// exposures are the values of the exposure label, in GitHub's field names.
var exposures = []string{"push_protection_bypassed", "publicly_leaked", "multi_repo"}

var (
	secretExposedDesc = prometheus.NewDesc(
		"github_secret_scanning_exposed_alerts",
		"Open secret scanning alerts that bypassed push protection, are publicly leaked or were found in several repositories (exposure), by repository, refreshed on schedule. Every repository with open alerts has a row for each exposure, 0 included.",
		[]string{"org", "repository", "exposure"}, nil)
	secretBypassesDesc = prometheus.NewDesc(
		"github_secret_scanning_push_protection_bypasses_total",
		"Secret scanning alerts of the organization seen with push protection bypassed, open or resolved, since the exporter's state began (the first collection counts every bypassed alert it finds); kept in the state file, refreshed on schedule. The repository filter does not apply.",
		[]string{"org"}, nil)
)

func describeSecretExposure(ch chan<- *prometheus.Desc) {
	ch <- secretExposedDesc
	ch <- secretBypassesDesc
}

// secretExposure counts the open alerts of kept repositories by exposure, and serves the
// bypass counter.
func secretExposure(s *alertSet, t *Target, keep []bool) ([]prometheus.Metric, error) {
	exposed := newTally()
	for _, r := range s.Records {
		tu := s.Tuples[r.Tuple]
		if !keep[r.Tuple] || !tu.open() {
			continue
		}
		d, repo := s.detail(r), tu.repository()
		for i, on := range []bool{d.Bypassed, d.PubliclyLeaked, d.MultiRepo} {
			if err := exposed.zero(repo, exposures[i]); err != nil {
				return nil, err
			}
			if on {
				exposed.counts[joinLabels([]string{repo, exposures[i]})]++
			}
		}
	}
	out, err := exposed.metrics(secretExposedDesc, t.Org)
	if err != nil {
		return nil, err
	}
	bypasses, err := prometheus.NewConstMetric(secretBypassesDesc, prometheus.CounterValue, float64(len(s.Bypasses)), t.Org)
	if err != nil {
		return nil, err
	}
	return append(out, bypasses), nil
}
