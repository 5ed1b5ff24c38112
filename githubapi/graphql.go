package githubapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/shurcooL/githubv4"
)

// GraphQLOptions configure NewGraphQLClient. Zero values take the defaults given.
type GraphQLOptions struct {
	URL string // default "https://api.github.com/graphql"; see GraphQLURL
	// HTTPClient should be the REST Client's: the same Transport, so that REST and
	// GraphQL share one pacer per token. nil: a client on a default Transport.
	HTTPClient   *http.Client
	UserAgent    string // default "github-security-exporter"
	MaxBodyBytes int64  // default 32 MiB; a larger answer is an error
}

// NewGraphQLClient returns a GitHub GraphQL client whose errors classify like REST's:
// a non-200 answer is a *StatusError, and a 200 answer whose body carries GraphQL
// errors is a *GraphQLError (githubv4 alone keeps only the first message, not its type).
// Redirects are not followed: GitHub's GraphQL endpoint does not redirect, and a
// redirect elsewhere would take the token with it.
func NewGraphQLClient(o GraphQLOptions) (*githubv4.Client, error) {
	if o.URL == "" {
		o.URL = "https://api.github.com/graphql"
	}
	if err := checkAPIURL(o.URL); err != nil {
		return nil, fmt.Errorf("github graphql url: %w", err)
	}
	if o.UserAgent == "" {
		o.UserAgent = "github-security-exporter"
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: NewTransport(TransportOptions{})}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	guarded := *hc
	guarded.Transport = &graphqlTransport{base: base, userAgent: o.UserAgent, maxBody: o.MaxBodyBytes}
	guarded.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return githubv4.NewEnterpriseClient(o.URL, &guarded), nil
}

// GraphQLURL derives the GraphQL endpoint from a REST base URL: https://api.github.com/
// gives https://api.github.com/graphql; Enterprise Server's https://HOST/api/v3/ gives
// https://HOST/api/graphql; any other base gets "graphql" appended to its path.
func GraphQLURL(restBase string) (string, error) {
	if err := checkAPIURL(restBase); err != nil {
		return "", fmt.Errorf("github api url: %w", err)
	}
	u, _ := url.Parse(restBase)
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	p := strings.TrimSuffix(u.Path, "/")
	if strings.HasSuffix(p, "/api/v3") {
		u.Path = strings.TrimSuffix(p, "/v3") + "/graphql"
	} else {
		u.Path = p + "/graphql"
	}
	return u.String(), nil
}

func checkAPIURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("parsing %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("scheme must be http or https")
	case u.Host == "":
		return errors.New("missing host")
	case u.User != nil:
		return errors.New("must not carry user information")
	}
	return nil
}

// GraphQLError is an error GitHub's GraphQL API reported in the body of a 200 answer.
// A query whose answer carries errors failed as a whole: the exporter's queries need
// all the data they ask for.
type GraphQLError struct {
	Type    string // GitHub's error type: NOT_FOUND, FORBIDDEN, RATE_LIMITED, ...; "" when none given
	Message string // the first error's message, at most 200 bytes, control characters stripped
	More    int    // further errors in the same answer
}

func (e *GraphQLError) Error() string {
	s := "graphql"
	if e.Type != "" {
		s += ": " + e.Type
	}
	s += ": " + e.Message
	if e.More > 0 {
		s += fmt.Sprintf(" (and %d more errors)", e.More)
	}
	return s
}

// Unwrap gives NOT_FOUND and FORBIDDEN the *StatusError that REST answers with in
// their place (404, 403), so IsNotAvailable treats both APIs alike: an organization
// the token cannot see, or "Resource not accessible by integration", means the source
// is not available, not that it is empty.
func (e *GraphQLError) Unwrap() error {
	status := 0
	switch e.Type {
	case "NOT_FOUND":
		status = http.StatusNotFound
	case "FORBIDDEN":
		status = http.StatusForbidden
	default:
		return nil
	}
	return &StatusError{StatusCode: status, Message: e.Message, Endpoint: "graphql", Method: http.MethodPost}
}

// graphqlTransport turns GitHub's GraphQL failures into typed errors; see NewGraphQLClient.
type graphqlTransport struct {
	base      http.RoundTripper
	userAgent string
	maxBody   int64
}

func (t *graphqlTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.userAgent)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		se := NewStatusError("graphql", resp)
		se.Method = req.Method
		return nil, se
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading graphql response body: %w", err)
	}
	if int64(len(body)) > t.maxBody {
		return nil, fmt.Errorf("graphql response body larger than %d bytes", t.maxBody)
	}
	if gerr := graphqlErrorOf(body); gerr != nil {
		return nil, gerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// graphqlErrorOf returns the errors of a GraphQL answer, nil when it has none or is
// not JSON at all (the caller's decoder reports that).
func graphqlErrorOf(body []byte) *GraphQLError {
	var out struct {
		Errors []struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &out) != nil || len(out.Errors) == 0 {
		return nil
	}
	first := out.Errors[0]
	return &GraphQLError{Type: cleanMessage(first.Type), Message: cleanMessage(first.Message), More: len(out.Errors) - 1}
}
