package main

import (
	"strings"
	"testing"
)

func TestValidateRepositories(t *testing.T) {
	tests := []struct {
		name       string
		cfg        config
		graphqlURL string
		kept, left []string
		err        string
	}{
		{name: "github.com", cfg: config{apiURL: "https://api.github.com/"}, graphqlURL: "https://api.github.com/graphql",
			kept: []string{"api", "web"}},
		{name: "Enterprise Server", cfg: config{apiURL: "https://ghe.example.com/api/v3/"}, graphqlURL: "https://ghe.example.com/api/graphql"},
		{name: "GraphQL URL given", cfg: config{apiURL: "https://ghe.example.com/api/v3/", graphqlURL: "https://gql.example.com/graphql"},
			graphqlURL: "https://gql.example.com/graphql"},
		{name: "include matches whole names", cfg: config{apiURL: "https://api.github.com/", repoInclude: "api|web-.*"},
			graphqlURL: "https://api.github.com/graphql", kept: []string{"api", "web-ui"}, left: []string{"api-gateway", "legacy-api", "web"}},
		{name: "exclude matches whole names", cfg: config{apiURL: "https://api.github.com/", repoExclude: "scratch-[0-9]+"},
			graphqlURL: "https://api.github.com/graphql", kept: []string{"scratch", "my-scratch-1", "scratch-1x"}, left: []string{"scratch-1", "scratch-42"}},
		{name: "invalid include", cfg: config{apiURL: "https://api.github.com/", repoInclude: "web-[ui"},
			err: "invalid --repositories.include \"web-[ui\": error parsing regexp: missing closing ]"},
		{name: "invalid exclude", cfg: config{apiURL: "https://api.github.com/", repoExclude: "a)"},
			err: "invalid --repositories.exclude"},
		{name: "invalid GraphQL URL", cfg: config{apiURL: "https://api.github.com/", graphqlURL: "ghe.example.com/api/graphql"},
			err: "invalid --github.graphql-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			err := c.validateRepositories()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.graphqlURL != tt.graphqlURL {
				t.Errorf("graphql url %q, want %q", c.graphqlURL, tt.graphqlURL)
			}
			keeps := func(name string) bool {
				return (c.filter.Include == nil || c.filter.Include.MatchString(name)) &&
					(c.filter.Exclude == nil || !c.filter.Exclude.MatchString(name))
			}
			for _, name := range tt.kept {
				if !keeps(name) {
					t.Errorf("%s left out", name)
				}
			}
			for _, name := range tt.left {
				if keeps(name) {
					t.Errorf("%s kept", name)
				}
			}
		})
	}
}
