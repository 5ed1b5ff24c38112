package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// The fuzz targets feed every page decoder arbitrary bytes. Their seeds are pages the
// simulator serves, GitHub's example bodies and the hostile shapes seen on the wire;
// `go test` runs the seeds, `go test -fuzz=FuzzX` explores from them.

// simPage returns the first page the simulator serves for path.
func simPage(f *testing.F, path string) []byte {
	f.Helper()
	sim := githubsim.New(githubsim.Config{Seed: 5, Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 3, CodeScanning: 4, Dependabot: 4, SecretScanning: 4}},
		Now: func() time.Time { return inventoryNow }})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer seed")
	resp, err := srv.Client().Do(req)
	if err != nil {
		f.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

// addSeeds adds the simulator's page, the fixture and the hostile shapes.
func addSeeds(f *testing.F, simPath, fixtureFile string) {
	f.Add(simPage(f, simPath))
	if b, err := os.ReadFile("testdata/" + fixtureFile); err == nil {
		f.Add(b)
	}
	for _, s := range []string{"null", "[]", "[] GARBAGE", "[null]", `[{}]`, `[{"number":1}]`, `{"message":"x"}`, `[{"number":1,"repository":{"name":"r"}}] [`, ""} {
		f.Add([]byte(s))
	}
}

// fuzzListing checks the invariants of an alert listing's decoder: no panic; an
// accepted page is one valid JSON array, and each of its alerts has a number and a
// repository.
func fuzzListing[T any](f *testing.F, l *alertListing[T], simPath, fixture string) {
	addSeeds(f, simPath, fixture)
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := l.decode(bytes.NewReader(body), newAlertSet())
		if err != nil {
			return
		}
		if trimmed := bytes.TrimSpace(body); !json.Valid(body) || trimmed[0] != '[' {
			t.Fatalf("accepted a page that is not one JSON array: %q", body)
		}
		for _, a := range alerts {
			if a.key.Number <= 0 || a.labels[0] == "" {
				t.Fatalf("accepted a phantom alert %+v from %q", a, body)
			}
		}
	})
}

func FuzzDecodeCodeScanningPage(f *testing.F) {
	fuzzListing(f, codeScanningListing, "/orgs/acme/code-scanning/alerts?per_page=2", "code-scanning-org-alerts.json")
}

func FuzzDecodeDependabotPage(f *testing.F) {
	fuzzListing(f, dependabotListing, "/orgs/acme/dependabot/alerts?per_page=2", "dependabot-org-alerts.json")
}

func FuzzDecodeSecretScanningPage(f *testing.F) {
	fuzzListing(f, secretScanningListing, "/orgs/acme/secret-scanning/alerts?per_page=2", "secret-scanning-org-alerts.json")
}

func FuzzDecodeConfigurationsPage(f *testing.F) {
	addSeeds(f, "/orgs/acme/code-security/configurations", "code-security-configurations-org.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		configs, err := decodeArray[configuration](bytes.NewReader(body))
		if err == nil && !json.Valid(body) {
			t.Fatalf("accepted %q", body)
		}
		for _, c := range configs {
			for _, s := range c.Settings {
				if !enablementStatus.MatchString(s[1]) {
					t.Fatalf("setting %q has a free-text status %q", s[0], s[1])
				}
			}
		}
	})
}

func FuzzDecodePatternConfigurations(f *testing.F) {
	addSeeds(f, "/orgs/acme/secret-scanning/pattern-configurations", "secret-scanning-pattern-configurations.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var cfg patternConfigurations
		if err := decodeObject(bytes.NewReader(body), &cfg); err != nil {
			return
		}
		if !json.Valid(body) || bytes.TrimSpace(body)[0] != '{' {
			t.Fatalf("accepted an answer that is not one JSON object: %q", body)
		}
		if _, err := patternMetrics("acme", cfg); err != nil && !strings.Contains(err.Error(), "twice") {
			t.Logf("metrics: %v", err)
		}
	})
}

func FuzzDecodeAnalysesPage(f *testing.F) {
	addSeeds(f, "/repos/acme/"+firstRepo(f)+"/code-scanning/analyses", "")
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeArray[codeScanningAnalysis](bytes.NewReader(body))
		if err != nil {
			return
		}
		for tool, at := range newestByTool(page) {
			if tool == "" || at <= 0 {
				t.Fatalf("newest analysis %q at %d from %q", tool, at, body)
			}
		}
	})
}

func firstRepo(f *testing.F) string {
	sim := githubsim.New(githubsim.Config{Seed: 5, Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 3, CodeScanning: 4, Dependabot: 4, SecretScanning: 4}},
		Now: func() time.Time { return inventoryNow }})
	for _, a := range sim.CodeScanningAnalyses("acme") {
		return a.Repo
	}
	f.Fatal("no analyses")
	return ""
}

// FuzzInventoryGraphQL serves each input as the answer of every GraphQL inventory
// request: listRepositories must end (an error or the list), never panic or loop, and
// never accept a repository without a name.
func FuzzInventoryGraphQL(f *testing.F) {
	var answer atomic.Value
	answer.Store([]byte(`{}`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer.Load().([]byte))
	}))
	defer srv.Close()
	hc := &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{RequestsPerSecond: 1e6, Burst: 1000, MaxRetries: -1, Reserve: -1})}
	gql, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: srv.URL + "/graphql", HTTPClient: hc})
	if err != nil {
		f.Fatal(err)
	}
	// The simulator's answer to the collector's own query is the first seed.
	sim := githubsim.New(githubsim.Config{Seed: 5, Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 3}}, Now: func() time.Time { return inventoryNow }})
	answer.Store([]byte(nil))
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer seed")
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		answer.Store(rec.Body.Bytes())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	seedGQL, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: proxy.URL + "/graphql", HTTPClient: hc})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := listRepositories(githubapi.WithEndpoint(context.Background(), "graphql"), &Target{Org: "acme", GraphQL: seedGQL}); err != nil {
		f.Fatalf("the simulator's inventory: %v", err)
	}
	proxy.Close()
	f.Add(answer.Load().([]byte))
	f.Add([]byte(inventoryPage))
	for _, s := range []string{
		`{"data":{"organization":{"repositories":{"nodes":[],"pageInfo":{"hasNextPage":true,"endCursor":"a"}}}}}`,
		`{"data":{"organization":{"repositories":{"nodes":[null],"pageInfo":{"hasNextPage":false}}}}}`,
		`{"data":{"organization":null}}`, `null`, `{"data":{"organization":{"repositories":{"nodes":[{"name":"a"}],"pageInfo":{"hasNextPage":true,"endCursor":"c"}}}}}`,
		`{"errors":[{"type":"NOT_FOUND","message":"Could not resolve"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		answer.Store(body)
		target := &Target{Org: "acme", GraphQL: gql}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		repos, err := listRepositories(githubapi.WithEndpoint(ctx, "graphql"), target)
		if ctx.Err() != nil {
			t.Fatalf("listRepositories did not end on %q", body)
		}
		if err != nil {
			return
		}
		for _, r := range repos {
			if r.Name == "" {
				t.Fatalf("accepted a repository without a name from %q", body)
			}
		}
	})
}
