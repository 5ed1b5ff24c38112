package githubsim

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// anonymousLimit is GitHub's primary limit for unauthenticated requests.
const anonymousLimit = 60

// rateLimiter keeps GitHub's primary rate limit: a budget of requests per
// token for an hour-long window that starts with the token's first request.
// Unauthenticated requests share the anonymous budget.
type rateLimiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	buckets map[string]*bucket
	limits  map[string]int // principals with a limit of their own (App installations)
}

type bucket struct {
	used  int
	reset time.Time
}

// rateState is what the x-ratelimit-* headers report.
type rateState struct {
	limit, used int
	reset       time.Time
}

func newRateLimiter(limit int, window time.Duration) *rateLimiter {
	if window <= 0 {
		window = time.Hour
	}
	return &rateLimiter{limit: limit, window: window, buckets: map[string]*bucket{}, limits: map[string]int{}}
}

// setLimit gives a principal a limit of its own.
func (l *rateLimiter) setLimit(principal string, limit int) {
	l.mu.Lock()
	l.limits[principal] = limit
	l.mu.Unlock()
}

// exhaust spends a principal's whole budget until resetIn from now.
func (l *rateLimiter) exhaust(principal string, now time.Time, resetIn time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, limit := l.bucket(principal, now)
	l.buckets[principal] = &bucket{used: limit, reset: now.Add(resetIn).Truncate(time.Second)}
}

func (l *rateLimiter) bucket(token string, now time.Time) (*bucket, int) {
	limit := l.limit
	if token == "" {
		limit = anonymousLimit
	}
	if own, ok := l.limits[token]; ok {
		limit = own
	}
	b := l.buckets[token]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{reset: now.Truncate(time.Second).Add(l.window)}
		l.buckets[token] = b
	}
	return b, limit
}

// take charges one request; ok is false when the budget is exhausted.
func (l *rateLimiter) take(token string, now time.Time) (rateState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, limit := l.bucket(token, now)
	if b.used >= limit {
		return rateState{limit, limit, b.reset}, false
	}
	b.used++
	return rateState{limit, b.used, b.reset}, true
}

// check reports the budget without charging it; ok is false when exhausted.
func (l *rateLimiter) check(token string, now time.Time) (rateState, bool) {
	st := l.peek(token, now)
	return st, st.used < st.limit
}

func (l *rateLimiter) peek(token string, now time.Time) rateState {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, limit := l.bucket(token, now)
	return rateState{limit, min(b.used, limit), b.reset}
}

func (st rateState) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(st.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(st.limit-st.used))
	h.Set("X-RateLimit-Used", strconv.Itoa(st.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(st.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// userIDOf is the simulated user id behind a token, for error messages. The
// token itself never appears in a response.
func userIDOf(token string) int64 {
	h := fnv.New64a()
	h.Write([]byte(token))
	return int64(h.Sum64()%90_000_000) + 1_000_000
}

// getRateLimit serves GET /rate_limit: the caller's budget of each resource, which, as
// on GitHub, the request itself does not count against. Injected faults do not apply:
// it is how a client re-checks a limit a broken answer claimed.
func (s *Server) getRateLimit(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(w, r, nil)
	if _, ok := credentials(r); !ok {
		c.unauthorized()
		return
	}
	now := s.now()
	type resource struct {
		Limit     int   `json:"limit"`
		Used      int   `json:"used"`
		Remaining int   `json:"remaining"`
		Reset     int64 `json:"reset"`
	}
	of := func(st rateState) resource {
		return resource{Limit: st.limit, Used: st.used, Remaining: st.limit - st.used, Reset: st.reset.Unix()}
	}
	core := s.limits.peek(c.token, now)
	body := encodeJSON(struct {
		Resources map[string]resource `json:"resources"`
		Rate      resource            `json:"rate"`
	}{map[string]resource{"core": of(core), "graphql": of(s.graphqlLimits.peek(c.token, now))}, of(core)})
	c.write(http.StatusOK, body, core)
}
