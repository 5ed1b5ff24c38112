package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// Walks configures how alert listings are walked.
type Walks struct {
	// FullEvery is how often a full walk replaces the incremental ones, to drop alerts
	// that vanished (deleted repositories or analyses) and heal any drift. Default 24h.
	FullEvery time.Duration
	// Margin is how much older than the high-water mark an incremental walk still
	// reads, for changes that become visible out of order. Default 5m.
	Margin time.Duration
}

func (w Walks) withDefaults() Walks {
	if w.FullEvery <= 0 {
		w.FullEvery = 24 * time.Hour
	}
	if w.Margin <= 0 {
		w.Margin = 5 * time.Minute
	}
	return w
}

// alertListing is one family's organization-level alert listing. The exporter keeps a
// record per alert: a full walk reads the whole listing oldest first and replaces the
// records; an incremental walk reads the listing most recently updated first and stops at
// the first page older than the high-water mark. Every page is asked for with the ETag of
// its last answer, so an unchanged listing costs one 304, which GitHub does not count.
type alertListing[T any] struct {
	spec     familySpec
	endpoint string               // route template, e.g. "/orgs/{org}/dependabot/alerts"
	query    string               // parameters besides sort and direction
	fields   func(*T) alertFields // the alert's key, labels and times; key.Repo from alertSet.repoKey
	// repo returns the repository's id and name, for the key.
	repo func(*T) (int64, string)
}

func (l *alertListing[T]) collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	now := t.clock()
	old := t.alertSet(l.spec.name)
	set, err := l.walk(ctx, t, old, now)
	if err != nil {
		return nil, fmt.Errorf("listing %s alerts of %s: %w", strings.ReplaceAll(l.spec.name, "_", " "), t.Org, err)
	}
	t.alerts[l.spec.name] = set
	return set.metrics(l.spec, t, t.SLA, now)
}

// walk returns the records after a full or an incremental walk. On error the records
// kept by the Target stay as they were.
func (l *alertListing[T]) walk(ctx context.Context, t *Target, old *alertSet, now time.Time) (*alertSet, error) {
	w := t.Walks.withDefaults()
	if old.LastFull == 0 || !old.Incremental || now.Sub(time.Unix(old.LastFull, 0)) >= w.FullEvery {
		return l.full(ctx, t, old, now)
	}
	return old, l.incremental(ctx, t, old, w.Margin)
}

func (l *alertListing[T]) path(t *Target, order string) string {
	return strings.Replace(strings.TrimPrefix(l.endpoint, "/"), "{org}", url.PathEscape(t.Org), 1) + "?" + l.query + "&" + order
}

const (
	updatedFirst = "sort=updated&direction=desc"
	createdFirst = "sort=created&direction=asc"
)

// full reads the head of the updated-first listing for the high-water mark, then the
// whole listing oldest first (a stable order: alerts changed during the walk keep their
// place, new ones come last), and returns records of exactly the alerts seen.
func (l *alertListing[T]) full(ctx context.Context, t *Target, old *alertSet, now time.Time) (*alertSet, error) {
	set := newAlertSet()
	set.RepoNames = old.RepoNames
	set.HighWater = old.HighWater
	fullWalk(ctx)
	err := t.REST.WalkPages(ctx, l.endpoint, l.path(t, updatedFirst), old.validator, func(p *githubapi.Page) error {
		pageRead(ctx)
		if p.NotModified {
			set.Pages[p.URL] = old.Pages[p.URL]
			return githubapi.ErrStop
		}
		alerts, err := l.decode(p.Body, set)
		if err != nil {
			return err
		}
		keys, newest, _ := span(alerts)
		set.HighWater = max(set.HighWater, newest)
		set.Pages[p.URL] = cachedPage{ETag: p.ETag, Next: p.Next, Keys: keys}
		return githubapi.ErrStop
	})
	if err != nil {
		return nil, err
	}
	err = t.REST.WalkPages(ctx, l.endpoint, l.path(t, createdFirst), old.validator, func(p *githubapi.Page) error {
		pageRead(ctx)
		if p.NotModified {
			cached := old.Pages[p.URL]
			set.Pages[p.URL] = cached
			return set.copyFrom(old, cached.Keys)
		}
		alerts, err := l.decode(p.Body, set)
		if err != nil {
			return err
		}
		keys, _, _ := span(alerts)
		set.Pages[p.URL] = cachedPage{ETag: p.ETag, Next: p.Next, Keys: keys}
		return set.putAll(alerts)
	})
	if err != nil {
		return nil, err
	}
	set.LastFull = now.Unix()
	return set, nil
}

// incremental merges the alerts updated since the high-water mark (less margin) into set.
// The changes are held aside until the walk has succeeded, so a failed walk leaves set as
// it was.
func (l *alertListing[T]) incremental(ctx context.Context, t *Target, set *alertSet, margin time.Duration) error {
	cutoff := set.HighWater - int64(margin.Seconds())
	high := set.HighWater
	var changed []alertFields
	pages := map[string]cachedPage{}
	err := t.REST.WalkPages(ctx, l.endpoint, l.path(t, updatedFirst), set.validator, func(p *githubapi.Page) error {
		pageRead(ctx)
		if p.NotModified {
			// Ordered by update, an unchanged page means nothing after it changed either.
			return githubapi.ErrStop
		}
		alerts, err := l.decode(p.Body, set)
		if err != nil {
			return err
		}
		keys, newest, oldest := span(alerts)
		changed = append(changed, alerts...)
		pages[p.URL] = cachedPage{ETag: p.ETag, Next: p.Next, Keys: keys}
		high = max(high, newest)
		if len(keys) == 0 || oldest < cutoff {
			return githubapi.ErrStop
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := set.putAll(changed); err != nil {
		return err
	}
	maps.Copy(set.Pages, pages)
	set.HighWater = high
	return nil
}

// decode reads one page of alerts; keyer gives repositories without id their stand-in.
func (l *alertListing[T]) decode(body io.Reader, keyer *alertSet) ([]alertFields, error) {
	var page []T
	if err := json.NewDecoder(body).Decode(&page); err != nil {
		return nil, fmt.Errorf("decoding a page of %s: %w", l.endpoint, err)
	}
	alerts := make([]alertFields, len(page))
	for i := range page {
		alerts[i] = l.fields(&page[i])
		id, name := l.repo(&page[i])
		alerts[i].key.Repo = keyer.repoKey(id, name)
	}
	return alerts, nil
}

// span returns the keys of a page's alerts and the newest and oldest updated_at among them.
func span(alerts []alertFields) (keys []alertKey, newest, oldest int64) {
	oldest = 1<<63 - 1
	for _, a := range alerts {
		updated := a.updated.unixSeconds()
		newest, oldest = max(newest, updated), min(oldest, updated)
		keys = append(keys, a.key)
	}
	return keys, newest, oldest
}

// validator gives the cached validator of a page URL to githubapi.WalkPages.
func (s *alertSet) validator(url string) (githubapi.Validator, bool) {
	p, ok := s.Pages[url]
	return githubapi.Validator{ETag: p.ETag, Next: p.Next}, ok
}

// describeAlertFamily sends the descriptors every alert family shares.
func describeAlertFamily(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{oldestOpenDesc, openAgeDesc, remediateDesc, slaBreachedDesc, trackedDesc} {
		ch <- d
	}
}

// firstTime returns the first non-zero time.
func firstTime(times ...githubTime) githubTime {
	for _, t := range times {
		if !t.IsZero() {
			return t
		}
	}
	return githubTime{}
}
