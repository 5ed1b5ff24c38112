package githubsim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// The repository inventory as GitHub's GraphQL API reports it: archived, fork,
// visibility and primary language. The attributes are drawn from a random stream
// of their own per organization, so the alerts stay as they were, and are derived
// again when asked for rather than stored: they never change.

// Shares of an organization's repositories that are archived and forks (rounded).
const (
	archivedShare = 0.10
	forkShare     = 0.05
	// internalShare is the share of private repositories that are internal
	// (visible to the whole enterprise).
	internalShare = 0.2
)

// languageNames are GitHub's names of the languages the generator uses.
var languageNames = map[string]string{
	langJavaScript: "JavaScript", langPython: "Python", langJava: "Java", langGo: "Go",
	langRuby: "Ruby", langCSharp: "C#", langPHP: "PHP", langRust: "Rust",
}

// Repository is one repository of an organization as GitHub's GraphQL API reports it.
type Repository struct {
	Name          string
	NameWithOwner string // "org/name"
	Visibility    string // PUBLIC, PRIVATE or INTERNAL
	Language      string // primary language as GitHub names it ("Go", "C#"); "" when none
	Description   string
	Archived      bool
	Fork          bool
	DatabaseID    int64
}

// Repositories returns org's repositories in the order GraphQL lists them by default
// (creation order); nil for an unknown organization.
func (s *Server) Repositories(org string) []Repository {
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inventory(o)
}

// inventory derives the GraphQL view of o's repositories, in creation order, without
// the deleted or transferred ones. Callers hold s.mu, except New.
func (s *Server) inventory(o *org) []Repository {
	n := len(o.repos)
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), hashString(o.login+"\x00repository-attributes")))
	perm := rng.Perm(n)
	archived := int(math.Round(float64(n) * archivedShare))
	forks := int(math.Round(float64(n) * forkShare))
	out := make([]Repository, 0, n)
	for i, r := range o.repos {
		visibility := "PUBLIC"
		if r.private {
			visibility = "PRIVATE"
			if rng.Float64() < internalShare {
				visibility = "INTERNAL"
			}
		}
		if r.gone {
			continue
		}
		out = append(out, Repository{
			Name: r.name, NameWithOwner: o.login + "/" + r.name, Visibility: visibility,
			Language: primaryLanguage(o, i), Description: r.description, DatabaseID: r.id,
			Archived: perm[i] < archived,
			Fork:     perm[i] >= archived && perm[i] < archived+forks,
		})
	}
	return slices.DeleteFunc(out, func(r Repository) bool { return r.Name == "" })
}

// primaryLanguage is the language the i-th repository's alerts are drawn for, or ""
// when it can have neither code scanning nor Dependabot alerts: nothing then tells
// what its code is, as for an empty or documentation-only repository.
func primaryLanguage(o *org, i int) string {
	weight := func(f int) float64 {
		if i == 0 {
			return o.cum[f][0]
		}
		return o.cum[f][i] - o.cum[f][i-1]
	}
	if weight(famCodeScanning) == 0 && weight(famDependabot) == 0 {
		return ""
	}
	return languageNames[o.repos[i].lang]
}
