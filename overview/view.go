package overview

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// topRepositories is how many repositories the page lists per organization.
const topRepositories = 10

const utcLayout = "2006-01-02 15:04:05 UTC"

// page is what the template renders; every field is plain text that html/template escapes.
type page struct {
	Name, Version, MetricsPath string
	Links                      []Link
	Generated                  string
	GatherError                string
	Refresh                    bool // nothing to show yet: reload until there is
	Families                   []family
	Orgs                       []orgView
}

type orgView struct {
	Name, Open   string
	Repositories string // "12 of 40 repositories have open alerts"
	Failing      int    // collectors whose last collection did not succeed
	Pending      bool   // no alert family collected yet: the numbers mean nothing
	Families     []familyView
	Top          []repoView
	MoreRepos    int // repositories with open alerts beyond the top ones
	Collectors   []collectorView
}

type familyView struct {
	Key, Title, Open string
	Note             string // "not collected yet", "not available", "last collection failed"
	NoteClass        string
	Oldest           string // age of the oldest open alert
	Buckets          []bucketView
	Bar              []bucketView // buckets with alerts, for the stacked bar
	Spark            *sparkView   // open alerts over the last days (sparkline.go)
}

type bucketView struct {
	Name, Count string
	Zero        bool
	Width       template.CSS // share of the family's open alerts, for the bar
}

type repoView struct {
	Rank       int
	Name, Open string
	Counts     []familyCount // in the order of families
}

type familyCount struct{ Key, Count string }

type collectorView struct {
	Name, Status, StatusClass string
	LastSuccessAge            string
	LastSuccessUTC            string
	Duration, Failures        string
	Error                     string
	Walk                      *walkView // the walk under way, nil when none
}

// walkView is the progress of a walk under way: a bar once the pages to read are known.
type walkView struct {
	Text  string       // "120 of 400 pages · about 5 min left"
	Width template.CSS // share of the pages read, for the bar; "" when unknown
	ETA   string       // "about 5 min left", "" when unknown
}

func walkRow(w collector.Walk) *walkView {
	if !w.Running {
		return nil
	}
	if w.PagesExpected <= 0 {
		return &walkView{Text: count(float64(w.PagesRead)) + " pages read"}
	}
	share := min(100*float64(w.PagesRead)/float64(w.PagesExpected), 100)
	v := &walkView{ETA: "about " + age(w.ETA) + " left",
		Width: template.CSS("width:" + strconv.FormatFloat(share, 'f', 1, 64) + "%")}
	v.Text = fmt.Sprintf("%s of %s pages · %s", count(float64(w.PagesRead)), count(float64(w.PagesExpected)), v.ETA)
	return v
}

func (o *orgCounts) view(statuses []collector.SourceStatus, now time.Time) orgView {
	v := orgView{Name: o.name}
	status := map[string]collector.SourceStatus{}
	for _, st := range statuses {
		if st.Org == o.name {
			status[st.Collector] = st
			v.Collectors = append(v.Collectors, collectorRow(st, now))
			if st.Ran && !st.Success {
				v.Failing++
			}
		}
	}
	var total float64
	v.Pending = true
	for _, f := range families {
		fv := o.familyView(f, now)
		fv.Note, fv.NoteClass = familyNote(status, f.Key)
		fv.Spark = sparkline(status[f.Key])
		for _, n := range o.open[f.Key] {
			total += n
		}
		if fv.NoteClass == "pending" && len(o.open[f.Key]) == 0 {
			fv.unknown()
		} else {
			v.Pending = false
		}
		v.Families = append(v.Families, fv)
	}
	v.Open = count(total)
	v.Top, v.MoreRepos = o.top()
	withAlerts := count(float64(len(o.repos)))
	switch {
	case o.repositories > 0:
		v.Repositories = fmt.Sprintf("%s of %s repositories have open alerts", withAlerts, count(float64(o.repositories)))
	case len(o.repos) == 1:
		v.Repositories = "1 repository has open alerts"
	default:
		v.Repositories = withAlerts + " repositories have open alerts"
	}
	return v
}

func (o *orgCounts) familyView(f family, now time.Time) familyView {
	fv := familyView{Key: f.Key, Title: f.Title}
	var total float64
	for _, n := range o.open[f.Key] {
		total += n
	}
	fv.Open = count(total)
	names := f.shown
	if n := o.open[f.Key][f.rest]; n > 0 && !slices.Contains(names, f.rest) {
		names = append(slices.Clip(names), f.rest)
	}
	for _, name := range names {
		n := o.open[f.Key][name]
		b := bucketView{Name: name, Count: count(n), Zero: n == 0}
		if total > 0 && n > 0 {
			b.Width = template.CSS("width:" + strconv.FormatFloat(100*n/total, 'f', 2, 64) + "%")
			fv.Bar = append(fv.Bar, b)
		}
		fv.Buckets = append(fv.Buckets, b)
	}
	if t, ok := o.oldest[f.Key]; ok && total > 0 {
		fv.Oldest = age(now.Sub(time.Unix(int64(t), 0)))
	}
	return fv
}

// unknown shows a dash for the counts of a family that was never collected.
func (fv *familyView) unknown() {
	fv.Open = "–"
	for i := range fv.Buckets {
		fv.Buckets[i].Count = "–"
	}
}

// familyNote says why a family's numbers may be missing or stale.
func familyNote(status map[string]collector.SourceStatus, key string) (note, class string) {
	st, ok := status[key]
	switch {
	case !ok || !st.Ran:
		return "not collected yet", "pending"
	case !st.Available:
		return "not available", "unavailable"
	case !st.Success:
		return "last collection failed", "failing"
	}
	return "", ""
}

// top returns the repositories with the most open alerts, most first, then by name.
func (o *orgCounts) top() ([]repoView, int) {
	type repo struct {
		name  string
		total float64
	}
	repos := make([]repo, 0, len(o.repos))
	for name, byFamily := range o.repos {
		var t float64
		for _, n := range byFamily {
			t += n
		}
		repos = append(repos, repo{name, t})
	}
	slices.SortFunc(repos, func(a, b repo) int {
		return cmp.Or(cmp.Compare(b.total, a.total), cmp.Compare(a.name, b.name))
	})
	more := max(0, len(repos)-topRepositories)
	repos = repos[:min(len(repos), topRepositories)]
	out := make([]repoView, len(repos))
	for i, r := range repos {
		out[i] = repoView{Rank: i + 1, Name: r.name, Open: count(r.total)}
		for _, f := range families {
			out[i].Counts = append(out[i].Counts, familyCount{f.Key, count(o.repos[r.name][f.Key])})
		}
	}
	return out, more
}

func collectorRow(st collector.SourceStatus, now time.Time) collectorView {
	c := collectorView{Name: st.Collector, Error: st.LastError, Failures: strconv.Itoa(st.Failures), Walk: walkRow(st.Walk)}
	switch {
	case !st.Ran:
		c.Status, c.StatusClass = "pending", "pending"
	case !st.Available:
		c.Status, c.StatusClass = "not available", "unavailable"
	case !st.Success:
		c.Status, c.StatusClass = "failing", "failing"
	default:
		c.Status, c.StatusClass = "ok", "ok"
	}
	if st.LastSuccess.IsZero() {
		c.LastSuccessAge = "never"
	} else {
		c.LastSuccessAge = age(now.Sub(st.LastSuccess)) + " ago"
		c.LastSuccessUTC = st.LastSuccess.UTC().Format(utcLayout)
	}
	if st.Ran {
		c.Duration = duration(st.Duration)
	}
	return c
}

// count formats a number of alerts with thousands separators: 12,345.
func count(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	start := 0
	if s[0] == '-' {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// age formats a duration for a human: 45s, 12 min, 5 h, 3 days.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%s days", count(math.Floor(d.Hours()/24)))
}

// duration formats how long a collection took: 850ms, 2.4s, 3m12s.
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
