package githubsim

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// POST /app/installations/{installation_id}/access_tokens
//
// A GitHub App authenticates with a JSON Web Token it signs with its private key (RS256,
// iss = the App's id, exp at most ten minutes ahead) and exchanges it for an installation
// token ("ghs_..."), which then works on every endpoint, REST and GraphQL, until its
// expires_at; after that GitHub answers 401 "Bad credentials". The rate limit of
// installation tokens is the installation's, shared by its successive tokens.

// App is a GitHub App installed on simulated organizations.
type App struct {
	ID             int64          // the JWT's iss
	InstallationID int64          // the App's first installation
	PublicKey      *rsa.PublicKey // verifies the JWT's signature
	Orgs           []string       // organizations the first installation can read; nil: every one
	// Installations are the App's further installations, each on one organization with
	// a rate limit of its own (AddInstallation adds one while running).
	Installations []Installation
}

// Installation is one installation of an App on an organization.
type Installation struct {
	ID        int64
	Org       string
	RateLimit int // requests per hour; 0: Config.RateLimit (GitHub: 5,000 to 12,500, 15,000 on Enterprise Cloud)
}

const (
	defaultInstallationTokenTTL = time.Hour
	// maxJWTLifetime is how far ahead GitHub accepts a JWT's exp.
	maxJWTLifetime = 10 * time.Minute

	docApps = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"

	msgJWTUndecodable = "A JSON web token could not be decoded"
	msgJWTExpired     = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTTooLong     = "'Expiration time' claim ('exp') is too far in the future"
	msgJWTIssuedAt    = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgNotAccessible  = "Resource not accessible by integration"
)

// installationPrefix marks the rate-limit key of an installation (see principal).
const installationPrefix = "installation:"

type appRegistry struct {
	apps []App
	ttl  time.Duration
	seed int64

	mu       sync.Mutex
	tokens   map[string]installationToken
	minted   int
	installs map[int64]*install
}

type installationToken struct {
	app     *App
	install int64
	expires time.Time
}

// install is one installation as the registry keeps it.
type install struct {
	app   *App
	orgs  []string // nil: every organization
	limit int
}

func newAppRegistry(cfg Config) *appRegistry {
	ttl := cfg.InstallationTokenTTL
	if ttl <= 0 {
		ttl = defaultInstallationTokenTTL
	}
	a := &appRegistry{apps: slices.Clone(cfg.Apps), ttl: ttl, seed: cfg.Seed, tokens: map[string]installationToken{}, installs: map[int64]*install{}}
	for i := range a.apps {
		app := &a.apps[i]
		a.installs[app.InstallationID] = &install{app: app, orgs: app.Orgs}
		for _, in := range app.Installations {
			a.installs[in.ID] = &install{app: app, orgs: []string{in.Org}, limit: in.RateLimit}
		}
	}
	return a
}

// AddInstallation installs the App appID on one more organization, as an owner does
// while the exporter runs. It reports whether the App exists.
func (s *Server) AddInstallation(appID int64, in Installation) bool {
	s.apps.mu.Lock()
	defer s.apps.mu.Unlock()
	app := s.apps.byID(strconv.FormatInt(appID, 10))
	if app == nil {
		return false
	}
	app.Installations = append(app.Installations, in)
	s.apps.installs[in.ID] = &install{app: app, orgs: []string{in.Org}, limit: in.RateLimit}
	if in.RateLimit > 0 {
		s.limits.setLimit(installationPrefix+strconv.FormatInt(in.ID, 10), in.RateLimit)
	}
	return true
}

// ExhaustRateLimit spends the whole budget of an installation, as other clients of the
// same installation would, until resetIn from now.
func (s *Server) ExhaustRateLimit(installationID int64, resetIn time.Duration) {
	s.limits.exhaust(installationPrefix+strconv.FormatInt(installationID, 10), s.now(), resetIn)
}

// installationsOf returns the installations of app, by id.
func (a *appRegistry) installationsOf(app *App) []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ids []int64
	for id, in := range a.installs {
		if in.app == app {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (a *appRegistry) byID(iss string) *App {
	id, err := strconv.ParseInt(iss, 10, 64)
	if err != nil {
		return nil
	}
	for i := range a.apps {
		if a.apps[i].ID == id {
			return &a.apps[i]
		}
	}
	return nil
}

// lookup returns the installation of a valid (minted, unexpired) installation token.
func (a *appRegistry) lookup(token string, now time.Time) (int64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.tokens[token]
	if !ok || !now.Before(t.expires) {
		return 0, false
	}
	return t.install, true
}

// mint returns a new installation token of an installation of app and when it expires.
func (a *appRegistry) mint(app *App, installation int64, now time.Time) (string, time.Time) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	a.mu.Lock()
	defer a.mu.Unlock()
	a.minted++
	rng := rand.New(rand.NewPCG(uint64(a.seed), uint64(a.minted)<<32|uint64(installation)))
	b := []byte("ghs_")
	for range 36 {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	expires := now.Add(a.ttl).Truncate(time.Second)
	for tok, t := range a.tokens { // forget expired tokens: they answer 401 like unknown ones
		if !now.Before(t.expires) {
			delete(a.tokens, tok)
		}
	}
	a.tokens[string(b)] = installationToken{app: app, install: installation, expires: expires}
	return string(b), expires
}

// principal is whose rate-limit budget a token spends: an installation token spends
// its installation's, any other token its own.
func (s *Server) principal(r *http.Request) string {
	token, _ := credentials(r)
	if id, ok := s.apps.lookup(token, s.now()); ok {
		return installationPrefix + strconv.FormatInt(id, 10)
	}
	return token
}

// rejectInstallationToken answers 401 "Bad credentials" to a request carrying an
// installation token that was never minted or has expired, and reports whether it did.
// A server without Apps takes any token, installation tokens included, as before.
func (s *Server) rejectInstallationToken(w http.ResponseWriter, r *http.Request) bool {
	token, ok := credentials(r)
	if !ok || !strings.HasPrefix(token, "ghs_") || len(s.apps.apps) == 0 {
		return false
	}
	now := s.now()
	if _, valid := s.apps.lookup(token, now); valid {
		return false
	}
	c := s.newCall(w, r, nil)
	c.write(http.StatusUnauthorized, (&apiErr{status: http.StatusUnauthorized, message: "Bad credentials", docURL: docREST}).body(nil), s.limits.peek("", now))
	return true
}

// installationMayRead reports whether the caller may read org: always, unless it is an
// installation whose App is not installed there.
func (s *Server) installationMayRead(principal string, o *org) bool {
	raw, ok := strings.CutPrefix(principal, installationPrefix)
	if !ok {
		return true
	}
	id, _ := strconv.ParseInt(raw, 10, 64)
	s.apps.mu.Lock()
	in := s.apps.installs[id]
	s.apps.mu.Unlock()
	return in != nil && (in.orgs == nil || slices.ContainsFunc(in.orgs, func(l string) bool { return strings.EqualFold(l, o.login) }))
}

func notAccessible() *apiErr {
	return &apiErr{status: http.StatusForbidden, message: msgNotAccessible, docURL: docREST}
}

// createInstallationToken serves POST /app/installations/{installation_id}/access_tokens.
func (s *Server) createInstallationToken(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(w, r, &endpoint{path: "/app/installations/{installation_id}/access_tokens", docURL: docApps})
	now := s.now()
	jwtString, ok := credentials(r)
	if !ok {
		c.write(http.StatusUnauthorized, (&apiErr{status: http.StatusUnauthorized, message: "Requires authentication"}).body(c.ep), s.limits.peek("", now))
		return
	}
	app, msg := s.apps.verify(jwtString, now)
	if app == nil {
		c.write(http.StatusUnauthorized, (&apiErr{status: http.StatusUnauthorized, message: msg, docURL: docREST}).body(c.ep), s.limits.peek("", now))
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	if !slices.Contains(s.apps.installationsOf(app), id) {
		c.write(http.StatusNotFound, notFound().body(c.ep), s.limits.peek("", now))
		return
	}
	token, expires := s.apps.mint(app, id, now)
	s.statsMu.Lock()
	s.stats.InstallationTokens++
	s.statsMu.Unlock()
	body := encodeJSON(installationTokenJSON{
		Token:     token,
		ExpiresAt: timestamp(expires),
		Permissions: map[string]string{
			"metadata": "read", "organization_administration": "read", "secret_scanning_alerts": "read",
			"security_events": "read", "vulnerability_alerts": "read",
		},
		RepositorySelection: "all",
	})
	c.write(http.StatusCreated, body, s.limits.peek(installationPrefix+strconv.FormatInt(id, 10), now))
}

type installationTokenJSON struct {
	Token               string            `json:"token"`
	ExpiresAt           string            `json:"expires_at"`
	Permissions         map[string]string `json:"permissions"`
	RepositorySelection string            `json:"repository_selection"`
}

var errUnknownApp = errors.New("unknown app")

// appClaims are an App JWT's claims; GitHub takes the App id in iss as a number or a string.
type appClaims struct {
	jwt.RegisteredClaims
	Iss any `json:"iss"` // decoded as json.Number or string
}

// verify checks an App's JWT as GitHub does and returns the App, or nil and GitHub's
// message for the refusal.
func (a *appRegistry) verify(raw string, now time.Time) (*App, string) {
	var app *App
	claims := &appClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		if app = a.byID(fmt.Sprint(claims.Iss)); app == nil {
			return nil, errUnknownApp
		}
		return app.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuedAt(), jwt.WithExpirationRequired(), jwt.WithJSONNumber())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && claims.ExpiresAt == nil:
		return nil, msgJWTExpired
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, msgJWTIssuedAt
	case err != nil:
		return nil, msgJWTUndecodable
	case claims.IssuedAt == nil:
		return nil, msgJWTIssuedAt
	case claims.ExpiresAt.Sub(now) > maxJWTLifetime:
		return nil, msgJWTTooLong
	}
	return app, ""
}

// GET /app/installations lists the installations of the App whose JWT authenticates the
// request, oldest first, per_page (default 30, at most 100) and page with Link headers.
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(w, r, &endpoint{path: "/app/installations", docURL: docListInstallations})
	now := s.now()
	jwtString, ok := credentials(r)
	if !ok {
		c.write(http.StatusUnauthorized, (&apiErr{status: http.StatusUnauthorized, message: "Requires authentication"}).body(c.ep), s.limits.peek("", now))
		return
	}
	app, msg := s.apps.verify(jwtString, now)
	if app == nil {
		c.write(http.StatusUnauthorized, (&apiErr{status: http.StatusUnauthorized, message: msg, docURL: docREST}).body(c.ep), s.limits.peek("", now))
		return
	}
	perPage, page := 30, 1
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			n = 30
		}
		perPage = min(n, 100)
	}
	if v := r.URL.Query().Get("page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			page = n
		}
	}
	ids := s.apps.installationsOf(app)
	lo, hi := min((page-1)*perPage, len(ids)), min(page*perPage, len(ids))
	out := make([]installationJSON, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		out = append(out, s.installationJSON(c, app, id))
	}
	var links []pageLink
	if hi < len(ids) {
		last := (len(ids) + perPage - 1) / perPage
		links = append(links, pageLink{"next", "page", strconv.Itoa(page + 1)}, pageLink{"last", "page", strconv.Itoa(last)})
	}
	if link := c.linkHeaderAt(c.base.api+"/app/installations", links); link != "" {
		w.Header().Set("Link", link)
	}
	c.write(http.StatusOK, encodeJSON(out), s.limits.peek("app:"+strconv.FormatInt(app.ID, 10), now))
}

const docListInstallations = "https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app"

// installationJSON is GitHub's installation object.
type installationJSON struct {
	ID                  int64             `json:"id"`
	Account             *userJSON         `json:"account"`
	RepositorySelection string            `json:"repository_selection"`
	AccessTokensURL     string            `json:"access_tokens_url"`
	RepositoriesURL     string            `json:"repositories_url"`
	HTMLURL             string            `json:"html_url"`
	AppID               int64             `json:"app_id"`
	AppSlug             string            `json:"app_slug"`
	TargetID            int64             `json:"target_id"`
	TargetType          string            `json:"target_type"`
	Permissions         map[string]string `json:"permissions"`
	Events              []string          `json:"events"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	SingleFileName      *string           `json:"single_file_name"`
	SuspendedAt         *string           `json:"suspended_at"`
}

func (s *Server) installationJSON(c *call, app *App, id int64) installationJSON {
	s.apps.mu.Lock()
	in := s.apps.installs[id]
	s.apps.mu.Unlock()
	login := "every-organization"
	var orgID int64
	if len(in.orgs) > 0 {
		login = in.orgs[0]
		if o := s.byLogin[strings.ToLower(login)]; o != nil {
			login, orgID = o.login, o.id
		}
	}
	idStr := strconv.FormatInt(id, 10)
	created := timestamp(s.now().Add(-30 * 24 * time.Hour).Truncate(time.Hour))
	return installationJSON{
		ID: id, Account: c.base.user(login, orgID, "Organization"), RepositorySelection: "all",
		AccessTokensURL: c.base.api + "/app/installations/" + idStr + "/access_tokens",
		RepositoriesURL: c.base.api + "/installation/repositories",
		HTMLURL:         c.base.web + "/organizations/" + login + "/settings/installations/" + idStr,
		AppID:           app.ID, AppSlug: "security-exporter", TargetID: orgID, TargetType: "Organization",
		Permissions: map[string]string{"metadata": "read", "organization_administration": "read", "secret_scanning_alerts": "read",
			"security_events": "read", "vulnerability_alerts": "read"},
		Events:    []string{"code_scanning_alert", "dependabot_alert", "repository", "secret_scanning_alert", "security_and_analysis"},
		CreatedAt: created, UpdatedAt: created,
	}
}
