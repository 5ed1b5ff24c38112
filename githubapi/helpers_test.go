package githubapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// start is the fake clock's starting time; rate-limit headers in tests are relative to it.
var start = time.Unix(1_700_000_000, 0)

// fakeClock is injected as Now and Sleep: sleeping records the wait and moves the clock.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// reply is one scripted answer of a test server.
type reply struct {
	status int               // 0: 200
	header map[string]string // may contain "{base}", replaced by the server's URL
	body   string
	hangup bool          // close the connection without answering
	delay  time.Duration // answer this late (for client timeouts)
	// cut breaks the body off: "short" announces more Content-Length than it sends,
	// "reset" sends half the body and resets the connection.
	cut string
}

// recorded is one request a test server received.
type recorded struct {
	method, uri string
	header      http.Header
	body        string
}

// fakeGitHub is an httptest server answering from a script: each request URI
// gets the replies scripted for it in order, the last one repeating; "" scripts
// every URI without its own replies; an unscripted URI gets 404.
type fakeGitHub struct {
	*httptest.Server
	mu     sync.Mutex
	script map[string][]reply
	reqs   []recorded
}

func newFakeGitHub(t *testing.T, replies ...reply) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{script: map[string][]reply{"": replies}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// on scripts the replies to one request URI.
func (f *fakeGitHub) on(uri string, replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[uri] = replies
}

func (f *fakeGitHub) next(uri string) reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := uri
	if len(f.script[key]) == 0 {
		key = ""
	}
	replies := f.script[key]
	if len(replies) == 0 {
		return reply{status: http.StatusNotFound, body: `{"message":"Not Found"}`}
	}
	if len(replies) > 1 {
		f.script[key] = replies[1:]
	}
	return replies[0]
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{method: r.Method, uri: r.RequestURI, header: r.Header.Clone(), body: string(body)})
	f.mu.Unlock()
	rep := f.next(r.RequestURI)
	time.Sleep(rep.delay)
	if rep.hangup {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, strings.ReplaceAll(v, "{base}", f.URL))
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	switch rep.cut {
	case "short":
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)+10))
	case "reset":
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body[:len(rep.body)/2])
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
		return
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeGitHub) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeGitHub) uris() []string {
	var uris []string
	for _, r := range f.requests() {
		uris = append(uris, r.uri)
	}
	return uris
}

// testTransport is a Transport on the fake clock with fast pacing and fresh
// connections (so Go's own transport never retries a dropped connection).
func testTransport(clock *fakeClock, o TransportOptions) *Transport {
	if o.Base == nil {
		o.Base = &http.Transport{DisableKeepAlives: true}
	}
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = 1000
		o.Burst = 100
	}
	o.Now, o.Sleep = clock.Now, clock.Sleep
	return NewTransport(o)
}

// resetAt renders an x-ratelimit-reset header value d after the fake clock's start.
func resetAt(d time.Duration) string {
	return strconv.FormatInt(start.Add(d).Unix(), 10)
}
