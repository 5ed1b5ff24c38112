package collector

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Enterprise-wide walks (Config.Enterprise): GET /enterprises/{enterprise}/code-scanning/alerts,
// /dependabot/alerts and /secret-scanning/alerts list the alerts of every organization of
// the enterprise, each alert's repository naming its owner. One walk per family, full or
// incremental and conditional as the organization listings, keeps the records of all
// organizations; they are then split by owner into each organization's records, which the
// organization's series, and webhook deliveries, work on. The other sources still run
// per organization.

// enterpriseWalk is the walk of one family's enterprise listing.
type enterpriseWalk interface {
	walkAll(ctx context.Context, t *Target, old *alertSet) (*alertSet, error)
}

func (l *alertListing[T]) walkAll(ctx context.Context, t *Target, old *alertSet) (*alertSet, error) {
	return l.walk(ctx, t, old, t.clock())
}

// owners remembers the owner of each repository the enterprise listings named.
type owners struct {
	mu sync.Mutex
	of map[int64]string
}

func (o *owners) note(id int64, owner string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.of == nil {
		o.of = map[int64]string{}
	}
	o.of[id] = owner
}

func (o *owners) get(id int64) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.of[id]
	return v, ok
}

// enterpriseListing returns l walking the enterprise listing, noting owners.
func enterpriseListing[T alert](l *alertListing[T], own *owners, owner func(*T) string) *alertListing[T] {
	el := *l
	el.endpoint = strings.Replace(l.endpoint, "/orgs/{org}/", "/enterprises/{enterprise}/", 1)
	el.repo = func(a *T) (int64, string) {
		id, name := l.repo(a)
		own.note(id, owner(a))
		return id, name
	}
	return &el
}

// enterpriseState is what an enterprise-wide Exporter keeps besides its Targets.
type enterpriseState struct {
	target *Target // Org is the enterprise's slug
	owners owners
	walks  map[string]enterpriseWalk
}

func (e *Exporter) newEnterprise() *enterpriseState {
	es := &enterpriseState{target: e.newTarget(e.cfg.Enterprise, Clients{})}
	es.walks = map[string]enterpriseWalk{
		"code_scanning": enterpriseListing(codeScanningListing, &es.owners, func(a *codeScanningAlert) string { return a.Repository.Owner.Login }),
		"dependabot":    enterpriseListing(dependabotListing, &es.owners, func(a *dependabotAlert) string { return a.Repository.Owner.Login }),
		"secret_scanning": enterpriseListing(secretScanningListing, &es.owners, func(a *secretScanningAlert) string {
			return a.Repository.Owner.Login
		}),
	}
	return es
}

// runEnterprise walks the enterprise listings, then collects every organization found
// (or configured): its alert families from the split records, its other sources as usual.
func (e *Exporter) runEnterprise(ctx context.Context) {
	if e.ent == nil {
		e.ent = e.newEnterprise()
	}
	split := map[string]map[string]*alertSet{} // family → org → records
	failed := map[string]error{}
	found := map[string]bool{}
	for _, src := range e.sources {
		w, ok := e.ent.walks[src.Name()]
		if !ok {
			continue
		}
		family := src.Name()
		old := e.ent.target.alertSet(family)
		if !e.ent.knowsOwners(old) {
			old.LastFull = 0 // records restored without owners: walk in full
		}
		set, err := w.walkAll(ctx, e.ent.target, old)
		if err != nil {
			failed[family] = fmt.Errorf("listing %s alerts of enterprise %s: %w", strings.ReplaceAll(family, "_", " "), e.cfg.Enterprise, err)
			continue
		}
		e.ent.target.alerts[family] = set
		split[family] = e.ent.split(set)
		for org := range split[family] {
			found[org] = true
		}
	}
	if ctx.Err() != nil {
		return
	}
	e.setEnterpriseOrgs(found)
	e.eachClient(func(org string) {
		for _, src := range e.sources {
			if ctx.Err() != nil {
				return
			}
			if _, ok := e.ent.walks[src.Name()]; ok {
				src = splitSource{name: src.Name(), set: split[src.Name()][org], err: failed[src.Name()]}
			}
			e.collect(ctx, org, src)
		}
	})
}

// knowsOwners reports whether every repository of set has a known owner.
func (es *enterpriseState) knowsOwners(set *alertSet) bool {
	for k := range set.Records {
		if _, ok := es.owners.get(k.Repo); !ok {
			return false
		}
	}
	return true
}

// split returns the records of set per owner.
func (es *enterpriseState) split(set *alertSet) map[string]*alertSet {
	out := map[string]*alertSet{}
	for k, r := range set.Records {
		owner, _ := es.owners.get(k.Repo)
		sub, ok := out[owner]
		if !ok {
			sub = newAlertSet()
			sub.LastFull, sub.Incremental, sub.HighWater = set.LastFull, set.Incremental, set.HighWater
			out[owner] = sub
		}
		t := set.Tuples[r.Tuple]
		i, err := sub.tuple(t.Values, t.Severity)
		if err != nil {
			continue // bounded like the walk itself
		}
		r.Tuple = i
		sub.Records[k] = r
	}
	return out
}

// setEnterpriseOrgs collects the organizations found in the listings (only the
// configured ones, when some are), keeping those known before.
func (e *Exporter) setEnterpriseOrgs(found map[string]bool) {
	e.orgsMu.Lock()
	defer e.orgsMu.Unlock()
	for org := range found {
		if org == "" || (len(e.cfg.Orgs) > 0 && !slices.ContainsFunc(e.cfg.Orgs, func(o string) bool { return strings.EqualFold(o, org) })) {
			continue
		}
		if _, ok := e.targets[org]; !ok {
			e.targets[org] = e.newTarget(org, Clients{})
			e.orgs = append(e.orgs, org)
		}
	}
	slices.Sort(e.orgs)
}

// splitSource gives an organization its part of an enterprise walk as a source's result.
type splitSource struct {
	name string
	set  *alertSet // nil: no alerts of the organization
	err  error     // the enterprise walk failed
}

func (s splitSource) Name() string                     { return s.name }
func (s splitSource) Describe(chan<- *prometheus.Desc) {}

func (s splitSource) Collect(_ context.Context, t *Target) ([]prometheus.Metric, error) {
	if s.err != nil {
		return nil, s.err
	}
	set := s.set
	if set == nil {
		set = newAlertSet()
		set.LastFull = t.clock().Unix()
	}
	if t.alerts == nil {
		t.alerts = map[string]*alertSet{}
	}
	t.alerts[s.name] = set
	return set.metrics(alertFamilies[s.name], t, t.SLA, t.clock())
}
