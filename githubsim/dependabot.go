package githubsim

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// GET /orgs/{org}/dependabot/alerts

// DependabotAlert is the ground truth of one Dependabot alert.
type DependabotAlert struct {
	Number          int
	Repo            string
	State           string // auto_dismissed, dismissed, fixed, open
	Ecosystem       string
	Package         string
	Scope           string // runtime, development; "" → null
	Severity        string // low, medium, high, critical (REST spelling: medium)
	GHSA, CVE       string // CVE "" → null
	CreatedAt       time.Time
	UpdatedAt       time.Time
	FixedAt         *time.Time
	DismissedAt     *time.Time
	AutoDismissedAt *time.Time
	DismissedReason string  // fix_started, inaccurate, no_bandwidth, not_used, tolerable_risk
	EPSSPercentage  float64 // the advisory's EPSS percentage; -1 when it has none (epss null)
	Patched         bool    // the vulnerability has a first_patched_version
	Relationship    string  // direct, transitive, unknown
}

type depRecord struct {
	DependabotAlert
	repo         *repo
	adv          *advisory
	manifest     string
	relationship string // direct, transitive, unknown
}

func (a *depRecord) key(by sortField) sortKey {
	v := a.CreatedAt.Unix()
	switch by {
	case sortUpdated:
		v = a.UpdatedAt.Unix()
	case sortEPSS:
		v = int64(a.adv.epssPercentage * 1e6)
	}
	return sortKey{v, int64(a.Number), a.repo.id}
}

func (a *depRecord) ident() (string, int) { return a.Repo, a.Number }
func (a *depRecord) isOpen() bool         { return a.State == "open" }
func (a *depRecord) isClosed() bool       { return a.State != "open" }

func (a *depRecord) set(state string, t time.Time, fixed, dismissed, auto *time.Time, reason string) {
	a.State, a.FixedAt, a.DismissedAt, a.AutoDismissedAt, a.DismissedReason, a.UpdatedAt = state, fixed, dismissed, auto, reason, t
}

// fix keeps the first fixed_at of an alert reintroduced and fixed again, as code scanning
// documents for its fixed_at; Dependabot's documentation is silent, so the simulator takes
// the reading that is harder on a client. updated_at moves on every state change only.
func (a *depRecord) fix(t time.Time) {
	fixed := a.FixedAt
	if fixed == nil {
		fixed = ptr(t)
	}
	a.set("fixed", t, fixed, nil, nil, "")
}
func (a *depRecord) dismiss(t time.Time, reason string) {
	a.set("dismissed", t, a.FixedAt, ptr(t), nil, reason)
}

// autoDismiss is an auto-triage rule closing the alert, often the moment it is created.
func (a *depRecord) autoDismiss(t time.Time) { a.set("auto_dismissed", t, a.FixedAt, nil, ptr(t), "") }

// reopen is a user's reopening of a dismissed alert, the rule's auto-reopening of an
// auto-dismissed one, or GitHub reintroducing a fixed one: fixed_at stays.
func (a *depRecord) reopen(t time.Time) { a.set("open", t, a.FixedAt, nil, nil, "") }

// DependabotAlerts returns copies of org's Dependabot alerts, ordered by
// repository and number.
func (s *Server) DependabotAlerts(login string) []DependabotAlert {
	return groundTruth(s, login, func(o *org) []*depRecord { return o.dependabot.all },
		func(r *depRecord) DependabotAlert {
			a := r.DependabotAlert
			a.FixedAt, a.DismissedAt, a.AutoDismissedAt = clone(a.FixedAt), clone(a.DismissedAt), clone(a.AutoDismissedAt)
			a.EPSSPercentage, a.Patched, a.Relationship = -1, r.adv.json.Vulnerabilities[0].FirstPatchedVersion != nil, r.relationship
			if r.adv.hasEPSS() {
				a.EPSSPercentage = r.adv.epssPercentage
			}
			return a
		})
}

var (
	depSorts      = map[string]sortField{"created": sortCreated, "updated": sortUpdated, "epss_percentage": sortEPSS}
	depStates     = []string{"auto_dismissed", "dismissed", "fixed", "open"}
	depSeverities = []string{"low", "medium", "high", "critical"}
	depEcosystems = []string{"composer", "go", "maven", "npm", "nuget", "pip", "pub", "rubygems", "rust", "swift", "actions"}
	depScopes     = []string{"development", "runtime"}
)

const depResource = "DependabotAlert"

// depFilter holds the documented filters; all but scope are comma-separated lists.
type depFilter struct {
	states, severities, ecosystems, packages []string
	scope                                    string
}

func parseDepFilter(q url.Values) (depFilter, *apiErr) {
	f := depFilter{
		states: splitList(q.Get("state")), severities: splitList(q.Get("severity")),
		ecosystems: splitList(q.Get("ecosystem")), packages: splitList(q.Get("package")), scope: q.Get("scope"),
	}
	if err := checkEnum(depResource, "state", f.states, depStates); err != nil {
		return f, err
	}
	if err := checkEnum(depResource, "severity", f.severities, depSeverities); err != nil {
		return f, err
	}
	if err := checkEnum(depResource, "ecosystem", f.ecosystems, depEcosystems); err != nil {
		return f, err
	}
	if f.scope != "" {
		if err := checkEnum(depResource, "scope", []string{f.scope}, depScopes); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f depFilter) match() func(*depRecord) bool {
	if f.states == nil && f.severities == nil && f.ecosystems == nil && f.packages == nil && f.scope == "" {
		return nil
	}
	return func(a *depRecord) bool {
		return in(f.states, a.State) && in(f.severities, a.Severity) && in(f.ecosystems, a.Ecosystem) &&
			in(f.packages, a.Package) && (f.scope == "" || a.Scope == f.scope)
	}
}

// in reports whether v is in list; an empty list does not filter.
func in(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) listDependabot(c *call) {
	q := c.r.URL.Query()
	f, err := parseDepFilter(q)
	if err != nil {
		c.fail(err)
		return
	}
	p, err := parseList(q, cursorOnly, depResource, s.sorts(depSorts))
	if err != nil {
		c.fail(err)
		return
	}
	page, links := listPage(s, &c.org.dependabot, p, fmt.Sprintf("%#v", f), f.match(), func(r *depRecord) depRecord { return *r })
	out := make([]depAlertJSON, len(page))
	for i := range page {
		out[i] = c.dependabotJSON(&page[i])
	}
	c.send(200, encodeJSON(out), c.linkHeader(links))
}

// JSON shapes, field order as in GitHub's example response.

type depAlertJSON struct {
	Number                int              `json:"number"`
	State                 string           `json:"state"`
	Dependency            depDependency    `json:"dependency"`
	SecurityAdvisory      *advisoryJSON    `json:"security_advisory"`
	SecurityVulnerability *vulnerabilityJS `json:"security_vulnerability"`
	URL                   string           `json:"url"`
	HTMLURL               string           `json:"html_url"`
	CreatedAt             string           `json:"created_at"`
	UpdatedAt             string           `json:"updated_at"`
	DismissedAt           *string          `json:"dismissed_at"`
	DismissedBy           *userJSON        `json:"dismissed_by"`
	DismissedReason       *string          `json:"dismissed_reason"`
	DismissedComment      *string          `json:"dismissed_comment"`
	FixedAt               *string          `json:"fixed_at"`
	AutoDismissedAt       *string          `json:"auto_dismissed_at"`
	Assignees             []*userJSON      `json:"assignees"`
	Repository            *repoJSON        `json:"repository"`
}

type pkgJSON struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

type depDependency struct {
	Package      pkgJSON `json:"package"`
	ManifestPath string  `json:"manifest_path"`
	Scope        *string `json:"scope"`
	Relationship *string `json:"relationship"`
}

func (c *call) dependabotJSON(a *depRecord) depAlertJSON {
	num := strconv.Itoa(a.Number)
	j := depAlertJSON{
		Number: a.Number,
		State:  a.State,
		Dependency: depDependency{
			Package:      pkgJSON{a.Ecosystem, a.Package},
			ManifestPath: a.manifest,
			Scope:        nullable(a.Scope),
			Relationship: nullable(a.relationship),
		},
		SecurityAdvisory:      a.adv.json,
		SecurityVulnerability: &a.adv.json.Vulnerabilities[0],
		URL:                   c.base.repoAPI(c.org, a.repo) + "/dependabot/alerts/" + num,
		HTMLURL:               c.base.repoWeb(c.org, a.repo) + "/security/dependabot/" + num,
		CreatedAt:             timestamp(a.CreatedAt),
		UpdatedAt:             timestamp(a.UpdatedAt),
		DismissedAt:           nullableTime(a.DismissedAt),
		FixedAt:               nullableTime(a.FixedAt),
		AutoDismissedAt:       nullableTime(a.AutoDismissedAt),
		Assignees:             []*userJSON{},
		Repository:            c.repository(a.repo),
	}
	if a.DismissedAt != nil {
		j.DismissedBy = c.member(a.repo.id + int64(a.Number))
		j.DismissedReason = nullable(a.DismissedReason)
		if a.Number%3 == 0 {
			j.DismissedComment = ptr("The vulnerable code path is not reachable from our usage.")
		}
	}
	return j
}
