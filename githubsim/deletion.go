package githubsim

import "strings"

// Repositories that go away or change name. On GitHub none of these moves any alert's
// updated_at: the alerts of a deleted or transferred repository vanish from the
// organization's listings, and those of a renamed one carry the new name in their
// repository object at once, in place (same number, same created_at and updated_at).
// The GraphQL inventory follows: a deleted or transferred repository is no longer
// listed, a renamed one is listed under its new name with the same databaseId.
//
// A repository's attributes (inventory.go) and weights stay tied to its index in
// org.repos, so a repository that goes is marked gone rather than removed. The repo
// values are replaced rather than changed (copy on write): a response rendered from
// the old value while the change happens shows the repository as it was.

// DeleteRepositoryAlerts removes every alert of a repository from the listings, as when
// the repository or its analyses are deleted: the alerts vanish without any other
// alert's updated_at changing, which only a full walk can notice. It returns how many
// alerts went.
func (s *Server) DeleteRepositoryAlerts(org, repo string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return 0
	}
	return o.dropAlerts(repo)
}

func (o *org) dropAlerts(repo string) int {
	return dropRepo(&o.codeScanning, repo, func(r *csRecord) string { return r.Repo }) +
		dropRepo(&o.dependabot, repo, func(r *depRecord) string { return r.Repo }) +
		dropRepo(&o.secretScanning, repo, func(r *ssRecord) string { return r.Repo })
}

// DeleteRepository deletes a repository of org: its alerts, analyses and configuration
// attachments go, and the inventory no longer lists it. It reports whether org had it.
func (s *Server) DeleteRepository(org, repo string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	i := o.repoIndex(repo)
	if i < 0 {
		return false
	}
	s.removeRepo(o, i, "deleted")
	return true
}

// removeRepo takes o.repos[i] away (deleted, or transferred to another owner) and queues
// the repository delivery that says so. Callers hold s.mu.
func (s *Server) removeRepo(o *org, i int, action string) {
	payload := s.hookPayload(s.hookCall(o), o, o.repos[i], action)
	o.dropAlerts(o.repos[i].name)
	gone := *o.repos[i]
	gone.gone = true
	s.replaceRepo(o, i, &gone)
	s.queue("repository", payload)
}

// TransferRepository transfers a repository of org to an owner this server does not
// simulate: for org it is as if deleted. It reports whether org had it.
func (s *Server) TransferRepository(org, repo, newOwner string) bool {
	if s.byLogin[strings.ToLower(newOwner)] != nil {
		panic("githubsim: transfers between simulated organizations are not modelled")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	i := o.repoIndex(repo)
	if i < 0 {
		return false
	}
	s.removeRepo(o, i, "transferred")
	return true
}

// RenameRepository renames a repository of org. Its alerts keep their numbers and
// times; their repository object, URLs and the inventory carry the new name. It
// reports whether org had the repository and the new name was free.
func (s *Server) RenameRepository(org, repo, newName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	i := o.repoIndex(repo)
	if i < 0 || newName == "" || o.repoIndex(newName) >= 0 {
		return false
	}
	from := o.repos[i].name
	renamed := *o.repos[i]
	renamed.name = newName
	s.replaceRepo(o, i, &renamed)
	payload := s.hookPayload(s.hookCall(o), o, o.repos[i], "renamed")
	payload["changes"] = map[string]any{"repository": map[string]any{"name": map[string]any{"from": from}}}
	s.queue("repository", payload)
	return true
}

// repoIndex returns the index of the repository called name (case-insensitive, as on
// GitHub) that is not gone, or -1. A nil org has none.
func (o *org) repoIndex(name string) int {
	if o == nil {
		return -1
	}
	for i, r := range o.repos {
		if !r.gone && strings.EqualFold(r.name, name) {
			return i
		}
	}
	return -1
}

// replaceRepo puts next in the place of o.repos[i] everywhere the old value is
// referenced: alert records, analyses, configuration attachments. Callers hold s.mu.
func (s *Server) replaceRepo(o *org, i int, next *repo) {
	old := o.repos[i]
	o.repos[i] = next
	for _, a := range o.codeScanning.all {
		if a.repo == old {
			a.repo, a.Repo = next, next.name
		}
	}
	for _, a := range o.dependabot.all {
		if a.repo == old {
			a.repo, a.Repo = next, next.name
		}
	}
	for _, a := range o.secretScanning.all {
		if a.repo == old {
			a.repo, a.Repo = next, next.name
		}
	}
	o.codeScanning.invalidate()
	o.dependabot.invalidate()
	o.secretScanning.invalidate()
	s.analyses.replaceRepo(old, next)
	for _, c := range o.security.configs {
		kept := c.repos[:0:0]
		for _, cr := range c.repos {
			if cr.repo == old {
				if next.gone {
					continue
				}
				cr.repo = next
			}
			kept = append(kept, cr)
		}
		c.repos = kept
	}
}

func dropRepo[R record](st *store[R], repo string, name func(R) string) int {
	kept := st.all[:0]
	for _, r := range st.all {
		if name(r) != repo {
			kept = append(kept, r)
		}
	}
	n := len(st.all) - len(kept)
	clear(st.all[len(kept):])
	st.all = kept
	st.invalidate()
	return n
}

// replaceRepo moves old's analyses to next; a gone repository has none.
func (st *analysisStore) replaceRepo(old, next *repo) {
	list := st.byRepo[old]
	delete(st.byRepo, old)
	if next.gone || list == nil {
		return
	}
	moved := make([]*analysis, len(list))
	for i, a := range list {
		c := *a
		c.repo, c.Repo = next, next.name
		moved[i] = &c
	}
	st.byRepo[next] = moved
}
