package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// This file serves the hostile and broken behaviours of FaultKind: what a proxy, a
// GitHub incident or a misbehaving Enterprise Server may answer. None of it is what
// GitHub documents; all of it has been seen on the wire.

var hostileNames = map[FaultKind]string{
	FarFutureReset: "FarFutureReset", UnusableRateLimit: "UnusableRateLimit",
	EndlessEmptyPages: "EndlessEmptyPages", EndlessNewAlerts: "EndlessNewAlerts", EndlessGraphQL: "EndlessGraphQL",
	SlowHeaders: "SlowHeaders", TrickleBody: "TrickleBody", NullBody: "NullBody", TrailingGarbage: "TrailingGarbage",
	NullElements: "NullElements", EchoInMessage: "EchoInMessage", EchoInLink: "EchoInLink",
	TruncatedBody: "TruncatedBody", ResetMidBody: "ResetMidBody", ShortContentLength: "ShortContentLength",
}

// farFuture is how far ahead FarFutureReset puts x-ratelimit-reset.
const farFuture = 10 * 365 * 24 * time.Hour

// endlessSeq numbers the cursors and alerts of the endless faults.
var endlessSeq atomic.Int64

// ClearFaults removes every injected fault, served or not: the server heals.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = nil
}

// applyHostile answers (or marks for a mangled body) a request with a hostile fault;
// it returns true when the request has been answered.
func (c *call) applyHostile(f Fault, st rateState) bool {
	switch f.Kind {
	case FarFutureReset, UnusableRateLimit:
		c.s.countRateLimited()
		st.used = st.limit
		c.w.Header().Set("X-RateLimit-Limit", strconv.Itoa(st.limit))
		c.w.Header().Set("X-RateLimit-Remaining", "0")
		msg := "API rate limit exceeded for user ID " + strconv.FormatInt(userIDOf(c.token), 10) + "."
		body := (&apiErr{status: http.StatusForbidden, message: msg, docURL: docRateLimits}).body(c.ep)
		c.writeRaw(http.StatusForbidden, body, func(h http.Header) {
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Used", strconv.Itoa(st.limit))
			if f.Kind == FarFutureReset {
				h.Set("X-RateLimit-Reset", strconv.FormatInt(c.s.now().Add(farFuture).Unix(), 10))
			} else {
				h.Set("X-RateLimit-Reset", "soon")
			}
		}, st)
		return true
	case EchoInMessage:
		auth := c.r.Header.Get("Authorization")
		if c.ep == nil { // GraphQL
			c.writeRaw(http.StatusOK, gqlBody(nil, []gqlErrorJSON{{Type: "INTERNAL", Message: "could not process " + auth}}), nil, st)
			return true
		}
		body := (&apiErr{status: http.StatusUnprocessableEntity, message: "Validation Failed for Authorization: " + auth}).body(c.ep)
		c.writeRaw(http.StatusUnprocessableEntity, body, nil, st)
		return true
	case EndlessGraphQL:
		if c.ep != nil {
			return false
		}
		body := `{"data":{"organization":{"repositories":{"nodes":[],"pageInfo":{"hasNextPage":true,"endCursor":"endless-` +
			strconv.FormatInt(endlessSeq.Add(1), 10) + `"}}},"rateLimit":null}}`
		c.writeRaw(http.StatusOK, []byte(body), nil, st)
		return true
	case SlowHeaders:
		sleep(c.r, f.Delay)
		return false
	}
	kind := f.Kind
	c.mangle = &kind
	return false
}

// writeRaw writes an answer with the common headers, then lets set change them.
func (c *call) writeRaw(status int, body []byte, set func(http.Header), st rateState) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Request-Id", c.s.requestID())
	st.setHeaders(h)
	if set != nil {
		set(h)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

// writeMangled writes a 200 answer as the fault marked on c asks. It returns false
// when the fault does not change this answer.
func (c *call) writeMangled(body []byte, link string, st rateState) bool {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Request-Id", c.s.requestID())
	st.setHeaders(h)
	if c.ep == nil {
		h.Set("X-RateLimit-Resource", "graphql")
	}
	switch *c.mangle {
	case NullBody:
		body = []byte("null")
	case TrailingGarbage:
		body = append(append([]byte{}, body...), " GARBAGE"...)
	case NullElements:
		if len(body) < 2 || body[0] != '[' {
			return false
		}
		rest := string(body[1:])
		if strings.TrimSpace(rest) != "]" {
			rest = "," + rest
		}
		body = []byte("[null" + rest)
	case EchoInLink:
		link = `<` + c.base.api + c.r.URL.Path + `>; rel="next", ` + c.r.Header.Get("Authorization")
	case EndlessEmptyPages:
		body, link = []byte("[]"), c.endlessLink()
	case EndlessNewAlerts:
		body, link = c.endlessAlerts(), c.endlessLink()
	case TruncatedBody:
		c.w.WriteHeader(http.StatusOK) // chunked: no Content-Length
		_, _ = c.w.Write(body[:len(body)/2])
		http.NewResponseController(c.w).Flush()
		panic(http.ErrAbortHandler) // breaks the chunked stream off
	case ResetMidBody:
		h.Set("Content-Length", strconv.Itoa(len(body)))
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(body[:len(body)/2])
		http.NewResponseController(c.w).Flush()
		resetConnection(c.w)
		return true
	case ShortContentLength:
		if link != "" {
			h.Set("Link", link)
		}
		h.Set("Content-Length", strconv.Itoa(len(body)+100))
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(body)
		return true
	case TrickleBody:
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(body[:min(len(body), 8)])
		http.NewResponseController(c.w).Flush()
		<-c.r.Context().Done()
		return true
	default:
		return false
	}
	if link != "" {
		h.Set("Link", link)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
	return true
}

// endlessLink is a next link to the requested path with a cursor never seen before.
func (c *call) endlessLink() string {
	q := c.r.URL.Query()
	q.Del("page")
	q.Set("after", "endless-"+strconv.FormatInt(endlessSeq.Add(1), 10))
	return "<" + c.base.api + strings.TrimPrefix(c.r.URL.Path, c.s.prefix) + "?" + q.Encode() + `>; rel="next"`
}

// endlessAlerts are two alerts never seen before, open, in a repository of their own.
func (c *call) endlessAlerts() []byte {
	n := 1_000_000 + 2*endlessSeq.Add(1)
	at := c.s.now().UTC().Format(time.RFC3339)
	alert := func(num int64) string {
		return fmt.Sprintf(`{"number":%d,"state":"open","created_at":%q,"updated_at":%q,"repository":{"id":999999,"name":"endless","full_name":"endless/endless","url":%q}}`,
			num, at, at, c.base.api+"/repos/endless/endless")
	}
	return []byte("[" + alert(n) + "," + alert(n+1) + "]")
}
