package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// A simulated day of runs (every 15 minutes, 96 of them after a first full walk, the
// daily full walk included), a quiet one and one with a few changes before each run,
// once authenticated with a token
// and once as a GitHub App installation whose token is renewed every simulated hour.
// GitHub's ETags are specific to the token, so after each renewal every conditional
// request of the new token misses once: the head of each listing, the open alerts'
// pages of the hourly refresh and the pages of the daily full walk are counted again.
//
// The installation token's lifetime is real time (the App transport renews it a minute
// before expires_at by the wall clock), so the simulated hour lasts appHour of real time
// and the server issues tokens valid for a minute more than that.

const (
	appID, appInstallationID = 4242, 777
	appHour                  = time.Second      // real time standing for an hour of runs
	runsPerHour              = 4                // every 15 minutes
	runsPerDay               = 24 * runsPerHour // the daily full walk is the last
	appRunEvery              = 15 * time.Minute // the exporter's clock between runs
	appTokenTTL              = time.Minute + appHour
)

// dayCost is what a simulated day of runs cost.
type dayCost struct {
	counted, notModified, tokens int
}

func runAppAuth(repos, alerts int) error {
	fmt.Printf("a simulated day of runs (%d runs every %s after a first full walk, the daily full walk included) on %d repositories, %d alerts:\n\n",
		runsPerDay, appRunEvery, repos, alerts)
	fmt.Println("| day | authentication | requests counted | 304 (not counted) | installation tokens |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, changes := range []int{0, 10} {
		day := "quiet (nothing changes)"
		if changes > 0 {
			day = fmt.Sprintf("%d alerts change before each run", changes)
		}
		for _, asApp := range []bool{false, true} {
			c, err := measureDay(repos, alerts, changes, asApp)
			if err != nil {
				return err
			}
			auth, tokens := "token", "-"
			if asApp {
				auth, tokens = "GitHub App, token renewed hourly", fmt.Sprint(c.tokens)
			}
			fmt.Printf("| %s | %s | %d | %d | %s |\n", day, auth, c.counted, c.notModified, tokens)
		}
	}
	return nil
}

func measureDay(repos, alerts, changesPerRun int, asApp bool) (dayCost, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return dayCost{}, err
	}
	sim := githubsim.New(githubsim.Config{Seed: 9, RateLimit: 1_000_000,
		Apps: []githubsim.App{{ID: appID, InstallationID: appInstallationID, PublicKey: &key.PublicKey}},
		Orgs: []githubsim.OrgSpec{{Login: org, Repos: repos, CodeScanning: alerts / 3, Dependabot: alerts / 2,
			SecretScanning: alerts - alerts/3 - alerts/2}}})
	api := httptest.NewServer(sim)
	defer api.Close()

	auth := &swappable{}
	renew := func() error {
		if !asApp {
			auth.set(&githubapi.TokenTransport{Token: "benchmark", Base: http.DefaultTransport})
			return nil
		}
		rt, err := appTransport(api.URL, key)
		if err == nil {
			auth.set(rt)
		}
		return err
	}
	if err := renew(); err != nil {
		return dayCost{}, err
	}
	clock := &expClock{t: time.Now()}
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: api.URL, HTTPClient: &http.Client{
		Transport: githubapi.NewTransport(githubapi.TransportOptions{Base: auth, RequestsPerSecond: 100_000})}})
	if err != nil {
		return dayCost{}, err
	}
	e, err := collector.New(collector.Config{Client: gh, Orgs: []string{org}, Sources: families, Now: clock.now,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return dayCost{}, err
	}
	e.Run(context.Background()) // the first full walk, before the day
	before := sim.Stats()
	for i := 1; i <= runsPerDay; i++ {
		if i%runsPerHour == 1 { // on the hour: a new installation token
			if err := renew(); err != nil {
				return dayCost{}, err
			}
		}
		sim.Step(changesPerRun)
		clock.add(appRunEvery)
		e.Run(context.Background())
		for _, st := range e.Status() {
			if !st.Success {
				return dayCost{}, fmt.Errorf("run %d: %s failed: %s", i, st.Collector, st.LastError)
			}
		}
	}
	after := sim.Stats()
	notModified := after.ByStatus[http.StatusNotModified] - before.ByStatus[http.StatusNotModified]
	return dayCost{counted: after.Requests - before.Requests - notModified, notModified: notModified,
		tokens: after.InstallationTokens - before.InstallationTokens}, nil
}

// appTransport authenticates as the App installation with key, written to a file as
// GitHub hands it out.
func appTransport(apiURL string, key *rsa.PrivateKey) (http.RoundTripper, error) {
	dir, err := os.MkdirTemp("", "appauth")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // the transport has read the key
	file := filepath.Join(dir, "app.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(file, block, 0o600); err != nil {
		return nil, err
	}
	return githubapi.NewAppTransport(http.DefaultTransport, apiURL, appID, appInstallationID, file, nil)
}

// swappable is the authenticating transport of the day's hour.
type swappable struct {
	mu sync.Mutex
	rt http.RoundTripper
}

func (s *swappable) set(rt http.RoundTripper) { s.mu.Lock(); s.rt = rt; s.mu.Unlock() }

func (s *swappable) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	rt := s.rt
	s.mu.Unlock()
	return rt.RoundTrip(r)
}

// expClock is the exporter's clock, moved on by the day's runs.
type expClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *expClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *expClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
