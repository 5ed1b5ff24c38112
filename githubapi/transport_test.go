package githubapi

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	testEndpoint     = "/orgs/{org}/dependabot/alerts"
	secondaryMessage = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`
	notEnabled       = `{"message":"Advanced Security must be enabled for this repository","documentation_url":"https://docs.github.com/rest","status":"403"}`
)

// window is an allowed range for one recorded wait; lo == hi for exact waits.
type window struct{ lo, hi time.Duration }

func exactly(d time.Duration) window { return window{d, d} }

func TestTransportRetries(t *testing.T) {
	ok := reply{body: `[]`}
	tests := []struct {
		name         string
		opts         TransportOptions
		replies      []reply
		wantStatus   int    // 0: an error is expected
		wantErr      string // substring of the error
		wantBody     string // checked when set
		wantRequests int
		wantWaits    []window
		wantReason   string // the reason label of every retry
		rateLimit    *reply // the answer of GET /rate_limit; nil: 404
	}{
		{
			name: "retry-after honoured",
			replies: []reply{
				{status: 403, header: map[string]string{"Retry-After": "7"}, body: secondaryMessage},
				ok,
			},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{exactly(7 * time.Second)}, wantReason: reasonSecondary,
		},
		{
			name: "429 with retry-after",
			replies: []reply{
				{status: 429, header: map[string]string{"Retry-After": "3"}},
				ok,
			},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{exactly(3 * time.Second)}, wantReason: reasonSecondary,
		},
		{
			name: "remaining 0 waits until reset",
			replies: []reply{
				{status: 403, header: map[string]string{
					"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(30 * time.Second),
				}, body: `{"message":"API rate limit exceeded for user ID 1."}`},
				ok,
			},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{exactly(31 * time.Second)}, wantReason: reasonPrimary,
		},
		{
			name: "secondary limit without headers backs off exponentially",
			replies: []reply{
				{status: 403, body: secondaryMessage},
				{status: 403, body: secondaryMessage},
				{status: 403, body: secondaryMessage},
				ok,
			},
			wantStatus: 200, wantRequests: 4, wantReason: reasonSecondary,
			// At least the backoff, under 1.5 times it: the windows do not overlap, so each wait is longer.
			wantWaits: []window{{time.Minute, 90 * time.Second}, {2 * time.Minute, 3 * time.Minute}, {4 * time.Minute, 6 * time.Minute}},
		},
		{
			name: "abuse detection message",
			replies: []reply{
				{status: 403, body: `{"message":"You have triggered an ABUSE detection mechanism."}`},
				ok,
			},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{{time.Minute, 90 * time.Second}}, wantReason: reasonSecondary,
		},
		{
			name:       "429 without headers backs off",
			replies:    []reply{{status: 429}, ok},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{{time.Minute, 90 * time.Second}}, wantReason: reasonSecondary,
		},
		{
			name:       "malformed retry-after falls back to backoff",
			replies:    []reply{{status: 403, header: map[string]string{"Retry-After": "soon"}}, ok},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{{time.Minute, 90 * time.Second}}, wantReason: reasonSecondary,
		},
		{
			name:       "negative retry-after falls back to backoff",
			replies:    []reply{{status: 429, header: map[string]string{"Retry-After": "-5"}}, ok},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{{time.Minute, 90 * time.Second}}, wantReason: reasonSecondary,
		},
		{
			name:       "5xx retried then succeeds",
			replies:    []reply{{status: 500}, {status: 502}, {status: 503}, {status: 504}, ok},
			wantStatus: 200, wantRequests: 5, wantReason: reasonServer,
			wantWaits: []window{{0, time.Second}, {0, 2 * time.Second}, {0, 4 * time.Second}, {0, 8 * time.Second}},
		},
		{
			name:       "give up after MaxRetries with the status visible",
			opts:       TransportOptions{MaxRetries: 2},
			replies:    []reply{{status: 503, body: `{"message":"unavailable"}`}},
			wantStatus: 503, wantBody: `{"message":"unavailable"}`, wantRequests: 3, wantReason: reasonServer,
			wantWaits: []window{{0, time.Second}, {0, 2 * time.Second}},
		},
		{
			name:       "secondary limit given up keeps the body",
			opts:       TransportOptions{MaxRetries: 1},
			replies:    []reply{{status: 403, body: secondaryMessage}},
			wantStatus: 403, wantBody: secondaryMessage, wantRequests: 2, wantReason: reasonSecondary,
			wantWaits: []window{{time.Minute, 90 * time.Second}},
		},
		{
			name:       "network error retried",
			replies:    []reply{{hangup: true}, ok},
			wantStatus: 200, wantRequests: 2, wantWaits: []window{{0, time.Second}}, wantReason: reasonNetwork,
		},
		{
			name:    "network errors given up",
			opts:    TransportOptions{MaxRetries: 1},
			replies: []reply{{hangup: true}},
			wantErr: "giving up after 1 retries", wantRequests: 2, wantReason: reasonNetwork,
			wantWaits: []window{{0, time.Second}},
		},
		{
			name:       "plain 403 returned at once",
			replies:    []reply{{status: 403, body: notEnabled}, ok},
			wantStatus: 403, wantBody: notEnabled, wantRequests: 1,
		},
		{
			name:       "404 returned at once",
			replies:    []reply{{status: 404, body: `{"message":"Not Found"}`}, ok},
			wantStatus: 404, wantRequests: 1,
		},
		{
			name:         "hostile retry-after beyond MaxWait",
			replies:      []reply{{status: 403, header: map[string]string{"Retry-After": "999999999"}}, ok},
			wantErr:      "github asked to wait 277777h46m39s (secondary_rate_limit), longer than the maximum wait 1h5m0s",
			wantRequests: 1,
		},
		{
			name:         "retry-after overflowing a duration",
			replies:      []reply{{status: 429, header: map[string]string{"Retry-After": "99999999999999999"}}, ok},
			wantErr:      "longer than the maximum wait",
			wantRequests: 1,
		},
		{
			name: "reset beyond MaxWait",
			opts: TransportOptions{MaxWait: 30 * time.Minute},
			replies: []reply{{status: 403, header: map[string]string{
				"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(50 * time.Minute),
			}}, ok},
			wantErr:      "longer than the maximum wait",
			wantRequests: 1,
		},
		{
			// GitHub's window is an hour: a reset ten years ahead is malformed. GET
			// /rate_limit (uncounted) says the budget is not spent: retry soon.
			name: "reset years ahead asks GET /rate_limit",
			replies: []reply{{status: 403, header: map[string]string{
				"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(10 * 365 * 24 * time.Hour),
			}, body: `{"message":"API rate limit exceeded"}`}, ok},
			rateLimit:  &reply{body: `{"resources":{"core":{"limit":5000,"used":1,"remaining":4999,"reset":` + resetAt(time.Hour) + `}}}`},
			wantStatus: 200, wantRequests: 3, wantWaits: []window{{0, time.Second}}, wantReason: reasonPrimary,
		},
		{
			name: "reset years ahead, GET /rate_limit says exhausted: wait for its reset",
			replies: []reply{{status: 403, header: map[string]string{
				"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(10 * 365 * 24 * time.Hour),
			}, body: `{"message":"API rate limit exceeded"}`}, ok},
			rateLimit:  &reply{body: `{"resources":{"core":{"limit":5000,"used":5000,"remaining":0,"reset":` + resetAt(20*time.Second) + `}}}`},
			wantStatus: 200, wantRequests: 3, wantWaits: []window{exactly(21 * time.Second)}, wantReason: reasonPrimary,
		},
		{
			name:       "body shorter than its Content-Length retried",
			replies:    []reply{{body: `[{"number":1}]`, cut: "short"}, ok},
			wantStatus: 200, wantBody: `[]`, wantRequests: 2, wantWaits: []window{{0, time.Second}}, wantReason: reasonNetwork,
		},
		{
			name:       "connection reset mid-body retried",
			replies:    []reply{{body: `[{"number":1},{"number":2}]`, cut: "reset"}, ok},
			wantStatus: 200, wantBody: `[]`, wantRequests: 2, wantWaits: []window{{0, time.Second}}, wantReason: reasonNetwork,
		},
		{
			name:    "bodies cut short given up after MaxRetries",
			opts:    TransportOptions{MaxRetries: 2},
			replies: []reply{{body: `[{"number":1}]`, cut: "short"}},
			wantErr: "giving up after 2 retries: reading response body: unexpected EOF", wantRequests: 3, wantReason: reasonNetwork,
			wantWaits: []window{{0, time.Second}, {0, 2 * time.Second}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGitHub(t, tt.replies...)
			if tt.rateLimit != nil {
				srv.on("/rate_limit", *tt.rateLimit)
			} else {
				srv.on("/rate_limit", reply{status: 404, body: `{"message":"Not Found"}`})
			}
			clock := newFakeClock()
			m := NewMetrics(nil)
			tt.opts.Metrics = m
			client := &http.Client{Transport: testTransport(clock, tt.opts)}

			req, err := http.NewRequestWithContext(WithEndpoint(t.Context(), testEndpoint), http.MethodGet, srv.URL+"/orgs/acme/dependabot/alerts", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if tt.wantStatus == 0 {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				if tt.wantBody != "" && string(body) != tt.wantBody {
					t.Errorf("body = %q, want %q", body, tt.wantBody)
				}
			}
			if got := len(srv.requests()); got != tt.wantRequests {
				t.Errorf("server got %d requests, want %d", got, tt.wantRequests)
			}
			checkWaits(t, clock.Sleeps(), tt.wantWaits)
			if tt.wantReason != "" {
				if got := testutil.ToFloat64(m.retries.WithLabelValues(testEndpoint, tt.wantReason)); int(got) != len(tt.wantWaits) {
					t.Errorf("retries{reason=%q} = %v, want %d", tt.wantReason, got, len(tt.wantWaits))
				}
			}
			if got := testutil.CollectAndCount(m.retries); tt.wantReason == "" && got != 0 {
				t.Errorf("got %d retry series, want none", got)
			}
		})
	}
}

func checkWaits(t *testing.T, got []time.Duration, want []window) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("waits = %v, want %d waits in %v", got, len(want), want)
	}
	for i, w := range want {
		if got[i] < w.lo || got[i] > w.hi {
			t.Errorf("wait %d = %s, want in [%s, %s]", i, got[i], w.lo, w.hi)
		}
	}
}

func TestTransportReserve(t *testing.T) {
	tests := []struct {
		name      string
		endpoint  string // of the first request; the second is a REST request
		header    map[string]string
		wantWaits []window
	}{
		{
			name:      "at the reserve: pause until reset",
			header:    map[string]string{"X-Ratelimit-Remaining": "100", "X-Ratelimit-Reset": resetAt(100 * time.Second)},
			wantWaits: []window{exactly(101 * time.Second)},
		},
		{
			name:      "below the reserve: pause until reset",
			header:    map[string]string{"X-Ratelimit-Remaining": "3", "X-Ratelimit-Reset": resetAt(40 * time.Minute), "X-Ratelimit-Resource": "core"},
			wantWaits: []window{exactly(40*time.Minute + time.Second)},
		},
		{
			name:   "above the reserve: no pause",
			header: map[string]string{"X-Ratelimit-Remaining": "101", "X-Ratelimit-Reset": resetAt(100 * time.Second)},
		},
		{
			name:   "reset already past: no pause",
			header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(-time.Second)},
		},
		{
			name:     "graphql points do not hold back REST requests",
			endpoint: "graphql",
			header:   map[string]string{"X-Ratelimit-Remaining": "10", "X-Ratelimit-Reset": resetAt(time.Hour), "X-Ratelimit-Resource": "graphql"},
		},
		{
			name:   "no rate-limit headers (GHES with limits off): no pause",
			header: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGitHub(t, reply{header: tt.header, body: `[]`}, reply{body: `[]`})
			// GET /rate_limit fails here: the remembered limit stands (TestTransportReserveRechecked).
			srv.on("/rate_limit", reply{status: 502})
			clock := newFakeClock()
			client := &http.Client{Transport: testTransport(clock, TransportOptions{})}
			get := func(endpoint string) {
				t.Helper()
				if endpoint == "" {
					endpoint = testEndpoint
				}
				req, _ := http.NewRequestWithContext(WithEndpoint(t.Context(), endpoint), http.MethodGet, srv.URL+"/x", nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			get(tt.endpoint)
			if n := len(clock.Sleeps()); n != 0 {
				t.Fatalf("first request waited: %v", clock.Sleeps())
			}
			get("")
			checkWaits(t, clock.Sleeps(), tt.wantWaits)
			get("") // the window has reset (or never was low): no further pause
			checkWaits(t, clock.Sleeps(), tt.wantWaits)
		})
	}
}

func TestTransportContextCancelledDuringWait(t *testing.T) {
	srv := newFakeGitHub(t, reply{status: 403, header: map[string]string{"Retry-After": "30"}}, reply{body: `[]`})
	// The real Sleep: the test must return as soon as ctx ends, not after 30s.
	client := &http.Client{Transport: NewTransport(TransportOptions{RequestsPerSecond: 1000})}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(WithEndpoint(ctx, testEndpoint), http.MethodGet, srv.URL+"/x", nil)

	began := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context deadline exceeded", err)
	}
	if elapsed := time.Since(began); elapsed > 5*time.Second {
		t.Errorf("returned after %s, want promptly after the deadline", elapsed)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server got %d requests, want 1 (no retry after ctx ended)", n)
	}
}

func TestTransportNoRetryOnceContextDone(t *testing.T) {
	srv := newFakeGitHub(t, reply{status: 502}, reply{body: `[]`})
	ctx, cancel := context.WithCancel(t.Context())
	clock := newFakeClock()
	tr := testTransport(clock, TransportOptions{Base: cancelAfter{cancel: cancel, base: http.DefaultTransport}})
	req, _ := http.NewRequestWithContext(WithEndpoint(ctx, testEndpoint), http.MethodGet, srv.URL+"/x", nil)
	resp, err := tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) || resp != nil {
		t.Fatalf("RoundTrip = %v, %v; want nil, context.Canceled", resp, err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
	if len(clock.Sleeps()) != 0 {
		t.Errorf("waited %v after ctx ended", clock.Sleeps())
	}
}

// cancelAfter cancels a context once a response has come back, as a shutdown would.
type cancelAfter struct {
	cancel context.CancelFunc
	base   http.RoundTripper
}

func (c cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	c.cancel()
	return resp, err
}

func TestTransportReplaysRequestBody(t *testing.T) {
	srv := newFakeGitHub(t, reply{status: 502}, reply{status: 403, header: map[string]string{"Retry-After": "1"}}, reply{body: `{"data":{}}`})
	clock := newFakeClock()
	m := NewMetrics(nil)
	client := &http.Client{Transport: testTransport(clock, TransportOptions{Metrics: m})}
	const query = `{"query":"{ viewer { login } }"}`
	req, _ := http.NewRequestWithContext(WithEndpoint(t.Context(), "graphql"), http.MethodPost, srv.URL+"/graphql", bytes.NewReader([]byte(query)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	reqs := srv.requests()
	if len(reqs) != 3 {
		t.Fatalf("server got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.method != http.MethodPost || r.body != query {
			t.Errorf("request %d: %s with body %q, want POST with %q", i, r.method, r.body, query)
		}
	}
	want := `
# HELP github_exporter_api_requests_total HTTP requests sent to the GitHub API, by route and HTTP status code (error: no response).
# TYPE github_exporter_api_requests_total counter
github_exporter_api_requests_total{code="200",route="graphql"} 1
github_exporter_api_requests_total{code="403",route="graphql"} 1
github_exporter_api_requests_total{code="502",route="graphql"} 1
`
	if err := testutil.CollectAndCompare(m.requests, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestTransportBodyWithoutGetBodyIsNotRetried(t *testing.T) {
	srv := newFakeGitHub(t, reply{status: 502}, reply{body: `{}`})
	tr := testTransport(newFakeClock(), TransportOptions{})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/graphql", io.NopCloser(strings.NewReader("x")))
	req.GetBody = nil
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 || len(srv.requests()) != 1 {
		t.Errorf("status %d after %d requests, want 502 after 1", resp.StatusCode, len(srv.requests()))
	}
}

func TestTransportPacing(t *testing.T) {
	srv := newFakeGitHub(t, reply{body: `[]`})
	// Real limiter time, kept small: 3 requests at 40/s with burst 1 take at least 50ms.
	client := &http.Client{Transport: NewTransport(TransportOptions{RequestsPerSecond: 40})}
	began := time.Now()
	for range 3 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if elapsed := time.Since(began); elapsed < 45*time.Millisecond {
		t.Errorf("3 requests at 40/s took %s, want at least 50ms", elapsed)
	}
}

func TestTransportPacingHonoursContext(t *testing.T) {
	srv := newFakeGitHub(t, reply{body: `[]`})
	tr := NewTransport(TransportOptions{RequestsPerSecond: 0.001})
	first, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(first)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	second, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := tr.RoundTrip(second); err == nil || !strings.Contains(err.Error(), "pacing github requests") {
		t.Fatalf("error = %v, want a pacing error", err)
	}
}

func TestIsNetworkError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"connection refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"unexpected EOF", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"timeout", &net.DNSError{Err: "i/o timeout", IsTimeout: true}, true},
		{"unknown host", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "api.github.invalid", IsNotFound: true}}, false},
		{"context canceled", fmt.Errorf("request: %w", context.Canceled), false},
		// The caller's own deadline is told apart before (classify checks the request's
		// context); a deadline error left is the transport's, e.g. awaiting headers.
		{"transport deadline", context.DeadlineExceeded, true},
		{"certificate", x509.UnknownAuthorityError{}, false},
		{"unsupported scheme", errors.New(`unsupported protocol scheme "ftp"`), false},
	}
	for _, tt := range tests {
		if got := isNetworkError(tt.err); got != tt.want {
			t.Errorf("%s: isNetworkError(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestTransportConcurrentUse(t *testing.T) {
	// One transport shared by many goroutines (orgs, sources), with retries and
	// rate-limit bookkeeping on the way; -race checks the shared state.
	srv := newFakeGitHub(t)
	for i := range 4 {
		srv.on(fmt.Sprintf("/x/%d", i),
			reply{status: 502},
			reply{status: 403, header: map[string]string{"Retry-After": "1"}},
			reply{header: map[string]string{"X-Ratelimit-Remaining": "4000", "X-Ratelimit-Reset": resetAt(time.Hour)}, body: `[]`})
	}
	m := NewMetrics(nil)
	client := &http.Client{Transport: testTransport(newFakeClock(), TransportOptions{Metrics: m})}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			req, _ := http.NewRequestWithContext(WithEndpoint(t.Context(), "/x/{n}"), http.MethodGet, fmt.Sprintf("%s/x/%d", srv.URL, i), nil)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("/x/{n}", "200")); got != 4 {
		t.Errorf("requests{code=200} = %v, want 4", got)
	}
}

// TestTransportRetriesResponseHeaderTimeout checks that an answer whose headers do not
// arrive within the base transport's ResponseHeaderTimeout is retried like any network
// error (net/http's error matches context.DeadlineExceeded, but it is not the caller's).
func TestTransportRetriesResponseHeaderTimeout(t *testing.T) {
	srv := newFakeGitHub(t, reply{delay: 300 * time.Millisecond, body: `[1]`}, reply{body: `[]`})
	clock := newFakeClock()
	m := NewMetrics(nil)
	base := &http.Transport{DisableKeepAlives: true, ResponseHeaderTimeout: 50 * time.Millisecond}
	client := &http.Client{Transport: testTransport(clock, TransportOptions{Base: base, Metrics: m})}
	req, _ := http.NewRequestWithContext(WithEndpoint(t.Context(), testEndpoint), http.MethodGet, srv.URL+"/orgs/acme/dependabot/alerts", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("a response-header timeout was not retried: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `[]` || len(srv.requests()) != 2 {
		t.Errorf("body %q after %d requests, want [] after 2", body, len(srv.requests()))
	}
	if got := testutil.ToFloat64(m.retries.WithLabelValues(testEndpoint, reasonNetwork)); got != 1 {
		t.Errorf("retries{reason=network} = %v, want 1", got)
	}
}

// TestTransportCallerDeadlineNotRetried checks that the caller's own deadline ends a
// request at once.
func TestTransportCallerDeadlineNotRetried(t *testing.T) {
	srv := newFakeGitHub(t, reply{delay: 300 * time.Millisecond, body: `[]`})
	client := &http.Client{Transport: testTransport(newFakeClock(), TransportOptions{})}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
	if _, err := client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the caller's deadline", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestTransportWaitBudget checks that the waits of one collection stop at its budget,
// with an error naming it, and that the time waited is counted by reason.
func TestTransportWaitBudget(t *testing.T) {
	srv := newFakeGitHub(t, reply{status: 403, body: secondaryMessage})
	clock := newFakeClock()
	m := NewMetrics(nil)
	client := &http.Client{Transport: testTransport(clock, TransportOptions{Metrics: m, MaxRetries: 10})}
	ctx := WithWaitBudget(WithEndpoint(t.Context(), testEndpoint), 5*time.Minute)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/orgs/acme/dependabot/alerts", nil)
	_, err := client.Do(req)
	if !errors.Is(err, ErrWaitBudget) {
		t.Fatalf("error = %v, want ErrWaitBudget", err)
	}
	var total time.Duration
	var seconds float64 // summed as the counter sums them
	for _, d := range clock.Sleeps() {
		total += d
		seconds += d.Seconds()
	}
	if total > 5*time.Minute || len(clock.Sleeps()) < 2 {
		t.Errorf("waited %s in %v, want at least two waits and at most the 5m budget", total, clock.Sleeps())
	}
	if got := testutil.ToFloat64(m.backoff.WithLabelValues(reasonSecondary)); got != seconds {
		t.Errorf("backoff seconds{reason=secondary_rate_limit} = %v, want %v", got, seconds)
	}
}

// TestBackoffDistribution samples the waits the transport picks after a 5xx answer, a
// network error and a secondary rate limit: each retry's mean must be about half of
// (full jitter) or 1.25 times (jitter up) a backoff that doubles per retry, and the
// waits must spread. The windows of TestTransportRetries alone would let a constant,
// a never-doubling or a 1 ns wait through.
func TestBackoffDistribution(t *testing.T) {
	tr := NewTransport(TransportOptions{RetryBaseDelay: time.Second, SecondaryBaseDelay: time.Minute})
	req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/x", nil)
	tests := []struct {
		name    string
		resp    func() *http.Response
		err     error
		base    time.Duration
		meanOf  float64 // the mean wait as a share of the backoff
		retries int
	}{
		{"5xx", func() *http.Response {
			return &http.Response{StatusCode: 502, Header: http.Header{}, Body: http.NoBody}
		}, nil, time.Second, 0.5, 4},
		{"network", func() *http.Response { return nil }, io.ErrUnexpectedEOF, time.Second, 0.5, 4},
		{"secondary", func() *http.Response {
			return &http.Response{StatusCode: 403, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(secondaryMessage))}
		}, nil, time.Minute, 1.25, 4},
	}
	const samples = 400
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k := range tt.retries {
				backoff := tt.base << k
				var sum time.Duration
				distinct := map[time.Duration]bool{}
				for range samples {
					r, ok := tr.classify(req, tt.resp(), tt.err, k)
					if !ok {
						t.Fatal("not retried")
					}
					sum += r.wait
					distinct[r.wait] = true
				}
				mean := float64(sum) / samples / float64(backoff)
				if mean < tt.meanOf-0.1 || mean > tt.meanOf+0.1 {
					t.Errorf("retry %d: mean wait %.2f of the backoff %s, want about %.2f", k, mean, backoff, tt.meanOf)
				}
				if len(distinct) < samples/2 {
					t.Errorf("retry %d: %d distinct waits in %d, want them spread (jitter)", k, len(distinct), samples)
				}
			}
		})
	}
}

// TestTransportReserveRechecked checks that a remembered exhausted budget is asked of GET
// /rate_limit (which GitHub does not count) before the transport holds requests back,
// at most once a minute, and that what it says is what the metrics show.
func TestTransportReserveRechecked(t *testing.T) {
	srv := newFakeGitHub(t, reply{header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt(40 * time.Minute)}, body: `[]`},
		reply{body: `[]`})
	srv.on("/rate_limit", reply{body: `{"resources":{"core":{"limit":5000,"used":1,"remaining":4999,"reset":` + resetAt(time.Hour) + `}}}`})
	clock := newFakeClock()
	m := NewMetrics(nil)
	client := &http.Client{Transport: testTransport(clock, TransportOptions{Metrics: m})}
	for range 3 {
		req, _ := http.NewRequestWithContext(WithEndpoint(t.Context(), testEndpoint), http.MethodGet, srv.URL+"/x", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(clock.Sleeps()) != 0 {
		t.Errorf("waited %v although GET /rate_limit said 4999 remain", clock.Sleeps())
	}
	var checks int
	for _, u := range srv.uris() {
		if u == "/rate_limit" {
			checks++
		}
	}
	if checks != 1 {
		t.Errorf("GET /rate_limit asked %d times, want once", checks)
	}
	if got := testutil.ToFloat64(m.remaining.WithLabelValues("core")); got != 4999 {
		t.Errorf("rate_limit_remaining{core} = %v, want what GET /rate_limit said, 4999", got)
	}
}
