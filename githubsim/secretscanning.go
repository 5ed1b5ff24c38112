package githubsim

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// GET /orgs/{org}/secret-scanning/alerts

// SecretScanningAlert is the ground truth of one secret scanning alert.
type SecretScanningAlert struct {
	Number                int
	Repo                  string
	State                 string // open, resolved
	Resolution            string // false_positive, wont_fix, revoked, used_in_tests, pattern_edited, pattern_deleted; "" → null
	SecretType            string
	SecretTypeDisplayName string
	// Generic is true for non-provider patterns and AI-detected passwords: the listing
	// returns them only when secret_type names them, and the summary views leave them out.
	Generic                bool
	Validity               string // active, inactive, unknown; "" → field absent
	PushProtectionBypassed bool
	PubliclyLeaked         bool
	MultiRepo              bool // found in more than one repository
	CreatedAt              time.Time
	UpdatedAt              time.Time
	ResolvedAt             *time.Time
}

type ssRecord struct {
	SecretScanningAlert
	repo *repo
	typ  *secretType
}

func (a *ssRecord) key(by sortField) sortKey {
	t := a.CreatedAt
	if by == sortUpdated {
		t = a.UpdatedAt
	}
	return sortKey{t.Unix(), int64(a.Number), a.repo.id}
}

func (a *ssRecord) ident() (string, int) { return a.Repo, a.Number }
func (a *ssRecord) isOpen() bool         { return a.State == "open" }
func (a *ssRecord) isClosed() bool       { return a.State == "resolved" }

func (a *ssRecord) resolve(t time.Time, resolution string) {
	a.State, a.Resolution, a.ResolvedAt, a.UpdatedAt = "resolved", resolution, ptr(t), t
	if resolution == "revoked" && a.Validity != "" {
		a.Validity = "inactive"
	}
}

func (a *ssRecord) reopen(t time.Time) {
	a.State, a.Resolution, a.ResolvedAt, a.UpdatedAt = "open", "", nil, t
}

// SecretScanningAlerts returns copies of org's secret scanning alerts,
// ordered by repository and number.
func (s *Server) SecretScanningAlerts(login string) []SecretScanningAlert {
	return groundTruth(s, login, func(o *org) []*ssRecord { return o.secretScanning.all },
		func(r *ssRecord) SecretScanningAlert {
			a := r.SecretScanningAlert
			a.ResolvedAt = clone(a.ResolvedAt)
			a.MultiRepo = r.multiRepo()
			return a
		})
}

var (
	ssSorts       = map[string]sortField{"created": sortCreated, "updated": sortUpdated}
	ssStates      = []string{"open", "resolved"}
	ssResolutionV = []string{"false_positive", "wont_fix", "revoked", "used_in_tests", "pattern_edited", "pattern_deleted"}
	ssValidities  = []string{"active", "inactive", "unknown"}
)

const ssResource = "SecretScanningAlert"

// ssFilter holds the documented filters; all but state are comma-separated lists.
type ssFilter struct {
	state                              string
	secretTypes, resolutions, validity []string
}

func parseSSFilter(q url.Values) (ssFilter, *apiErr) {
	f := ssFilter{
		state: q.Get("state"), secretTypes: splitList(q.Get("secret_type")),
		resolutions: splitList(q.Get("resolution")), validity: splitList(q.Get("validity")),
	}
	if f.state != "" {
		if err := checkEnum(ssResource, "state", []string{f.state}, ssStates); err != nil {
			return f, err
		}
	}
	if err := checkEnum(ssResource, "resolution", f.resolutions, ssResolutionV); err != nil {
		return f, err
	}
	if err := checkEnum(ssResource, "validity", f.validity, ssValidities); err != nil {
		return f, err
	}
	return f, nil
}

// match returns the filter's test. An alert without validity matches no validity
// filter. Without secret_type only the default (provider and custom) patterns are
// listed; naming types, generic or not, lists exactly those.
func (f ssFilter) match() func(*ssRecord) bool {
	return func(a *ssRecord) bool {
		types := in(f.secretTypes, a.SecretType)
		if f.secretTypes == nil {
			types = !a.Generic
		}
		return (f.state == "" || a.State == f.state) && types &&
			in(f.resolutions, a.Resolution) && in(f.validity, a.Validity)
	}
}

// hideSecret reports whether the request asks for the listing without the secret
// literals: hide_secret=true (changelog 2025-05-20; Enterprise Server from 3.18, so
// 2.22 ignores it and sends the literal).
func (s *Server) hideSecret(q url.Values) bool {
	return !s.ghes222() && q.Get("hide_secret") == "true"
}

func (s *Server) listSecretScanning(c *call) {
	q := c.r.URL.Query()
	f, err := parseSSFilter(q)
	if err != nil {
		c.fail(err)
		return
	}
	p, err := parseList(q, s.listPagination(), ssResource, s.sorts(ssSorts))
	if err != nil {
		c.fail(err)
		return
	}
	page, links := listPage(s, &c.org.secretScanning, p, fmt.Sprintf("%#v", f), f.match(), func(r *ssRecord) ssRecord { return *r })
	hide := s.hideSecret(q)
	out := make([]ssAlertJSON, len(page))
	for i := range page {
		out[i] = c.secretScanningJSON(&page[i])
		if hide {
			out[i].Secret = nil
		}
	}
	if !hide {
		s.countSecretLiterals(len(out))
	}
	c.send(200, encodeJSON(out), c.linkHeader(links))
}

// JSON shape, field order as in GitHub's example response.

type ssAlertJSON struct {
	Number                                   int           `json:"number"`
	CreatedAt                                string        `json:"created_at"`
	UpdatedAt                                string        `json:"updated_at"`
	URL                                      string        `json:"url"`
	HTMLURL                                  string        `json:"html_url"`
	LocationsURL                             string        `json:"locations_url"`
	State                                    string        `json:"state"`
	Resolution                               *string       `json:"resolution"`
	ResolvedAt                               *string       `json:"resolved_at"`
	ResolvedBy                               *userJSON     `json:"resolved_by"`
	SecretType                               string        `json:"secret_type"`
	SecretTypeDisplayName                    string        `json:"secret_type_display_name"`
	Secret                                   *string       `json:"secret,omitempty"`
	Repository                               *repoJSON     `json:"repository"`
	PushProtectionBypassedBy                 *userJSON     `json:"push_protection_bypassed_by"`
	PushProtectionBypassed                   bool          `json:"push_protection_bypassed"`
	PushProtectionBypassedAt                 *string       `json:"push_protection_bypassed_at"`
	PushProtectionBypassRequestReviewer      *userJSON     `json:"push_protection_bypass_request_reviewer"`
	PushProtectionBypassRequestReviewerComnt *string       `json:"push_protection_bypass_request_reviewer_comment"`
	PushProtectionBypassRequestComment       *string       `json:"push_protection_bypass_request_comment"`
	PushProtectionBypassRequestHTMLURL       *string       `json:"push_protection_bypass_request_html_url"`
	ResolutionComment                        *string       `json:"resolution_comment"`
	Validity                                 string        `json:"validity,omitempty"`
	PubliclyLeaked                           bool          `json:"publicly_leaked"`
	MultiRepo                                bool          `json:"multi_repo"`
	IsBase64Encoded                          bool          `json:"is_base64_encoded"`
	FirstLocationDetected                    firstLocation `json:"first_location_detected"`
	HasMoreLocations                         bool          `json:"has_more_locations"`
	AssignedTo                               *userJSON     `json:"assigned_to"`
}

type firstLocation struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line"`
	EndLine     int    `json:"end_line"`
	StartColumn int    `json:"start_column"`
	EndColumn   int    `json:"end_column"`
	BlobSHA     string `json:"blob_sha"`
	BlobURL     string `json:"blob_url"`
	CommitSHA   string `json:"commit_sha"`
	CommitURL   string `json:"commit_url"`
}

func (c *call) secretScanningJSON(a *ssRecord) ssAlertJSON {
	repoURL := c.base.repoAPI(c.org, a.repo)
	num := strconv.Itoa(a.Number)
	h := hashString(fmt.Sprint(a.repo.id, "/secret/", a.Number))
	secret := fakeSecret(a.typ, h)
	blob, commit := hexID("blob", a.repo.id, a.Number), hexID("commit", a.repo.id, a.Number)
	line := int(h%400) + 1
	j := ssAlertJSON{
		Number:                 a.Number,
		CreatedAt:              timestamp(a.CreatedAt),
		UpdatedAt:              timestamp(a.UpdatedAt),
		URL:                    repoURL + "/secret-scanning/alerts/" + num,
		HTMLURL:                c.base.repoWeb(c.org, a.repo) + "/security/secret-scanning/" + num,
		LocationsURL:           repoURL + "/secret-scanning/alerts/" + num + "/locations",
		State:                  a.State,
		Resolution:             nullable(a.Resolution),
		ResolvedAt:             nullableTime(a.ResolvedAt),
		SecretType:             a.SecretType,
		SecretTypeDisplayName:  a.SecretTypeDisplayName,
		Secret:                 &secret,
		Repository:             c.repository(a.repo),
		PushProtectionBypassed: a.PushProtectionBypassed,
		Validity:               a.Validity,
		PubliclyLeaked:         a.PubliclyLeaked,
		MultiRepo:              a.multiRepo(),
		FirstLocationDetected: firstLocation{
			Path: secretPaths[(h>>12)%uint64(len(secretPaths))], StartLine: line, EndLine: line,
			StartColumn: 1 + int(h>>20)%30, EndColumn: 1 + int(h>>20)%30 + len(secret),
			BlobSHA: blob, BlobURL: repoURL + "/git/blobs/" + blob,
			CommitSHA: commit, CommitURL: repoURL + "/git/commits/" + commit,
		},
		HasMoreLocations: h%7 == 0,
	}
	if a.ResolvedAt != nil {
		j.ResolvedBy = c.member(a.repo.id + int64(a.Number))
		if a.Resolution == "false_positive" || a.Resolution == "used_in_tests" {
			j.ResolutionComment = ptr("Test fixture, not a live credential.")
		}
	}
	if a.PushProtectionBypassed {
		j.PushProtectionBypassedBy = c.member(a.repo.id + int64(a.Number) + 1)
		j.PushProtectionBypassedAt = ptr(timestamp(a.CreatedAt))
	}
	return j
}

func (s *Server) countSecretLiterals(n int) {
	s.statsMu.Lock()
	s.stats.SecretLiterals += n
	s.statsMu.Unlock()
}

// multiRepo reports whether the alert's secret was also found in other repositories:
// one alert in twenty, by a hash of the alert, leaving the random streams as they were.
func (a *ssRecord) multiRepo() bool {
	return hashString(fmt.Sprint(a.repo.id, "/secret/", a.Number))%20 == 0
}

// fakeSecret is a deterministic string that looks like a secret of type t.
func fakeSecret(t *secretType, h uint64) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte(t.prefix)
	for range t.length {
		h = h*6364136223846793005 + 1442695040888963407
		b = append(b, alphabet[(h>>33)%uint64(len(alphabet))])
	}
	return string(b)
}
