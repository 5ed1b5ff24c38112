package collector

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// A Target is one organization as the sources see it. The Exporter keeps one per
// organization across collections; sources of one organization run one after the other.
type Target struct {
	Org     string
	REST    *githubapi.Client
	GraphQL *githubv4.Client   // nil when no GraphQL endpoint is configured
	Metrics *githubapi.Metrics // for rate-limit figures that arrive in bodies (GraphQL's rateLimit)
	Filter  RepoFilter
	// Repos is the organization's repository inventory from the last successful
	// inventory collection; nil until one has succeeded. The inventory source sets it.
	Repos  *Inventory
	SLA    SLA   // per severity, for github_alerts_sla_breached
	Walks  Walks // full and incremental walks of the alert listings
	Logger *slog.Logger
	// TopAdvisories is how many advisories the top-advisory metric shows; 0: DefaultTopAdvisories.
	TopAdvisories int
	// MaxPages bounds the pages of one walk; 0: derived from the last full walk (pageBudget).
	MaxPages int
	// Series shapes the alert count families (closed rows, repository dimension).
	Series SeriesOptions

	now func() time.Time
	// gone are the ids of repositories an inventory listed and a later one did not
	// (deleted or transferred): their alerts' records are dropped.
	gone map[int64]bool
	// unsorted are the record keys of listings seen out of updated_at order: walked in
	// full on every run.
	unsorted map[string]bool
	// openRefreshed is when each listing's open alerts were last read in full.
	openRefreshed map[string]time.Time
	alerts        map[string]*alertSet             // per alert family: the records of the last good walk
	bodies        map[string]map[string]cachedBody // per small listing path: its pages' last answers
	// analyses keeps, per repository, the last answer of the code scanning analyses.
	analyses map[string]analysisCache
	live     liveState // webhook changes between and during collections (apply.go)
}

// firstWalkPages bounds a walk of a listing whose length is not known yet (no full walk
// of it has succeeded): a million alerts at 100 a page.
const firstWalkPages = 10_000

// pageBudget is the page budget of a walk of a listing whose last full walk took known
// pages (0: unknown): MaxPages when set, else four times known plus 100, else
// firstWalkPages. A server that hands out new cursors forever is cut there.
func (t *Target) pageBudget(known int) int {
	switch {
	case t.MaxPages > 0:
		return t.MaxPages
	case known > 0:
		return 4*known + 100
	}
	return firstWalkPages
}

// withPageBudget bounds the walks made with the returned context; see pageBudget.
func (t *Target) withPageBudget(ctx context.Context, known int) context.Context {
	return githubapi.WithMaxPages(ctx, t.pageBudget(known))
}

func (t *Target) clock() time.Time {
	if t.now == nil {
		return time.Now()
	}
	return t.now()
}

func (t *Target) logger() *slog.Logger {
	if t.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Logger
}

func (t *Target) setOpenRefreshed(key string, at time.Time) {
	if t.openRefreshed == nil {
		t.openRefreshed = map[string]time.Time{}
	}
	t.openRefreshed[key] = at
}

// setInventory makes inv the inventory, and remembers the repositories of the last one
// that inv no longer lists as gone.
func (t *Target) setInventory(inv *Inventory) {
	if t.gone == nil {
		t.gone = map[int64]bool{}
	}
	if t.Repos != nil {
		for id := range t.Repos.byID {
			if _, ok := inv.byID[id]; !ok {
				t.gone[id] = true
			}
		}
	}
	for id := range inv.byID {
		delete(t.gone, id)
	}
	t.Repos = inv
}

// followRepositories makes records follow their repository's id: those of a repository
// gone from the inventory are dropped, those of a renamed one take the inventory's name
// at once. Records of repositories without id, or that no inventory knows, stay as
// they are.
func (t *Target) followRepositories(set *alertSet) error {
	if t.Repos == nil {
		return nil
	}
	for k, r := range set.Records {
		if k.Repo <= 0 {
			continue
		}
		if t.gone[k.Repo] {
			delete(set.Records, k)
			continue
		}
		repo, ok := t.Repos.byID[k.Repo]
		tu := set.Tuples[r.Tuple]
		if !ok || tu.repository() == cleanLabel(repo.Name) {
			continue
		}
		values := slices.Clone(tu.Values)
		values[0] = repo.Name
		i, err := set.tuple(values, tu.Severity)
		if err != nil {
			return err
		}
		r.Tuple = i
		set.Records[k] = r
	}
	return nil
}

// alertSet returns the records of a family, empty before the first walk.
func (t *Target) alertSet(family string) *alertSet {
	if t.alerts == nil {
		t.alerts = map[string]*alertSet{}
	}
	s, ok := t.alerts[family]
	if !ok {
		s = newAlertSet()
		t.alerts[family] = s
	}
	return s
}

// Keep reports whether a repository passes the filter. Archived and fork are known only
// from the inventory; a repository the inventory does not know is kept.
func (t *Target) Keep(repo string) bool {
	f := t.Filter
	if f.Include != nil && !f.Include.MatchString(repo) {
		return false
	}
	if f.Exclude != nil && f.Exclude.MatchString(repo) {
		return false
	}
	if r, ok := t.Repos.Lookup(repo); ok {
		if (f.SkipArchived && r.Archived) || (f.SkipForks && r.Fork) {
			return false
		}
	}
	return true
}

// RepoFilter selects the repositories every source reports on.
type RepoFilter struct {
	Include      *regexp.Regexp // only repositories whose name matches; nil: all
	Exclude      *regexp.Regexp // not repositories whose name matches; nil: none
	SkipArchived bool
	SkipForks    bool
}

// Repository is what the inventory knows of one repository.
type Repository struct {
	ID         int64 // GraphQL databaseId, the id alert listings give; 0 when unknown
	Name       string
	Visibility string // public, private, internal
	Language   string // primary language, "" when none
	Archived   bool
	Fork       bool
}

// Inventory is an organization's repositories by name and by id.
type Inventory struct {
	repos map[string]Repository
	byID  map[int64]Repository
	names []string // in the order the inventory listed them
}

// NewInventory returns an inventory of repos.
func NewInventory(repos []Repository) *Inventory {
	inv := &Inventory{repos: make(map[string]Repository, len(repos)), byID: make(map[int64]Repository, len(repos))}
	for _, r := range repos {
		if _, dup := inv.repos[r.Name]; !dup {
			inv.names = append(inv.names, r.Name)
		}
		inv.repos[r.Name] = r
		if r.ID > 0 {
			inv.byID[r.ID] = r
		}
	}
	return inv
}

// Lookup returns the repository called name. A nil inventory knows none.
func (inv *Inventory) Lookup(name string) (Repository, bool) {
	if inv == nil {
		return Repository{}, false
	}
	r, ok := inv.repos[name]
	return r, ok
}

// Names returns every repository name in listing order. A nil inventory has none.
func (inv *Inventory) Names() []string {
	if inv == nil {
		return nil
	}
	return inv.names
}
