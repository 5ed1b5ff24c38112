// Package githubsim is a simulated GitHub that speaks the real REST API for the
// organization-level security alert listings (code scanning, Dependabot, secret
// scanning). It drives the tests, the benchmarks and the exporter's --demo mode.
//
// It follows GitHub's documented behaviour: response bodies shaped like GitHub's
// own examples, Link-header pagination through /organizations/{id}/ with each
// endpoint's quirks (cursor only for Dependabot, the empty after= switch for
// secret scanning), rate-limit headers with a per-token budget, 401/403/404/422
// errors, and injectable faults. The data is generated deterministically from a
// seed, is skewed like real organizations (a few repositories hold most alerts)
// and can change over time (Step, Churn). The ground-truth accessors return
// copies of the records so tests can compute the metrics they expect.
//
// Layout: server.go (configuration, ServeHTTP, stats), router.go (routes and the
// per-request pipeline), respond.go (headers and error bodies), ratelimit.go,
// faults.go, listing.go (sorted indexes and pagination), one file per endpoint
// family, repository.go (repository and user objects), generate.go and
// catalog.go (data), churn.go (change over time).
package githubsim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a simulated GitHub.
type Config struct {
	Seed       int64         // deterministic data
	Orgs       []OrgSpec     // nil: DemoOrgs()
	PathPrefix string        // "" serves at /orgs/...; "/api/v3" serves like GitHub Enterprise Server (everything under the prefix)
	Latency    time.Duration // added to every response (benchmarks)
	RateLimit  int           // primary limit per token per hour; default 5000
	// RateLimitWindow is the length of the primary limit's window; default an hour, as on
	// GitHub. Tests shorten it to see a walk pause for resets.
	RateLimitWindow time.Duration
	Now             func() time.Time // default time.Now; data timestamps are spread over the year before Now() at New time
	// Enterprise "" serves github.com; "2.22" serves like GitHub Enterprise Server 2.22
	// (enterprise.go): under PathPrefix (default "/api/v3"), no org-level code scanning or
	// Dependabot listing, page-number pagination, the payloads of that release.
	Enterprise string
	// IgnoreSortUpdated makes the alert listings ignore sort=updated and list by creation
	// time instead, as some older Enterprise Server releases do (enterprise.go).
	IgnoreSortUpdated bool
	// Apps are the GitHub Apps installed on the simulated organizations (apps.go).
	Apps []App
	// InstallationTokenTTL is how long an installation token lasts; default an hour, as on GitHub.
	InstallationTokenTTL time.Duration
	// ListingLag makes the sort=updated listings eventually consistent, as GitHub's are:
	// a change shows there only after a lag of its own of up to ListingLag (so changes
	// become visible out of order), which is what the exporter's incremental margin is
	// for. 0: every change shows at once.
	ListingLag time.Duration
	// EnterpriseSlug, when set, makes every organization part of that enterprise and serves
	// the enterprise-wide alert listings (enterprise_listings.go).
	EnterpriseSlug string
}

// OrgSpec describes one simulated organization.
type OrgSpec struct {
	Login string
	ID    int64 // numeric id used in /organizations/{id}/ links; 0 → derived from Login
	Repos int
	// Alert counts per family.
	CodeScanning, Dependabot, SecretScanning int
	// GenericSecretScanning is how many more secret scanning alerts are of generic types
	// (non-provider patterns, AI-detected passwords): the organization has those
	// detections enabled. GitHub's listing returns them only when secret_type names them.
	GenericSecretScanning int
}

// DemoOrgs is the data set of the exporter's --demo mode: two organizations,
// dozens of repositories, thousands of alerts.
func DemoOrgs() []OrgSpec {
	return []OrgSpec{
		{Login: "acme-corp", Repos: 48, CodeScanning: 1800, Dependabot: 3200, SecretScanning: 240, GenericSecretScanning: 90},
		{Login: "acme-labs", Repos: 16, CodeScanning: 350, Dependabot: 700, SecretScanning: 60, GenericSecretScanning: 20},
	}
}

// Family names, as used by SetUnavailable and by the exporter's collector label.
const (
	FamilyCodeScanning   = "code_scanning"
	FamilyDependabot     = "dependabot"
	FamilySecretScanning = "secret_scanning"
)

// Server is the simulated GitHub. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	cfg    Config
	prefix string
	now    func() time.Time
	mux    *http.ServeMux
	routes map[string]string // mux pattern → route template (Stats.ByEndpoint)

	mu      sync.Mutex // guards the data below and everything reachable from orgs
	orgs    []*org
	byLogin map[string]*org // lower-case login
	byID    map[int64]*org
	churn   *churner

	limits *rateLimiter
	faults faultSet
	// graphqlLimits is the GraphQL budget (graphql.go), reported by GET /rate_limit.
	graphqlLimits *rateLimiter
	apps          *appRegistry   // apps.go
	analyses      *analysisStore // code scanning analyses (analyses.go), guarded by mu
	revoked       revokedTokens  // tokens.go
	hooks         webhookQueue   // webhook deliveries of the changes (webhooks.go)

	statsMu sync.Mutex
	stats   Stats

	requestSeq atomic.Uint64
}

// New generates the organizations of cfg and returns a server for them.
func New(cfg Config) *Server {
	if cfg.Orgs == nil {
		cfg.Orgs = DemoOrgs()
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		prefix:  cleanPrefix(enterprisePrefix(cfg)),
		now:     cfg.Now,
		byLogin: map[string]*org{},
		byID:    map[int64]*org{},
		limits:  newRateLimiter(cfg.RateLimit, cfg.RateLimitWindow),
		stats:   Stats{ByStatus: map[int]int{}, ByEndpoint: map[string]int{}},
	}
	s.faults.unavailable = map[unavailableKey]unavailable{}
	g := newGenerator(cfg.Seed, s.now().UTC().Truncate(time.Second))
	for _, spec := range cfg.Orgs {
		o := g.org(spec, s.byID)
		s.orgs = append(s.orgs, o)
		s.byLogin[strings.ToLower(o.login)] = o
		s.byID[o.id] = o
		for i, r := range s.inventory(o) { // REST repository objects agree with GraphQL; none is gone yet
			o.repos[i].fork = r.Fork
		}
	}
	s.churn = newChurner(g)
	s.churn.notify = s.queueAlertEvent
	s.apps = newAppRegistry(cfg)
	for id, in := range s.apps.installs {
		if in.limit > 0 {
			s.limits.setLimit(installationPrefix+strconv.FormatInt(id, 10), in.limit)
		}
	}
	s.analyses = newAnalysisStore(g, s.orgs)
	s.registerRoutes()
	return s
}

func cleanPrefix(p string) string {
	p = strings.TrimRight(p, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// Orgs returns the logins of the simulated organizations, in configuration order.
func (s *Server) Orgs() []string {
	out := make([]string, len(s.orgs))
	for i, o := range s.orgs {
		out[i] = o.login
	}
	return out
}

// OrgID returns the numeric id of org, the one used in /organizations/{id}/ links.
func (s *Server) OrgID(org string) (int64, bool) {
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return 0, false
	}
	return o.id, true
}

// Repos returns the names of org's repositories (without owner), sorted.
func (s *Server) Repos(org string) []string {
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return nil
	}
	s.mu.Lock()
	var out []string
	for _, r := range o.repos {
		if !r.gone {
			out = append(out, r.name)
		}
	}
	s.mu.Unlock()
	slices.Sort(out)
	return out
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	endpoint, ok := s.routes[pattern]
	if !ok {
		endpoint = "unknown" // e.g. the mux's redirect of an unclean path
	}
	// Counted when the status goes out, before the body: a client that has read the
	// whole answer finds it in Stats.
	rw := &statusWriter{ResponseWriter: w, sent: func(status int) { s.record(endpoint, status) }}
	defer func() {
		if rw.status == 0 {
			s.record(endpoint, 0) // no response
		}
	}()
	if !sleep(r, s.cfg.Latency) {
		return // client gone
	}
	if s.rejectInstallationToken(rw, r) || s.rejectRevokedToken(rw, r) {
		return
	}
	s.mux.ServeHTTP(rw, r)
}

func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// Stats counts the requests the server has answered.
type Stats struct {
	Requests int
	// ByStatus counts responses by HTTP status; 0 counts requests that got no
	// response (ResetConnection faults, clients gone during Latency).
	ByStatus map[int]int
	// ByEndpoint counts requests by route template such as
	// "/orgs/{org}/dependabot/alerts" (the /organizations/{id}/ form that Link
	// headers use is counted under the same template); unmatched paths count
	// under "unknown".
	ByEndpoint map[string]int
	// RateLimited counts primary and secondary rate-limit refusals (403/429).
	RateLimited int
	// InstallationTokens counts the GitHub App installation tokens minted.
	InstallationTokens int
	// SecretLiterals counts the leaked secrets' literal values served in secret
	// scanning listings, which GitHub sends unless the request says hide_secret=true.
	SecretLiterals int
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := s.stats
	out.ByStatus = make(map[int]int, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		out.ByStatus[k] = v
	}
	out.ByEndpoint = make(map[string]int, len(s.stats.ByEndpoint))
	for k, v := range s.stats.ByEndpoint {
		out.ByEndpoint[k] = v
	}
	return out
}

func (s *Server) record(endpoint string, status int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.Requests++
	s.stats.ByStatus[status]++
	s.stats.ByEndpoint[endpoint]++
}

func (s *Server) countRateLimited() {
	s.statsMu.Lock()
	s.stats.RateLimited++
	s.statsMu.Unlock()
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
	sent   func(status int) // called once, with the first status
}

func (w *statusWriter) WriteHeader(code int) {
	w.setStatus(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.setStatus(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) setStatus(code int) {
	if w.status == 0 {
		w.status = code
		if w.sent != nil {
			w.sent(code)
		}
	}
}

// Unwrap lets http.ResponseController reach the connection (ResetConnection).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
