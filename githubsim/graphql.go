package githubsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
)

// GitHub's GraphQL API: POST /graphql on github.com, POST /api/graphql on Enterprise
// Server (PathPrefix "/api/v3": GraphQL is not under /api/v3). A subset of GitHub's
// schema is served (graphql_schema.go) with GitHub's rules: authentication required,
// `first` or `last` required and at most 100, and a budget of points per token and
// hour of its own (Config.RateLimit, as for REST), charged by the query's cost before
// it runs. When the budget is spent GitHub still answers 200, with a RATE_LIMITED
// error in the body. Injected faults apply as to REST requests.

// FamilyRepositories is the SetUnavailable key of organization.repositories: status
// 403 answers a FORBIDDEN error with the message given (as GitHub does for an App
// without the Metadata permission: "Resource not accessible by integration"), 404 a
// NOT_FOUND error. GraphQL answers both with HTTP 200.
const FamilyRepositories = "repositories"

const (
	docGraphQL     = "https://docs.github.com/graphql"
	docGraphQLAuth = "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"
	// maxGraphQLRequest bounds the body of a GraphQL request.
	maxGraphQLRequest = 1 << 20
)

// graphqlPath is where GraphQL is served: /graphql, or /api/graphql beside an
// Enterprise Server's /api/v3.
func graphqlPath(prefix string) string {
	if strings.HasSuffix(prefix, "/api/v3") {
		return strings.TrimSuffix(prefix, "/v3") + "/graphql"
	}
	return prefix + "/graphql"
}

// registerGraphQL adds the GraphQL endpoint to the server's routes.
func (s *Server) registerGraphQL() {
	pattern := http.MethodPost + " " + graphqlPath(s.prefix)
	s.graphqlLimits = newRateLimiter(s.cfg.RateLimit, s.cfg.RateLimitWindow)
	s.mux.Handle(pattern, &graphqlAPI{
		s:      s,
		schema: graphql.MustParseSchema(graphqlSchema, &gqlQuery{s: s}, graphql.MaxDepth(20)),
		limits: s.graphqlLimits,
	})
	s.routes[pattern] = "/graphql"
}

// graphqlAPI serves GraphQL requests; its budget is separate from REST's.
type graphqlAPI struct {
	s      *Server
	schema *graphql.Schema
	limits *rateLimiter
}

// gqlError is an error in a GraphQL answer, with GitHub's error type.
type gqlError struct{ typ, msg string }

func (e *gqlError) Error() string { return e.msg }

func (a *graphqlAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := a.s.newCall(w, r, nil)
	if _, ok := credentials(r); !ok {
		a.unauthorized(c)
		return
	}
	if a.s.faults.apply(c) {
		return
	}
	var in struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxGraphQLRequest)
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		a.answer(c, http.StatusBadRequest, (&apiErr{status: http.StatusBadRequest, message: "Problems parsing JSON", docURL: docGraphQL}).body(nil), a.limits.peek(c.token, a.s.now()))
		return
	}
	if in.Query == "" {
		a.answer(c, http.StatusOK, gqlBody(nil, typed(&gqlError{msg: "A query attribute must be specified and must be a string."})), a.limits.peek(c.token, a.s.now()))
		return
	}
	a.serveQuery(c, in.Query, in.OperationName, in.Variables)
}

// serveQuery costs the query, charges the budget, and runs it.
func (a *graphqlAPI) serveQuery(c *call, query, operation string, vars map[string]any) {
	now := a.s.now()
	costing := &gqlRequest{token: c.token, base: c.base}
	resp := a.schema.Exec(withGQLRequest(c.r.Context(), costing), query, operation, vars)
	if resp.Data == nil && len(resp.Errors) > 0 { // not a valid query
		a.answer(c, http.StatusOK, gqlBody(nil, errorsOf(resp.Errors)), a.limits.peek(c.token, now))
		return
	}
	if static := costing.staticErrors(); len(static) > 0 {
		a.answer(c, http.StatusOK, gqlBody(nil, typed(static...)), a.limits.peek(c.token, now))
		return
	}
	run := &gqlRequest{token: c.token, base: c.base, costed: true, cost: costing.queryCost(), nodes: costing.nodes}
	var st rateState
	if costing.dryRun {
		st = a.limits.peek(c.token, now)
	} else {
		var ok bool
		if st, ok = a.limits.takeN(c.token, now, run.cost); !ok {
			a.rateLimited(c, st)
			return
		}
	}
	run.rate = st
	resp = a.schema.Exec(withGQLRequest(c.r.Context(), run), query, operation, vars)
	a.answer(c, http.StatusOK, gqlBody(resp.Data, errorsOf(resp.Errors)), st)
}

// answer writes a GraphQL answer with the graphql budget in the rate-limit headers.
func (a *graphqlAPI) answer(c *call, status int, body []byte, st rateState) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v4; format=json")
	h.Set("X-GitHub-Request-Id", a.s.requestID())
	st.setHeaders(h)
	h.Set("X-RateLimit-Resource", "graphql")
	if c.truncate && status == http.StatusOK {
		body = body[:len(body)/2]
	}
	if c.mangle != nil && status == http.StatusOK && c.writeMangled(body, "", st) {
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

func (a *graphqlAPI) unauthorized(c *call) {
	e := &apiErr{status: http.StatusUnauthorized, message: "This endpoint requires you to be authenticated.", docURL: docGraphQLAuth}
	if c.r.Header.Get("Authorization") != "" {
		e = &apiErr{status: http.StatusUnauthorized, message: "Bad credentials", docURL: docGraphQL}
	}
	a.answer(c, e.status, e.body(nil), a.limits.peek("", a.s.now()))
}

// rateLimited answers as GitHub does when the GraphQL budget is spent: 200, and the
// error in the body.
func (a *graphqlAPI) rateLimited(c *call, st rateState) {
	a.s.countRateLimited()
	msg := fmt.Sprintf("API rate limit exceeded for user ID %d.", userIDOf(c.token))
	a.answer(c, http.StatusOK, gqlBody(nil, []gqlErrorJSON{{Type: "RATE_LIMITED", Code: "graphql_rate_limit", Message: msg}}), st)
}

// takeN charges n points; ok is false, and nothing is charged, when fewer remain.
func (l *rateLimiter) takeN(token string, now time.Time, n int) (rateState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, limit := l.bucket(token, now)
	if b.used+n > limit {
		return rateState{limit, min(b.used, limit), b.reset}, false
	}
	b.used += n
	return rateState{limit, b.used, b.reset}, true
}

// gqlErrorJSON is an error as GitHub's GraphQL API writes it.
type gqlErrorJSON struct {
	Type       string               `json:"type,omitempty"`
	Code       string               `json:"code,omitempty"`
	Path       []any                `json:"path,omitempty"`
	Extensions map[string]any       `json:"extensions,omitempty"`
	Locations  []gqlerrors.Location `json:"locations,omitempty"`
	Message    string               `json:"message"`
}

// errorsOf converts graph-gophers' errors, with GitHub's type where a resolver gave one.
func errorsOf(errs []*gqlerrors.QueryError) []gqlErrorJSON {
	out := make([]gqlErrorJSON, 0, len(errs))
	for _, e := range errs {
		j := gqlErrorJSON{Path: e.Path, Locations: e.Locations, Extensions: e.Extensions, Message: e.Message}
		var ge *gqlError
		if errors.As(e.ResolverError, &ge) {
			j.Type, j.Message = ge.typ, ge.msg
		}
		out = append(out, j)
	}
	return out
}

// typed converts errors of the simulator's own.
func typed(errs ...*gqlError) []gqlErrorJSON {
	out := make([]gqlErrorJSON, len(errs))
	for i, e := range errs {
		out[i] = gqlErrorJSON{Type: e.typ, Message: e.msg}
	}
	return out
}

// gqlBody encodes an answer: data (nil: none) and errors.
func gqlBody(data json.RawMessage, errs []gqlErrorJSON) []byte {
	return encodeJSON(struct {
		Data   json.RawMessage `json:"data,omitempty"`
		Errors []gqlErrorJSON  `json:"errors,omitempty"`
	}{data, errs})
}

// gqlRequest is what the resolvers of one request share. A request runs twice: once
// to cost it (connections and their sizes, static errors, dryRun), then for real
// with the charged budget known to rateLimit.
type gqlRequest struct {
	token string
	base  baseURLs

	costed bool // the second run: the fields below are set
	mu     sync.Mutex
	conns  int // connections resolved
	nodes  int // their first/last values
	dryRun bool
	static []*gqlError

	cost int
	rate rateState
}

type gqlRequestKey struct{}

func withGQLRequest(ctx context.Context, r *gqlRequest) context.Context {
	return context.WithValue(ctx, gqlRequestKey{}, r)
}

func gqlRequestFrom(ctx context.Context) *gqlRequest {
	if r, ok := ctx.Value(gqlRequestKey{}).(*gqlRequest); ok {
		return r
	}
	return &gqlRequest{}
}

// connection records a connection of up to n nodes, or the static error of its arguments.
func (r *gqlRequest) connection(n int, err *gqlError) {
	if r.costed {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.static = append(r.static, err)
		return
	}
	r.conns++
	r.nodes += n
}

func (r *gqlRequest) staticErrors() []*gqlError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.static
}

// queryCost is GitHub's: the requests needed to fetch every connection at its first or
// last size (one each here: the schema has no nested connections), divided by 100 and
// rounded, at least 1.
func (r *gqlRequest) queryCost() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(1, (r.conns+50)/100)
}
