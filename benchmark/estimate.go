package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
	"github.com/github-security-exporter/github-security-exporter/metricstore"
)

// estimate counts the alert-derived series of 1,000 repositories and 10,000 alerts with
// each series option: the README's sizing table (go run ./benchmark -estimate).
func estimate() error {
	rows, err := estimates()
	if err != nil {
		return err
	}
	fmt.Println("| options (1,000 repositories, 10,000 alerts) | series | of which count rows |")
	fmt.Println("|---|---:|---:|")
	for _, r := range rows {
		fmt.Printf("| %s | %d | %d |\n", r.name, r.series, r.counts)
	}
	return nil
}

type estimateRow struct {
	name           string
	series, counts int
}

func estimates() ([]estimateRow, error) {
	sim := githubsim.New(githubsim.Config{Seed: 1, RateLimit: 100_000_000, Orgs: []githubsim.OrgSpec{{
		Login: org, Repos: 1000, CodeScanning: 3334, Dependabot: 5000, SecretScanning: 1666,
	}}})
	api := httptest.NewServer(sim)
	defer api.Close()
	options := []struct {
		name string
		opts collector.SeriesOptions
	}{
		{"every series (default)", collector.SeriesOptions{}},
		{"--metrics.closed-alerts=fold", collector.SeriesOptions{Closed: collector.ClosedFold}},
		{"--metrics.closed-alerts=drop", collector.SeriesOptions{Closed: collector.ClosedDrop}},
		{"--metrics.closed-alerts=drop --metrics.drop-repository=github_dependabot_alerts", collector.SeriesOptions{Closed: collector.ClosedDrop, DropRepository: []string{"github_dependabot_alerts"}}},
		{"--metrics.deny='github_alerts_oldest_open_timestamp_seconds'", collector.SeriesOptions{Deny: regexp.MustCompile("^(?:github_alerts_oldest_open_timestamp_seconds)$")}},
	}
	var rows []estimateRow
	for _, o := range options {
		gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: api.URL, HTTPClient: &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{
			Base: &githubapi.TokenTransport{Token: "benchmark", Base: http.DefaultTransport}, RequestsPerSecond: 100_000,
		})}})
		if err != nil {
			return nil, err
		}
		store := metricstore.New()
		e, err := collector.New(collector.Config{Client: gh, Orgs: []string{org}, Sources: families, Sink: store, Series: o.opts})
		if err != nil {
			return nil, err
		}
		e.Run(context.Background())
		counts := 0
		for _, line := range splitLines(store.Current().Text) {
			if regexp.MustCompile(`^github_(code_scanning|dependabot|secret_scanning)_alerts\{`).MatchString(line) {
				counts++
			}
		}
		rows = append(rows, estimateRow{o.name, store.Current().Series, counts})
	}
	return rows, nil
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}
