package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// GET /repos/{owner}/{repo}/code-scanning/alerts, the per-repository listing: the only
// code scanning listing of Enterprise Server before 3.5. Links go through
// /repositories/{repo_id}/..., as GitHub's do.

const (
	docCodeScanningRepo = "https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-alerts-for-a-repository"
	msgNoAnalysis       = "no analysis found"
)

// repoEndpoints are the per-repository operations, each served as
// /repos/{owner}/{repo}/... and /repositories/{repo_id}/... through orgHandler (the
// repository's owner is the organization).
func (s *Server) repoEndpoints() []endpoint {
	return []endpoint{
		{"/code-scanning/alerts", FamilyCodeScanning, docCodeScanningRepo, s.withRepo(s.listRepoCodeScanning)},
		{"/code-scanning/analyses", FamilyCodeScanning, docAnalyses, s.withRepo(s.listAnalyses)},
	}
}

// withRepo resolves the request's repository in c.org ({repo}, case-insensitive, or
// {repo_id}); an unknown one is a 404.
func (s *Server) withRepo(serve func(*call, *repo)) func(*call) {
	return func(c *call) {
		name, id := c.r.PathValue("repo"), c.r.PathValue("repo_id")
		var found *repo
		s.mu.Lock()
		for _, rp := range c.org.repos {
			if !rp.gone && (name != "" && strings.EqualFold(rp.name, name) || id != "" && strconv.FormatInt(rp.id, 10) == id) {
				found = rp
				break
			}
		}
		s.mu.Unlock()
		if found == nil {
			c.fail(notFound())
			return
		}
		serve(c, found)
	}
}

// orgOfRepo returns the organization owning the repository with the given id.
func (s *Server) orgOfRepo(id string) *org {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		for _, rp := range o.repos {
			if !rp.gone && strconv.FormatInt(rp.id, 10) == id {
				return o
			}
		}
	}
	return nil
}

// codeScanningOn reports whether code scanning runs in rp: it then has analyses and may
// have alerts; otherwise GitHub answers 404 "no analysis found".
func codeScanningOn(o *org, rp *repo) bool {
	for i, r := range o.repos {
		if r == rp {
			prev := 0.0
			if i > 0 {
				prev = o.cum[famCodeScanning][i-1]
			}
			return o.cum[famCodeScanning][i] > prev
		}
	}
	return false
}

func (s *Server) listRepoCodeScanning(c *call, rp *repo) {
	if !codeScanningOn(c.org, rp) {
		c.fail(&apiErr{status: http.StatusNotFound, message: msgNoAnalysis})
		return
	}
	q := c.r.URL.Query()
	f, err := parseCSFilter(q)
	if err != nil {
		c.fail(err)
		return
	}
	p, err := parseList(q, s.listPagination(), csResource, csSorts)
	if err != nil {
		c.fail(err)
		return
	}
	filtered, ref := f.match(), q.Get("ref")
	onRef := ref == "" || normalizeRef(ref) == "refs/heads/"+rp.branch // every alert is on the default branch
	match := func(a *csRecord) bool { return onRef && a.repo == rp && (filtered == nil || filtered(a)) }
	page, links := listPage(s, &c.org.codeScanning, p, fmt.Sprintf("%#v repo=%d ref=%v", f, rp.id, onRef), match,
		func(r *csRecord) csRecord { return *r })
	var out any
	if s.ghes222() {
		alerts := make([]csAlert222JSON, len(page))
		for i := range page {
			alerts[i] = c.codeScanning222JSON(&page[i])
		}
		out = alerts
	} else {
		alerts := make([]csRepoAlertJSON, len(page))
		for i := range page {
			alerts[i] = csRepoAlertJSON{csAlertJSON: c.codeScanningJSON(&page[i])}
		}
		out = alerts
	}
	c.send(http.StatusOK, encodeJSON(out), c.linkHeaderAt(c.repoLinkPath(rp), links))
}

// repoLinkPath is the /repositories/{id}/... URL of the request's endpoint, for links.
func (c *call) repoLinkPath(rp *repo) string {
	return c.base.api + "/repositories/" + strconv.FormatInt(rp.id, 10) + c.ep.path
}

// normalizeRef turns a branch name into its full ref, as GitHub accepts either.
func normalizeRef(ref string) string {
	if strings.HasPrefix(ref, "refs/") {
		return ref
	}
	return "refs/heads/" + ref
}

// csRepoAlertJSON is an alert of the repository listing: the organization listing's
// shape without the repository object.
type csRepoAlertJSON struct {
	csAlertJSON
	Repository *repoJSON `json:"repository,omitempty"` // shadows the embedded field: never sent
}

// JSON shapes of Enterprise Server 2.22's listing, field order as in its example.

type csAlert222JSON struct {
	Number          int               `json:"number"`
	CreatedAt       string            `json:"created_at"`
	URL             string            `json:"url"`
	HTMLURL         string            `json:"html_url"`
	State           *string           `json:"state"`
	DismissedBy     *userJSON         `json:"dismissed_by"`
	DismissedAt     *string           `json:"dismissed_at"`
	DismissedReason *string           `json:"dismissed_reason"`
	Rule            csRule222JSON     `json:"rule"`
	Tool            csToolJSON        `json:"tool"`
	Instance        csInstance222JSON `json:"instance"`
}

type csRule222JSON struct {
	ID          string  `json:"id"`
	Severity    *string `json:"severity"`
	Description string  `json:"description"`
	Name        string  `json:"name"`
}

type csInstance222JSON struct {
	Ref             string     `json:"ref"`
	AnalysisKey     string     `json:"analysis_key"`
	Environment     string     `json:"environment"`
	State           *string    `json:"state"`
	CommitSHA       string     `json:"commit_sha"`
	Message         messageTxt `json:"message"`
	Location        location   `json:"location"`
	Classifications []string   `json:"classifications"`
}

func (c *call) codeScanning222JSON(a *csRecord) csAlert222JSON {
	j := c.codeScanningJSON(a)
	in := j.MostRecentInstance
	return csAlert222JSON{
		Number: j.Number, CreatedAt: j.CreatedAt, URL: j.URL,
		HTMLURL: c.base.repoWeb(c.org, a.repo) + "/code-scanning/" + strconv.Itoa(a.Number),
		State:   j.State, DismissedBy: j.DismissedBy, DismissedAt: j.DismissedAt, DismissedReason: j.DismissedReason,
		Rule: csRule222JSON{ID: j.Rule.ID, Severity: j.Rule.Severity, Description: j.Rule.Description, Name: j.Rule.Name},
		Tool: j.Tool,
		Instance: csInstance222JSON{
			Ref: in.Ref, AnalysisKey: in.AnalysisKey, Environment: in.Environment, State: in.State,
			CommitSHA: in.CommitSHA, Message: in.Message, Location: in.Location, Classifications: in.Classifications,
		},
	}
}
