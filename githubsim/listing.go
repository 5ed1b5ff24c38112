package githubsim

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sortField is what a listing is ordered by.
type sortField int

const (
	sortCreated sortField = iota
	sortUpdated
	sortEPSS // Dependabot only
	numSortFields
)

// sortKey places an alert in a listing. Ties on the sorted value are broken by
// alert number, then repository id, so the order is total and paging stable.
type sortKey struct {
	v    int64 // unix seconds of created_at/updated_at, or EPSS percentage in millionths
	num  int64
	repo int64
}

func (a sortKey) compare(b sortKey) int {
	return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.num, b.num), cmp.Compare(a.repo, b.repo))
}

// record is an alert held by a store.
type record interface {
	key(sortField) sortKey
}

// maxViews bounds the cache of filtered listings per store.
const maxViews = 64

// store holds one family's alerts of one organization with lazily built
// indexes: all alerts in ascending order per sort field, and filtered views
// of those. Changing the data invalidates them; they are rebuilt on the next
// request. Callers hold Server.mu.
type store[R record] struct {
	all    []R
	sorted [numSortFields][]R
	views  map[viewKey][]R
}

type viewKey struct {
	by     sortField
	filter string
}

func (st *store[R]) add(r R) {
	st.all = append(st.all, r)
	st.invalidate()
}

func (st *store[R]) invalidate() {
	st.sorted = [numSortFields][]R{}
	clear(st.views)
}

// view returns the alerts matching filter in ascending order of by. match nil
// means no filter; filter is the cache key of match.
func (st *store[R]) view(by sortField, filter string, match func(R) bool) []R {
	base := st.sorted[by]
	if base == nil {
		base = slices.Clone(st.all)
		slices.SortFunc(base, func(a, b R) int { return a.key(by).compare(b.key(by)) })
		st.sorted[by] = base
	}
	if match == nil {
		return base
	}
	k := viewKey{by, filter}
	if v, ok := st.views[k]; ok {
		return v
	}
	v := make([]R, 0, len(base)/4)
	for _, r := range base {
		if match(r) {
			v = append(v, r)
		}
	}
	if st.views == nil || len(st.views) >= maxViews {
		st.views = map[viewKey][]R{}
	}
	st.views[k] = v
	return v
}

// pagination is how an endpoint pages.
type pagination int

const (
	// cursorOrPage pages by number unless the request carries after or before
	// (even empty): code scanning, secret scanning.
	cursorOrPage pagination = iota
	// cursorOnly pages by cursor and refuses page, first and last: Dependabot
	// since October 2025.
	cursorOnly
	// pageOnly pages by number and ignores after and before: Enterprise Server
	// 2.22's listings, the code scanning analyses.
	pageOnly
)

// listParams are the parsed sort and pagination parameters of a listing.
type listParams struct {
	by            sortField
	desc          bool
	perPage       int
	cursor        bool // before/after links instead of page numbers
	page          int
	after, before *sortKey
}

const (
	defaultPerPage = 30
	maxPerPage     = 100
	maxPage        = 1 << 30
)

// parseList reads sort, direction, per_page, page, before and after. sorts
// maps the sort values the endpoint accepts.
func parseList(q url.Values, mode pagination, resource string, sorts map[string]sortField) (listParams, *apiErr) {
	p := listParams{perPage: defaultPerPage, page: 1, desc: true}
	if v := q.Get("sort"); v != "" {
		by, ok := sorts[v]
		if !ok {
			return p, invalid(resource, "sort", v)
		}
		p.by = by
	}
	switch v := q.Get("direction"); v {
	case "", "desc":
	case "asc":
		p.desc = false
	default:
		return p, invalid(resource, "direction", v)
	}
	p.perPage = pageSize(q)
	if mode == cursorOnly {
		for _, name := range []string{"page", "first", "last"} {
			if q.Has(name) {
				return p, badRequest("Pagination using the `" + name + "` parameter is not supported.")
			}
		}
	}
	p.cursor = mode == cursorOnly || mode == cursorOrPage && (q.Has("after") || q.Has("before"))
	if !p.cursor {
		if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
			p.page = min(n, maxPage)
		}
		return p, nil
	}
	err := parseCursors(q, &p)
	return p, err
}

// pageSize reads per_page: 30 unless given, at most 100.
func pageSize(q url.Values) int {
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		return min(n, maxPerPage)
	}
	return defaultPerPage
}

// parseCursors reads the after and before cursors into p.
func parseCursors(q url.Values, p *listParams) *apiErr {
	var err *apiErr
	if p.after, err = parseCursor(q, "after"); err != nil {
		return err
	}
	p.before, err = parseCursor(q, "before")
	return err
}

func parseCursor(q url.Values, name string) (*sortKey, *apiErr) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	k, ok := decodeCursor(v)
	if !ok {
		return nil, badRequest(fmt.Sprintf("The `%s` cursor is invalid.", name))
	}
	return &k, nil
}

// Cursors look like GitHub's: base64 of "cursor:v2:" and a MessagePack array
// of three uint64s (the sort key), so they start "Y3Vyc29yOnYyOpPP".
const cursorPrefix = "cursor:v2:"

func encodeCursor(k sortKey) string {
	b := make([]byte, 0, len(cursorPrefix)+1+3*9)
	b = append(b, cursorPrefix...)
	b = append(b, 0x93) // fixarray of 3
	for _, v := range []int64{k.v, k.num, k.repo} {
		b = append(b, 0xcf) // uint64
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (sortKey, bool) {
	var b []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			b = d
			break
		}
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok || len(rest) != 1+3*9 || rest[0] != 0x93 {
		return sortKey{}, false
	}
	var v [3]int64
	for i := range v {
		field := rest[1+9*i : 1+9*(i+1)]
		u := binary.BigEndian.Uint64([]byte(field[1:]))
		if field[0] != 0xcf || u > 1<<62 {
			return sortKey{}, false
		}
		v[i] = int64(u)
	}
	return sortKey{v[0], v[1], v[2]}, true
}

// pageLink is one Link header entry: rel and the pagination parameter it sets.
type pageLink struct {
	rel, param, value string
}

// paginate cuts one page out of v (ascending) according to p.
func paginate[R record](v []R, p listParams) ([]R, []pageLink) {
	n := len(v)
	at := func(i int) R {
		if p.desc {
			return v[n-1-i]
		}
		return v[i]
	}
	var start, end int
	if p.cursor {
		start, end = cursorWindow(v, p)
	} else {
		start = min((p.page-1)*p.perPage, n)
		end = min(start+p.perPage, n)
	}
	items := make([]R, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, at(i))
	}
	if p.cursor {
		var links []pageLink
		if start > 0 && len(items) > 0 {
			links = append(links, pageLink{"prev", "before", encodeCursor(items[0].key(p.by))})
		}
		if end < n && len(items) > 0 {
			links = append(links, pageLink{"next", "after", encodeCursor(items[len(items)-1].key(p.by))})
		}
		return items, links
	}
	return items, pageLinks(p.page, (n+p.perPage-1)/p.perPage)
}

// cursorWindow returns the logical (listing order) index range of the page.
func cursorWindow[R record](v []R, p listParams) (start, end int) {
	n := len(v)
	// lower: index of the first key >= k; upper: of the first key > k.
	lower := func(k sortKey) int { return sort.Search(n, func(i int) bool { return v[i].key(p.by).compare(k) >= 0 }) }
	upper := func(k sortKey) int { return sort.Search(n, func(i int) bool { return v[i].key(p.by).compare(k) > 0 }) }
	switch {
	case p.after != nil:
		if p.desc {
			start = n - lower(*p.after)
		} else {
			start = upper(*p.after)
		}
		return start, min(start+p.perPage, n)
	case p.before != nil:
		if p.desc {
			end = n - upper(*p.before)
		} else {
			end = lower(*p.before)
		}
		return max(end-p.perPage, 0), end
	}
	return 0, min(p.perPage, n)
}

// pageLinks are GitHub's page-number links: prev, next, last, first.
func pageLinks(page, last int) []pageLink {
	var links []pageLink
	if page > 1 && last > 0 {
		links = append(links, pageLink{"prev", "page", strconv.Itoa(min(page-1, last))})
	}
	if page < last {
		links = append(links, pageLink{"next", "page", strconv.Itoa(page + 1)}, pageLink{"last", "page", strconv.Itoa(last)})
	}
	if page > 1 && last > 0 {
		links = append(links, pageLink{"first", "page", "1"})
	}
	return links
}

// linkHeader renders links as absolute URLs through /organizations/{id}/,
// keeping the request's other query parameters as sent.
func (c *call) linkHeader(links []pageLink) string {
	return c.linkHeaderAt(c.base.api+"/organizations/"+strconv.FormatInt(c.org.id, 10)+c.ep.path, links)
}

// linkHeaderAt renders links as absolute URLs to path (an absolute URL without query),
// keeping the request's other query parameters as sent.
func (c *call) linkHeaderAt(path string, links []pageLink) string {
	if len(links) == 0 {
		return ""
	}
	base := path + "?"
	var kept []string
	for _, pair := range strings.Split(c.r.URL.RawQuery, "&") {
		if pair != "" && !isPaginationParam(pair) {
			kept = append(kept, pair)
		}
	}
	parts := make([]string, len(links))
	for i, l := range links {
		q := strings.Join(append(slices.Clip(kept), l.param+"="+url.QueryEscape(l.value)), "&")
		parts[i] = "<" + base + q + `>; rel="` + l.rel + `"`
	}
	return strings.Join(parts, ", ")
}

func isPaginationParam(pair string) bool {
	name, _, _ := strings.Cut(pair, "=")
	name, err := url.QueryUnescape(name)
	return err == nil && (name == "page" || name == "after" || name == "before")
}

// listPage is the part of a listing that runs under Server.mu: it picks the
// page and copies its records so they can be rendered after unlocking.
func listPage[R record, V any](s *Server, st *store[R], p listParams, filter string, match func(R) bool, val func(R) V) ([]V, []pageLink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := st.view(p.by, filter, match)
	if p.by == sortUpdated && s.cfg.ListingLag > 0 {
		v = visibleNow(v, s.now().Unix(), s.cfg.ListingLag)
	}
	items, links := paginate(v, p)
	out := make([]V, len(items))
	for i, r := range items {
		out[i] = val(r)
	}
	return out, links
}

// splitList splits a comma-separated parameter, dropping empty elements.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkEnum returns a 422 for the first element of vals outside allowed.
func checkEnum(resource, field string, vals, allowed []string) *apiErr {
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return invalid(resource, field, v)
		}
	}
	return nil
}

// visibleNow keeps the alerts whose last change has reached the sort=updated index at
// now: GitHub's listings are eventually consistent, and each change shows there after a
// lag of its own, up to maxLag, so changes become visible out of order. (The alert is
// left out meanwhile; the sort=created listing shows it at once.)
func visibleNow[R record](v []R, now int64, maxLag time.Duration) []R {
	out := make([]R, 0, len(v))
	for _, r := range v {
		k := r.key(sortUpdated)
		if k.v+lagOf(k, maxLag) <= now {
			out = append(out, r)
		}
	}
	return out
}

// lagOf is a change's lag in seconds, in [0, maxLag], the same for the same change.
func lagOf(k sortKey, maxLag time.Duration) int64 {
	h := fnv.New64a()
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(k.v))
	binary.BigEndian.PutUint64(b[8:], uint64(k.num))
	binary.BigEndian.PutUint64(b[16:], uint64(k.repo))
	h.Write(b[:])
	return int64(h.Sum64() % uint64(maxLag/time.Second+1))
}
