package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// Events and actions the receiver merges. Any other event or action is acknowledged and
// ignored: GitHub adds new ones, and an assignment changes no count.
var actions = map[string]map[string]bool{
	"code_scanning_alert":   set("created", "appeared_in_branch", "fixed", "closed_by_user", "reopened", "reopened_by_user"),
	"dependabot_alert":      set("created", "dismissed", "fixed", "reintroduced", "reopened", "auto_dismissed", "auto_reopened"),
	"secret_scanning_alert": set("created", "resolved", "reopened", "validated", "publicly_leaked"),
	"repository":            set("deleted", "renamed", "transferred", "archived", "unarchived", "privatized", "publicized", "edited"),
	// security_and_analysis is checked and acknowledged: turning a feature off or on
	// changes which alerts GitHub lists, which only the next walk can tell.
	"security_and_analysis": {},
}

// families maps alert events to the collector's family names.
var families = map[string]string{
	"code_scanning_alert":   "code_scanning",
	"dependabot_alert":      "dependabot",
	"secret_scanning_alert": "secret_scanning",
}

func set(values ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range values {
		m[v] = true
	}
	return m
}

// eventLabel bounds the event label to the events the receiver knows.
func eventLabel(event string) string {
	if _, ok := actions[event]; ok || event == "ping" {
		return event
	}
	return "other"
}

// envelope is the part of a delivery's payload every event shares, in GitHub's shapes.
type envelope struct {
	Action       *string         `json:"action"`
	Alert        json.RawMessage `json:"alert"`
	Ref          *string         `json:"ref"`
	Repository   *repository     `json:"repository"`
	Organization *struct {
		Login string `json:"login"`
	} `json:"organization"`
	Changes *struct {
		Repository *struct {
			Name *struct {
				From string `json:"from"`
			} `json:"name"`
		} `json:"repository"`
	} `json:"changes"`
}

// repository is GitHub's webhook repository object, the fields that are used.
type repository struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	DefaultBranch string `json:"default_branch"`
	Archived      bool   `json:"archived"`
	Fork          bool   `json:"fork"`
	Private       bool   `json:"private"`
	Visibility    string `json:"visibility"`
	Owner         *struct {
		Login string `json:"login"`
	} `json:"owner"`
}

// errIgnored marks a well-formed delivery that changes nothing the exporter counts.
var errIgnored = errors.New("ignored")

// Bounds on what a delivery may name, like GitHub's own: a hostile payload is refused.
var (
	loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	repoPattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

const maxRefLen = 1024

// Decode reads the payload of one delivery of event into the changes it announces. It
// returns an error wrapping errIgnored for an event or action that changes no count, and
// another error for a payload that is not GitHub's shape.
func Decode(event string, payload []byte) ([]collector.Change, error) {
	known, ok := actions[event]
	if !ok {
		return nil, fmt.Errorf("%w: event %q", errIgnored, event)
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("decoding the %s payload: %w", event, err)
	}
	org, repo, err := env.validate()
	if err != nil {
		return nil, fmt.Errorf("%s payload: %w", event, err)
	}
	action := ""
	if env.Action != nil {
		action = *env.Action
	}
	if !known[action] {
		return nil, fmt.Errorf("%w: %s action %q", errIgnored, event, clip(action))
	}
	c := collector.Change{Org: org, Action: action, Repository: repo}
	if family, ok := families[event]; ok {
		if a := bytes.TrimSpace(env.Alert); len(a) == 0 || a[0] != '{' {
			return nil, fmt.Errorf("%s payload: no alert object", event)
		}
		c.Family, c.Alert = family, env.Alert
		if env.Ref != nil {
			if len(*env.Ref) > maxRefLen {
				return nil, fmt.Errorf("%s payload: ref longer than %d bytes", event, maxRefLen)
			}
			c.Ref = *env.Ref
		}
	}
	if event == "repository" && action == "renamed" {
		if env.Changes == nil || env.Changes.Repository == nil || env.Changes.Repository.Name == nil ||
			!repoPattern.MatchString(env.Changes.Repository.Name.From) {
			return nil, errors.New("repository renamed payload: no valid changes.repository.name.from")
		}
		c.OldName = env.Changes.Repository.Name.From
	}
	return []collector.Change{c}, nil
}

// validate checks the organization and repository a payload names.
func (env *envelope) validate() (string, collector.ChangedRepository, error) {
	r := env.Repository
	if r == nil {
		return "", collector.ChangedRepository{}, errors.New("no repository object")
	}
	if r.ID <= 0 || !repoPattern.MatchString(r.Name) {
		return "", collector.ChangedRepository{}, errors.New("the repository object has no valid id and name")
	}
	if len(r.DefaultBranch) > maxRefLen {
		return "", collector.ChangedRepository{}, errors.New("the repository's default branch is too long")
	}
	org := ""
	if env.Organization != nil {
		org = env.Organization.Login
	} else if r.Owner != nil {
		org = r.Owner.Login
	}
	if !loginPattern.MatchString(org) {
		return "", collector.ChangedRepository{}, errors.New("no valid organization login")
	}
	visibility := r.Visibility
	switch visibility {
	case "public", "private", "internal":
	case "":
		visibility = map[bool]string{true: "private", false: "public"}[r.Private]
	default:
		return "", collector.ChangedRepository{}, errors.New("unknown repository visibility")
	}
	return org, collector.ChangedRepository{
		ID: r.ID, Name: r.Name, DefaultBranch: r.DefaultBranch,
		Archived: r.Archived, Fork: r.Fork, Visibility: visibility,
	}, nil
}

// clip bounds a value from a payload quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
