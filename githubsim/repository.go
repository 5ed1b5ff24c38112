package githubsim

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// baseURLs are the API and web roots that URLs in bodies and Link headers are
// built from: the request's own host, so links work against an httptest
// server as they would against api.github.com or a GHES host.
type baseURLs struct {
	api, web string
}

func newBaseURLs(r *http.Request, prefix string) baseURLs {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	web := scheme + "://" + strings.TrimPrefix(r.Host, "api.") // api.github.com → github.com
	return baseURLs{api: scheme + "://" + r.Host + prefix, web: web}
}

func (b baseURLs) repoAPI(o *org, r *repo) string { return b.api + "/repos/" + o.login + "/" + r.name }
func (b baseURLs) repoWeb(o *org, r *repo) string { return b.web + "/" + o.login + "/" + r.name }

// legacyNodeID is GitHub's old-style global id, e.g. "MDQ6VXNlcjE=" for User 1.
func legacyNodeID(typ string, id int64) string {
	s := "0" + strconv.Itoa(len(typ)) + ":" + typ + strconv.FormatInt(id, 10)
	return base64.StdEncoding.EncodeToString([]byte(s))
}

// userJSON is GitHub's "Simple User".
type userJSON struct {
	Login             string `json:"login"`
	ID                int64  `json:"id"`
	NodeID            string `json:"node_id"`
	AvatarURL         string `json:"avatar_url"`
	GravatarID        string `json:"gravatar_id"`
	URL               string `json:"url"`
	HTMLURL           string `json:"html_url"`
	FollowersURL      string `json:"followers_url"`
	FollowingURL      string `json:"following_url"`
	GistsURL          string `json:"gists_url"`
	StarredURL        string `json:"starred_url"`
	SubscriptionsURL  string `json:"subscriptions_url"`
	OrganizationsURL  string `json:"organizations_url"`
	ReposURL          string `json:"repos_url"`
	EventsURL         string `json:"events_url"`
	ReceivedEventsURL string `json:"received_events_url"`
	Type              string `json:"type"`
	SiteAdmin         bool   `json:"site_admin"`
}

func (b baseURLs) user(login string, id int64, typ string) *userJSON {
	u := b.api + "/users/" + login
	return &userJSON{
		Login: login, ID: id, NodeID: legacyNodeID(typ, id),
		AvatarURL:         "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(id, 10) + "?v=4",
		URL:               u,
		HTMLURL:           b.web + "/" + login,
		FollowersURL:      u + "/followers",
		FollowingURL:      u + "/following{/other_user}",
		GistsURL:          u + "/gists{/gist_id}",
		StarredURL:        u + "/starred{/owner}{/repo}",
		SubscriptionsURL:  u + "/subscriptions",
		OrganizationsURL:  u + "/orgs",
		ReposURL:          u + "/repos",
		EventsURL:         u + "/events{/privacy}",
		ReceivedEventsURL: u + "/received_events",
		Type:              typ,
	}
}

// member is the org member who acted on an alert, chosen by h.
func (c *call) member(h int64) *userJSON {
	m := c.org.members[int(h%int64(len(c.org.members)))]
	return c.base.user(m.login, m.id, "User")
}

// repoJSON is GitHub's "Simple Repository".
type repoJSON struct {
	ID               int64     `json:"id"`
	NodeID           string    `json:"node_id"`
	Name             string    `json:"name"`
	FullName         string    `json:"full_name"`
	Owner            *userJSON `json:"owner"`
	Private          bool      `json:"private"`
	HTMLURL          string    `json:"html_url"`
	Description      *string   `json:"description"`
	Fork             bool      `json:"fork"`
	URL              string    `json:"url"`
	ArchiveURL       string    `json:"archive_url"`
	AssigneesURL     string    `json:"assignees_url"`
	BlobsURL         string    `json:"blobs_url"`
	BranchesURL      string    `json:"branches_url"`
	CollaboratorsURL string    `json:"collaborators_url"`
	CommentsURL      string    `json:"comments_url"`
	CommitsURL       string    `json:"commits_url"`
	CompareURL       string    `json:"compare_url"`
	ContentsURL      string    `json:"contents_url"`
	ContributorsURL  string    `json:"contributors_url"`
	DeploymentsURL   string    `json:"deployments_url"`
	DownloadsURL     string    `json:"downloads_url"`
	EventsURL        string    `json:"events_url"`
	ForksURL         string    `json:"forks_url"`
	GitCommitsURL    string    `json:"git_commits_url"`
	GitRefsURL       string    `json:"git_refs_url"`
	GitTagsURL       string    `json:"git_tags_url"`
	IssueCommentURL  string    `json:"issue_comment_url"`
	IssueEventsURL   string    `json:"issue_events_url"`
	IssuesURL        string    `json:"issues_url"`
	KeysURL          string    `json:"keys_url"`
	LabelsURL        string    `json:"labels_url"`
	LanguagesURL     string    `json:"languages_url"`
	MergesURL        string    `json:"merges_url"`
	MilestonesURL    string    `json:"milestones_url"`
	NotificationsURL string    `json:"notifications_url"`
	PullsURL         string    `json:"pulls_url"`
	ReleasesURL      string    `json:"releases_url"`
	StargazersURL    string    `json:"stargazers_url"`
	StatusesURL      string    `json:"statuses_url"`
	SubscribersURL   string    `json:"subscribers_url"`
	SubscriptionURL  string    `json:"subscription_url"`
	TagsURL          string    `json:"tags_url"`
	TeamsURL         string    `json:"teams_url"`
	TreesURL         string    `json:"trees_url"`
	HooksURL         string    `json:"hooks_url"`
}

// repository returns the repository object of r, built once per response.
func (c *call) repository(r *repo) *repoJSON {
	if j, ok := c.repos[r]; ok {
		return j
	}
	u := c.base.repoAPI(c.org, r)
	j := &repoJSON{
		ID: r.id, NodeID: legacyNodeID("Repository", r.id), Name: r.name, FullName: c.org.login + "/" + r.name,
		Owner:   c.base.user(c.org.login, c.org.id, "Organization"),
		Private: r.private, HTMLURL: c.base.repoWeb(c.org, r), Description: nullable(r.description), Fork: r.fork, URL: u,
		ArchiveURL:       u + "/{archive_format}{/ref}",
		AssigneesURL:     u + "/assignees{/user}",
		BlobsURL:         u + "/git/blobs{/sha}",
		BranchesURL:      u + "/branches{/branch}",
		CollaboratorsURL: u + "/collaborators{/collaborator}",
		CommentsURL:      u + "/comments{/number}",
		CommitsURL:       u + "/commits{/sha}",
		CompareURL:       u + "/compare/{base}...{head}",
		ContentsURL:      u + "/contents/{+path}",
		ContributorsURL:  u + "/contributors",
		DeploymentsURL:   u + "/deployments",
		DownloadsURL:     u + "/downloads",
		EventsURL:        u + "/events",
		ForksURL:         u + "/forks",
		GitCommitsURL:    u + "/git/commits{/sha}",
		GitRefsURL:       u + "/git/refs{/sha}",
		GitTagsURL:       u + "/git/tags{/sha}",
		IssueCommentURL:  u + "/issues/comments{/number}",
		IssueEventsURL:   u + "/issues/events{/number}",
		IssuesURL:        u + "/issues{/number}",
		KeysURL:          u + "/keys{/key_id}",
		LabelsURL:        u + "/labels{/name}",
		LanguagesURL:     u + "/languages",
		MergesURL:        u + "/merges",
		MilestonesURL:    u + "/milestones{/number}",
		NotificationsURL: u + "/notifications{?since,all,participating}",
		PullsURL:         u + "/pulls{/number}",
		ReleasesURL:      u + "/releases{/id}",
		StargazersURL:    u + "/stargazers",
		StatusesURL:      u + "/statuses/{sha}",
		SubscribersURL:   u + "/subscribers",
		SubscriptionURL:  u + "/subscription",
		TagsURL:          u + "/tags",
		TeamsURL:         u + "/teams",
		TreesURL:         u + "/git/trees{/sha}",
		HooksURL:         u + "/hooks",
	}
	if c.repos == nil {
		c.repos = map[*repo]*repoJSON{}
	}
	c.repos[r] = j
	return j
}

// alertRecord is what the ground-truth accessors need of a record.
type alertRecord interface {
	record
	ident() (repo string, number int)
}

// groundTruth copies org's records of one family, ordered by repository and
// number.
func groundTruth[R alertRecord, A any](s *Server, login string, all func(*org) []R, copyOf func(R) A) []A {
	o := s.byLogin[strings.ToLower(login)]
	if o == nil {
		return nil
	}
	s.mu.Lock()
	recs := slices.Clone(all(o))
	out := make([]A, len(recs))
	slices.SortFunc(recs, func(a, b R) int {
		ra, na := a.ident()
		rb, nb := b.ident()
		return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(na, nb))
	})
	for i, r := range recs {
		out[i] = copyOf(r)
	}
	s.mu.Unlock()
	return out
}
