package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Retry reasons, the values of the reason label.
const (
	reasonSecondary = "secondary_rate_limit"
	reasonPrimary   = "primary_rate_limit"
	reasonServer    = "server_error"
	reasonNetwork   = "network"
	// reasonReserve is not a retry: the wait before a request while the rate limit is
	// down to the reserve (a value of the backoff metric's reason label only).
	reasonReserve = "rate_limit_reserve"
)

const (
	// peekLimit bounds how much of a 403/429 body is read to tell a rate limit from a refusal.
	peekLimit = 64 << 10
	// maxServerDelay caps the backoff after 5xx answers and network errors.
	maxServerDelay = time.Minute
	// maxSecondaryDelay caps the backoff after a secondary rate limit without a wait given.
	maxSecondaryDelay = 30 * time.Minute
	// resetMargin is added to x-ratelimit-reset against clock skew.
	resetMargin = time.Second
	// maxResetAhead: GitHub's primary rate-limit window is an hour, so a reset further
	// ahead than this is malformed and read as absent, never obeyed.
	maxResetAhead = 65 * time.Minute
)

// rateHeaders are the x-ratelimit-* values of one response; has* tells which were present and valid.
type rateHeaders struct {
	resource                         string
	limit, remaining                 int
	reset                            time.Time
	hasLimit, hasRemaining, hasReset bool
}

// parseRateHeaders reads the x-ratelimit-* headers of an answer received at now.
func parseRateHeaders(h http.Header, defaultResource string, now time.Time) rateHeaders {
	r := rateHeaders{resource: strings.TrimSpace(h.Get("X-Ratelimit-Resource"))}
	if r.resource == "" {
		r.resource = defaultResource
	}
	r.limit, r.hasLimit = headerInt(h, "X-Ratelimit-Limit")
	r.remaining, r.hasRemaining = headerInt(h, "X-Ratelimit-Remaining")
	if sec, ok := headerInt(h, "X-Ratelimit-Reset"); ok {
		r.reset = time.Unix(int64(sec), 0)
		r.hasReset = !r.reset.After(now.Add(maxResetAhead))
	}
	return r
}

// headerInt parses a non-negative integer header; anything else is reported absent.
func headerInt(h http.Header, key string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(key)))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// retryAfter parses retry-after as seconds or an HTTP date. Malformed or negative values give ok=false.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
		if sec < 0 {
			return 0, false
		}
		if sec > math.MaxInt64/int64(time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(sec) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// retry is what to do about one failed attempt.
type retry struct {
	reason string
	wait   time.Duration
	asked  bool // the server named the wait (retry-after or reset); MaxWait applies
}

// classify decides whether an attempt of req is retried, and after which wait.
// retries is the number of retries already made.
func (t *Transport) classify(req *http.Request, resp *http.Response, err error, retries int) (retry, bool) {
	if err != nil {
		if req.Context().Err() != nil || !isNetworkError(err) {
			return retry{}, false
		}
		return retry{reason: reasonNetwork, wait: jitterFull(backoff(t.opts.RetryBaseDelay, retries, maxServerDelay))}, true
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retry{reason: reasonServer, wait: jitterFull(backoff(t.opts.RetryBaseDelay, retries, maxServerDelay))}, true
	case http.StatusForbidden, http.StatusTooManyRequests:
		return t.classifyLimited(req, resp, retries)
	}
	return retry{}, false
}

// classifyLimited handles 403 and 429 as GitHub documents: wait retry-after, else
// until x-ratelimit-reset when nothing remains, else back off from a minute if the
// answer is a rate limit at all. Other 403s (permission, feature off) are not retried.
// An exhausted limit without a usable reset is asked of GET /rate_limit.
func (t *Transport) classifyLimited(req *http.Request, resp *http.Response, retries int) (retry, bool) {
	now := t.opts.Now()
	if d, ok := retryAfter(resp.Header, now); ok {
		return retry{reason: reasonSecondary, wait: d, asked: true}, true
	}
	rh := parseRateHeaders(resp.Header, resourceOf(endpointFrom(req.Context()), req), now)
	exhausted := rh.hasRemaining && rh.remaining == 0
	if exhausted && rh.hasReset {
		return retry{reason: reasonPrimary, wait: max(rh.reset.Sub(now), 0) + resetMargin, asked: true}, true
	}
	if exhausted && t.recheck(req.Context(), req.URL) {
		if d, _ := t.untilReset(rh.resource); d > 0 {
			return retry{reason: reasonPrimary, wait: d + resetMargin, asked: true}, true
		}
		// GitHub says the budget is not spent: the answer was wrong, retry soon.
		return retry{reason: reasonPrimary, wait: jitterFull(backoff(t.opts.RetryBaseDelay, retries, maxServerDelay))}, true
	}
	if !isRateLimited(resp) {
		return retry{}, false
	}
	reason := reasonSecondary
	if exhausted {
		reason = reasonPrimary
	}
	capped := min(maxSecondaryDelay, t.opts.MaxWait)
	return retry{reason: reason, wait: jitterUp(backoff(t.opts.SecondaryBaseDelay, retries, capped), capped)}, true
}

// isRateLimited reports whether a 403/429 response is a rate limit rather than a
// refusal: 429, any retry-after (even malformed), nothing remaining, or a
// secondary-limit message. It reads (and keeps) the start of the body.
func isRateLimited(resp *http.Response) bool {
	if resp.StatusCode == http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
		return true
	}
	if rh := parseRateHeaders(resp.Header, "", time.Now()); rh.hasRemaining && rh.remaining == 0 {
		return true
	}
	return mentionsSecondaryLimit(peekBody(resp))
}

func mentionsSecondaryLimit(body []byte) bool {
	msg := string(body)
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		msg = e.Message
	}
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse")
}

// peekBody returns up to peekLimit bytes of the body and leaves the whole body readable.
func peekBody(resp *http.Response) []byte {
	if pb, ok := resp.Body.(*peekedBody); ok {
		return pb.head
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = &peekedBody{head: head, Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	return head
}

type peekedBody struct {
	head []byte
	io.Reader
	io.Closer
}

// backoff is base doubled per retry, capped.
func backoff(base time.Duration, retries int, limit time.Duration) time.Duration {
	d := base
	for i := 0; i < retries && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// jitterFull spreads d over [0, d] ("full jitter").
func jitterFull(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// jitterUp spreads d over [d, 1.5d), never beyond limit: the wait is at least the backoff.
func jitterUp(d, limit time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return min(d+rand.N(d/2), limit)
}

// isNetworkError reports whether err is a transient transport failure worth retrying:
// timeouts (a response-header timeout among them), resets, refused or dropped
// connections, truncated responses. The caller has checked that the request's own
// context is not done: a deadline error here is the transport's timeout, not the caller's.
func isNetworkError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
