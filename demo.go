package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// startDemo serves the simulated GitHub organizations on a loopback port of this process
// and points the configuration at them: no token, no network. The simulated alerts change
// every few seconds, as a real organization's would.
func startDemo(ctx context.Context, cfg *config, logger *slog.Logger) error {
	sim := githubsim.New(githubsim.Config{Seed: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = server.Close()
	}()
	go sim.Churn(ctx, 15*time.Second, 20)

	cfg.apiURL = "http://" + ln.Addr().String() + "/"
	cfg.token = "demo-token"
	if len(cfg.orgs) == 0 {
		cfg.orgs = sim.Orgs()
	}
	if !cfg.scheduleSet {
		cfg.schedule = "@every 1m"
	}
	if !cfg.rpsSet {
		cfg.rps = 50
	}
	cfg.analyses = true // so that the demo shows every family
	if !cfg.analysesScheduleSet {
		cfg.analysesSchedule = "@every 2m"
	}
	logger.Info("demo mode: serving a simulated GitHub", "api_url", cfg.apiURL, "orgs", cfg.orgs)
	return nil
}
