package collector

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// hostileOrg is large enough that every alert listing has several pages.
var hostileOrg = githubsim.OrgSpec{Login: "acme", Repos: 12, CodeScanning: 420, Dependabot: 530, SecretScanning: 260}

// retryingConfig is clientsFor with the transport's retries on, and no real waits.
func retryingConfig(t *testing.T, base string, orgs ...string) Config {
	t.Helper()
	hc := &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{
		Base:              &githubapi.TokenTransport{Token: "test-token"},
		RequestsPerSecond: 1000, Burst: 100, MaxRetries: 3, Reserve: -1,
		Sleep: func(context.Context, time.Duration) error { return nil },
	})}
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: base, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	gqlURL, _ := githubapi.GraphQLURL(base)
	gql, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: gqlURL, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Client: gh, GraphQL: gql, Orgs: orgs}
}

// exposition runs one collection of e and returns what it serves, as text.
func exposition(t *testing.T, e *Exporter) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	e.Run(context.Background())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, f := range families {
		if strings.HasSuffix(f.GetName(), "_duration_seconds") {
			continue // wall clock
		}
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func hostileSim() *githubsim.Server {
	return githubsim.New(githubsim.Config{Seed: 13, Orgs: []githubsim.OrgSpec{hostileOrg}, Now: func() time.Time { return inventoryNow }})
}

// TestBodiesCutMidWalkAreRetried checks that a body that breaks off (unexpected EOF, a
// reset mid-body, fewer bytes than its Content-Length) on a page in the middle of
// each walk is asked for again, and that the series are exactly those of an
// undisturbed collection.
func TestBodiesCutMidWalkAreRetried(t *testing.T) {
	clean := hostileSim()
	cfg := retryingConfig(t, serveGitHub(t, clean), hostileOrg.Login)
	cfg.Now = func() time.Time { return inventoryNow }
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := exposition(t, e)
	if !strings.Contains(want, `github_dependabot_alerts{`) || strings.Contains(want, `collection_success{collector="dependabot",org="acme"} 0`) {
		t.Fatalf("the undisturbed collection is not a baseline:\n%s", want)
	}
	for _, kind := range []githubsim.FaultKind{githubsim.TruncatedBody, githubsim.ResetMidBody, githubsim.ShortContentLength} {
		t.Run(kind.String(), func(t *testing.T) {
			sim := hostileSim()
			for _, path := range []string{"code-scanning/alerts", "dependabot/alerts", "secret-scanning/alerts"} {
				// The third request of each listing is a page in the middle of its walk.
				sim.InjectFault(githubsim.Fault{Path: path, After: 2, Kind: kind})
			}
			sim.InjectFault(githubsim.Fault{Path: "/graphql", Kind: kind}) // the inventory is one page
			cfg := retryingConfig(t, serveGitHub(t, sim), hostileOrg.Login)
			cfg.Now = func() time.Time { return inventoryNow }
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := exposition(t, e)
			if got != want {
				t.Errorf("series after a %s mid-walk differ from an undisturbed collection:\n%s", kind, diffLines(want, got))
			}
			// Each of the four faults cost one request more than the undisturbed walk.
			if got, clean := sim.Stats().Requests, clean.Stats().Requests; got != clean+4 {
				t.Errorf("%d requests, want the %d of an undisturbed collection and 4 retries", got, clean)
			}
		})
	}
}

// diffLines lists the lines only one of a and b has.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ina, inb := in(a), in(b)
	var out []string
	for l := range ina {
		if !inb[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range inb {
		if !ina[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "...")
	}
	return strings.Join(out, "\n")
}
