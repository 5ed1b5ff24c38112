package githubsim

import (
	"net/http"
	"strings"
)

// GET /enterprises/{enterprise}/code-scanning/alerts, /dependabot/alerts and
// /secret-scanning/alerts (Config.EnterpriseSlug): the alerts of every organization of
// the enterprise in one listing, in the org listings' shapes (each alert's repository
// names its owner), with the same filters, sorts and pagination (cursor for Dependabot;
// code and secret scanning by cursor when before or after is sent). GitHub documents
// them for classic personal access tokens of an enterprise owner or security manager:
// "This endpoint does not work with GitHub App user access tokens, GitHub App
// installation access tokens, or fine-grained personal access tokens" — those get 403.

const (
	docEnterpriseCodeScanning   = "https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-alerts-for-an-enterprise"
	docEnterpriseDependabot     = "https://docs.github.com/rest/dependabot/alerts#list-dependabot-alerts-for-an-enterprise"
	docEnterpriseSecretScanning = "https://docs.github.com/rest/secret-scanning/secret-scanning#list-secret-scanning-alerts-for-an-enterprise"

	msgNotAccessibleByPAT = "Resource not accessible by personal access token"
)

func (s *Server) enterpriseEndpoints() []endpoint {
	return []endpoint{
		{"/code-scanning/alerts", FamilyCodeScanning, docEnterpriseCodeScanning, s.listEnterpriseCodeScanning},
		{"/dependabot/alerts", FamilyDependabot, docEnterpriseDependabot, s.listEnterpriseDependabot},
		{"/secret-scanning/alerts", FamilySecretScanning, docEnterpriseSecretScanning, s.listEnterpriseSecretScanning},
	}
}

// registerEnterpriseRoutes serves the enterprise listings when the server has an
// enterprise.
func (s *Server) registerEnterpriseRoutes() {
	if s.cfg.EnterpriseSlug == "" {
		return
	}
	for _, e := range s.enterpriseEndpoints() {
		template := "/enterprises/{enterprise}" + e.path
		pattern := http.MethodGet + " " + s.prefix + template
		s.mux.Handle(pattern, s.enterpriseHandler(e))
		s.routes[pattern] = template
	}
}

// enterpriseHandler runs GitHub's checks: authentication, a classic token, the rate
// limit, the enterprise.
func (s *Server) enterpriseHandler(e endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.newCall(w, r, &e)
		token, ok := credentials(r)
		if !ok {
			c.unauthorized()
			return
		}
		if s.faults.apply(c) {
			return
		}
		if st, ok := s.limits.check(c.token, s.now()); !ok {
			c.rateLimitExceeded(st)
			return
		}
		switch {
		case strings.HasPrefix(token, "ghs_") || strings.HasPrefix(token, "ghu_"):
			c.fail(notAccessible())
			return
		case strings.HasPrefix(token, "github_pat_"):
			c.fail(&apiErr{status: http.StatusForbidden, message: msgNotAccessibleByPAT, docURL: e.docURL})
			return
		}
		if !strings.EqualFold(r.PathValue("enterprise"), s.cfg.EnterpriseSlug) {
			c.fail(notFound())
			return
		}
		e.serve(c)
	}
}

// merged returns one store of every organization's records of a family; called with
// s.mu held.
func merged[R record](s *Server, of func(*org) *store[R]) *store[R] {
	var all []R
	for _, o := range s.orgs {
		all = append(all, of(o).all...)
	}
	return &store[R]{all: all}
}

// enterprisePage is listPage over the merged store, with the organization of each record.
func enterprisePage[R record, V any](s *Server, of func(*org) *store[R], repoOf func(R) *repo, p listParams, match func(R) bool, val func(R) V) ([]V, []*org, []pageLink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := map[*repo]*org{}
	for _, o := range s.orgs {
		for _, rp := range o.repos {
			owner[rp] = o
		}
	}
	items, links := paginate(merged(s, of).view(p.by, "", match), p)
	out, orgs := make([]V, len(items)), make([]*org, len(items))
	for i, r := range items {
		out[i], orgs[i] = val(r), owner[repoOf(r)]
	}
	return out, orgs, links
}

func (c *call) enterpriseLinks(links []pageLink) string {
	return c.linkHeaderAt(c.base.api+"/enterprises/"+c.s.cfg.EnterpriseSlug+c.ep.path, links)
}

func (s *Server) listEnterpriseCodeScanning(c *call) {
	q := c.r.URL.Query()
	f, err := parseCSFilter(q)
	if err == nil {
		var p listParams
		if p, err = parseList(q, cursorOrPage, csResource, csSorts); err == nil {
			page, orgs, links := enterprisePage(s, func(o *org) *store[*csRecord] { return &o.codeScanning },
				func(r *csRecord) *repo { return r.repo }, p, f.match(), func(r *csRecord) csRecord { return *r })
			out := make([]csAlertJSON, len(page))
			for i := range page {
				c.org = orgs[i]
				out[i] = c.codeScanningJSON(&page[i])
			}
			c.send(200, encodeJSON(out), c.enterpriseLinks(links))
			return
		}
	}
	c.fail(err)
}

func (s *Server) listEnterpriseDependabot(c *call) {
	q := c.r.URL.Query()
	f, err := parseDepFilter(q)
	if err == nil {
		var p listParams
		if p, err = parseList(q, cursorOnly, depResource, depSorts); err == nil {
			page, orgs, links := enterprisePage(s, func(o *org) *store[*depRecord] { return &o.dependabot },
				func(r *depRecord) *repo { return r.repo }, p, f.match(), func(r *depRecord) depRecord { return *r })
			out := make([]depAlertJSON, len(page))
			for i := range page {
				c.org = orgs[i]
				out[i] = c.dependabotJSON(&page[i])
			}
			c.send(200, encodeJSON(out), c.enterpriseLinks(links))
			return
		}
	}
	c.fail(err)
}

func (s *Server) listEnterpriseSecretScanning(c *call) {
	q := c.r.URL.Query()
	f, err := parseSSFilter(q)
	if err == nil {
		var p listParams
		if p, err = parseList(q, cursorOrPage, ssResource, ssSorts); err == nil {
			page, orgs, links := enterprisePage(s, func(o *org) *store[*ssRecord] { return &o.secretScanning },
				func(r *ssRecord) *repo { return r.repo }, p, f.match(), func(r *ssRecord) ssRecord { return *r })
			out := make([]ssAlertJSON, len(page))
			for i := range page {
				c.org = orgs[i]
				out[i] = c.secretScanningJSON(&page[i])
			}
			c.send(200, encodeJSON(out), c.enterpriseLinks(links))
			return
		}
	}
	c.fail(err)
}
