package githubapi

import "net/http"

// TokenTransport sets "Authorization: Bearer <Token>" on each request, or the
// token of Source when set (a FileToken follows a rotated token file). It never
// logs or reports the token. Put it under a Transport, so that retries carry it too.
type TokenTransport struct {
	Token  string
	Source TokenSource       // nil: Token
	Base   http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip sends a clone of req carrying the token; req itself is not modified.
func (t *TokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	token := t.Token
	if t.Source != nil {
		token = t.Source.Token()
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return base.RoundTrip(r)
}
