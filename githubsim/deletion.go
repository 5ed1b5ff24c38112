package githubsim

import "strings"

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
	return dropRepo(&o.codeScanning, repo, func(r *csRecord) string { return r.Repo }) +
		dropRepo(&o.dependabot, repo, func(r *depRecord) string { return r.Repo }) +
		dropRepo(&o.secretScanning, repo, func(r *ssRecord) string { return r.Repo })
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
