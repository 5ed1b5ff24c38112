package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// compareEnterprise walks the three alert families of an enterprise of orgs small
// organizations once per organization and once through the enterprise listings, and
// prints the requests and wall time of each first full walk.
func compareEnterprise(orgs, alertsPerOrg int, latency time.Duration) error {
	const slug = "bench-enterprise"
	specs := make([]githubsim.OrgSpec, orgs)
	names := make([]string, orgs)
	for i := range specs {
		names[i] = fmt.Sprintf("bench-org-%02d", i)
		specs[i] = githubsim.OrgSpec{Login: names[i], Repos: 20, CodeScanning: alertsPerOrg / 3, Dependabot: alertsPerOrg / 2,
			SecretScanning: alertsPerOrg - alertsPerOrg/3 - alertsPerOrg/2}
	}
	fmt.Printf("\nenterprise of %d organizations, %d alerts each, %s per request: first full walk of the three alert families\n\n", orgs, alertsPerOrg, latency)
	fmt.Println("| walk | requests counted | wall time |")
	fmt.Println("|---|---:|---:|")
	for _, mode := range []string{"per organization", "enterprise listings"} {
		sim := githubsim.New(githubsim.Config{Seed: 1, Latency: latency, RateLimit: 1_000_000, Orgs: specs, EnterpriseSlug: slug})
		api := httptest.NewServer(sim)
		gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: api.URL, HTTPClient: &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{
			Base: &githubapi.TokenTransport{Token: "benchmark", Base: http.DefaultTransport}, RequestsPerSecond: 1000,
		})}})
		if err != nil {
			return err
		}
		cfg := collector.Config{Client: gh, Orgs: names, Sources: families}
		if mode == "enterprise listings" {
			cfg.Orgs, cfg.Enterprise = nil, slug
		}
		e, err := collector.New(cfg)
		if err != nil {
			return err
		}
		r := measure(sim, func() { e.Run(context.Background()) })
		fmt.Printf("| %s | %d | %s |\n", mode, r.counted, r.wall.Round(100*time.Millisecond))
		api.Close()
	}
	return nil
}
