package collector

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// TestWalkProgress watches the Dependabot walk from inside the simulated GitHub: the
// pages read rise during each walk, the pages expected are unknown during the first full
// walk and known, equal to its pages, during the second; nothing is under way after.
func TestWalkProgress(t *testing.T) {
	sim := githubsim.New(githubsim.Config{Seed: 2, Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 10, Dependabot: 950}}})
	var (
		mu   sync.Mutex
		seen []Walk
		e    *Exporter
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e != nil {
			for _, st := range e.Status() {
				if st.Collector == "dependabot" {
					mu.Lock()
					seen = append(seen, st.Walk)
					mu.Unlock()
				}
			}
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	gh, err := githubapi.NewClient(githubapi.ClientOptions{BaseURL: srv.URL + "/",
		HTTPClient: &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{RequestsPerSecond: 1000,
			Base: &githubapi.TokenTransport{Token: "t", Base: http.DefaultTransport}})}})
	if err != nil {
		t.Fatal(err)
	}
	e, err = New(Config{Client: gh, Orgs: []string{"acme"}, Sources: []string{"dependabot"},
		Walks: Walks{FullEvery: time.Nanosecond}}) // every walk a full one
	if err != nil {
		t.Fatal(err)
	}
	const pages = 1 + 10 // the head of the updated-first listing, then 950 alerts oldest first
	for run := 1; run <= 2; run++ {
		seen = nil
		e.Run(context.Background())
		if len(seen) != pages {
			t.Fatalf("run %d: %d requests seen, want %d", run, len(seen), pages)
		}
		for i, w := range seen {
			if !w.Running || !w.Full || w.PagesRead != i {
				t.Errorf("run %d, request %d: %+v, want a full walk under way with %d pages read", run, i+1, w, i)
			}
			if want := map[int]int{1: 0, 2: pages}[run]; w.PagesExpected != want {
				t.Errorf("run %d, request %d: %d pages expected, want %d", run, i+1, w.PagesExpected, want)
			}
		}
		if w := e.Status()[0].Walk; w.Running || w.PagesRead != 0 {
			t.Errorf("after run %d: %+v, want no walk under way", run, w)
		}
	}
}

func TestETA(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		budget  githubapi.Budget
		read    int
		charged int // requests of the pages read that the budget was charged
		want    time.Duration
	}{
		{"pace only", githubapi.Budget{}, 10, 10, 10 * time.Second},
		{"budget enough", githubapi.Budget{Known: true, Limit: 5000, Remaining: 4000, Reserve: 100, Reset: now.Add(time.Hour)}, 10, 10, 10 * time.Second},
		// 5 pages until the reserve, a wait until the reset a minute away and its
		// margin, then the other 5.
		{"one reset", githubapi.Budget{Known: true, Limit: 100, Remaining: 15, Reserve: 10, Reset: now.Add(time.Minute)}, 10, 10, 66 * time.Second},
		// The same, but every page so far was a 304, which costs nothing: no pause.
		{"conditional pages", githubapi.Budget{Known: true, Limit: 100, Remaining: 15, Reserve: 10, Reset: now.Add(time.Minute)}, 10, 0, 10 * time.Second},
		// Half the pages charged: the 5 requests left before the reserve are 10 pages.
		{"half charged", githubapi.Budget{Known: true, Limit: 100, Remaining: 15, Reserve: 10, Reset: now.Add(time.Minute)}, 10, 5, 10 * time.Second},
		// 6 pages left, 2 a window: 2 pages, the reset at 30s and its margin, 2 pages, the
		// next reset a window (30s, as learnt) after the first request of the window,
		// 2 pages: 2s, 31s+2s, 62s+2s.
		{"several windows", githubapi.Budget{Known: true, Limit: 12, Remaining: 12, Reserve: 10, Reset: now.Add(30 * time.Second)}, 14, 14, 64 * time.Second},
		{"done", githubapi.Budget{}, 20, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProgress(func() time.Time { return now }, func(string) githubapi.Budget { return tt.budget }, nil)
			p.window = 30 * time.Second
			w := &walkState{p: p, full: true, read: tt.read, expected: 20, paced: time.Duration(tt.read) * time.Second,
				pacedPages: tt.read, charged: tt.charged}
			if tt.read == 20 {
				w.pacedPages, w.paced = 1, time.Second
			}
			if got := p.eta(w, now); got != tt.want {
				t.Errorf("eta = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestProgressLogAtMostOncePerMinute reads a page every 10 s of a fake clock for 5
// minutes: the walk is logged once a minute from its first minute on, never more often.
func TestProgressLogAtMostOncePerMinute(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var logs strings.Builder
	p := newProgress(func() time.Time { return now }, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := p.start(context.Background(), "acme", "dependabot")
	for range 30 {
		now = now.Add(10 * time.Second)
		pageRead(ctx)
	}
	lines := strings.Count(logs.String(), `msg="walk under way"`)
	if lines != 5 {
		t.Errorf("%d progress lines over 5 minutes, want 5 (one a minute):\n%s", lines, logs.String())
	}
	if !strings.Contains(logs.String(), "pages_read=30") {
		t.Errorf("the last line does not say the pages read:\n%s", logs.String())
	}
}
