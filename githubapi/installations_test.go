package githubapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// TestListInstallations lists 145 installations of an App with its JWT, two pages of
// 100 following the Link header, and keeps those on the organizations asked for.
func TestListInstallations(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var more []githubsim.Installation
	var orgs []githubsim.OrgSpec
	for i := range 145 {
		login := fmt.Sprintf("org-%03d", i)
		orgs = append(orgs, githubsim.OrgSpec{Login: login, Repos: 1})
		if i > 0 {
			more = append(more, githubsim.Installation{ID: int64(1000 + i), Org: login})
		}
	}
	sim := githubsim.New(githubsim.Config{Seed: 1, Orgs: orgs, Apps: []githubsim.App{{
		ID: 77, InstallationID: 1000, Orgs: []string{"org-000"}, PublicKey: &key.PublicKey, Installations: more,
	}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	jwt, err := NewAppsTransport(http.DefaultTransport, 77, writeKey(t, key))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: NewTransport(TransportOptions{Base: jwt, RequestsPerSecond: 1000})}})
	if err != nil {
		t.Fatal(err)
	}
	all, err := ListInstallations(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 145 || all[0].ID != 1000 || all[0].Account != "org-000" || all[144].Account != "org-144" {
		t.Fatalf("%d installations, first %+v", len(all), all[0])
	}
	if n := sim.Stats().ByEndpoint["/app/installations"]; n != 2 {
		t.Errorf("%d requests for 145 installations at per_page=100, want 2 (Link next)", n)
	}
	kept, missing := OrganizationInstallations(all, []string{"ORG-003", "org-140", "nowhere"})
	var accounts []string
	for _, in := range kept {
		accounts = append(accounts, in.Account)
	}
	if !slices.Equal(accounts, []string{"org-003", "org-140"}) || !slices.Equal(missing, []string{"nowhere"}) {
		t.Errorf("kept %v, missing %v", accounts, missing)
	}

	// Without the App's key the listing is refused.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad, _ := NewAppsTransport(http.DefaultTransport, 77, writeKey(t, other))
	c2, _ := NewClient(ClientOptions{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: NewTransport(TransportOptions{Base: bad, MaxRetries: -1})}})
	if _, err := ListInstallations(context.Background(), c2); err == nil {
		t.Error("a JWT signed with another key listed the installations")
	}
}
