package githubsim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GET /repos/{owner}/{repo}/code-scanning/analyses
//
// Every repository with code scanning has analyses: per tool a few on the default branch,
// the newest no earlier than the tool's latest alert there, and for some tools newer ones
// on pull-request merge refs. Step adds new default-branch analyses. A repository
// without code scanning answers 404 "no analysis found".

const docAnalyses = "https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-analyses-for-a-repository"

// CodeScanningAnalysis is the ground truth of one code scanning analysis.
type CodeScanningAnalysis struct {
	ID        int64
	Repo      string
	Ref       string // refs/heads/<branch> or refs/pull/<n>/merge
	Default   bool   // Ref is the repository's default branch
	Tool      string
	Category  string
	CreatedAt time.Time
}

type analysis struct {
	CodeScanningAnalysis
	repo    *repo
	tool    *csTool
	results int
}

func (a *analysis) key(sortField) sortKey { return sortKey{a.CreatedAt.Unix(), a.ID, a.repo.id} }

// analysisStore holds the analyses of every repository. Guarded by Server.mu.
type analysisStore struct {
	byRepo map[*repo][]*analysis // ascending by key
	nextID int64
	rng    *rand.Rand // Step's, a stream of its own so that the alerts' churn is unchanged
}

func newAnalysisStore(g *generator, orgs []*org) *analysisStore {
	st := &analysisStore{byRepo: map[*repo][]*analysis{}, nextID: 40_000_000, rng: g.rng("analyses-churn")}
	var all []*analysis
	for _, o := range orgs {
		latest := latestToolEvents(o)
		for _, rp := range o.repos {
			if !codeScanningOn(o, rp) {
				continue
			}
			rng := g.rng(o.login, rp.name, "analyses")
			for _, t := range repoTools(rp) {
				all = append(all, generateAnalyses(rng, rp, t, g.now, latest[toolKey{rp, t}])...)
			}
		}
	}
	slices.SortFunc(all, func(a, b *analysis) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.repo.id, b.repo.id), strings.Compare(a.Tool, b.Tool), strings.Compare(a.Ref, b.Ref))
	})
	for _, a := range all {
		st.add(a)
	}
	for _, o := range orgs {
		st.countResults(o)
	}
	return st
}

type toolKey struct {
	repo *repo
	tool *csTool
}

// latestToolEvents is, per repository and tool, the last time an analysis changed an
// alert: its creation or its fix.
func latestToolEvents(o *org) map[toolKey]time.Time {
	out := map[toolKey]time.Time{}
	for _, a := range o.codeScanning.all {
		k := toolKey{a.repo, a.rule.tool}
		t := a.CreatedAt
		if a.FixedAt != nil && a.FixedAt.After(t) {
			t = *a.FixedAt
		}
		if t.After(out[k]) {
			out[k] = t
		}
	}
	return out
}

// repoTools are the code scanning tools of a repository, in catalog order.
func repoTools(rp *repo) []*csTool {
	var tools []*csTool
	for _, r := range rp.rules {
		if !slices.Contains(tools, r.v.tool) {
			tools = append(tools, r.v.tool)
		}
	}
	return tools
}

// generateAnalyses draws a tool's analyses in rp: a few on the default branch, mostly
// recent, some stale, none before the tool's latest alert event; sometimes newer ones on
// pull requests.
func generateAnalyses(rng *rand.Rand, rp *repo, t *csTool, now, latestEvent time.Time) []*analysis {
	age := time.Duration(rng.Int64N(int64(48 * time.Hour)))
	switch x := rng.Float64(); {
	case x < 0.1:
		age = 14*24*time.Hour + time.Duration(rng.Int64N(int64(76*24*time.Hour)))
	case x < 0.3:
		age = 2*24*time.Hour + time.Duration(rng.Int64N(int64(12*24*time.Hour)))
	}
	newest := now.Add(-age)
	if latestEvent.After(newest) {
		newest = latestEvent
	}
	newest = newest.Truncate(time.Second)
	var out []*analysis
	at := newest
	for range 1 + rng.IntN(4) {
		out = append(out, newAnalysis(rp, t, "refs/heads/"+rp.branch, at))
		at = at.Add(-24*time.Hour - time.Duration(rng.Int64N(int64(72*time.Hour)))).Truncate(time.Second)
	}
	if rng.Float64() < 0.4 && now.After(newest) {
		pr := 1 + rng.IntN(900)
		at := newest.Add(time.Duration(rng.Int64N(int64(now.Sub(newest)) + 1))).Truncate(time.Second)
		out = append(out, newAnalysis(rp, t, fmt.Sprintf("refs/pull/%d/merge", pr), at))
	}
	return out
}

func newAnalysis(rp *repo, t *csTool, ref string, at time.Time) *analysis {
	return &analysis{
		CodeScanningAnalysis: CodeScanningAnalysis{
			Repo: rp.name, Ref: ref, Default: ref == "refs/heads/"+rp.branch, Tool: t.name,
			Category: strings.ReplaceAll(t.category, "%s", rp.lang), CreatedAt: at,
		},
		repo: rp, tool: t,
	}
}

// add gives a the next id and files it under its repository.
func (st *analysisStore) add(a *analysis) {
	st.nextID++
	a.ID = st.nextID
	list := append(st.byRepo[a.repo], a)
	slices.SortFunc(list, func(x, y *analysis) int { return x.key(sortCreated).compare(y.key(sortCreated)) })
	st.byRepo[a.repo] = list
}

// countResults sets results_count of o's default-branch analyses: the tool's open
// alerts in the repository at generation.
func (st *analysisStore) countResults(o *org) {
	open := map[toolKey]int{}
	for _, a := range o.codeScanning.all {
		if a.isOpen() {
			open[toolKey{a.repo, a.rule.tool}]++
		}
	}
	for _, rp := range o.repos {
		for _, a := range st.byRepo[rp] {
			if a.Default {
				a.results = open[toolKey{rp, a.tool}]
			}
		}
	}
}

// step adds about one default-branch analysis per five changes, at now, to repositories
// drawn like new code scanning alerts.
func (st *analysisStore) step(orgs []*org, now time.Time, changes int) {
	for range (changes + 4) / 5 {
		var choices []weighted[*org]
		for _, o := range orgs {
			if n := len(o.codeScanning.all); n > 0 {
				choices = append(choices, weighted[*org]{o, n})
			}
		}
		if len(choices) == 0 {
			return
		}
		o := pickOne(st.rng, choices)
		i := o.pickRepo(st.rng, famCodeScanning)
		if i < 0 {
			continue
		}
		rp := o.repos[i]
		tools := repoTools(rp)
		a := newAnalysis(rp, tools[st.rng.IntN(len(tools))], "refs/heads/"+rp.branch, now)
		for _, al := range o.codeScanning.all {
			if al.repo == rp && al.rule.tool == a.tool && al.isOpen() {
				a.results++
			}
		}
		st.add(a)
	}
}

// CodeScanningAnalyses returns copies of org's code scanning analyses, ordered by
// repository and id.
func (s *Server) CodeScanningAnalyses(login string) []CodeScanningAnalysis {
	o := s.byLogin[strings.ToLower(login)]
	if o == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CodeScanningAnalysis
	for _, rp := range o.repos {
		for _, a := range s.analyses.byRepo[rp] {
			out = append(out, a.CodeScanningAnalysis)
		}
	}
	slices.SortFunc(out, func(a, b CodeScanningAnalysis) int {
		return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.ID, b.ID))
	})
	return out
}

const analysisResource = "CodeScanningAnalysis"

func (s *Server) listAnalyses(c *call, rp *repo) {
	q := c.r.URL.Query()
	if q.Get("tool_name") != "" && q.Get("tool_guid") != "" {
		c.fail(invalid(analysisResource, "tool_guid", q.Get("tool_guid")))
		return
	}
	p, err := parseList(q, pageOnly, analysisResource, map[string]sortField{"created": sortCreated})
	if err != nil {
		c.fail(err)
		return
	}
	s.mu.Lock()
	all := s.analyses.byRepo[rp]
	match := analysisFilter(q)
	var view []*analysis
	for _, a := range all {
		if match(a) {
			view = append(view, a)
		}
	}
	deletable := newestOfSets(all)
	page, links := paginate(view, p)
	out := make([]analysisJSON, len(page))
	for i, a := range page {
		out[i] = c.analysisJSON(a, deletable[a])
	}
	s.mu.Unlock()
	if len(all) == 0 {
		c.fail(&apiErr{status: http.StatusNotFound, message: msgNoAnalysis})
		return
	}
	c.send(http.StatusOK, encodeJSON(out), c.linkHeaderAt(c.repoLinkPath(rp), links))
}

// analysisFilter holds the documented filters: tool_name, tool_guid (no simulated tool
// has a GUID), ref (a branch name or a full ref), pr and sarif_id.
func analysisFilter(q map[string][]string) func(*analysis) bool {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	tool, guid, ref, pr, sarif := get("tool_name"), get("tool_guid"), get("ref"), get("pr"), get("sarif_id")
	return func(a *analysis) bool {
		switch {
		case guid != "",
			tool != "" && a.Tool != tool,
			ref != "" && a.Ref != normalizeRef(ref),
			pr != "" && a.Ref != "refs/pull/"+pr+"/merge" && a.Ref != "refs/pull/"+pr+"/head",
			sarif != "" && sarifID(a) != sarif:
			return false
		}
		return true
	}
}

// newestOfSets marks, per set of ref, tool and category, its newest analysis: the one
// GitHub lets delete.
func newestOfSets(all []*analysis) map[*analysis]bool {
	newest := map[[3]string]*analysis{}
	for _, a := range all { // ascending: the last of a set wins
		newest[[3]string{a.Ref, a.Tool, a.Category}] = a
	}
	out := map[*analysis]bool{}
	for _, a := range newest {
		out[a] = true
	}
	return out
}

// analysisJSON is an analysis, field order as in GitHub's example response.
type analysisJSON struct {
	Ref          string     `json:"ref"`
	CommitSHA    string     `json:"commit_sha"`
	AnalysisKey  string     `json:"analysis_key"`
	Environment  string     `json:"environment"`
	Error        string     `json:"error"`
	Category     string     `json:"category"`
	CreatedAt    string     `json:"created_at"`
	ResultsCount int        `json:"results_count"`
	RulesCount   int        `json:"rules_count"`
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	SarifID      string     `json:"sarif_id"`
	Tool         csToolJSON `json:"tool"`
	Deletable    bool       `json:"deletable"`
	Warning      string     `json:"warning"`
}

func (c *call) analysisJSON(a *analysis, deletable bool) analysisJSON {
	env := "{}"
	if a.tool == toolCodeQL {
		env = `{"language":"` + a.repo.lang + `"}`
	}
	return analysisJSON{
		Ref:          a.Ref,
		CommitSHA:    hexID("analysis", a.repo.id, a.ID),
		AnalysisKey:  a.tool.analysisKey,
		Environment:  env,
		Category:     a.Category,
		CreatedAt:    timestamp(a.CreatedAt),
		ResultsCount: a.results,
		RulesCount:   rulesCount(a.tool),
		ID:           a.ID,
		URL:          c.base.repoAPI(c.org, a.repo) + "/code-scanning/analyses/" + strconv.FormatInt(a.ID, 10),
		SarifID:      sarifID(a),
		Tool:         csToolJSON{Name: a.tool.name, Version: a.tool.version},
		Deletable:    deletable,
	}
}

// rulesCount is the number of rules a tool runs: how many the catalog gives it, scaled
// like a real query suite.
func rulesCount(t *csTool) int {
	n := 0
	for _, r := range csRules {
		if r.tool == t {
			n++
		}
	}
	return 10 * n
}

// sarifID is a deterministic UUID for the upload of a.
func sarifID(a *analysis) string {
	h := hexID("sarif", a.repo.id, a.ID)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
