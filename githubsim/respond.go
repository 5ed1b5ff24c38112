package githubsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
)

const (
	docREST           = "https://docs.github.com/rest"
	docCodeScanning   = "https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-alerts-for-an-organization"
	docDependabot     = "https://docs.github.com/rest/dependabot/alerts#list-dependabot-alerts-for-an-organization"
	docSecretScanning = "https://docs.github.com/rest/secret-scanning/secret-scanning#list-secret-scanning-alerts-for-an-organization"
	docRateLimits     = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	docSecondary      = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

	apiVersion = "2022-11-28"
)

// apiErr is an error answer: GitHub's {"message", "errors", "documentation_url", "status"}.
type apiErr struct {
	status  int
	message string
	errors  []fieldError
	docURL  string // "" → the endpoint's documentation
}

type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Value    string `json:"value,omitempty"`
}

func notFound() *apiErr {
	return &apiErr{status: http.StatusNotFound, message: "Not Found", docURL: docREST}
}

func badRequest(msg string) *apiErr {
	return &apiErr{status: http.StatusBadRequest, message: msg}
}

// invalid is the 422 GitHub answers for a parameter outside its enum.
func invalid(resource, field, value string) *apiErr {
	return &apiErr{
		status:  http.StatusUnprocessableEntity,
		message: "Validation Failed",
		errors:  []fieldError{{Resource: resource, Field: field, Code: "invalid", Value: value}},
	}
}

func (e *apiErr) body(ep *endpoint) []byte {
	doc := e.docURL
	if doc == "" && ep != nil {
		doc = ep.docURL
	}
	if doc == "" {
		doc = docREST
	}
	return encodeJSON(struct {
		Message string       `json:"message"`
		Errors  []fieldError `json:"errors,omitempty"`
		DocURL  string       `json:"documentation_url"`
		Status  string       `json:"status"`
	}{e.message, e.errors, doc, strconv.Itoa(e.status)})
}

// fail answers with an error body; it counts against the rate limit like any
// answered request.
func (c *call) fail(e *apiErr) {
	c.send(e.status, e.body(c.ep), "")
}

// send charges the request to the caller's rate-limit budget and writes the
// answer. A 200 carries an ETag; a matching If-None-Match gets 304 Not
// Modified, which GitHub does not charge.
func (c *call) send(status int, body []byte, link string) {
	now := c.s.now()
	h := c.w.Header()
	var etag string
	if status == http.StatusOK && !c.truncate && c.mangle == nil {
		credential, _ := credentials(c.r) // the token itself, not the installation it stands for
		etag = etagOf(credential, body, link)
		if etagMatches(c.r.Header.Get("If-None-Match"), etag) {
			h.Set("ETag", etag)
			c.write(http.StatusNotModified, nil, c.s.limits.peek(c.token, now))
			return
		}
	}
	st, ok := c.s.limits.take(c.token, now)
	if !ok {
		c.rateLimitExceeded(st)
		return
	}
	if etag != "" {
		h.Set("ETag", etag)
	}
	if link != "" {
		h.Set("Link", link)
	}
	if c.truncate && status == http.StatusOK {
		body = body[:len(body)/2]
	}
	if c.mangle != nil && status == http.StatusOK && c.writeMangled(body, link, st) {
		return
	}
	c.write(status, body, st)
}

// write sets the headers every GitHub answer carries and writes the body.
func (c *call) write(status int, body []byte, st rateState) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", apiVersion)
	h.Set("X-GitHub-Request-Id", c.s.requestID())
	st.setHeaders(h)
	if body != nil {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	c.w.WriteHeader(status)
	if body != nil && c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

func (c *call) rateLimitExceeded(st rateState) {
	c.s.countRateLimited()
	who := "user ID " + strconv.FormatInt(userIDOf(c.token), 10)
	if c.token == "" {
		who = clientIP(c.r)
	}
	msg := fmt.Sprintf("API rate limit exceeded for %s. If you reach out to GitHub Support for help, please include the request ID %s.", who, c.s.requestID())
	c.write(http.StatusForbidden, (&apiErr{status: http.StatusForbidden, message: msg, docURL: docRateLimits}).body(c.ep), st)
}

func (s *Server) requestID() string {
	n := s.requestSeq.Add(1)
	return fmt.Sprintf("%04X:%06X:%07X:%07X:%08X", uint16(s.cfg.Seed), n%0xFFFFFF, (n*7919)%0xFFFFFFF, (n*104729)%0xFFFFFFF, n)
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// etagOf is a weak validator of a page: its body and links, as seen by one token.
// GitHub's ETags are specific to the credential (its answers vary on Authorization), so
// a GitHub App's installation token, renewed every hour, finds none of the validators
// of the token before it matching. No Last-Modified is sent: GitHub's reference pages
// for the alert listings document none.
func etagOf(token string, body []byte, link string) string {
	sum := crc32.Update(crc32.Checksum(body, castagnoli), castagnoli, []byte(link))
	sum = crc32.Update(sum, castagnoli, []byte(token))
	return fmt.Sprintf(`W/"%08x%08x"`, sum, len(body))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	bare := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == bare {
			return true
		}
	}
	return false
}

// encodeJSON encodes v as GitHub does: no HTML escaping, no trailing newline.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("githubsim: encoding response: %v", err)) // our own types always encode
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
