package githubapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/github-security-exporter/github-security-exporter/internal/redact"
)

// NewAppTransport returns a RoundTripper that authenticates as the installation of a
// GitHub App: it signs a JWT with the App's private key, exchanges it for an installation
// token at POST {apiURL}/app/installations/{id}/access_tokens (through base, directly), and
// renews the token a minute before it expires, so a collection longer than the token's
// hour never fails half way. Put it under a Transport, as a TokenTransport would be, so
// that REST and GraphQL requests alike are paced, retried and counted.
//
// apiURL is the REST base (https://api.github.com/ or https://HOST/api/v3/). Neither the
// key nor a token ever appears in an error.
//
// The key file is read again when it changes (a rotated key, a Kubernetes Secret
// update), so key rotation needs no restart; a changed file that holds no usable key
// is logged and the previous key kept.
func NewAppTransport(base http.RoundTripper, apiURL string, appID, installationID int64, keyFile string, logger *slog.Logger) (http.RoundTripper, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &appKeyTransport{keyFile: keyFile, logger: logger, build: func() (http.RoundTripper, error) {
		if err := CheckAppKey(keyFile); err != nil {
			return nil, err
		}
		t, err := ghinstallation.NewKeyFromFile(base, appID, installationID, keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the GitHub App private key from %s: not a PEM-encoded RSA private key", keyFile)
		}
		t.BaseURL = strings.TrimRight(apiURL, "/")
		return &redactingApp{Transport: t}, nil
	}}
	a.seen, _ = os.Stat(keyFile)
	var err error
	if a.current, err = a.build(); err != nil {
		return nil, err
	}
	return a, nil
}

// appKeyTransport is the installation transport of the App's current key.
type appKeyTransport struct {
	keyFile string
	logger  *slog.Logger
	build   func() (http.RoundTripper, error)

	mu      sync.Mutex
	current http.RoundTripper
	seen    os.FileInfo // of the key file current was built from
}

func (a *appKeyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return a.transport().RoundTrip(req)
}

// transport returns the installation transport, built again from the key file
// if the file changed since.
func (a *appKeyTransport) transport() http.RoundTripper {
	a.mu.Lock()
	defer a.mu.Unlock()
	info, err := os.Stat(a.keyFile)
	if err != nil || sameFile(info, a.seen) {
		return a.current
	}
	a.seen = info
	t, err := a.build()
	if err != nil {
		a.logger.Warn("keeping the previous github app private key", "err", err)
		return a.current
	}
	a.current = t
	a.logger.Info("github app private key file changed: using the new key", "file", a.keyFile)
	return a.current
}

// redactingApp registers each installation token with the redactor before it is used,
// so that a server echoing it finds it removed from every log and page (ghs_ tokens
// are also removed by their shape; the App's JWT by its shape).
type redactingApp struct{ *ghinstallation.Transport }

func (a *redactingApp) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, err := a.Token(req.Context()); err == nil {
		redact.Add(tok)
	}
	return a.Transport.RoundTrip(req)
}

// CheckAppKey reports whether keyFile can be read and holds a PEM-encoded RSA private key
// (PKCS #1, as GitHub hands it out, or PKCS #8). Its errors name the file, never its content.
func CheckAppKey(keyFile string) error {
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("reading the GitHub App private key: %w", err)
	}
	if _, err := jwt.ParseRSAPrivateKeyFromPEM(pem); err != nil {
		return fmt.Errorf("the GitHub App private key in %s is not a PEM-encoded RSA private key", keyFile)
	}
	return nil
}
