package githubsim

import (
	"net/http"
	"strings"
	"sync"
)

// revokedTokens are personal access tokens their owner has revoked (or that
// expired): GitHub answers every request carrying one with 401 "Bad
// credentials", REST and GraphQL alike, as it does for a token it never
// issued. Any other token is accepted, as before.
type revokedTokens struct {
	mu  sync.Mutex
	set map[string]bool
}

// RevokeToken makes every later request with token answer 401 "Bad credentials",
// as after its owner revokes it on GitHub (token rotation, a leaked token).
func (s *Server) RevokeToken(token string) {
	s.revoked.mu.Lock()
	defer s.revoked.mu.Unlock()
	if s.revoked.set == nil {
		s.revoked.set = map[string]bool{}
	}
	s.revoked.set[token] = true
}

// rejectRevokedToken answers 401 to a request with a revoked token and reports whether it did.
func (s *Server) rejectRevokedToken(w http.ResponseWriter, r *http.Request) bool {
	token, ok := credentials(r)
	if !ok {
		return false
	}
	s.revoked.mu.Lock()
	revoked := s.revoked.set[token]
	s.revoked.mu.Unlock()
	if !revoked {
		return false
	}
	doc := docREST
	if strings.HasSuffix(r.URL.Path, "/graphql") {
		doc = docGraphQL
	}
	c := s.newCall(w, r, nil)
	c.write(http.StatusUnauthorized, (&apiErr{status: http.StatusUnauthorized, message: "Bad credentials", docURL: doc}).body(nil), s.limits.peek("", s.now()))
	return true
}
