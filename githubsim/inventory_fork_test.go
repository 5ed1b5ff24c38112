package githubsim

import "testing"

// TestRESTRepositoryForkAgreesWithGraphQL checks the repository objects inside alerts
// tell forks the way the GraphQL inventory does.
func TestRESTRepositoryForkAgreesWithGraphQL(t *testing.T) {
	m := newSim(t, Config{Seed: 1, Orgs: []OrgSpec{{Login: "forky", Repos: 40, Dependabot: 2000}}})
	fork := map[string]bool{}
	forks := 0
	for _, r := range m.s.Repositories("forky") {
		fork[r.Name] = r.Fork
		if r.Fork {
			forks++
		}
	}
	if forks == 0 {
		t.Fatal("no forks in the inventory")
	}
	_, alerts := m.getOK("/orgs/forky/dependabot/alerts?per_page=100")
	for _, a := range alerts {
		repo := a["repository"].(map[string]any)
		name, isFork := repo["name"].(string), repo["fork"].(bool)
		if isFork != fork[name] {
			t.Fatalf("%s: REST says fork=%v, GraphQL says %v", name, isFork, fork[name])
		}
	}
}
