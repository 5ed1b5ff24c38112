package collector

import (
	"slices"
	"sync"

	"github.com/shurcooL/githubv4"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// Clients are the GitHub clients of one organization: with one GitHub App installation
// per organization, each has its own token, pacing and rate-limit budget.
type Clients struct {
	REST    *githubapi.Client
	GraphQL *githubv4.Client
}

func (e *Exporter) newTarget(org string, c Clients) *Target {
	cfg := e.cfg
	if c.REST == nil {
		c = Clients{REST: cfg.Client, GraphQL: cfg.GraphQL}
	}
	t := &Target{Org: org, REST: c.REST, GraphQL: c.GraphQL, Metrics: cfg.Metrics,
		Filter: cfg.Filter, SLA: cfg.SLA, Walks: cfg.Walks, TopAdvisories: cfg.TopAdvisories, MaxPages: cfg.MaxPagesPerWalk, Series: cfg.Series,
		Logger: e.logger, now: e.now}
	t.live.counting = e.missedOn
	return t
}

// SetOrgs makes the next runs collect orgs, with clients (per organization; an
// organization without clients uses the Config's): a new organization is collected from
// the next run on, one no longer named is dropped with its series. It waits for a run
// under way.
func (e *Exporter) SetOrgs(orgs []string, clients map[string]Clients) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	e.orgsMu.Lock()
	defer e.orgsMu.Unlock()
	next := map[string]*Target{}
	for _, org := range orgs {
		t, ok := e.targets[org]
		if c, given := clients[org]; !ok || (given && c.REST != t.REST) {
			nt := e.newTarget(org, clients[org])
			if ok { // new credentials, same records
				nt.alerts, nt.Repos, nt.live.missed = t.alerts, t.Repos, t.live.missed
			}
			t = nt
		}
		next[org] = t
	}
	e.targets, e.orgs = next, slices.Clone(orgs)
	e.mu.Lock()
	defer e.mu.Unlock()
	states := map[stateKey]SourceStatus{}
	for k, st := range e.snap.Load().states {
		if _, kept := next[k.org]; kept {
			states[k] = st
		}
	}
	e.snap.Store(&snapshot{states: states})
}

// eachClient calls collect for every organization: those sharing a client one after the
// other, those with clients of their own (App installations) side by side, so that an
// installation waiting for its rate limit does not hold the others up.
func (e *Exporter) eachClient(collect func(org string)) {
	var groups [][]string
	index := map[*githubapi.Client]int{}
	for _, org := range e.orgs {
		c := e.targets[org].REST
		i, ok := index[c]
		if !ok {
			i = len(groups)
			index[c] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], org)
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Go(func() {
			for _, org := range g {
				collect(org)
			}
		})
	}
	wg.Wait()
}
