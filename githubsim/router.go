package githubsim

import (
	"net/http"
	"strconv"
	"strings"
)

// endpoint is one organization-level API operation. Each is served both as
// /orgs/{org}/... and as /organizations/{id}/... (the form Link headers use).
type endpoint struct {
	path   string // after the org part, e.g. "/dependabot/alerts"
	family string // SetUnavailable key
	docURL string // documentation_url of its error bodies
	serve  func(c *call)
}

func (s *Server) endpoints() []endpoint {
	return []endpoint{
		{"/code-scanning/alerts", FamilyCodeScanning, docCodeScanning, s.notOnGHES222(s.listCodeScanning)},
		{"/dependabot/alerts", FamilyDependabot, docDependabot, s.notOnGHES222(s.listDependabot)},
		{"/secret-scanning/alerts", FamilySecretScanning, docSecretScanning, s.listSecretScanning},
		{"/secret-scanning/pattern-configurations", FamilySecretScanningPatterns, docPatternConfigurations, s.notOnGHES222(s.getPatternConfigurations)},
		{"/code-security/configurations", FamilyCodeSecurityConfigurations, docCodeSecurityConfigurations, s.notOnGHES222(s.listCodeSecurityConfigurations)},
		{"/code-security/configurations/{configuration_id}/repositories", FamilyCodeSecurityConfigurations, docConfigurationRepositories, s.notOnGHES222(s.listConfigurationRepositories)},
	}
}

func (s *Server) registerRoutes() {
	s.mux = http.NewServeMux()
	s.routes = map[string]string{"/": "unknown"}
	for _, e := range s.endpoints() {
		template := "/orgs/{org}" + e.path
		for _, p := range []string{template, "/organizations/{org_id}" + e.path} {
			pattern := http.MethodGet + " " + s.prefix + p
			s.mux.Handle(pattern, s.orgHandler(e))
			s.routes[pattern] = template
		}
	}
	for _, e := range s.repoEndpoints() {
		template := "/repos/{owner}/{repo}" + e.path
		for _, p := range []string{"/repos/{org}/{repo}" + e.path, "/repositories/{repo_id}" + e.path} {
			pattern := http.MethodGet + " " + s.prefix + p
			s.mux.Handle(pattern, s.orgHandler(e))
			s.routes[pattern] = template
		}
	}
	appTokens := http.MethodPost + " " + s.prefix + "/app/installations/{installation_id}/access_tokens"
	s.mux.HandleFunc(appTokens, s.createInstallationToken)
	s.routes[appTokens] = "/app/installations/{installation_id}/access_tokens"
	installations := http.MethodGet + " " + s.prefix + "/app/installations"
	s.mux.HandleFunc(installations, s.listInstallations)
	s.routes[installations] = "/app/installations"
	s.registerEnterpriseRoutes()
	s.registerGraphQL() // POST /graphql (/api/graphql beside Enterprise Server's /api/v3)
	rateLimit := http.MethodGet + " " + s.prefix + "/rate_limit"
	s.mux.HandleFunc(rateLimit, s.getRateLimit)
	s.routes[rateLimit] = "/rate_limit"

	// Everything else, including other methods on known paths, is a JSON 404
	// as on GitHub.
	s.mux.HandleFunc("/", s.notFound)
}

// call is one request on its way through the pipeline.
type call struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	ep       *endpoint // nil for unmatched routes
	token    string    // "" when anonymous
	org      *org
	base     baseURLs
	truncate bool       // MalformedJSON fault: cut the 200 body short
	mangle   *FaultKind // a hostile fault (hostile.go) that changes how the 200 answer is written
	repos    map[*repo]*repoJSON
}

func (s *Server) newCall(w http.ResponseWriter, r *http.Request, ep *endpoint) *call {
	return &call{s: s, w: w, r: r, ep: ep, token: s.principal(r), base: newBaseURLs(r, s.prefix)}
}

// orgHandler runs the checks GitHub makes before listing: authentication,
// injected faults, the primary rate limit, the organization, availability.
func (s *Server) orgHandler(e endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.newCall(w, r, &e)
		if _, ok := credentials(r); !ok {
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
		if c.org = s.lookupOrg(r); c.org == nil {
			c.fail(notFound())
			return
		}
		if !s.installationMayRead(c.token, c.org) {
			c.fail(notAccessible())
			return
		}
		if u, ok := s.faults.unavailableFor(c.org.login, e.family); ok {
			c.fail(&apiErr{status: u.status, message: u.message})
			return
		}
		e.serve(c)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.newCall(w, r, nil).fail(notFound())
}

// lookupOrg resolves {org} (case-insensitive, as on GitHub) or {org_id}.
func (s *Server) lookupOrg(r *http.Request) *org {
	if login := r.PathValue("org"); login != "" {
		return s.byLogin[strings.ToLower(login)]
	}
	if id := r.PathValue("repo_id"); id != "" {
		return s.orgOfRepo(id)
	}
	id, err := strconv.ParseInt(r.PathValue("org_id"), 10, 64)
	if err != nil {
		return nil
	}
	return s.byID[id]
}

// credentials returns the token of an "Authorization: Bearer x" or
// "Authorization: token x" header. ok is false when the header is missing or
// is not a usable credential.
func credentials(r *http.Request) (token string, ok bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, token, found := strings.Cut(h, " ")
	if !found {
		return "", false
	}
	if !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func (c *call) unauthorized() {
	msg := "Requires authentication"
	if c.r.Header.Get("Authorization") != "" {
		msg = "Bad credentials"
	}
	c.fail(&apiErr{status: http.StatusUnauthorized, message: msg, docURL: docREST})
}
