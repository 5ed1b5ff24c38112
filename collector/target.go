package collector

import (
	"regexp"
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
	Repos *Inventory
	SLA   SLA   // per severity, for github_alerts_sla_breached
	Walks Walks // full and incremental walks of the alert listings
	// Series shapes the alert count families (closed rows, repository dimension).
	Series SeriesOptions

	now    func() time.Time
	alerts map[string]*alertSet             // per alert family: the records of the last good walk
	bodies map[string]map[string]cachedBody // per small listing path: its pages' last answers
	// analyses keeps, per repository, the last answer of the code scanning analyses.
	analyses map[string]analysisCache
}

func (t *Target) clock() time.Time {
	if t.now == nil {
		return time.Now()
	}
	return t.now()
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
	Name       string
	Visibility string // public, private, internal
	Language   string // primary language, "" when none
	Archived   bool
	Fork       bool
}

// Inventory is an organization's repositories by name.
type Inventory struct {
	repos map[string]Repository
	names []string // in the order the inventory listed them
}

// NewInventory returns an inventory of repos.
func NewInventory(repos []Repository) *Inventory {
	inv := &Inventory{repos: make(map[string]Repository, len(repos))}
	for _, r := range repos {
		if _, dup := inv.repos[r.Name]; !dup {
			inv.names = append(inv.names, r.Name)
		}
		inv.repos[r.Name] = r
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
