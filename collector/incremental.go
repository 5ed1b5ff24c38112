package collector

import (
	"context"
	"errors"
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
	// OpenRefresh is how often an incremental run also re-reads the open alerts of each
	// family (conditionally, page by page), for label changes that move no updated_at:
	// a reclassified advisory, a new EPSS score or dependency scope, a rule's new
	// security severity. 0: the default, 1h; negative: never.
	OpenRefresh time.Duration
	// GenericSecretTypes are the secret types of secret scanning's second walk (generic
	// patterns and AI-detected passwords, which GitHub lists only when asked for by
	// name). nil: DefaultGenericSecretTypes; empty: no second walk.
	GenericSecretTypes []string
}

func (w Walks) withDefaults() Walks {
	if w.FullEvery <= 0 {
		w.FullEvery = 24 * time.Hour
	}
	if w.Margin <= 0 {
		w.Margin = 5 * time.Minute
	}
	if w.OpenRefresh == 0 {
		w.OpenRefresh = time.Hour
	}
	if w.GenericSecretTypes == nil {
		w.GenericSecretTypes = DefaultGenericSecretTypes
	}
	return w
}

var incrementalDisabledDesc = prometheus.NewDesc(
	"github_exporter_incremental_walks_disabled",
	"1 when the family's listing was seen out of updated_at order (a server that ignores sort=updated), so that it is walked in full on every run; else 0.",
	[]string{"org", "collector"}, nil)

// errUnsorted ends an incremental walk over a listing that is not in updated_at order.
var errUnsorted = errors.New("listing not in updated_at order")

// alertListing is one family's organization-level alert listing. The exporter keeps a
// record per alert: a full walk reads the whole listing oldest first and replaces the
// records; an incremental walk reads the listing most recently updated first and stops at
// the first page older than the high-water mark. Every page is asked for with the ETag of
// its last answer, so an unchanged listing costs one 304, which GitHub does not count.
type alertListing[T any] struct {
	spec     familySpec
	key      string               // the Target's key of its records; "" is spec.name
	endpoint string               // route template, e.g. "/orgs/{org}/dependabot/alerts"
	query    string               // parameters besides sort, direction and state
	fields   func(*T) alertFields // the alert's key, labels and times; key.Repo from alertSet.repoKey
	// repo returns the repository's id and name, for the key.
	repo func(*T) (int64, string)
}

func (l *alertListing[T]) collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	set, err := l.update(ctx, t)
	if err != nil {
		return nil, err
	}
	metrics, err := set.metrics(l.spec, t, t.SLA, t.clock())
	if err != nil {
		return nil, err
	}
	return append(metrics, incrementalDisabled(t, l.spec.name, l.recordsKey())), nil
}

// update walks the listing and keeps the records, which follow the inventory's
// repository ids. On error the records kept by the Target stay as they were.
func (l *alertListing[T]) update(ctx context.Context, t *Target) (*alertSet, error) {
	old := t.alertSet(l.recordsKey())
	set, err := l.walk(ctx, t, old, t.clock())
	if err != nil {
		return nil, fmt.Errorf("listing %s alerts of %s: %w", strings.ReplaceAll(l.spec.name, "_", " "), t.Org, err)
	}
	if err := t.followRepositories(set); err != nil {
		return nil, err
	}
	if set != old {
		t.countMissed(l.spec.name, old, nil, set)
	}
	set.merge = mergeContext{} // lets the replaced records go
	t.alerts[l.recordsKey()] = set
	return set, nil
}

func (l *alertListing[T]) recordsKey() string {
	if l.key == "" {
		return l.spec.name
	}
	return l.key
}

// familyMetrics derives an alert family's series from the Target's records as its source
// does after a walk: for a restored state file and after webhook changes. ok is false
// when the Target holds no records of the family.
func familyMetrics(t *Target, family string) (metrics []prometheus.Metric, ok bool, err error) {
	keys := []string{family}
	if family == "secret_scanning" {
		keys = append(keys, genericSecretsKey)
		if t.alerts[family] == nil && t.alerts[genericSecretsKey] == nil {
			return nil, false, nil
		}
		metrics, err = secretScanningMetrics(t)
	} else {
		set, spec := t.alerts[family], alertFamilies[family]
		if set == nil || spec.desc == nil {
			return nil, false, nil
		}
		metrics, err = set.metrics(spec, t, t.SLA, t.clock())
	}
	return append(metrics, incrementalDisabled(t, family, keys...)), true, err
}

// incrementalDisabled is github_exporter_incremental_walks_disabled of a family whose
// records are kept under the given keys.
func incrementalDisabled(t *Target, family string, keys ...string) prometheus.Metric {
	v := 0.0
	for _, k := range keys {
		if t.unsorted[k] {
			v = 1
		}
	}
	return prometheus.MustNewConstMetric(incrementalDisabledDesc, prometheus.GaugeValue, v, t.Org, family)
}

// walk returns the records after a full or an incremental walk, the latter followed by
// a re-read of the open alerts when one is due. A listing found out of updated_at order
// is walked in full at once, and from then on.
func (l *alertListing[T]) walk(ctx context.Context, t *Target, old *alertSet, now time.Time) (*alertSet, error) {
	w := t.Walks.withDefaults()
	old = old.counted()
	key := l.recordsKey()
	if old.LastFull == 0 || !old.Incremental || t.unsorted[key] || now.Sub(time.Unix(old.LastFull, 0)) >= w.FullEvery {
		return l.full(ctx, t, old, now)
	}
	old.merge = mergeContext{now: now.Unix(), keep: t.Keep}
	err := l.incremental(ctx, t, old, w.Margin)
	if errors.Is(err, errUnsorted) {
		l.markUnsorted(t)
		return l.full(ctx, t, old, now)
	}
	if err != nil {
		return nil, err
	}
	last, ok := t.openRefreshed[key]
	if !ok { // since a restart: the last full walk read every open alert
		last = time.Unix(old.LastFull, 0)
	}
	if w.OpenRefresh > 0 && now.Sub(last) >= w.OpenRefresh {
		if err := l.refreshOpen(ctx, t, old); err != nil {
			return nil, err
		}
		t.setOpenRefreshed(key, now)
	}
	return old, nil
}

// markUnsorted switches the family to full walks and says so.
func (l *alertListing[T]) markUnsorted(t *Target) {
	if t.unsorted == nil {
		t.unsorted = map[string]bool{}
	}
	if !t.unsorted[l.recordsKey()] {
		t.logger().Warn("the listing is not in updated_at order (the server ignores sort=updated): walking it in full on every run",
			"org", t.Org, "collector", l.spec.name, "endpoint", l.endpoint)
	}
	t.unsorted[l.recordsKey()] = true
}

func (l *alertListing[T]) path(t *Target, order string) string {
	return strings.NewReplacer("{org}", url.PathEscape(t.Org), "{enterprise}", url.PathEscape(t.Org)).Replace(strings.TrimPrefix(l.endpoint, "/")) + "?" + l.query + "&" + order
}

const (
	updatedFirst = "sort=updated&direction=desc"
	createdFirst = "sort=created&direction=asc"
	// openFirst lists the open alerts in a stable order: a change moves no alert to
	// another page, a closed alert leaves only its own.
	openFirst = "state=open&" + createdFirst
)

// full reads the head of the updated-first listing for the high-water mark, then the
// whole listing oldest first (a stable order: alerts changed during the walk keep their
// place, new ones come last), and returns records of exactly the alerts seen.
func (l *alertListing[T]) full(ctx context.Context, t *Target, old *alertSet, now time.Time) (*alertSet, error) {
	set := old.after(t, now)
	set.Bypasses = old.Bypasses
	ctx = t.withPageBudget(ctx, len(old.Pages))
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
		if !inUpdatedOrder(alerts, 1<<63-1) {
			l.markUnsorted(t)
		}
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
	// The open alerts' pages keep their validators: the next re-read costs only
	// the pages that changed.
	for u, p := range old.Pages {
		if _, ok := set.Pages[u]; !ok && strings.Contains(u, "state=open") {
			set.Pages[u] = p
		}
	}
	set.LastFull = now.Unix()
	set.Incremental = set.Incremental && !t.unsorted[l.recordsKey()]
	t.setOpenRefreshed(l.recordsKey(), now) // a full walk read every open alert
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
	ctx = t.withPageBudget(ctx, len(set.Pages))
	previous := int64(1<<63 - 1) // updated_at of the last alert read
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
		if !inUpdatedOrder(alerts, previous) {
			return errUnsorted
		}
		keys, newest, oldest := span(alerts)
		previous = min(previous, oldest)
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
	t.countMissed(l.spec.name, set, changed, nil)
	if err := set.putAll(changed); err != nil {
		return err
	}
	maps.Copy(set.Pages, pages)
	set.HighWater = high
	return nil
}

// refreshOpen re-reads the open alerts in a stable order (oldest first), each page
// conditionally, and merges what changed: labels that move no updated_at. An unchanged
// page is a 304, which GitHub does not count. The changes are held aside until the walk
// has succeeded.
//
// A cursor continues after the last alert of the page before, so an alert that closes
// makes its page reach one alert further and would move every later page's cursor, and
// every later page would be counted again. Where a page now ends after the alert it
// ended with last time, the walk goes on with the page that followed it last time,
// which still starts right after that alert: only the pages where something changed
// are counted. Where a page ends earlier (an alert reopened before it), the walk
// follows GitHub's next link, so that no alert is skipped.
func (l *alertListing[T]) refreshOpen(ctx context.Context, t *Target, set *alertSet) error {
	var changed []alertFields
	pages := map[string]cachedPage{}
	for u := l.path(t, openFirst); u != ""; {
		var page cachedPage
		var url string
		var lastCreated int64 // of the page's last alert
		err := t.REST.WalkPages(ctx, l.endpoint, u, set.validator, func(p *githubapi.Page) error {
			url = p.URL
			if p.NotModified {
				page = set.Pages[p.URL] // as last read, and its alerts as recorded since
				lastCreated = set.lastCreated(page.Keys)
				return githubapi.ErrStop
			}
			alerts, err := l.decode(p.Body, set)
			if err != nil {
				return err
			}
			changed = append(changed, alerts...)
			keys, _, _ := span(alerts)
			page = cachedPage{ETag: p.ETag, Next: p.Next, Keys: keys}
			if len(alerts) > 0 {
				lastCreated = alerts[len(alerts)-1].created.unixSeconds()
			}
			return githubapi.ErrStop
		})
		if err != nil {
			return err
		}
		if _, again := pages[url]; again {
			return fmt.Errorf("GET %s: pagination loop: %s was already fetched", l.endpoint, url)
		}
		pages[url] = page
		u = page.Next
		if last, ok := set.Pages[url]; ok && last.Next != "" && last.Next != page.Next && page.Next != "" {
			if then := set.lastCreated(last.Keys); lastCreated > 0 && then > 0 && lastCreated > then {
				u = last.Next // the page ends later than last time: go on where it went on then
			}
		}
	}
	if err := set.putAll(changed); err != nil {
		return err
	}
	for u := range set.Pages { // the open pages are the ones of this walk
		if strings.Contains(u, "state=open") {
			delete(set.Pages, u)
		}
	}
	maps.Copy(set.Pages, pages)
	return nil
}

// lastCreated is the creation time of the last of keys, 0 when unknown.
func (s *alertSet) lastCreated(keys []alertKey) int64 {
	if len(keys) == 0 {
		return 0
	}
	return s.Records[keys[len(keys)-1]].Created
}

// inUpdatedOrder reports whether a page of the updated-first listing is in
// non-increasing updated_at order, starting from the last alert before it.
func inUpdatedOrder(alerts []alertFields, previous int64) bool {
	for _, a := range alerts {
		u := a.updated.unixSeconds()
		if u > previous {
			return false
		}
		previous = u
	}
	return true
}

// decode reads one page of alerts; keyer gives repositories without id their stand-in.
// An alert without updated_at (old servers) counts as updated when it was created.
// An alert without a number or a repository is an error of the page, not a phantom alert.
func (l *alertListing[T]) decode(body io.Reader, keyer *alertSet) ([]alertFields, error) {
	page, err := decodeArray[T](body)
	if err != nil {
		return nil, fmt.Errorf("decoding a page of %s: %w", l.endpoint, err)
	}
	alerts := make([]alertFields, len(page))
	for i := range page {
		alerts[i] = l.fields(&page[i])
		if alerts[i].updated.IsZero() {
			alerts[i].updated = alerts[i].created
		}
		id, name := l.repo(&page[i])
		if alerts[i].key.Number <= 0 {
			return nil, fmt.Errorf("decoding a page of %s: alert %d of the page has no number", l.endpoint, i)
		}
		if name == "" {
			return nil, fmt.Errorf("decoding a page of %s: alert #%d has no repository", l.endpoint, alerts[i].key.Number)
		}
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
	for _, d := range []*prometheus.Desc{oldestOpenDesc, openByAgeDesc, remediateDesc, slaBreachedDesc, trackedDesc, incrementalDisabledDesc, openedDesc, closedDesc, reopenedDesc} {
		ch <- d
	}
}

// latestTime returns the latest of times.
func latestTime(times ...githubTime) githubTime {
	var latest githubTime
	for _, t := range times {
		if t.After(latest.Time) {
			latest = t
		}
	}
	return latest
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
