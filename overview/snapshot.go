package overview

import (
	"maps"
	"slices"
	"sync"

	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// Counts keeps what the page shows of the metric store's snapshot: the open alerts of
// each part (an organization's source), digested as the part is replaced. A visit then
// merges a few small maps instead of gathering every series.
type Counts struct {
	mu    sync.Mutex
	parts map[string][]*orgCounts
}

// NewCounts returns empty counts; give Observe to the metric store.
func NewCounts() *Counts { return &Counts{parts: map[string][]*orgCounts{}} }

// Observe digests the families of a part of the store (a metricstore.Observer).
func (c *Counts) Observe(part string, families []*dto.MetricFamily) {
	orgs := readCounts(families, nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(orgs) == 0 {
		delete(c.parts, part)
		return
	}
	c.parts[part] = orgs
}

// read merges the parts by organization, in the order readCounts gives.
func (c *Counts) read(statuses []collector.SourceStatus) []*orgCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	byOrg := map[string]*orgCounts{}
	for _, st := range statuses {
		byOrg[st.Org] = newOrgCounts(st.Org)
	}
	for _, orgs := range c.parts {
		for _, o := range orgs {
			m, ok := byOrg[o.name]
			if !ok {
				m = newOrgCounts(o.name)
				byOrg[o.name] = m
			}
			m.merge(o)
		}
	}
	var out []*orgCounts
	for _, st := range statuses {
		if o, ok := byOrg[st.Org]; ok {
			out = append(out, o)
			delete(byOrg, st.Org)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(byOrg)) {
		out = append(out, byOrg[name])
	}
	return out
}

func newOrgCounts(name string) *orgCounts {
	return &orgCounts{name: name, open: map[string]map[string]float64{},
		repos: map[string]map[string]float64{}, oldest: map[string]float64{}}
}

// merge adds the counts of o, another part of the same organization.
func (m *orgCounts) merge(o *orgCounts) {
	for f, buckets := range o.open {
		if m.open[f] == nil {
			m.open[f] = map[string]float64{}
		}
		for b, v := range buckets {
			m.open[f][b] += v
		}
	}
	for repo, byFamily := range o.repos {
		if m.repos[repo] == nil {
			m.repos[repo] = map[string]float64{}
		}
		for f, v := range byFamily {
			m.repos[repo][f] += v
		}
	}
	for f, v := range o.oldest {
		if cur, ok := m.oldest[f]; !ok || v < cur {
			m.oldest[f] = v
		}
	}
	m.repositories += o.repositories
}
