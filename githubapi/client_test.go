package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewClient(t *testing.T) {
	tests := []struct {
		base    string
		want    string
		wantErr string
	}{
		{base: "", want: "https://api.github.com/"},
		{base: "https://api.github.com", want: "https://api.github.com/"},
		{base: "https://api.github.com/", want: "https://api.github.com/"},
		{base: "https://ghes.example.com/api/v3", want: "https://ghes.example.com/api/v3/"},
		{base: "http://127.0.0.1:8080/api/v3/", want: "http://127.0.0.1:8080/api/v3/"},
		{base: "ftp://api.github.com/", wantErr: "scheme must be http or https"},
		{base: "api.github.com", wantErr: "scheme must be http or https"},
		{base: "https:///api/v3", wantErr: "missing host"},
		{base: "https://api.github.com:bad/", wantErr: "parsing github base url"},
		{base: "://nothing", wantErr: "parsing github base url"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := NewClient(ClientOptions{BaseURL: tt.base})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewClient(%q) error = %v, want one containing %q", tt.base, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL().String(); got != tt.want {
				t.Errorf("BaseURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

// testClient is a Client on srv (plus baseSuffix) whose Transport runs on clock.
func testClient(t *testing.T, srv *fakeGitHub, baseSuffix string, clock *fakeClock, o ClientOptions, to TransportOptions) *Client {
	t.Helper()
	o.BaseURL = srv.URL + baseSuffix
	o.HTTPClient = &http.Client{Transport: testTransport(clock, to)}
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func next(url string) map[string]string {
	return map[string]string{"Link": `<` + url + `>; rel="next"`}
}

func TestWalkJSON(t *testing.T) {
	// Cursors as GitHub sends them: base64 with escaped padding, and the other parameters kept.
	const (
		cursor1 = "/organizations/123/dependabot/alerts?per_page=100&state=open%2Cdismissed&after=Y3Vyc29yOnYyOpPP%3D%3D"
		cursor2 = "/organizations/123/dependabot/alerts?per_page=100&state=open%2Cdismissed&after=Y3Vyc29yOnYyOpQQ%3D%3D"
	)
	tests := []struct {
		name       string
		baseSuffix string
		path       string
		pages      map[string]reply // by request URI; "{base}" in headers is the server's URL
		opts       ClientOptions
		wantItems  []int
		wantURIs   []string
		wantErr    string
	}{
		{
			name: "cursor links through /organizations/{id} kept verbatim",
			path: "orgs/acme/dependabot/alerts?per_page=100&state=open,dismissed",
			pages: map[string]reply{
				"/orgs/acme/dependabot/alerts?per_page=100&state=open,dismissed": {body: `[1,2]`, header: map[string]string{
					"Link": `<{base}` + cursor1 + `>; rel="next"`,
				}},
				cursor1: {body: `[3]`, header: map[string]string{
					"Link": `<{base}` + cursor2 + `>; rel="next", <{base}/organizations/123/dependabot/alerts?per_page=100&before=Y3Vy>; rel="prev"`,
				}},
				cursor2: {body: `[4]`, header: map[string]string{
					"Link": `<{base}/organizations/123/dependabot/alerts?per_page=100&before=Y3Vz>; rel="prev"`,
				}},
			},
			wantItems: []int{1, 2, 3, 4},
			wantURIs:  []string{"/orgs/acme/dependabot/alerts?per_page=100&state=open,dismissed", cursor1, cursor2},
		},
		{
			name:       "page-number links on a GHES base path",
			baseSuffix: "/api/v3",
			path:       "/repos/acme/web/code-scanning/alerts?per_page=2",
			pages: map[string]reply{
				"/api/v3/repos/acme/web/code-scanning/alerts?per_page=2": {body: `[1,2]`, header: map[string]string{
					"Link": `<{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=2>; rel="next", <{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=3>; rel="last"`,
				}},
				"/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=2": {body: `[3,4]`, header: map[string]string{
					"Link": `<{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=1>; rel="prev", <{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=3>; rel="next", <{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=3>; rel="last", <{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=1>; rel="first"`,
				}},
				"/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=3": {body: `[5]`, header: map[string]string{
					"Link": `<{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=2>; rel="prev", <{base}/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=1>; rel="first"`,
				}},
			},
			wantItems: []int{1, 2, 3, 4, 5},
			wantURIs: []string{
				"/api/v3/repos/acme/web/code-scanning/alerts?per_page=2",
				"/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=2",
				"/api/v3/repositories/42/code-scanning/alerts?per_page=2&page=3",
			},
		},
		{
			name:      "single page without Link",
			path:      "orgs/acme/secret-scanning/alerts",
			pages:     map[string]reply{"/orgs/acme/secret-scanning/alerts": {body: " [7, 8]\n"}},
			wantItems: []int{7, 8},
			wantURIs:  []string{"/orgs/acme/secret-scanning/alerts"},
		},
		{
			name:     "empty listing",
			path:     "orgs/acme/secret-scanning/alerts",
			pages:    map[string]reply{"/orgs/acme/secret-scanning/alerts": {body: `[]`}},
			wantURIs: []string{"/orgs/acme/secret-scanning/alerts"},
		},
		{
			name:     "relative next link resolved against the page",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `[1]`, header: next("/orgs/acme/a?page=2")}, "/orgs/acme/a?page=2": {body: `[2]`}},
			wantURIs: []string{"/orgs/acme/a", "/orgs/acme/a?page=2"}, wantItems: []int{1, 2},
		},
		{
			name: "redirect on the api host followed (renamed org)",
			path: "orgs/old-name/a",
			pages: map[string]reply{
				"/orgs/old-name/a":   {status: http.StatusMovedPermanently, header: map[string]string{"Location": "{base}/organizations/1/a"}},
				"/organizations/1/a": {body: `[1]`},
			},
			wantItems: []int{1},
			wantURIs:  []string{"/orgs/old-name/a", "/organizations/1/a"},
		},
		{
			name: "repeated next link is an error, not a loop",
			path: "orgs/acme/a",
			pages: map[string]reply{
				"/orgs/acme/a":               {body: `[1]`, header: next("{base}/organizations/1/a?after=x")},
				"/organizations/1/a?after=x": {body: `[2]`, header: next("{base}/orgs/acme/a")},
			},
			wantItems: []int{1, 2},
			wantURIs:  []string{"/orgs/acme/a", "/organizations/1/a?after=x"},
			wantErr:   "GET /test/endpoint: pagination loop",
		},
		{
			name:      "page linking to itself",
			path:      "orgs/acme/a",
			pages:     map[string]reply{"/orgs/acme/a": {body: `[1]`, header: next("{base}/orgs/acme/a")}},
			wantItems: []int{1},
			wantURIs:  []string{"/orgs/acme/a"},
			wantErr:   "pagination loop",
		},
		{
			name:      "next link to another scheme",
			path:      "orgs/acme/a",
			pages:     map[string]reply{"/orgs/acme/a": {body: `[1]`, header: next("https://{host}/organizations/1/a?after=x")}},
			wantItems: []int{1},
			wantURIs:  []string{"/orgs/acme/a"},
			wantErr:   "not the github api host",
		},
		{
			name:     "non-array JSON",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `{"message":"Moved"}`}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  `GET /test/endpoint: page is not a JSON array`,
		},
		{
			name:     "null is not an array",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `null`}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  `page is not a JSON array`,
		},
		{
			name:     "null element",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `[1,null]`}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  `element 1 is null`,
		},
		{
			name:     "data after the array",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `[1] GARBAGE`}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  `decoding page`,
		},
		{
			name:     "array of the wrong type",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `[{"number":1}]`}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  `GET /test/endpoint: decoding page`,
		},
		{
			name:     "body over the limit",
			path:     "orgs/acme/a",
			opts:     ClientOptions{MaxPageBytes: 64},
			pages:    map[string]reply{"/orgs/acme/a": {body: "[" + strings.Repeat("1,", 40) + "1]"}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  "GET /test/endpoint: response body larger than 64 bytes",
		},
		{
			name:     "malformed Link header",
			path:     "orgs/acme/a",
			pages:    map[string]reply{"/orgs/acme/a": {body: `[1]`, header: map[string]string{"Link": `https://x/2; rel=next`}}},
			wantURIs: []string{"/orgs/acme/a"},
			wantErr:  "GET /test/endpoint: malformed link header",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGitHub(t)
			for uri, rep := range tt.pages {
				if l, ok := rep.header["Link"]; ok {
					rep.header = map[string]string{"Link": strings.ReplaceAll(l, "{host}", strings.TrimPrefix(srv.URL, "http://"))}
				}
				srv.on(uri, rep)
			}
			c := testClient(t, srv, tt.baseSuffix, newFakeClock(), tt.opts, TransportOptions{})
			var items []int
			err := WalkJSON(t.Context(), c, "/test/endpoint", tt.path, func(page []int) error {
				items = append(items, page...)
				return nil
			})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("WalkJSON: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("WalkJSON error = %v, want one containing %q", err, tt.wantErr)
			}
			if !slices.Equal(items, tt.wantItems) {
				t.Errorf("items = %v, want %v", items, tt.wantItems)
			}
			if got := srv.uris(); !slices.Equal(got, tt.wantURIs) {
				t.Errorf("requested %q, want %q", got, tt.wantURIs)
			}
		})
	}
}

func TestWalkRefusesOtherHosts(t *testing.T) {
	other := newFakeGitHub(t, reply{body: `[99]`})
	tests := []struct {
		name  string
		reply reply
	}{
		{name: "next link to another host", reply: reply{body: `[1]`, header: next(other.URL + "/organizations/1/a?after=x")}},
		{name: "redirect to another host", reply: reply{status: http.StatusFound, header: map[string]string{"Location": other.URL + "/orgs/acme/a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGitHub(t, tt.reply)
			c := testClient(t, srv, "", newFakeClock(), ClientOptions{}, TransportOptions{})
			err := WalkJSON(t.Context(), c, "/orgs/{org}/a", "orgs/acme/a", func([]int) error { return nil })
			if err == nil || !strings.Contains(err.Error(), "not the github api host") {
				t.Fatalf("error = %v, want a refusal to leave the api host", err)
			}
			if n := len(other.requests()); n != 0 {
				t.Errorf("the other host got %d requests, want none", n)
			}
		})
	}
}

func TestWalkSendsGitHubHeaders(t *testing.T) {
	srv := newFakeGitHub(t, reply{body: `[]`})
	c := testClient(t, srv, "", newFakeClock(), ClientOptions{APIVersion: "2026-03-10"}, TransportOptions{})
	if err := c.Walk(t.Context(), "/orgs/{org}/a", "orgs/acme/a", func(io.Reader) error { return nil }); err != nil {
		t.Fatal(err)
	}
	h := srv.requests()[0].header
	for key, want := range map[string]string{
		"Accept":               "application/vnd.github+json",
		"X-Github-Api-Version": "2026-03-10",
		"User-Agent":           "github-security-exporter",
	} {
		if got := h.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestWalkPageError(t *testing.T) {
	srv := newFakeGitHub(t, reply{body: `[1]`, header: next("{base}/page2")})
	c := testClient(t, srv, "", newFakeClock(), ClientOptions{}, TransportOptions{})
	stop := errors.New("stop here")
	err := c.Walk(t.Context(), "/orgs/{org}/a", "orgs/acme/a", func(io.Reader) error { return stop })
	if !errors.Is(err, stop) || !strings.HasPrefix(err.Error(), "GET /orgs/{org}/a: ") {
		t.Fatalf("error = %v, want the page error wrapped with the endpoint", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("got %d requests, want the walk to stop after 1", n)
	}
}

func TestWalkStatusErrors(t *testing.T) {
	tests := []struct {
		name             string
		replies          []reply
		wantStatus       int
		wantError        string
		wantNotAvailable bool
		wantRequests     int
	}{
		{
			name:             "403 feature not enabled",
			replies:          []reply{{status: 403, body: notEnabled}},
			wantStatus:       403,
			wantError:        "GET /orgs/{org}/dependabot/alerts: 403 Forbidden: Advanced Security must be enabled for this repository",
			wantNotAvailable: true, wantRequests: 1,
		},
		{
			name:             "404",
			replies:          []reply{{status: 404, body: `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`}},
			wantStatus:       404,
			wantError:        "GET /orgs/{org}/dependabot/alerts: 404 Not Found: Not Found",
			wantNotAvailable: true, wantRequests: 1,
		},
		{
			name:         "400 page parameter refused",
			replies:      []reply{{status: 400, body: `{"message":"Pagination using the page parameter is not supported."}`}},
			wantStatus:   400,
			wantError:    "GET /orgs/{org}/dependabot/alerts: 400 Bad Request: Pagination using the page parameter is not supported.",
			wantRequests: 1,
		},
		{
			name:         "500 after the retries",
			replies:      []reply{{status: 500, body: `not json`}},
			wantStatus:   500,
			wantError:    "GET /orgs/{org}/dependabot/alerts: 500 Internal Server Error",
			wantRequests: 3,
		},
		{
			name:         "secondary rate limit after the retries is not 'not available'",
			replies:      []reply{{status: 403, body: secondaryMessage}},
			wantStatus:   403,
			wantError:    "403 Forbidden: You have exceeded a secondary rate limit",
			wantRequests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGitHub(t, tt.replies...)
			c := testClient(t, srv, "", newFakeClock(), ClientOptions{}, TransportOptions{MaxRetries: 2})
			err := WalkJSON(t.Context(), c, testEndpoint, "orgs/acme/dependabot/alerts", func([]int) error { return nil })
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a *StatusError", err)
			}
			if se.StatusCode != tt.wantStatus || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("error = %q (status %d), want %q (status %d)", err, se.StatusCode, tt.wantError, tt.wantStatus)
			}
			if got := IsNotAvailable(err); got != tt.wantNotAvailable {
				t.Errorf("IsNotAvailable = %v, want %v", got, tt.wantNotAvailable)
			}
			if got := IsNotAvailable(fmt.Errorf("listing dependabot alerts for acme: %w", err)); got != tt.wantNotAvailable {
				t.Errorf("IsNotAvailable(wrapped) = %v, want %v", got, tt.wantNotAvailable)
			}
			if n := len(srv.requests()); n != tt.wantRequests {
				t.Errorf("server got %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestIsNotAvailable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("connection refused"), false},
		{&StatusError{StatusCode: 403}, true},
		{&StatusError{StatusCode: 403, RateLimited: true}, false},
		{&StatusError{StatusCode: 404}, true},
		{&StatusError{StatusCode: 410}, true},
		{&StatusError{StatusCode: 451}, true},
		{&StatusError{StatusCode: 401}, false},
		{&StatusError{StatusCode: 422}, false},
		{&StatusError{StatusCode: 429, RateLimited: true}, false},
		{&StatusError{StatusCode: 502}, false},
		{fmt.Errorf("collecting: %w", &StatusError{StatusCode: 404}), true},
	}
	for _, tt := range tests {
		if got := IsNotAvailable(tt.err); got != tt.want {
			t.Errorf("IsNotAvailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestStatusErrorMessage(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "control characters stripped", body: `{"message":"bad\u001b[31m red\nline\u0000"}`, want: "bad[31m redline"},
		{name: "cut to 200 bytes on a rune boundary", body: `{"message":"` + strings.Repeat("é", 150) + `"}`, want: strings.Repeat("é", 100)},
		{name: "not JSON", body: `<html>oops</html>`, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 418, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			e := NewStatusError("graphql", resp)
			if e.Message != tt.want || len(e.Message) > 200 {
				t.Errorf("Message = %q (%d bytes), want %q", e.Message, len(e.Message), tt.want)
			}
		})
	}
	e := &StatusError{StatusCode: 502, Endpoint: "graphql", Method: http.MethodPost}
	if got, want := e.Error(), "POST graphql: 502 Bad Gateway"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWalkHonoursRetriesAcrossPages(t *testing.T) {
	// A secondary limit on page 2 is waited out inside the transport; the walk never sees it.
	srv := newFakeGitHub(t,
		reply{body: `[1]`, header: next("{base}/organizations/1/a?after=x")},
		reply{status: 403, header: map[string]string{"Retry-After": "5"}, body: secondaryMessage},
		reply{body: `[2]`},
	)
	clock := newFakeClock()
	c := testClient(t, srv, "", clock, ClientOptions{}, TransportOptions{})
	var items []int
	err := WalkJSON(t.Context(), c, "/orgs/{org}/a", "orgs/acme/a", func(p []int) error { items = append(items, p...); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(items, []int{1, 2}) {
		t.Errorf("items = %v", items)
	}
	checkWaits(t, clock.Sleeps(), []window{exactly(5 * time.Second)})
	if got, want := srv.uris(), []string{"/orgs/acme/a", "/organizations/1/a?after=x", "/organizations/1/a?after=x"}; !slices.Equal(got, want) {
		t.Errorf("requested %q, want %q", got, want)
	}
}

func TestSameOrigin(t *testing.T) {
	base, _ := url.Parse("https://api.github.com/")
	tests := []struct {
		url  string
		want bool
	}{
		{"https://api.github.com/organizations/1/a", true},
		{"https://API.GitHub.com:443/organizations/1/a", true},
		{"http://api.github.com/organizations/1/a", false},
		{"https://api.github.com:8443/organizations/1/a", false},
		{"https://api.github.com.evil.example/organizations/1/a", false},
		{"https://evil.example/?https://api.github.com/", false},
		{"/organizations/1/a", false},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if got := sameOrigin(base, u); got != tt.want {
			t.Errorf("sameOrigin(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

// TestWalkEndsATricklingBody checks that a server which sends headers and then holds the
// body open forever fails the walk instead of hanging it.
func TestWalkEndsATricklingBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`[{"a":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, BodyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Walk(context.Background(), "/x", "x", func(io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "took longer than 100ms") {
		t.Fatalf("Walk = %v, want a body timeout error", err)
	}
}
