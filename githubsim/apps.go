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
	InstallationID int64          // the one installation of the App
	PublicKey      *rsa.PublicKey // verifies the JWT's signature
	Orgs           []string       // organizations the installation can read; nil: every one
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

	mu     sync.Mutex
	tokens map[string]installationToken
	minted int
}

type installationToken struct {
	app     *App
	expires time.Time
}

func newAppRegistry(cfg Config) *appRegistry {
	ttl := cfg.InstallationTokenTTL
	if ttl <= 0 {
		ttl = defaultInstallationTokenTTL
	}
	return &appRegistry{apps: slices.Clone(cfg.Apps), ttl: ttl, seed: cfg.Seed, tokens: map[string]installationToken{}}
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

// lookup returns the App of a valid (minted, unexpired) installation token.
func (a *appRegistry) lookup(token string, now time.Time) (*App, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.tokens[token]
	if !ok || !now.Before(t.expires) {
		return nil, false
	}
	return t.app, true
}

// mint returns a new installation token of app and when it expires.
func (a *appRegistry) mint(app *App, now time.Time) (string, time.Time) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	a.mu.Lock()
	defer a.mu.Unlock()
	a.minted++
	rng := rand.New(rand.NewPCG(uint64(a.seed), uint64(a.minted)<<32|uint64(app.InstallationID)))
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
	a.tokens[string(b)] = installationToken{app: app, expires: expires}
	return string(b), expires
}

// principal is whose rate-limit budget a token spends: an installation token spends
// its installation's, any other token its own.
func (s *Server) principal(r *http.Request) string {
	token, _ := credentials(r)
	if app, ok := s.apps.lookup(token, s.now()); ok {
		return installationPrefix + strconv.FormatInt(app.InstallationID, 10)
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
	id, ok := strings.CutPrefix(principal, installationPrefix)
	if !ok {
		return true
	}
	for _, app := range s.apps.apps {
		if strconv.FormatInt(app.InstallationID, 10) == id {
			return app.Orgs == nil || slices.ContainsFunc(app.Orgs, func(l string) bool { return strings.EqualFold(l, o.login) })
		}
	}
	return false
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
	if r.PathValue("installation_id") != strconv.FormatInt(app.InstallationID, 10) {
		c.write(http.StatusNotFound, notFound().body(c.ep), s.limits.peek("", now))
		return
	}
	token, expires := s.apps.mint(app, now)
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
	c.write(http.StatusCreated, body, s.limits.peek(installationPrefix+strconv.FormatInt(app.InstallationID, 10), now))
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
