package githubsim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// GET /orgs/{org}/code-scanning/alerts

// CodeScanningAlert is the ground truth of one code scanning alert.
type CodeScanningAlert struct {
	Number           int
	Repo             string // repository name without owner
	State            string // open, dismissed, fixed; "" serialises as null
	RuleSeverity     string // none, note, warning, error; "" → null
	SecuritySeverity string // low, medium, high, critical; "" → field absent/null
	Tool             string
	RuleID           string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	FixedAt          *time.Time
	DismissedAt      *time.Time
	DismissedReason  string // "false positive", "won't fix", "used in tests"
}

type csRecord struct {
	CodeScanningAlert
	repo *repo
	rule *csRule
}

func (a *csRecord) key(by sortField) sortKey {
	t := a.CreatedAt
	if by == sortUpdated {
		t = a.UpdatedAt
	}
	return sortKey{t.Unix(), int64(a.Number), a.repo.id}
}

func (a *csRecord) ident() (string, int) { return a.Repo, a.Number }
func (a *csRecord) isOpen() bool         { return a.State == "open" }
func (a *csRecord) isClosed() bool       { return a.State == "fixed" || a.State == "dismissed" }

// fixed_at is "the first time that the alert was not detected in an analysis" (changelog
// 2021-12-10): an alert fixed, reintroduced and fixed again keeps its first fixed_at, on
// every later state too. updated_at is the alert's most recent state change (introduced,
// fixed, dismissed, reopened or reintroduced; changelog 2023-08-07).
func (a *csRecord) fix(t time.Time) {
	if a.FixedAt == nil {
		a.FixedAt = ptr(t)
	}
	a.State, a.DismissedAt, a.DismissedReason, a.UpdatedAt = "fixed", nil, "", t
}

func (a *csRecord) dismiss(t time.Time, reason string) {
	a.State, a.DismissedAt, a.DismissedReason, a.UpdatedAt = "dismissed", ptr(t), reason, t
}

// reopen is a user's reopening of a dismissed alert or an analysis reintroducing a fixed
// one: dismissed_at and dismissed_reason go back to null, fixed_at stays.
func (a *csRecord) reopen(t time.Time) {
	a.State, a.DismissedAt, a.DismissedReason, a.UpdatedAt = "open", nil, "", t
}

// CodeScanningAlerts returns copies of org's code scanning alerts, ordered by
// repository and number.
func (s *Server) CodeScanningAlerts(login string) []CodeScanningAlert {
	return groundTruth(s, login, func(o *org) []*csRecord { return o.codeScanning.all },
		func(r *csRecord) CodeScanningAlert {
			a := r.CodeScanningAlert
			a.FixedAt, a.DismissedAt = clone(a.FixedAt), clone(a.DismissedAt)
			return a
		})
}

var (
	csSorts      = map[string]sortField{"created": sortCreated, "updated": sortUpdated}
	csStates     = []string{"open", "closed", "dismissed", "fixed"}
	csSeverities = []string{"critical", "high", "medium", "low", "warning", "note", "error"}
)

const csResource = "CodeScanningAlert"

// csFilter holds the documented filters: state, severity, tool_name, tool_guid.
type csFilter struct {
	state, severity, tool string
	guid                  bool
}

func parseCSFilter(q url.Values) (csFilter, *apiErr) {
	f := csFilter{state: q.Get("state"), severity: q.Get("severity"), tool: q.Get("tool_name"), guid: q.Get("tool_guid") != ""}
	if f.state != "" {
		if err := checkEnum(csResource, "state", []string{f.state}, csStates); err != nil {
			return f, err
		}
	}
	if f.severity != "" {
		if err := checkEnum(csResource, "severity", []string{f.severity}, csSeverities); err != nil {
			return f, err
		}
	}
	if f.guid && f.tool != "" {
		return f, invalid(csResource, "tool_guid", q.Get("tool_guid")) // "either tool_name or tool_guid, but not both"
	}
	return f, nil
}

// match returns nil when the filter lets everything through. severity
// critical..low filters on the security severity, error/warning/note on the
// rule severity. No simulated tool has a GUID, so tool_guid matches nothing.
func (f csFilter) match() func(*csRecord) bool {
	if f == (csFilter{}) {
		return nil
	}
	return func(a *csRecord) bool {
		switch {
		case f.guid:
			return false
		case f.state == "closed" && !a.isClosed(), f.state != "" && f.state != "closed" && a.State != f.state:
			return false
		case f.tool != "" && a.Tool != f.tool:
			return false
		}
		switch f.severity {
		case "":
			return true
		case "error", "warning", "note":
			return a.RuleSeverity == f.severity
		}
		return a.SecuritySeverity == f.severity
	}
}

func (s *Server) listCodeScanning(c *call) {
	q := c.r.URL.Query()
	f, err := parseCSFilter(q)
	if err != nil {
		c.fail(err)
		return
	}
	p, err := parseList(q, cursorOrPage, csResource, s.sorts(csSorts))
	if err != nil {
		c.fail(err)
		return
	}
	page, links := listPage(s, &c.org.codeScanning, p, fmt.Sprintf("%#v", f), f.match(), func(r *csRecord) csRecord { return *r })
	out := make([]csAlertJSON, len(page))
	for i := range page {
		out[i] = c.codeScanningJSON(&page[i])
	}
	c.send(200, encodeJSON(out), c.linkHeader(links))
}

// JSON shapes, field order as in GitHub's example response.

type csAlertJSON struct {
	Number             int            `json:"number"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
	URL                string         `json:"url"`
	HTMLURL            string         `json:"html_url"`
	State              *string        `json:"state"`
	FixedAt            *string        `json:"fixed_at"`
	DismissedBy        *userJSON      `json:"dismissed_by"`
	DismissedAt        *string        `json:"dismissed_at"`
	DismissedReason    *string        `json:"dismissed_reason"`
	DismissedComment   *string        `json:"dismissed_comment"`
	Rule               csRuleJSON     `json:"rule"`
	Tool               csToolJSON     `json:"tool"`
	MostRecentInstance csInstanceJSON `json:"most_recent_instance"`
	InstancesURL       string         `json:"instances_url"`
	Repository         *repoJSON      `json:"repository"`
}

type csRuleJSON struct {
	ID       string  `json:"id"`
	Severity *string `json:"severity"`
	// SecuritySeverityLevel is omitted, null or a quoted level.
	SecuritySeverityLevel json.RawMessage `json:"security_severity_level,omitempty"`
	Tags                  []string        `json:"tags"`
	Description           string          `json:"description"`
	Name                  string          `json:"name"`
}

type csToolJSON struct {
	Name    string  `json:"name"`
	GUID    *string `json:"guid"`
	Version string  `json:"version"`
}

type csInstanceJSON struct {
	Ref             string     `json:"ref"`
	AnalysisKey     string     `json:"analysis_key"`
	Category        string     `json:"category"`
	Environment     string     `json:"environment"`
	State           *string    `json:"state"`
	CommitSHA       string     `json:"commit_sha"`
	Message         messageTxt `json:"message"`
	Location        location   `json:"location"`
	Classifications []string   `json:"classifications"`
}

type messageTxt struct {
	Text string `json:"text"`
}

type location struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line"`
	EndLine     int    `json:"end_line"`
	StartColumn int    `json:"start_column"`
	EndColumn   int    `json:"end_column"`
}

func (c *call) codeScanningJSON(a *csRecord) csAlertJSON {
	repoURL := c.base.repoAPI(c.org, a.repo)
	num := strconv.Itoa(a.Number)
	j := csAlertJSON{
		Number:       a.Number,
		CreatedAt:    timestamp(a.CreatedAt),
		UpdatedAt:    timestamp(a.UpdatedAt),
		URL:          repoURL + "/code-scanning/alerts/" + num,
		HTMLURL:      c.base.repoWeb(c.org, a.repo) + "/security/code-scanning/" + num,
		State:        nullable(a.State),
		FixedAt:      nullableTime(a.FixedAt),
		DismissedAt:  nullableTime(a.DismissedAt),
		InstancesURL: repoURL + "/code-scanning/alerts/" + num + "/instances",
		Rule:         c.ruleJSON(a),
		Tool:         csToolJSON{Name: a.rule.tool.name, Version: a.rule.tool.version},
		Repository:   c.repository(a.repo),
	}
	if a.DismissedAt != nil {
		j.DismissedBy = c.member(a.repo.id + int64(a.Number))
		j.DismissedReason = nullable(a.DismissedReason)
		if a.Number%2 == 0 {
			j.DismissedComment = ptr("Reviewed by the security team; input is validated upstream.")
		}
	}
	j.MostRecentInstance = csInstanceJSON{
		Ref:             "refs/heads/" + a.repo.branch,
		AnalysisKey:     a.rule.tool.analysisKey,
		Category:        strings.ReplaceAll(a.rule.tool.category, "%s", a.repo.lang),
		Environment:     "{}",
		State:           nullable(a.State),
		CommitSHA:       hexID("commit", a.repo.id, a.Number),
		Message:         messageTxt{a.rule.message},
		Location:        sourceLocation(a.rule, a.repo, a.Number),
		Classifications: []string{},
	}
	return j
}

func (c *call) ruleJSON(a *csRecord) csRuleJSON {
	r := a.rule
	j := csRuleJSON{ID: r.id, Severity: nullable(a.RuleSeverity), Description: r.desc, Name: r.name}
	switch {
	case a.SecuritySeverity != "":
		j.SecuritySeverityLevel = json.RawMessage(strconv.Quote(a.SecuritySeverity))
	case r.tool.nullSecurity:
		j.SecuritySeverityLevel = json.RawMessage("null")
	}
	switch {
	case r.cwe != "":
		j.Tags = []string{"security", "external/cwe/cwe-" + r.cwe}
	case a.SecuritySeverity != "":
		j.Tags = []string{"security"}
	default:
		j.Tags = []string{"maintainability"}
	}
	return j
}

func sourceLocation(r *csRule, rp *repo, number int) location {
	h := hashString(fmt.Sprint(rp.id, "/", number))
	path := r.path
	if path == "" {
		path = sourceDirs[h%uint64(len(sourceDirs))] + "/" + sourceFiles[(h>>8)%uint64(len(sourceFiles))] + sourceExt[rp.lang]
	}
	line := int(h>>16)%900 + 1
	col := int(h>>32)%40 + 1
	return location{Path: path, StartLine: line, EndLine: line, StartColumn: col, EndColumn: col + int(h>>40)%30 + 1}
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullableTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return ptr(timestamp(*t))
}

func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return ptr(*p)
}
