package githubsim

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// gqlAnswer is a GraphQL answer as GitHub writes it.
type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

// graphql POSTs a query to path with the sim's token and decodes the answer of a 200.
func (m *sim) graphql(path, query string, vars map[string]any) (*http.Response, gqlAnswer) {
	m.t.Helper()
	resp, body := m.post(path, map[string]any{"query": query, "variables": vars})
	var a gqlAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			m.t.Fatalf("POST %s: decoding %q: %v", path, body, err)
		}
	}
	return resp, a
}

func (m *sim) post(path string, in any) (*http.Response, []byte) {
	m.t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		m.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, m.url(path), bytes.NewReader(b))
	if err != nil {
		m.t.Fatal(err)
	}
	if m.token != "" {
		req.Header.Set("Authorization", "bearer "+m.token)
	}
	resp, err := m.ts.Client().Do(req)
	if err != nil {
		m.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp, body
}

const repositoriesQuery = `query($login: String!, $first: Int, $after: String, $last: Int, $before: String) {
  organization(login: $login) {
    repositories(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      nodes { name nameWithOwner isArchived isFork isPrivate visibility primaryLanguage { name } }
      edges { cursor node { name } }
      pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    }
  }
  rateLimit { cost limit remaining used resetAt nodeCount }
}`

type repositoriesPage struct {
	Organization *struct {
		Repositories struct {
			TotalCount int
			Nodes      []struct {
				Name, NameWithOwner, Visibility string
				IsArchived, IsFork, IsPrivate   bool
				PrimaryLanguage                 *struct{ Name string }
			}
			Edges []struct {
				Cursor string
				Node   struct{ Name string }
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				EndCursor, StartCursor       *string
			}
		}
	}
	RateLimit struct {
		Cost, Limit, Remaining, Used, NodeCount int
		ResetAt                                 time.Time
	}
}

func decodePage(t *testing.T, a gqlAnswer) repositoriesPage {
	t.Helper()
	if len(a.Errors) > 0 {
		t.Fatalf("errors: %+v", a.Errors)
	}
	var p repositoriesPage
	if err := json.Unmarshal(a.Data, &p); err != nil {
		t.Fatalf("decoding %s: %v", a.Data, err)
	}
	return p
}

// TestGraphQLRepositoriesToTheEnd walks the repositories connection forwards and
// backwards, on github.com's and Enterprise Server's paths, and expects every
// repository of the ground truth once, in order, with its attributes.
func TestGraphQLRepositoriesToTheEnd(t *testing.T) {
	tests := []struct {
		prefix, path string
		forward      bool
		size         int
	}{
		{"", "/graphql", true, 100},
		{"", "/graphql", true, 7},
		{"", "/graphql", false, 30},
		{"/api/v3", "/api/graphql", true, 100},
		{"/api/v3", "/api/graphql", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+strconv.FormatBool(tt.forward)+" "+strconv.Itoa(tt.size), func(t *testing.T) {
			m := newSim(t, Config{Seed: 4, PathPrefix: tt.prefix, Orgs: []OrgSpec{{Login: "big-org", Repos: 237, CodeScanning: 300}}})
			truth := m.s.Repositories("big-org")
			var got []Repository
			vars := map[string]any{"login": "BIG-ORG"} // logins are case-insensitive
			for page := 0; ; page++ {
				if page > 300 {
					t.Fatal("the walk does not end")
				}
				if tt.forward {
					vars["first"] = tt.size
				} else {
					vars["last"] = tt.size
				}
				resp, a := m.graphql(tt.path, repositoriesQuery, vars)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("page %d: %s", page, resp.Status)
				}
				p := decodePage(t, a)
				conn := p.Organization.Repositories
				if conn.TotalCount != len(truth) || len(conn.Nodes) > tt.size || len(conn.Nodes) != len(conn.Edges) {
					t.Fatalf("page %d: totalCount %d of %d, %d nodes, %d edges", page, conn.TotalCount, len(truth), len(conn.Nodes), len(conn.Edges))
				}
				var nodes []Repository
				for i, n := range conn.Nodes {
					if conn.Edges[i].Node.Name != n.Name {
						t.Fatalf("edge %d is %s, node %s", i, conn.Edges[i].Node.Name, n.Name)
					}
					r := Repository{Name: n.Name, NameWithOwner: n.NameWithOwner, Visibility: n.Visibility, Archived: n.IsArchived, Fork: n.IsFork}
					if n.PrimaryLanguage != nil {
						r.Language = n.PrimaryLanguage.Name
					}
					if n.IsPrivate != (n.Visibility != "PUBLIC") {
						t.Errorf("%s: isPrivate %v with visibility %s", n.Name, n.IsPrivate, n.Visibility)
					}
					nodes = append(nodes, r)
				}
				if p.RateLimit.Cost != 1 || p.RateLimit.NodeCount != tt.size || p.RateLimit.Remaining != 5000-page-1 {
					t.Errorf("page %d: rateLimit %+v", page, p.RateLimit)
				}
				info := conn.PageInfo
				if tt.forward {
					got = append(got, nodes...)
					if info.HasPreviousPage != (page > 0) {
						t.Errorf("page %d: hasPreviousPage %v", page, info.HasPreviousPage)
					}
					if !info.HasNextPage {
						break
					}
					vars["after"] = *info.EndCursor
				} else {
					got = append(nodes, got...)
					if info.HasNextPage != (page > 0) {
						t.Errorf("page %d: hasNextPage %v", page, info.HasNextPage)
					}
					if !info.HasPreviousPage {
						break
					}
					vars["before"] = *info.StartCursor
				}
			}
			for i := range truth {
				truth[i].Description, truth[i].DatabaseID = "", 0
			}
			if !slices.Equal(got, truth) {
				t.Errorf("walked %d repositories, the ground truth has %d; first difference at %d", len(got), len(truth), firstDifference(got, truth))
			}
		})
	}
}

func firstDifference[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestGraphQLFiltersAndOrder(t *testing.T) {
	m := newSim(t, Config{Seed: 4, Orgs: []OrgSpec{{Login: "big-org", Repos: 90}}})
	truth := m.s.Repositories("big-org")
	tests := []struct {
		args string
		keep func(Repository) bool
	}{
		{"isFork: true", func(r Repository) bool { return r.Fork }},
		{"isArchived: false", func(r Repository) bool { return !r.Archived }},
		{"privacy: PRIVATE", func(r Repository) bool { return r.Visibility != "PUBLIC" }},
		{"visibility: INTERNAL", func(r Repository) bool { return r.Visibility == "INTERNAL" }},
		{"isLocked: true", func(Repository) bool { return false }},
	}
	for _, tt := range tests {
		_, a := m.graphql("/graphql", `{ organization(login: "big-org") { repositories(first: 100, `+tt.args+`) { totalCount nodes { name } } } }`, nil)
		p := decodePage(t, a)
		var want, got []string
		for _, r := range truth {
			if tt.keep(r) {
				want = append(want, r.Name)
			}
		}
		for _, n := range p.Organization.Repositories.Nodes {
			got = append(got, n.Name)
		}
		if !slices.Equal(got, want) || p.Organization.Repositories.TotalCount != len(want) {
			t.Errorf("%s: got %v (totalCount %d), want %v", tt.args, got, p.Organization.Repositories.TotalCount, want)
		}
	}
	_, a := m.graphql("/graphql", `{ organization(login: "big-org") { repositories(first: 100, orderBy: {field: NAME, direction: DESC}) { nodes { name } } } }`, nil)
	var names []string
	for _, n := range decodePage(t, a).Organization.Repositories.Nodes {
		names = append(names, strings.ToLower(n.Name))
	}
	if len(names) != len(truth) || !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("orderBy NAME DESC: %v", names)
	}
}

// TestGraphQLErrors checks GitHub's answers to queries it refuses: HTTP 200 with typed errors.
func TestGraphQLErrors(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		typ     string
		message string
		data    string // the data GitHub still sends, "" for none
		charged bool
	}{
		{"no first or last", `{ organization(login: "octo-org") { repositories { totalCount } } }`,
			"MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to properly paginate the `repositories` connection.", "", false},
		{"first over 100", `{ organization(login: "octo-org") { repositories(first: 101) { totalCount } } }`,
			"EXCESSIVE_PAGINATION", "Requesting 101 records on the `repositories` connection exceeds the `first` limit of 100 records.", "", false},
		{"last over 100", `{ organization(login: "octo-org") { repositories(last: 500) { totalCount } } }`,
			"EXCESSIVE_PAGINATION", "Requesting 500 records on the `repositories` connection exceeds the `last` limit of 100 records.", "", false},
		{"first and last", `{ organization(login: "octo-org") { repositories(first: 1, last: 1) { totalCount } } }`,
			"", "Passing both `first` and `last` to paginate the `repositories` connection is not supported.", "", false},
		{"negative first", `{ organization(login: "octo-org") { repositories(first: -1) { totalCount } } }`,
			"", "`first` on the `repositories` connection cannot be less than zero.", "", false},
		{"unknown organization", `{ organization(login: "nope") { login } }`,
			"NOT_FOUND", "Could not resolve to an Organization with the login of 'nope'.", `{"organization":null}`, true},
		{"bad cursor", `{ organization(login: "octo-org") { repositories(first: 1, after: "nope") { totalCount } } }`,
			"INVALID_CURSOR_ARGUMENTS", "`nope` does not appear to be a valid cursor.", `{"organization":null}`, true},
		{"not in the schema", `{ organization(login: "octo-org") { secrets } }`,
			"", `Cannot query field "secrets" on type "Organization".`, "", false},
		{"not GraphQL", `organization`, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSim(t, Config{Seed: 1})
			resp, a := m.graphql("/graphql", tt.query, nil)
			if resp.StatusCode != http.StatusOK || len(a.Errors) != 1 {
				t.Fatalf("%s, errors %+v; want 200 and one error", resp.Status, a.Errors)
			}
			if e := a.Errors[0]; e.Type != tt.typ || !strings.Contains(e.Message, tt.message) {
				t.Errorf("error %+v, want type %q message %q", e, tt.typ, tt.message)
			}
			if string(a.Data) != tt.data && !(tt.data == "" && a.Data == nil) {
				t.Errorf("data %s, want %q", a.Data, tt.data)
			}
			used := resp.Header.Get("X-RateLimit-Used")
			if (used == "1") != tt.charged {
				t.Errorf("x-ratelimit-used %s; charged: want %v", used, tt.charged)
			}
		})
	}
}

func TestGraphQLUnavailable(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	q := `{ organization(login: "octo-org") { repositories(first: 10) { totalCount } } }`
	for _, tt := range []struct {
		status int
		typ    string
	}{{http.StatusForbidden, "FORBIDDEN"}, {http.StatusNotFound, "NOT_FOUND"}} {
		m.s.SetUnavailable("octo-org", FamilyRepositories, tt.status, "Resource not accessible by integration")
		resp, a := m.graphql("/graphql", q, nil)
		if resp.StatusCode != http.StatusOK || len(a.Errors) != 1 || a.Errors[0].Type != tt.typ ||
			a.Errors[0].Message != "Resource not accessible by integration" || string(a.Data) != `{"organization":null}` {
			t.Errorf("unavailable %d: %s %s %+v", tt.status, resp.Status, a.Data, a.Errors)
		}
	}
	m.s.SetUnavailable("octo-org", FamilyRepositories, 0, "")
	if _, a := m.graphql("/graphql", q, nil); len(a.Errors) != 0 {
		t.Errorf("available again: %+v", a.Errors)
	}
}

func TestGraphQLAuthentication(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	for _, tt := range []struct{ token, message string }{
		{"", "This endpoint requires you to be authenticated."},
	} {
		anon := *m
		anon.token = tt.token
		resp, body := anon.post("/graphql", map[string]any{"query": "{ rateLimit { remaining } }"})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s, want 401", resp.Status)
		}
		if msg := decodeError(t, body)["message"]; msg != tt.message {
			t.Errorf("message %q, want %q", msg, tt.message)
		}
	}
	resp, body := m.post("/graphql", "not an object")
	if resp.StatusCode != http.StatusBadRequest || decodeError(t, body)["message"] != "Problems parsing JSON" {
		t.Errorf("a body that is not a request: %s %s", resp.Status, body)
	}
	if resp, _ := m.get("/graphql"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /graphql: %s, want 404", resp.Status)
	}
}

// TestGraphQLBudget checks the graphql budget: its own, per token, charged before the
// query runs, RATE_LIMITED in a 200 when spent, renewed after the hour.
func TestGraphQLBudget(t *testing.T) {
	m := newSim(t, Config{Seed: 1, RateLimit: 3})
	q := `{ organization(login: "octo-org") { repositories(first: 5) { totalCount } } rateLimit { cost limit remaining used resetAt } }`
	reset := testNow.Add(time.Hour)
	for i := 1; i <= 3; i++ {
		resp, a := m.graphql("/graphql", q, nil)
		var p struct {
			RateLimit struct {
				Cost, Limit, Remaining, Used int
				ResetAt                      time.Time
			}
		}
		if err := json.Unmarshal(a.Data, &p); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"X-RateLimit-Limit": "3", "X-RateLimit-Used": strconv.Itoa(i), "X-RateLimit-Remaining": strconv.Itoa(3 - i),
			"X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10), "X-RateLimit-Resource": "graphql"}
		for h, v := range want {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("query %d: %s = %s, want %s", i, h, got, v)
			}
		}
		if rl := p.RateLimit; rl.Cost != 1 || rl.Limit != 3 || rl.Used != i || rl.Remaining != 3-i || !rl.ResetAt.Equal(reset) {
			t.Errorf("query %d: rateLimit %+v", i, rl)
		}
	}
	if _, a := m.graphql("/graphql", `{ rateLimit(dryRun: true) { cost remaining } }`, nil); string(a.Data) != `{"rateLimit":{"cost":1,"remaining":0}}` {
		t.Errorf("dry run: %s %+v", a.Data, a.Errors)
	}
	resp, body := m.post("/graphql", map[string]any{"query": q})
	var a gqlAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || a.Data != nil || len(a.Errors) != 1 || a.Errors[0].Type != "RATE_LIMITED" ||
		!strings.HasPrefix(a.Errors[0].Message, "API rate limit exceeded for user ID ") || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("spent budget: %s %s", resp.Status, body)
	}
	if strings.Contains(string(body), m.token) {
		t.Error("the answer echoes the token")
	}
	if got := m.s.Stats().RateLimited; got != 1 {
		t.Errorf("Stats().RateLimited = %d, want 1", got)
	}
	if resp, _ := m.get("/orgs/octo-org/dependabot/alerts?per_page=1"); resp.StatusCode != http.StatusOK || resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("REST after GraphQL spent its budget: %s, remaining %s; the budgets are separate", resp.Status, resp.Header.Get("X-RateLimit-Remaining"))
	}
	other := *m
	other.token = "another-token"
	if _, a := other.graphql("/graphql", q, nil); len(a.Errors) != 0 {
		t.Errorf("another token: %+v; budgets are per token", a.Errors)
	}
	m.clock.Add(time.Hour)
	if resp, a := m.graphql("/graphql", q, nil); len(a.Errors) != 0 || resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the reset: %+v, remaining %s", a.Errors, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if got := m.s.Stats().ByEndpoint["/graphql"]; got != 7 {
		t.Errorf("Stats().ByEndpoint[/graphql] = %d, want 7", got)
	}
}

func TestGraphQLFaults(t *testing.T) {
	m := newSim(t, Config{Seed: 1, PathPrefix: "/api/v3"})
	m.s.InjectFault(Fault{Path: "dependabot", Kind: BadGateway})
	m.s.InjectFault(Fault{Path: "graphql", Kind: BadGateway})
	m.s.InjectFault(Fault{Path: "graphql", Kind: MalformedJSON})
	q := map[string]any{"query": `{ rateLimit { remaining } }`}
	if resp, _ := m.post("/api/graphql", q); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("first request: %s, want the injected 502", resp.Status)
	}
	resp, body := m.post("/api/graphql", q)
	if resp.StatusCode != http.StatusOK || json.Valid(body) {
		t.Errorf("second request: %s %q, want a 200 cut short", resp.Status, body)
	}
	if _, a := m.graphql("/api/graphql", q["query"].(string), nil); len(a.Errors) != 0 || a.Data == nil {
		t.Errorf("third request: %s %+v", a.Data, a.Errors)
	}
	if resp, _ := m.get("/api/v3/orgs/octo-org/dependabot/alerts"); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("the dependabot fault was used up by GraphQL: %s", resp.Status)
	}
	if resp, _ := m.post("/api/v3/graphql", q); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /api/v3/graphql on Enterprise Server: %s, want 404", resp.Status)
	}
}

// TestRepositoryAttributes checks the inventory's ground truth: deterministic, realistic
// shares, and languages that agree with the alerts.
func TestRepositoryAttributes(t *testing.T) {
	a, b := New(Config{Seed: 9, Now: func() time.Time { return testNow }}), New(Config{Seed: 9, Now: func() time.Time { return testNow }})
	for _, org := range a.Orgs() {
		repos := a.Repositories(org)
		if !slices.Equal(repos, b.Repositories(org)) {
			t.Errorf("%s: the same seed gives other repositories", org)
		}
		count := map[string]int{}
		for _, r := range repos {
			count["archived"] += boolCount(r.Archived)
			count["fork"] += boolCount(r.Fork)
			count[r.Visibility]++
			if r.NameWithOwner != org+"/"+r.Name {
				t.Errorf("nameWithOwner %s", r.NameWithOwner)
			}
		}
		n := float64(len(repos))
		if count["archived"] != int(math.Round(n*archivedShare)) || count["fork"] != int(math.Round(n*forkShare)) {
			t.Errorf("%s: %d archived and %d forks of %d repositories", org, count["archived"], count["fork"], len(repos))
		}
		if count["PUBLIC"] == 0 || count["PRIVATE"] == 0 || count["INTERNAL"] == 0 {
			t.Errorf("%s: visibilities %v", org, count)
		}
		language := map[string]string{}
		for _, r := range repos {
			language[r.Name] = r.Language
		}
		for _, al := range a.DependabotAlerts(org) {
			if language[al.Repo] == "" {
				t.Errorf("%s/%s has Dependabot alerts but no language", org, al.Repo)
			}
		}
		for _, al := range a.CodeScanningAlerts(org) {
			if lang := language[al.Repo]; strings.HasPrefix(al.RuleID, "js/") && lang != "JavaScript" {
				t.Errorf("%s/%s has JavaScript rule %s but language %q", org, al.Repo, al.RuleID, lang)
			}
		}
	}
	if a.Repositories("nope") != nil {
		t.Error("an unknown organization has repositories")
	}
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestGraphQLInstallation checks that an App installation reads the repositories of the
// organizations it is installed on only, as over REST.
func TestGraphQLInstallation(t *testing.T) {
	key := testKey(t)
	m := appSim(t, key)
	now := m.clock.Now().Unix()
	jwtString := appJWT(t, jwt.SigningMethodRS256, key, jwt.MapClaims{"iss": strconv.Itoa(testAppID), "iat": now - 30, "exp": now + 90})
	resp, body := m.do(http.MethodPost, tokensPath, "Bearer "+jwtString, "")
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("minting: %s %s", resp.Status, body)
	}
	m.token = tok.Token
	for org, want := range map[string]string{"octo-org": "", "other-org": msgNotAccessible} {
		_, a := m.graphql("/graphql", `query($login: String!) { organization(login: $login) { repositories(first: 100) { totalCount } } }`, map[string]any{"login": org})
		switch {
		case want == "" && len(a.Errors) != 0:
			t.Errorf("%s: %+v", org, a.Errors)
		case want != "" && (len(a.Errors) != 1 || a.Errors[0].Type != "FORBIDDEN" || a.Errors[0].Message != want):
			t.Errorf("%s: %s %+v, want FORBIDDEN %q", org, a.Data, a.Errors, want)
		}
	}
}
