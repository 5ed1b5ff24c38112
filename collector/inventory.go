package collector

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shurcooL/githubv4"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

func init() { registerSource(inventory{}) }

var repositoryInfoDesc = prometheus.NewDesc(
	"github_repository_info",
	"Repositories of the organization that pass the repository filter, with visibility, archived and fork flags and primary language; always 1, refreshed on schedule.",
	[]string{"org", "repository", "visibility", "archived", "fork", "language"}, nil,
)

// inventory lists an organization's repositories over GraphQL and sets Target.Repos,
// which the other sources filter by and give explicit zeros from. Repositories the
// filter leaves out are in the inventory but get no info series: the filter means
// "leave this repository out of every family".
type inventory struct{}

// inventoryQuery is organization(login:) { repositories(first: 100, after:) } with the
// query's rateLimit, one page.
type inventoryQuery struct {
	Organization *struct {
		Repositories struct {
			Nodes []struct {
				DatabaseID      int64
				Name            string
				IsArchived      bool
				IsFork          bool
				Visibility      githubv4.RepositoryVisibility
				PrimaryLanguage *struct{ Name string }
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		} `graphql:"repositories(first: 100, after: $cursor)"`
	} `graphql:"organization(login: $login)"`
	RateLimit *struct { // null where rate limiting is off (Enterprise Server's default)
		Cost, Limit, Remaining int
		ResetAt                githubv4.DateTime
	}
}

func (inventory) Name() string { return inventorySource }

func (inventory) Describe(ch chan<- *prometheus.Desc) { ch <- repositoryInfoDesc }

func (inventory) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	if t.GraphQL == nil {
		return nil, errors.New("listing repositories needs the GraphQL API, and no GraphQL client is configured")
	}
	repos, err := listRepositories(githubapi.WithEndpoint(ctx, "graphql"), t)
	if err != nil {
		return nil, fmt.Errorf("listing repositories of %s: %w", t.Org, err)
	}
	t.setInventory(NewInventory(repos))
	return inventoryMetrics(t)
}

// inventoryMetrics returns the info series of the kept repositories of t's inventory.
func inventoryMetrics(t *Target) ([]prometheus.Metric, error) {
	var out []prometheus.Metric
	for _, name := range t.Repos.Names() {
		if !t.Keep(name) {
			continue
		}
		r, _ := t.Repos.Lookup(name)
		m, err := prometheus.NewConstMetric(repositoryInfoDesc, prometheus.GaugeValue, 1, t.Org, cleanLabel(r.Name),
			r.Visibility, strconv.FormatBool(r.Archived), strconv.FormatBool(r.Fork), cleanLabel(r.Language))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// listRepositories walks the repositories connection to its end. A cursor that comes
// back a second time, a page without nodes that has a next page, a node without a
// name and more pages than the page budget are errors, not a loop or a phantom.
func listRepositories(ctx context.Context, t *Target) ([]Repository, error) {
	var repos []Repository
	seen := map[string]bool{}
	vars := map[string]any{"login": githubv4.String(t.Org), "cursor": (*githubv4.String)(nil)}
	budget := t.pageBudget((len(t.Repos.Names()) + 99) / 100)
	for pages := 1; ; pages++ {
		if pages > budget {
			return nil, fmt.Errorf("graphql: walk cut after %d pages, the budget of one walk: %w", budget, githubapi.ErrTooManyPages)
		}
		var q inventoryQuery
		if err := t.GraphQL.Query(ctx, &q, vars); err != nil {
			return nil, answerError(err)
		}
		if rl := q.RateLimit; rl != nil {
			t.Metrics.SetRateLimit("graphql", rl.Limit, rl.Remaining, rl.ResetAt.Time)
		}
		if q.Organization == nil {
			return nil, errors.New("graphql: organization is null")
		}
		conn := q.Organization.Repositories
		if conn.PageInfo.HasNextPage && len(conn.Nodes) == 0 {
			return nil, errors.New("graphql: a page without nodes has a next page (GitHub never sends one)")
		}
		for _, n := range conn.Nodes {
			if n.Name == "" {
				return nil, errors.New("graphql: a repository node without a name")
			}
			r := Repository{ID: n.DatabaseID, Name: n.Name, Visibility: strings.ToLower(string(n.Visibility)), Archived: n.IsArchived, Fork: n.IsFork}
			if n.PrimaryLanguage != nil {
				r.Language = n.PrimaryLanguage.Name
			}
			repos = append(repos, r)
		}
		if len(repos) > maxSeries {
			return nil, fmt.Errorf("more than %d repositories", maxSeries)
		}
		if !conn.PageInfo.HasNextPage {
			return repos, nil
		}
		cursor := conn.PageInfo.EndCursor
		switch {
		case cursor == nil || *cursor == "":
			return nil, errors.New("graphql: hasNextPage without an endCursor")
		case seen[*cursor]:
			return nil, fmt.Errorf("graphql: pagination loop: cursor %q came back", clipCursor(*cursor))
		}
		seen[*cursor] = true
		vars["cursor"] = githubv4.NewString(githubv4.String(*cursor))
	}
}

// answerError returns GitHub's answer (a *githubapi.StatusError or *githubapi.GraphQLError)
// from under the *url.Error that http.Client wraps it in, which only adds the URL.
func answerError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	var se *githubapi.StatusError
	var ge *githubapi.GraphQLError
	if errors.As(ue.Err, &se) || errors.As(ue.Err, &ge) {
		return ue.Err
	}
	return err
}

// clipCursor bounds a cursor from GitHub quoted in an error message.
func clipCursor(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
