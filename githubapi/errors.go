package githubapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/github-security-exporter/github-security-exporter/internal/redact"
)

// maxMessageBytes bounds StatusError.Message.
const maxMessageBytes = 200

// StatusError is a non-2xx answer from GitHub, after the transport's retries.
type StatusError struct {
	StatusCode int
	Message    string // GitHub's JSON "message", at most 200 bytes, control characters stripped
	Endpoint   string
	Method     string // "" reads as GET
	// RateLimited is set when the answer was a rate limit (retry-after,
	// x-ratelimit-remaining: 0, 429 or a secondary-limit message), not a refusal.
	RateLimited bool
}

// Error reads like `GET /orgs/{org}/dependabot/alerts: 403 Forbidden: Advanced Security must be enabled for this repository`.
func (e *StatusError) Error() string {
	method := e.Method
	if method == "" {
		method = http.MethodGet
	}
	s := fmt.Sprintf("%s %s: %d %s", method, e.Endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// NewStatusError builds a StatusError from resp, reading at most 64 KiB of its
// body for GitHub's message. It does not close the body.
func NewStatusError(endpoint string, resp *http.Response) *StatusError {
	e := &StatusError{StatusCode: resp.StatusCode, Endpoint: endpoint}
	if resp.Request != nil {
		e.Method = resp.Request.Method
	}
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
		e.RateLimited = isRateLimited(resp)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &msg) == nil {
		e.Message = cleanMessage(msg.Message)
	}
	return e
}

// cleanMessage strips control characters and secrets (redact.String: a server may echo
// the Authorization header) and cuts s to maxMessageBytes on a rune boundary.
func cleanMessage(s string) string {
	s = redact.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= maxMessageBytes {
		return s
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// IsNotAvailable reports whether err means the feature is not enabled or not
// permitted: a 403 that is not a rate limit, 404, 410 or 451. Callers report
// that as "not available", which is not the same as "zero alerts".
func IsNotAvailable(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch se.StatusCode {
	case http.StatusForbidden:
		return !se.RateLimited
	case http.StatusNotFound, http.StatusGone, http.StatusUnavailableForLegalReasons:
		return true
	}
	return false
}
