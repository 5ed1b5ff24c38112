package githubapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestGraphQLURL(t *testing.T) {
	tests := []struct{ rest, want string }{
		{"https://api.github.com/", "https://api.github.com/graphql"},
		{"https://api.github.com", "https://api.github.com/graphql"},
		{"https://github.example.com/api/v3/", "https://github.example.com/api/graphql"},
		{"https://github.example.com/api/v3", "https://github.example.com/api/graphql"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/graphql"},
		{"http://127.0.0.1:8080/api/v3/", "http://127.0.0.1:8080/api/graphql"},
		{"https://proxy.example.com/github/", "https://proxy.example.com/github/graphql"},
	}
	for _, tt := range tests {
		if got, err := GraphQLURL(tt.rest); err != nil || got != tt.want {
			t.Errorf("GraphQLURL(%q) = %q, %v; want %q", tt.rest, got, err, tt.want)
		}
	}
	for _, bad := range []string{"://nope", "ftp://host/", "https:///api/v3/", "https://user:pw@host/"} {
		if _, err := GraphQLURL(bad); err == nil {
			t.Errorf("GraphQLURL(%q): no error", bad)
		}
		if _, err := NewGraphQLClient(GraphQLOptions{URL: bad}); err == nil {
			t.Errorf("NewGraphQLClient(%q): no error", bad)
		}
	}
}

// TestGraphQLErrors checks that GitHub's GraphQL failures come back typed, and which of
// them mean "not available".
func TestGraphQLErrors(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		header       map[string]string
		want         string
		notAvailable bool
	}{
		{name: "no data, no errors", status: 200, body: `{"data":{"viewer":{"login":"octocat"}}}`},
		{name: "unauthenticated", status: 401, body: `{"message":"This endpoint requires you to be authenticated.","documentation_url":"https://docs.github.com/graphql"}`,
			want: "POST graphql: 401 Unauthorized: This endpoint requires you to be authenticated."},
		{name: "SAML or IP allow list", status: 403, body: `{"message":"Although you appear to have the correct authorization credentials, the organization has an IP allow list enabled"}`,
			want: "POST graphql: 403 Forbidden: Although you appear", notAvailable: true},
		{name: "server error", status: 502, body: `{"message":"Server Error"}`, want: "POST graphql: 502 Bad Gateway"},
		{name: "redirect", status: 301, header: map[string]string{"Location": "https://elsewhere.example.com/graphql"}, want: "POST graphql: 301 Moved Permanently"},
		{name: "not found", status: 200, body: `{"data":{"viewer":null},"errors":[{"type":"NOT_FOUND","path":["viewer"],"message":"Could not resolve to an Organization with the login of 'nope'."}]}`,
			want: "graphql: NOT_FOUND: Could not resolve to an Organization with the login of 'nope'.", notAvailable: true},
		{name: "forbidden", status: 200, body: `{"data":null,"errors":[{"type":"FORBIDDEN","message":"Resource not accessible by integration"},{"type":"FORBIDDEN","message":"again"}]}`,
			want: "graphql: FORBIDDEN: Resource not accessible by integration (and 1 more errors)", notAvailable: true},
		{name: "rate limited", status: 200, body: `{"errors":[{"type":"RATE_LIMITED","code":"graphql_rate_limit","message":"API rate limit exceeded for user ID 1."}]}`,
			header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Resource": "graphql"},
			want:   "graphql: RATE_LIMITED: API rate limit exceeded for user ID 1."},
		{name: "no type", status: 200, body: `{"errors":[{"message":"Parse error on \"}\" (RCURLY) at [1, 2]","locations":[{"line":1,"column":2}]}]}`,
			want: `graphql: Parse error on "}" (RCURLY) at [1, 2]`},
		{name: "not JSON", status: 200, body: `<html>`, want: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var userAgent string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				userAgent = r.Header.Get("User-Agent")
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := NewGraphQLClient(GraphQLOptions{URL: srv.URL + "/graphql", UserAgent: "exporter-test",
				HTTPClient: &http.Client{Transport: NewTransport(TransportOptions{RequestsPerSecond: 1000, MaxRetries: -1, Reserve: -1})}})
			if err != nil {
				t.Fatal(err)
			}
			var q struct{ Viewer *struct{ Login string } }
			err = c.Query(context.Background(), &q, nil)
			if userAgent != "exporter-test" {
				t.Errorf("user agent %q", userAgent)
			}
			if tt.want == "" {
				if err != nil || q.Viewer == nil || q.Viewer.Login != "octocat" {
					t.Fatalf("err %v, result %+v", err, q.Viewer)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			if got := IsNotAvailable(err); got != tt.notAvailable {
				t.Errorf("IsNotAvailable = %v, want %v", got, tt.notAvailable)
			}
			var ge *GraphQLError
			if tt.status == 200 && tt.name != "not JSON" && !errors.As(err, &ge) {
				t.Errorf("%T is not a *GraphQLError", err)
			}
		})
	}
}

// TestGraphQLEndsATricklingBody checks that a GraphQL answer whose body trickles is cut
// by the transport's body deadline, as REST pages are.
func TestGraphQLEndsATricklingBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := NewGraphQLClient(GraphQLOptions{URL: srv.URL + "/graphql",
		HTTPClient: &http.Client{Transport: NewTransport(TransportOptions{RequestsPerSecond: 1000, MaxRetries: -1, BodyTimeout: 100 * time.Millisecond})}})
	if err != nil {
		t.Fatal(err)
	}
	var q struct{ Viewer struct{ Login string } }
	err = c.Query(t.Context(), &q, nil)
	if err == nil || !strings.Contains(err.Error(), "took longer than 100ms") {
		t.Fatalf("Query = %v, want a body timeout error", err)
	}
}
