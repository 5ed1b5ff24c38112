package githubapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// recheckEvery bounds how often GET /rate_limit is asked.
const recheckEvery = time.Minute

// rateLimitEndpoint labels the GET /rate_limit requests in the API-usage metrics.
const rateLimitEndpoint = "/rate_limit"

// recheck asks GitHub's GET /rate_limit, which does not count against the rate limit,
// for the budget of every resource, and remembers what it says in place of what was
// remembered. It asks at most once a minute and reports whether it got an answer.
// Enterprise Server without rate limits answers 404: nothing is remembered then.
func (t *Transport) recheck(ctx context.Context, reqURL *url.URL) bool {
	now := t.opts.Now()
	t.mu.Lock()
	if !t.checked.IsZero() && now.Sub(t.checked) < recheckEvery {
		t.mu.Unlock()
		return false
	}
	t.checked = now
	t.mu.Unlock()
	limits, err := t.askRateLimit(ctx, reqURL)
	if err != nil {
		t.opts.Logger.Warn("asking github for the rate limit failed", "err", err)
		return false
	}
	t.mu.Lock()
	t.limits = map[string]rateHeaders{}
	for _, rh := range limits {
		t.limits[rh.resource] = rh
	}
	t.mu.Unlock()
	for _, rh := range limits {
		t.opts.Metrics.observeHeaders(rh.resource, rh)
	}
	return true
}

// askRateLimit sends GET /rate_limit and decodes its resources.
func (t *Transport) askRateLimit(ctx context.Context, reqURL *url.URL) ([]rateHeaders, error) {
	req, err := http.NewRequestWithContext(WithEndpoint(ctx, rateLimitEndpoint), http.MethodGet, t.rateLimitURL(reqURL), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := t.send(req, rateLimitEndpoint, "core")
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rateLimitEndpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil // rate limiting is not enabled (Enterprise Server)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, NewStatusError(rateLimitEndpoint, resp)
	}
	var body struct {
		Resources map[string]struct {
			Limit     *int   `json:"limit"`
			Remaining *int   `json:"remaining"`
			Reset     *int64 `json:"reset"`
		} `json:"resources"`
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, fmt.Errorf("GET %s: decoding: %w", rateLimitEndpoint, err)
	}
	if len(body.Resources) == 0 {
		return nil, errors.New("GET /rate_limit: no resources in the answer")
	}
	now := t.opts.Now()
	var out []rateHeaders
	for name, r := range body.Resources {
		if r.Limit == nil || r.Remaining == nil || r.Reset == nil || *r.Remaining < 0 {
			continue
		}
		reset := time.Unix(*r.Reset, 0)
		if reset.After(now.Add(maxResetAhead)) {
			continue
		}
		out = append(out, rateHeaders{resource: name, limit: *r.Limit, remaining: *r.Remaining, reset: reset,
			hasLimit: true, hasRemaining: true, hasReset: true})
	}
	return out, nil
}

// rateLimitURL is RateLimitURL, or GET /rate_limit on the host of reqURL.
func (t *Transport) rateLimitURL(reqURL *url.URL) string {
	if t.opts.RateLimitURL != "" {
		return t.opts.RateLimitURL
	}
	u := url.URL{Scheme: reqURL.Scheme, Host: reqURL.Host, Path: "/rate_limit"}
	if strings.HasPrefix(reqURL.Path, "/api/") {
		u.Path = "/api/v3/rate_limit"
	}
	return u.String()
}

// ErrWaitBudget is the error of a request that would wait beyond the wait budget of
// its collection (WithWaitBudget).
var ErrWaitBudget = errors.New("wait budget of the collection used up")

type waitBudgetKey struct{}

type waitBudget struct {
	mu          sync.Mutex
	total, left time.Duration
}

// WithWaitBudget bounds the total time the requests made with ctx may spend paused for
// rate limits and retry backoff: a pause that would go beyond it fails its request
// with ErrWaitBudget instead, so one collection's trouble delays the others by at most d.
func WithWaitBudget(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, waitBudgetKey{}, &waitBudget{total: d, left: d})
}

// takeWait draws d from ctx's wait budget, if it has one.
func takeWait(ctx context.Context, d time.Duration) error {
	b, ok := ctx.Value(waitBudgetKey{}).(*waitBudget)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if d > b.left {
		return fmt.Errorf("%w: a wait of %s would go beyond the %s a collection may wait (%s left)", ErrWaitBudget, d.Round(time.Millisecond), b.total, b.left.Round(time.Millisecond))
	}
	b.left -= d
	return nil
}
