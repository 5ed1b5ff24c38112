package collector

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

var oldestOpenDesc = prometheus.NewDesc(
	"github_alerts_oldest_open_timestamp_seconds",
	"Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.",
	[]string{"org", "repository", "family", "severity"}, nil,
)

// alertCounts aggregates one alert listing: counts by the family's label tuple, and the
// creation time of the oldest open alert by repository and severity.
type alertCounts struct {
	family string
	counts *tally
	oldest *oldest
}

func newAlertCounts(family string) *alertCounts {
	return &alertCounts{family: family, counts: newTally(), oldest: newOldest()}
}

// add counts one alert. labels are the family's labels after org; open alerts also feed
// the oldest-open metric under repository and severity.
func (a *alertCounts) add(open bool, created githubTime, repository, severity string, labels ...string) error {
	if open {
		a.oldest.observe(created.unix(), repository, a.family, severity)
	}
	return a.counts.add(labels...)
}

func (a *alertCounts) metrics(countDesc *prometheus.Desc, org string) ([]prometheus.Metric, error) {
	counts, err := a.counts.metrics(countDesc, org)
	if err != nil {
		return nil, err
	}
	oldest, err := a.oldest.metrics(oldestOpenDesc, org)
	if err != nil {
		return nil, err
	}
	return append(counts, oldest...), nil
}

// walkAlerts walks an organization-level alert listing, page by page, handing each
// decoded alert to count; a page is dropped once counted.
func walkAlerts[T any](ctx context.Context, gh *githubapi.Client, org, endpoint, query string, count func(*T) error) error {
	path := strings.Replace(strings.TrimPrefix(endpoint, "/"), "{org}", url.PathEscape(org), 1) + "?" + query
	return githubapi.WalkJSON(ctx, gh, endpoint, path, func(page []T) error {
		for i := range page {
			if err := count(&page[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// repository is the part of GitHub's repository object the listings are counted by.
type repository struct {
	Name string `json:"name"`
}

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

func (t githubTime) unix() float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}
