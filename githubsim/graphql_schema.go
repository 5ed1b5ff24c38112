package githubsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// graphqlSchema is the part of GitHub's GraphQL schema the simulator serves, with
// GitHub's names, types and nullability.
const graphqlSchema = `
schema { query: Query }

scalar DateTime
scalar URI

type Query {
  organization(login: String!): Organization
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type Organization {
  id: ID!
  databaseId: Int
  login: String!
  url: URI!
  repositories(
    privacy: RepositoryPrivacy
    visibility: RepositoryVisibility
    orderBy: RepositoryOrder
    isFork: Boolean
    isArchived: Boolean
    isLocked: Boolean
    after: String
    before: String
    first: Int
    last: Int
  ): RepositoryConnection!
}

type RepositoryConnection {
  edges: [RepositoryEdge]
  nodes: [Repository]
  pageInfo: PageInfo!
  totalCount: Int!
}

type RepositoryEdge {
  cursor: String!
  node: Repository
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

type Repository {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  description: String
  url: URI!
  isArchived: Boolean!
  isFork: Boolean!
  isLocked: Boolean!
  isPrivate: Boolean!
  visibility: RepositoryVisibility!
  primaryLanguage: Language
}

type Language {
  id: ID!
  name: String!
  color: String
}

enum RepositoryVisibility { INTERNAL PRIVATE PUBLIC }
enum RepositoryPrivacy { PRIVATE PUBLIC }

input RepositoryOrder {
  field: RepositoryOrderField!
  direction: OrderDirection!
}

enum RepositoryOrderField { CREATED_AT NAME PUSHED_AT STARGAZERS UPDATED_AT }
enum OrderDirection { ASC DESC }
`

// maxConnectionNodes is GitHub's limit on first and last.
const maxConnectionNodes = 100

type gqlQuery struct{ s *Server }

func (q *gqlQuery) Organization(ctx context.Context, args struct{ Login string }) (*gqlOrg, error) {
	o := q.s.byLogin[strings.ToLower(args.Login)]
	if o == nil {
		return nil, &gqlError{typ: "NOT_FOUND", msg: fmt.Sprintf("Could not resolve to an Organization with the login of '%s'.", args.Login)}
	}
	return &gqlOrg{s: q.s, o: o, base: gqlRequestFrom(ctx).base}, nil
}

func (q *gqlQuery) RateLimit(ctx context.Context, args struct{ DryRun bool }) *gqlRateLimit {
	r := gqlRequestFrom(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dryRun = r.dryRun || args.DryRun
	return &gqlRateLimit{cost: r.cost, nodes: r.nodes, rate: r.rate}
}

// gqlRateLimit is the rateLimit object: the query's cost and the budget after it.
type gqlRateLimit struct {
	cost, nodes int
	rate        rateState
}

func (l *gqlRateLimit) Cost() int32       { return int32(l.cost) }
func (l *gqlRateLimit) Limit() int32      { return int32(l.rate.limit) }
func (l *gqlRateLimit) NodeCount() int32  { return int32(l.nodes) }
func (l *gqlRateLimit) Remaining() int32  { return int32(l.rate.limit - l.rate.used) }
func (l *gqlRateLimit) Used() int32       { return int32(l.rate.used) }
func (l *gqlRateLimit) ResetAt() dateTime { return dateTime{l.rate.reset} }

type gqlOrg struct {
	s    *Server
	o    *org
	base baseURLs
}

func (g *gqlOrg) ID() graphql.ID     { return graphql.ID(legacyNodeID("Organization", g.o.id)) }
func (g *gqlOrg) DatabaseID() *int32 { return ptr(int32(g.o.id)) }
func (g *gqlOrg) Login() string      { return g.o.login }
func (g *gqlOrg) URL() uri           { return uri(g.base.web + "/" + g.o.login) }

type repositoriesArgs struct {
	Privacy    *string
	Visibility *string
	OrderBy    *struct{ Field, Direction string }
	IsFork     *bool
	IsArchived *bool
	IsLocked   *bool
	After      *string
	Before     *string
	First      *int32
	Last       *int32
}

func (g *gqlOrg) Repositories(ctx context.Context, args repositoriesArgs) (*gqlRepoConn, error) {
	n, bad := paginationBounds("repositories", args.First, args.Last)
	gqlRequestFrom(ctx).connection(n, bad)
	if bad != nil {
		return nil, bad
	}
	if !g.s.installationMayRead(gqlRequestFrom(ctx).token, g.o) { // an App not installed on the organization
		return nil, &gqlError{typ: "FORBIDDEN", msg: msgNotAccessible}
	}
	if u, ok := g.s.faults.unavailableFor(g.o.login, FamilyRepositories); ok {
		typ := "FORBIDDEN"
		if u.status == http.StatusNotFound {
			typ = "NOT_FOUND"
		}
		return nil, &gqlError{typ: typ, msg: u.message}
	}
	g.s.mu.Lock()
	inv := g.s.inventory(g.o)
	g.s.mu.Unlock()
	repos := filterRepos(inv, args)
	lo, hi, err := window(repos, args)
	if err != nil {
		return nil, err
	}
	conn := &gqlRepoConn{total: len(repos), hasPrev: lo > 0, hasNext: hi < len(repos)}
	for _, r := range repos[lo:hi] {
		conn.repos = append(conn.repos, &gqlRepo{r: r, base: g.base})
	}
	return conn, nil
}

// paginationBounds checks first and last as GitHub does before running a query (an
// error here means the query is neither run nor charged) and returns the number of
// nodes asked for.
func paginationBounds(connection string, first, last *int32) (int, *gqlError) {
	static := func(typ, format string, a ...any) *gqlError {
		return &gqlError{typ: typ, msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case first == nil && last == nil:
		return 0, static("MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to properly paginate the `%s` connection.", connection)
	case first != nil && last != nil:
		return 0, static("", "Passing both `first` and `last` to paginate the `%s` connection is not supported.", connection)
	}
	arg, n := "first", first
	if last != nil {
		arg, n = "last", last
	}
	switch {
	case *n < 0:
		return 0, static("", "`%s` on the `%s` connection cannot be less than zero.", arg, connection)
	case *n > maxConnectionNodes:
		return 0, static("EXCESSIVE_PAGINATION", "Requesting %d records on the `%s` connection exceeds the `%s` limit of %d records.", *n, connection, arg, maxConnectionNodes)
	}
	return int(*n), nil
}

// filterRepos applies the connection's filters and order to repos (creation order).
func filterRepos(repos []Repository, args repositoriesArgs) []Repository {
	out := slices.DeleteFunc(slices.Clone(repos), func(r Repository) bool {
		switch {
		case args.Privacy != nil && (*args.Privacy == "PUBLIC") != (r.Visibility == "PUBLIC"):
		case args.Visibility != nil && *args.Visibility != r.Visibility:
		case args.IsFork != nil && *args.IsFork != r.Fork:
		case args.IsArchived != nil && *args.IsArchived != r.Archived:
		case args.IsLocked != nil && *args.IsLocked: // no repository is locked
		default:
			return false
		}
		return true
	})
	if args.OrderBy == nil {
		return out
	}
	if args.OrderBy.Field == "NAME" {
		slices.SortStableFunc(out, func(a, b Repository) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	} // other fields: creation order, the only time the simulator knows
	if args.OrderBy.Direction == "DESC" {
		slices.Reverse(out)
	}
	return out
}

// window returns the part [lo, hi) of repos that after, before, first and last select.
func window(repos []Repository, args repositoriesArgs) (lo, hi int, err error) {
	lo, hi = 0, len(repos)
	if args.After != nil {
		i, err := cursorIndex(repos, *args.After)
		if err != nil {
			return 0, 0, err
		}
		lo = i + 1
	}
	if args.Before != nil {
		i, err := cursorIndex(repos, *args.Before)
		if err != nil {
			return 0, 0, err
		}
		hi = i
	}
	lo = min(lo, hi)
	if args.First != nil {
		hi = min(hi, lo+int(*args.First))
	}
	if args.Last != nil {
		lo = max(lo, hi-int(*args.Last))
	}
	return lo, hi, nil
}

// repoCursor is a repository's cursor: like GitHub's, opaque base64 of "cursor:v2:" and a key.
func repoCursor(r Repository) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.FormatInt(r.DatabaseID, 10)))
}

func cursorIndex(repos []Repository, cursor string) (int, error) {
	for i, r := range repos {
		if repoCursor(r) == cursor {
			return i, nil
		}
	}
	return 0, &gqlError{typ: "INVALID_CURSOR_ARGUMENTS", msg: fmt.Sprintf("`%s` does not appear to be a valid cursor.", cursor)}
}

type gqlRepoConn struct {
	repos            []*gqlRepo
	total            int
	hasPrev, hasNext bool
}

func (c *gqlRepoConn) Nodes() *[]*gqlRepo { return &c.repos }
func (c *gqlRepoConn) TotalCount() int32  { return int32(c.total) }
func (c *gqlRepoConn) Edges() *[]*gqlRepoEdge {
	edges := make([]*gqlRepoEdge, len(c.repos))
	for i, r := range c.repos {
		edges[i] = &gqlRepoEdge{r}
	}
	return &edges
}

func (c *gqlRepoConn) PageInfo() *gqlPageInfo {
	p := &gqlPageInfo{hasNextPage: c.hasNext, hasPreviousPage: c.hasPrev}
	if len(c.repos) > 0 {
		p.startCursor = ptr(repoCursor(c.repos[0].r))
		p.endCursor = ptr(repoCursor(c.repos[len(c.repos)-1].r))
	}
	return p
}

type gqlRepoEdge struct{ r *gqlRepo }

func (e *gqlRepoEdge) Cursor() string { return repoCursor(e.r.r) }
func (e *gqlRepoEdge) Node() *gqlRepo { return e.r }

type gqlPageInfo struct {
	startCursor, endCursor       *string
	hasNextPage, hasPreviousPage bool
}

func (p *gqlPageInfo) StartCursor() *string  { return p.startCursor }
func (p *gqlPageInfo) EndCursor() *string    { return p.endCursor }
func (p *gqlPageInfo) HasNextPage() bool     { return p.hasNextPage }
func (p *gqlPageInfo) HasPreviousPage() bool { return p.hasPreviousPage }

type gqlRepo struct {
	r    Repository
	base baseURLs
}

func (r *gqlRepo) ID() graphql.ID                { return graphql.ID(legacyNodeID("Repository", r.r.DatabaseID)) }
func (r *gqlRepo) DatabaseID() *int32            { return ptr(int32(r.r.DatabaseID)) }
func (r *gqlRepo) Name() string                  { return r.r.Name }
func (r *gqlRepo) NameWithOwner() string         { return r.r.NameWithOwner }
func (r *gqlRepo) Description() *string          { return nullable(r.r.Description) }
func (r *gqlRepo) URL() uri                      { return uri(r.base.web + "/" + r.r.NameWithOwner) }
func (r *gqlRepo) IsArchived() bool              { return r.r.Archived }
func (r *gqlRepo) IsFork() bool                  { return r.r.Fork }
func (r *gqlRepo) IsLocked() bool                { return false }
func (r *gqlRepo) IsPrivate() bool               { return r.r.Visibility != "PUBLIC" }
func (r *gqlRepo) Visibility() string            { return r.r.Visibility }
func (r *gqlRepo) PrimaryLanguage() *gqlLanguage { return languageOf(r.r.Language) }

type gqlLanguage struct{ name string }

func languageOf(name string) *gqlLanguage {
	if name == "" {
		return nil
	}
	return &gqlLanguage{name}
}

func (l *gqlLanguage) ID() graphql.ID {
	return graphql.ID(legacyNodeID("Language", int64(hashString(l.name)%1000)))
}
func (l *gqlLanguage) Name() string { return l.name }
func (l *gqlLanguage) Color() *string {
	return nullable(languageColors[l.name])
}

// languageColors are GitHub's (linguist's) colours of the languages.
var languageColors = map[string]string{
	"JavaScript": "#f1e05a", "Python": "#3572A5", "Java": "#b07219", "Go": "#00ADD8",
	"Ruby": "#701516", "C#": "#178600", "PHP": "#4F5D95", "Rust": "#dea584",
}

// dateTime is GitHub's DateTime scalar: ISO-8601 in UTC.
type dateTime struct{ time.Time }

func (dateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }

func (t *dateTime) UnmarshalGraphQL(input any) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("DateTime: want a string, got %T", input)
	}
	parsed, err := time.Parse(time.RFC3339, s)
	t.Time = parsed
	return err
}

func (t dateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// uri is GitHub's URI scalar.
type uri string

func (uri) ImplementsGraphQLType(name string) bool { return name == "URI" }

func (u *uri) UnmarshalGraphQL(input any) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("URI: want a string, got %T", input)
	}
	*u = uri(s)
	return nil
}
