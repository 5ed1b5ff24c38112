package githubapi

import "net/http"

// TokenTransport sets "Authorization: Bearer <Token>" on each request. It never
// logs or reports the token. Put it under a Transport, so that retries carry it too.
type TokenTransport struct {
	Token string
	Base  http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip sends a clone of req carrying the token; req itself is not modified.
func (t *TokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.Token)
	return base.RoundTrip(r)
}
