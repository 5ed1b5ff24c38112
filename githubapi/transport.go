package githubapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// TransportOptions configure a Transport. Zero values take the defaults given.
type TransportOptions struct {
	Base http.RoundTripper // nil: http.DefaultTransport

	// RequestsPerSecond paces requests (default 4, i.e. 240/min, well under
	// GitHub's 900 points/min per endpoint); Burst defaults to 1.
	RequestsPerSecond float64
	Burst             int

	// Reserve (default 100; negative: off): when the last x-ratelimit-remaining
	// seen for a resource is <= Reserve and its reset is ahead, the next request
	// for that resource waits until the reset.
	Reserve int

	// MaxRetries (default 5; negative: none) bounds the retries of one request.
	MaxRetries int
	// RetryBaseDelay (default 1s) is the first backoff after a 5xx or network
	// error, doubled per retry, full jitter, capped at a minute.
	RetryBaseDelay time.Duration
	// SecondaryBaseDelay (default 60s) is the first backoff after a secondary
	// rate limit that names no wait, doubled per retry, with jitter.
	SecondaryBaseDelay time.Duration
	// MaxWait (default 65m): a wait the server asks for beyond this fails the
	// request instead of hanging.
	MaxWait time.Duration

	// BodyTimeout (default 2m) is the time allowed to read a 2xx answer's body once
	// its headers arrived; MaxBodyBytes (default 32 MiB) bounds what is read of it.
	// The transport reads the body before it returns the answer, so a body cut short
	// (unexpected EOF, a reset mid-body, fewer bytes than Content-Length) is retried
	// like any network error, within MaxRetries.
	BodyTimeout  time.Duration
	MaxBodyBytes int64
	// RateLimitURL is GitHub's GET /rate_limit, which does not count against the rate
	// limit; "" derives it from each request's URL (https://HOST/rate_limit, or
	// https://HOST/api/v3/rate_limit for Enterprise Server paths under /api/).
	RateLimitURL string

	Metrics *Metrics
	Logger  *slog.Logger // nil: discard

	Now   func() time.Time                                 // test hook; default time.Now
	Sleep func(ctx context.Context, d time.Duration) error // test hook; default: a timer that gives up when ctx ends
}

// Transport is the http.RoundTripper through which every GitHub request goes:
// it paces requests, keeps a reserve of the primary rate limit, retries rate
// limits, 5xx answers and network errors, and records the API-usage metrics.
// It is safe for concurrent use; use one per token, shared by every org and
// source (REST and GraphQL). Label requests with WithEndpoint.
type Transport struct {
	opts    TransportOptions
	limiter *rate.Limiter

	mu      sync.Mutex
	limits  map[string]rateHeaders // by resource: the last remaining and reset seen
	checked time.Time              // when GET /rate_limit was last asked
}

// NewTransport returns a Transport with o's zero values defaulted.
func NewTransport(o TransportOptions) *Transport {
	if o.Base == nil {
		o.Base = http.DefaultTransport
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 4
	}
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Reserve == 0 {
		o.Reserve = 100
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
	o.MaxRetries = max(o.MaxRetries, 0)
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = time.Second
	}
	if o.SecondaryBaseDelay <= 0 {
		o.SecondaryBaseDelay = time.Minute
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 65 * time.Minute
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = 2 * time.Minute
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	o.Metrics.setReserve(o.Reserve)
	return &Transport{
		opts:    o,
		limiter: rate.NewLimiter(rate.Limit(o.RequestsPerSecond), o.Burst),
		limits:  map[string]rateHeaders{},
	}
}

// RoundTrip sends req, retrying as GitHub's rate-limit rules and transient failures ask.
// After the retries are used up it returns the last response, or an error saying so.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	endpoint := endpointFrom(ctx)
	resource := resourceOf(endpoint, req)
	for retries := 0; ; retries++ {
		if err := t.beforeRequest(ctx, req, endpoint, resource); err != nil {
			if retries == 0 && req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
		attempt, err := replay(req, retries)
		if err != nil {
			return nil, err
		}
		resp, err := t.send(attempt, endpoint, resource)
		r, ok := t.classify(req, resp, err, retries)
		if !ok || !replayable(req) {
			return resp, err
		}
		if err := t.checkRetry(ctx, endpoint, r, retries, err); err != nil {
			discard(resp)
			return nil, err
		}
		if retries == t.opts.MaxRetries {
			t.opts.Logger.Warn("giving up on github request", "endpoint", endpoint, "status", statusOf(resp), "retries", retries)
			return resp, nil
		}
		discard(resp)
		t.logRetry(endpoint, resp, err, r, retries+1)
		t.opts.Metrics.observeRetry(endpoint, r.reason)
		if err := t.pause(ctx, r.wait, r.reason); err != nil {
			return nil, err
		}
	}
}

func (t *Transport) logRetry(endpoint string, resp *http.Response, err error, r retry, retry int) {
	args := []any{"endpoint", endpoint, "status", statusOf(resp), "reason", r.reason, "wait", r.wait,
		"retry", retry, "max_retries", t.opts.MaxRetries}
	if err != nil {
		args = append(args, "err", err)
	}
	t.opts.Logger.Warn("retrying github request", args...)
}

// checkRetry returns the error that ends the request instead of a retry: ctx
// done, a wait asked beyond MaxWait, retries used up after a transport error.
func (t *Transport) checkRetry(ctx context.Context, endpoint string, r retry, retries int, sendErr error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.asked && r.wait > t.opts.MaxWait {
		return fmt.Errorf("%s: github asked to wait %s (%s), longer than the maximum wait %s", endpoint, r.wait, r.reason, t.opts.MaxWait)
	}
	if sendErr != nil && retries == t.opts.MaxRetries {
		return fmt.Errorf("giving up after %d retries: %w", retries, sendErr)
	}
	return nil
}

// beforeRequest paces the request and, when the resource's rate limit is down to
// the reserve, first asks GET /rate_limit whether that is still so (a remembered
// limit may be stale, or may have come from a broken answer), then waits for the reset.
func (t *Transport) beforeRequest(ctx context.Context, req *http.Request, endpoint, resource string) error {
	if err := t.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("pacing github requests: %w", err)
	}
	if t.opts.Reserve < 0 {
		return nil
	}
	d, last := t.untilReset(resource)
	if d <= 0 {
		return nil
	}
	if t.recheck(ctx, req.URL) {
		if d, last = t.untilReset(resource); d <= 0 {
			return nil
		}
	}
	d += resetMargin
	if d > t.opts.MaxWait {
		return fmt.Errorf("%s: %s rate limit down to %d, reset in %s is beyond the maximum wait %s", endpoint, resource, last.remaining, d, t.opts.MaxWait)
	}
	t.opts.Logger.Warn("pausing until github rate limit reset", "endpoint", endpoint, "resource", resource, "remaining", last.remaining, "wait", d)
	return t.pause(ctx, d, reasonReserve)
}

// untilReset returns how long until the reset of resource's rate limit when what is
// left of it is down to the reserve, else 0.
func (t *Transport) untilReset(resource string) (time.Duration, rateHeaders) {
	t.mu.Lock()
	last, seen := t.limits[resource]
	t.mu.Unlock()
	if !seen || last.remaining > t.opts.Reserve {
		return 0, last
	}
	return last.reset.Sub(t.opts.Now()), last
}

// send makes one attempt and records it. The body of a 2xx answer is read here, within
// BodyTimeout, so that a body that breaks off is an error of the attempt.
func (t *Transport) send(req *http.Request, endpoint, resource string) (*http.Response, error) {
	start := t.opts.Now()
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := t.opts.Base.RoundTrip(req.WithContext(ctx))
	code := "error"
	if err == nil {
		rh := parseRateHeaders(resp.Header, resource, start)
		t.opts.Metrics.observeHeaders(rh.resource, rh)
		t.remember(rh)
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			err = t.readBody(req.Context(), resp, cancel)
		} else {
			resp.Body = &cancelingBody{ReadCloser: resp.Body, cancel: cancel}
		}
	} else {
		cancel()
	}
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	} else {
		resp = nil
	}
	t.opts.Metrics.observeRequest(endpoint, code, t.opts.Now().Sub(start))
	return resp, err
}

// readBody replaces resp's body by its bytes, read within BodyTimeout. A body larger
// than MaxBodyBytes is left partly unread, for the caller's own limit to refuse it.
func (t *Transport) readBody(ctx context.Context, resp *http.Response, cancel context.CancelFunc) error {
	timer := time.AfterFunc(t.opts.BodyTimeout, cancel)
	body, err := io.ReadAll(io.LimitReader(resp.Body, t.opts.MaxBodyBytes+1))
	fired := !timer.Stop()
	if err != nil {
		resp.Body.Close()
		cancel()
		if fired && ctx.Err() == nil {
			return fmt.Errorf("reading response body: took longer than %s", t.opts.BodyTimeout)
		}
		return fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(body)) > t.opts.MaxBodyBytes {
		rest := &cancelingBody{ReadCloser: resp.Body, cancel: cancel}
		resp.Body = &peekedBody{head: body, Reader: io.MultiReader(bytes.NewReader(body), rest), Closer: rest}
		return nil
	}
	resp.Body.Close()
	cancel()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return nil
}

// cancelingBody ends the attempt's context when the caller closes the body.
type cancelingBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func (t *Transport) remember(rh rateHeaders) {
	if !rh.hasRemaining || !rh.hasReset {
		return
	}
	t.mu.Lock()
	t.limits[rh.resource] = rh
	t.mu.Unlock()
}

// pause sleeps d (honouring ctx and the wait budget ctx may carry) and counts the
// time paused, by reason.
func (t *Transport) pause(ctx context.Context, d time.Duration, reason string) error {
	if d <= 0 {
		return ctx.Err()
	}
	if err := takeWait(ctx, d); err != nil {
		return err
	}
	start := t.opts.Now()
	err := t.opts.Sleep(ctx, d)
	if err != nil {
		d = min(t.opts.Now().Sub(start), d)
	}
	t.opts.Metrics.observeWait(d, reason)
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// resourceOf names the rate-limit resource a request counts against.
func resourceOf(endpoint string, req *http.Request) string {
	if endpoint == "graphql" || strings.HasSuffix(req.URL.Path, "/graphql") {
		return "graphql"
	}
	return "core"
}

// replayable reports whether req can be sent again: no body, or a body GetBody recreates.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// replay returns the request for an attempt: req itself first, then clones with a fresh body.
func replay(req *http.Request, retries int) (*http.Request, error) {
	if retries == 0 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("replaying request body: %w", err)
		}
		r.Body = body
	}
	return r, nil
}

// discard drains (a little) and closes a response that will not reach the caller,
// so the connection can be reused.
func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, peekLimit))
	resp.Body.Close()
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "error"
	}
	return strconv.Itoa(resp.StatusCode)
}
