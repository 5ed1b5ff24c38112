package overview

import (
	"math"
	"slices"

	dto "github.com/prometheus/client_model/go"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// A family is one kind of GitHub security alert, as the page groups it.
type family struct {
	Key    string // the family label value and the collector name, e.g. "code_scanning"
	Title  string
	Short  string // column heading on narrow screens
	metric string
	label  string   // the label the open alerts are split by
	shown  []string // its values, in the order shown
	rest   string   // the bucket of every other value
}

var families = []family{
	{Key: "code_scanning", Title: "Code scanning", Short: "Code", metric: "github_code_scanning_alerts", label: "severity",
		shown: []string{"critical", "high", "medium", "low", "other"}, rest: "other"},
	{Key: "dependabot", Title: "Dependabot", Short: "Deps", metric: "github_dependabot_alerts", label: "severity",
		shown: []string{"critical", "high", "medium", "low"}, rest: "other"},
	{Key: "secret_scanning", Title: "Secret scanning", Short: "Secrets", metric: "github_secret_scanning_alerts", label: "validity",
		shown: []string{"active", "inactive", "unknown"}, rest: "unknown"},
}

func (f family) bucket(value string) string {
	if slices.Contains(f.shown, value) && value != f.rest {
		return value
	}
	return f.rest
}

// orgCounts are the open alerts of one organization, read from the gathered metrics.
type orgCounts struct {
	name         string
	open         map[string]map[string]float64 // family → bucket → open alerts
	repos        map[string]map[string]float64 // repository → family → open alerts
	oldest       map[string]float64            // family → creation time of the oldest open alert
	repositories int                           // series of github_repository_info; 0 when absent
}

// readCounts sums the open alerts of the gathered metric families by organization. The
// organizations come in the order of the status (the configuration's), then any other
// organization the metrics name, by name.
func readCounts(mfs []*dto.MetricFamily, statuses []collector.SourceStatus) []*orgCounts {
	byOrg := map[string]*orgCounts{}
	var order []string
	org := func(name string) *orgCounts {
		if o, ok := byOrg[name]; ok {
			return o
		}
		o := &orgCounts{name: name, open: map[string]map[string]float64{},
			repos: map[string]map[string]float64{}, oldest: map[string]float64{}}
		byOrg[name] = o
		order = append(order, name)
		return o
	}
	for _, st := range statuses {
		org(st.Org)
	}
	known := len(order)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := labels(m)
			if l["org"] == "" {
				continue
			}
			switch v := value(m); mf.GetName() {
			case "github_repository_info":
				org(l["org"]).repositories++
			case "github_alerts_oldest_open_timestamp_seconds":
				o := org(l["org"])
				if cur, ok := o.oldest[l["family"]]; v > 0 && (!ok || v < cur) {
					o.oldest[l["family"]] = v
				}
			default:
				f, ok := familyOf(mf.GetName())
				if !ok || l["state"] != "open" || !(v > 0) || math.IsInf(v, 0) {
					continue
				}
				org(l["org"]).add(f, l[f.label], l["repository"], v)
			}
		}
	}
	slices.Sort(order[known:])
	out := make([]*orgCounts, len(order))
	for i, name := range order {
		out[i] = byOrg[name]
	}
	return out
}

func (o *orgCounts) add(f family, labelValue, repo string, v float64) {
	if o.open[f.Key] == nil {
		o.open[f.Key] = map[string]float64{}
	}
	o.open[f.Key][f.bucket(labelValue)] += v
	if o.repos[repo] == nil {
		o.repos[repo] = map[string]float64{}
	}
	o.repos[repo][f.Key] += v
}

func familyOf(metric string) (family, bool) {
	for _, f := range families {
		if f.metric == metric {
			return f, true
		}
	}
	return family{}, false
}

func labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, p := range m.GetLabel() {
		out[p.GetName()] = p.GetValue()
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}
