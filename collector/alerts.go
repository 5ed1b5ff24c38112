package collector

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/metricstore"
)

var oldestOpenDesc = prometheus.NewDesc(
	"github_alerts_oldest_open_timestamp_seconds",
	"Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.",
	[]string{"org", "repository", "family", "severity"}, nil,
)

// alertCounts aggregates one alert listing: counts by the family's label tuple, and the
// creation time of the oldest open alert by repository and severity.
type alertCounts struct {
	family    string
	counts    *tally
	oldest    *oldest
	openRepos map[string]bool
}

func newAlertCounts(family string) *alertCounts {
	return &alertCounts{family: family, counts: newTally(), oldest: newOldest(), openRepos: map[string]bool{}}
}

// add counts one alert created at created (Unix seconds, 0 when unknown). labels are the
// family's labels after org, repository first and state last; open alerts also feed the
// oldest-open metric under repository and severity.
func (a *alertCounts) add(open bool, created int64, repository, severity string, labels ...string) error {
	if open {
		a.oldest.observe(float64(created), repository, a.family, severity)
		a.openRepos[cleanLabel(repository)] = true
	}
	return a.counts.add(labels...)
}

// metrics returns the counts and oldest-open times of t's organization. With an inventory
// known, every kept repository without open alerts gets an explicit 0 with state "open"
// and the other labels empty, so that "no open alerts" differs from "not collected".
//
// t.Series may fold closed rows or the repository dimension; a family without its
// repository gets no explicit zeros.
func (a *alertCounts) metrics(countDesc *prometheus.Desc, t *Target, labels int) ([]prometheus.Metric, error) {
	name := metricstore.Name(countDesc)
	for _, repo := range t.Repos.Names() {
		if !a.openRepos[cleanLabel(repo)] && t.Keep(repo) && !t.Series.dropsRepository(name) {
			values := make([]string, labels)
			values[0], values[labels-1] = repo, "open"
			if err := a.counts.zero(values...); err != nil {
				return nil, err
			}
		}
	}
	a.counts.counts = t.Series.reshape(a.counts.counts, name, 0, labels-1, false)
	a.oldest.times = t.Series.reshape(a.oldest.times, metricstore.Name(oldestOpenDesc), 0, -1, true)
	counts, err := a.counts.metrics(countDesc, t.Org)
	if err != nil {
		return nil, err
	}
	oldest, err := a.oldest.metrics(oldestOpenDesc, t.Org)
	if err != nil {
		return nil, err
	}
	return append(counts, oldest...), nil
}

// alert is what every listing's alert type offers.
type alert interface {
	repositoryName() string
	repositoryID() int64
}

// repository is the part of GitHub's repository object the listings are counted by.
type repository struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Owner struct {
		Login string `json:"login"`
	} `json:"owner"` // the organization, for the enterprise listings (enterprise.go)
}

// inRepository is embedded by the alert types of the listings.
type inRepository struct {
	Repository repository `json:"repository"`
}

func (r inRepository) repositoryName() string { return r.Repository.Name }

// repositoryOf gives an alert's repository id and name to an alertListing.
func repositoryOf[T alert](a *T) (int64, string) {
	return (*a).repositoryID(), (*a).repositoryName()
}

func (r inRepository) repositoryID() int64 { return r.Repository.ID }

// githubTime is a timestamp from GitHub that decodes leniently: null or a malformed value
// is the zero time rather than an error that would fail the whole walk.
type githubTime struct{ time.Time }

func (t *githubTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if parsed, err := time.Parse(time.RFC3339, s); err == nil {
		t.Time = parsed
	}
	return nil
}

// unixSeconds is the time in Unix seconds, 0 for the zero time.
func (t githubTime) unixSeconds() int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
