package githubsim

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// appJWT signs claims as a GitHub App would.
func appJWT(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends an authenticated request with the given Authorization header value.
func (m *sim) do(method, path, authorization, body string) (*http.Response, []byte) {
	m.t.Helper()
	req, err := http.NewRequest(method, m.url(path), strings.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := m.ts.Client().Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp, b
}

const (
	testAppID          = 4242
	testInstallationID = 777
	tokensPath         = "/app/installations/777/access_tokens"
)

func appSim(t *testing.T, key *rsa.PrivateKey) *sim {
	return newSim(t, Config{
		Seed:                 1,
		Apps:                 []App{{ID: testAppID, InstallationID: testInstallationID, PublicKey: &key.PublicKey, Orgs: []string{"octo-org"}}},
		InstallationTokenTTL: 30 * time.Minute,
	})
}

func TestAppJWTChecks(t *testing.T) {
	key, other := testKey(t), testKey(t)
	m := appSim(t, key)
	now := testNow.Unix()
	valid := jwt.MapClaims{"iss": "4242", "iat": now - 60, "exp": now + 540}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for n, x := range valid {
			c[n] = x
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name, authorization, path string
		status                    int
		message                   string
	}{
		{"valid", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, valid), tokensPath, http.StatusCreated, ""},
		{"iss as a number", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("iss", testAppID)), tokensPath, http.StatusCreated, ""},
		{"wrong key", "Bearer " + appJWT(t, jwt.SigningMethodRS256, other, valid), tokensPath, http.StatusUnauthorized, msgJWTUndecodable},
		{"expired", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("exp", now-1)), tokensPath, http.StatusUnauthorized, msgJWTExpired},
		{"no exp", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("exp", nil)), tokensPath, http.StatusUnauthorized, msgJWTExpired},
		{"exp beyond ten minutes", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("exp", now+601)), tokensPath, http.StatusUnauthorized, msgJWTTooLong},
		{"issued in the future", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("iat", now+120)), tokensPath, http.StatusUnauthorized, msgJWTIssuedAt},
		{"no iat", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("iat", nil)), tokensPath, http.StatusUnauthorized, msgJWTIssuedAt},
		{"unknown app", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, with("iss", "4243")), tokensPath, http.StatusUnauthorized, msgJWTUndecodable},
		{"HS256", "Bearer " + appJWT(t, jwt.SigningMethodHS256, []byte("secret"), valid), tokensPath, http.StatusUnauthorized, msgJWTUndecodable},
		{"a personal token", "Bearer ghp_notajwt", tokensPath, http.StatusUnauthorized, msgJWTUndecodable},
		{"no credentials", "", tokensPath, http.StatusUnauthorized, "Requires authentication"},
		{"another installation", "Bearer " + appJWT(t, jwt.SigningMethodRS256, key, valid), "/app/installations/778/access_tokens", http.StatusNotFound, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := m.do(http.MethodPost, tt.path, tt.authorization, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %s, want %d: %s", resp.Status, tt.status, body)
			}
			if tt.message != "" {
				if e := decodeError(t, body); e["message"] != tt.message {
					t.Errorf("message %q, want %q", e["message"], tt.message)
				}
				return
			}
			var tok struct {
				Token, ExpiresAt, RepositorySelection string
				Permissions                           map[string]string
			}
			if err := json.Unmarshal(body, &tok); err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			_ = json.Unmarshal(body, &raw)
			if !strings.HasPrefix(tok.Token, "ghs_") || len(tok.Token) != 40 {
				t.Errorf("token %q does not look like an installation token", tok.Token)
			}
			if raw["expires_at"] != testNow.Add(30*time.Minute).Format(time.RFC3339) || raw["repository_selection"] != "all" {
				t.Errorf("expires_at %v, repository_selection %v", raw["expires_at"], raw["repository_selection"])
			}
			perms, _ := raw["permissions"].(map[string]any)
			for _, p := range []string{"security_events", "vulnerability_alerts", "secret_scanning_alerts", "metadata"} {
				if perms[p] != "read" {
					t.Errorf("permission %s = %v, want read", p, perms[p])
				}
			}
		})
	}
}

func TestInstallationTokenLifetime(t *testing.T) {
	key := testKey(t)
	m := appSim(t, key)
	mint := func() string {
		t.Helper()
		now := m.clock.Now().Unix()
		jwtString := appJWT(t, jwt.SigningMethodRS256, key, jwt.MapClaims{"iss": "4242", "iat": now - 30, "exp": now + 90})
		resp, body := m.do(http.MethodPost, tokensPath, "Bearer "+jwtString, "")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("minting: %s %s", resp.Status, body)
		}
		var tok struct{ Token string }
		_ = json.Unmarshal(body, &tok)
		return tok.Token
	}
	first := mint()
	const listing = "/orgs/octo-org/secret-scanning/alerts?per_page=1"
	steps := []struct {
		name, authorization, path string
		advance                   time.Duration
		status                    int
		message, used             string
	}{
		{"fresh token works", "token " + first, listing, 0, http.StatusOK, "", "1"},
		{"Bearer works too", "Bearer " + first, listing, 0, http.StatusOK, "", "2"},
		{"GraphQL takes it", "Bearer " + first, "/graphql", 0, http.StatusOK, "", ""},
		{"an organization without the installation", "token " + first, "/orgs/other-org/secret-scanning/alerts", 0, http.StatusForbidden, msgNotAccessible, ""},
		{"a token never minted", "token ghs_000000000000000000000000000000000000", listing, 0, http.StatusUnauthorized, "Bad credentials", ""},
		{"still valid just before expiry", "token " + first, listing, 30*time.Minute - time.Second, http.StatusOK, "", ""},
		{"expired", "token " + first, listing, time.Second, http.StatusUnauthorized, "Bad credentials", ""},
		{"expired on GraphQL", "token " + first, "/graphql", 0, http.StatusUnauthorized, "Bad credentials", ""},
	}
	for _, st := range steps {
		m.clock.Add(st.advance)
		method, body := http.MethodGet, ""
		if st.path == "/graphql" {
			method, body = http.MethodPost, `{"query":"query { rateLimit { remaining } }"}`
		}
		resp, b := m.do(method, st.path, st.authorization, body)
		if resp.StatusCode != st.status {
			t.Fatalf("%s: status %s, want %d: %s", st.name, resp.Status, st.status, b)
		}
		if st.message != "" {
			if e := decodeError(t, b); e["message"] != st.message {
				t.Errorf("%s: message %q, want %q", st.name, e["message"], st.message)
			}
		}
		if st.used != "" && resp.Header.Get("X-RateLimit-Used") != st.used {
			t.Errorf("%s: X-RateLimit-Used %s, want %s", st.name, resp.Header.Get("X-RateLimit-Used"), st.used)
		}
	}
	// A new token spends the same installation budget, whose hour has not run out: four
	// REST answers so far (the 403 counts, GraphQL has a budget of its own), this is the fifth.
	m.clock.Add(-30 * time.Minute)
	second := mint()
	if second == first {
		t.Fatal("the same token minted twice")
	}
	resp, _ := m.do(http.MethodGet, listing, "token "+second, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-RateLimit-Used") != "5" {
		t.Errorf("second token: %s, X-RateLimit-Used %s, want the installation's budget (5)", resp.Status, resp.Header.Get("X-RateLimit-Used"))
	}
	if n := m.s.Stats().InstallationTokens; n != 2 {
		t.Errorf("Stats().InstallationTokens = %d, want 2", n)
	}
}

// TestETagsDoNotSurviveATokenRenewal: two installation tokens of one installation share
// its rate-limit budget, but not their ETags.
func TestETagsDoNotSurviveATokenRenewal(t *testing.T) {
	key := testKey(t)
	m := appSim(t, key)
	mint := func() string {
		t.Helper()
		now := m.clock.Now().Unix()
		jwtString := appJWT(t, jwt.SigningMethodRS256, key, jwt.MapClaims{"iss": "4242", "iat": now - 30, "exp": now + 90})
		resp, body := m.do(http.MethodPost, tokensPath, "Bearer "+jwtString, "")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("minting: %s %s", resp.Status, body)
		}
		var tok struct{ Token string }
		_ = json.Unmarshal(body, &tok)
		return tok.Token
	}
	const listing = "/orgs/octo-org/dependabot/alerts?per_page=5"
	m.token = mint()
	resp, _ := m.get(listing)
	etag := resp.Header.Get("ETag")
	if resp, _ := m.get(listing, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("same installation token: %s; want 304", resp.Status)
	}
	m.token = mint()
	if resp, _ := m.get(listing, "If-None-Match", etag); resp.StatusCode != http.StatusOK {
		t.Errorf("renewed installation token with the old ETag: %s; want 200", resp.Status)
	}
}
