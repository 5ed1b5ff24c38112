// Package redact removes secrets from text before it leaves the exporter: the
// configured token, the GitHub App's JWT and installation tokens, the webhook
// secret, and anything shaped like a GitHub credential. Every error text that comes
// from GitHub passes through String before it reaches a log, an error, the overview
// page or a metric; Handler does the same to every log record, as a second line.
package redact

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Mask replaces whatever is removed.
const Mask = "[REDACTED]"

// minSecret is the shortest secret Add registers: shorter strings would mask
// ordinary words.
const minSecret = 6

var (
	mu      sync.RWMutex
	secrets []string // longest first, so that a secret containing another is masked whole
)

// shaped matches credentials by their form: GitHub's token prefixes (classic and
// fine-grained personal, OAuth, user-to-server, server-to-server, refresh), the
// value of a Bearer Authorization, and JWTs (a GitHub App's signed assertion).
var shaped = regexp.MustCompile(`(?i)\b(?:gh[pousr]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,}|v1\.[0-9a-f]{40})` +
	`|\b[Bb][Ee][Aa][Rr][Ee][Rr]\s+[A-Za-z0-9._~+/=-]{8,}` +
	`|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.?[A-Za-z0-9_-]*`)

// Add registers a secret to remove from every text from now on. Empty or very
// short values are ignored. Safe for concurrent use.
func Add(secret string) {
	secret = strings.TrimSpace(secret)
	if len(secret) < minSecret {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(secrets, secret) {
		return
	}
	secrets = append(secrets, secret)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
}

// String returns s with every registered secret and every credential-shaped word
// replaced by Mask.
func String(s string) string {
	mu.RLock()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	mu.RUnlock()
	return shaped.ReplaceAllString(s, Mask)
}

// Error returns err's text redacted; "" for nil.
func Error(err error) string {
	if err == nil {
		return ""
	}
	return String(err.Error())
}
