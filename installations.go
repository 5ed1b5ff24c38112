package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/common/version"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// installations finds the GitHub App's installations and keeps one set of clients per
// installation: its own installation token, pacing and rate-limit budget.
type installations struct {
	cfg     *config
	base    http.RoundTripper
	metrics *githubapi.Metrics
	logger  *slog.Logger
	app     *githubapi.Client // authenticated as the App (JWT)

	mu      sync.Mutex
	clients map[int64]collector.Clients
}

func newInstallations(cfg *config, base http.RoundTripper, metrics *githubapi.Metrics, logger *slog.Logger) (*installations, error) {
	jwt, err := githubapi.NewAppsTransport(base, cfg.appID, cfg.appKeyFile)
	if err != nil {
		return nil, err
	}
	app, err := githubapi.NewClient(githubapi.ClientOptions{
		BaseURL: cfg.apiURL, HTTPClient: &http.Client{Transport: cfg.transport(jwt, metrics, logger)},
		APIVersion: cfg.apiVersion, UserAgent: userAgent(),
	})
	if err != nil {
		return nil, err
	}
	return &installations{cfg: cfg, base: base, metrics: metrics, logger: logger, app: app, clients: map[int64]collector.Clients{}}, nil
}

func userAgent() string { return name + "/" + version.Version }

// transport is the pacing, rate-limit and retry Transport over auth.
func (c *config) transport(auth http.RoundTripper, metrics *githubapi.Metrics, logger *slog.Logger) http.RoundTripper {
	return githubapi.NewTransport(githubapi.TransportOptions{
		Base: auth, RequestsPerSecond: c.rps, Reserve: c.reserve, MaxRetries: c.maxRetries, Metrics: metrics, Logger: logger,
	})
}

// discover lists the installations and returns the organizations to collect with their
// clients. An organization named with --github.org that has no installation is logged.
func (in *installations) discover(ctx context.Context) ([]string, map[string]collector.Clients, error) {
	all, err := githubapi.ListInstallations(ctx, in.app)
	if err != nil {
		return nil, nil, err
	}
	kept, missing := githubapi.OrganizationInstallations(all, in.cfg.orgs)
	if len(missing) > 0 {
		in.logger.Warn("the GitHub App is not installed on these organizations", "orgs", strings.Join(missing, ","))
	}
	if len(kept) == 0 {
		return nil, nil, fmt.Errorf("the GitHub App has no installation on an organization to collect (%d installations)", len(all))
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	orgs := make([]string, 0, len(kept))
	clients := map[string]collector.Clients{}
	for _, inst := range kept {
		c, ok := in.clients[inst.ID]
		if !ok {
			if c, err = in.newClients(inst.ID); err != nil {
				return nil, nil, err
			}
			in.clients[inst.ID] = c
		}
		orgs = append(orgs, inst.Account)
		clients[inst.Account] = c
	}
	return orgs, clients, nil
}

func (in *installations) newClients(id int64) (collector.Clients, error) {
	auth, err := githubapi.NewAppTransport(in.base, in.cfg.apiURL, in.cfg.appID, id, in.cfg.appKeyFile, in.logger)
	if err != nil {
		return collector.Clients{}, err
	}
	hc := &http.Client{Transport: in.cfg.transport(auth, in.metrics, in.logger)}
	rest, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: in.cfg.apiURL, HTTPClient: hc, APIVersion: in.cfg.apiVersion, UserAgent: userAgent()})
	if err != nil {
		return collector.Clients{}, err
	}
	gql, err := githubapi.NewGraphQLClient(githubapi.GraphQLOptions{URL: in.cfg.graphqlURL, HTTPClient: hc, UserAgent: userAgent()})
	if err != nil {
		return collector.Clients{}, err
	}
	return collector.Clients{REST: rest, GraphQL: gql}, nil
}

// discovering wraps a run: installations are listed again first, so that one added or
// removed is picked up; when the listing fails, the last organizations are collected.
func (in *installations) discovering(exporter *collector.Exporter, run func(context.Context)) func(context.Context) {
	return func(ctx context.Context) {
		if orgs, clients, err := in.discover(ctx); err != nil {
			in.logger.Error("listing the GitHub App's installations failed; collecting the organizations found before", "err", err)
		} else {
			exporter.SetOrgs(orgs, clients)
		}
		run(ctx)
	}
}
