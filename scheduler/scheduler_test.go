package scheduler

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestParse(t *testing.T) {
	for _, spec := range []string{"@every 15m", "*/10 * * * *", "@hourly", "CRON_TZ=Europe/Berlin 0 6 * * *"} {
		if _, err := Parse(spec); err != nil {
			t.Errorf("Parse(%q): %v", spec, err)
		}
	}
	for _, spec := range []string{"", "every 15m", "* * *", "@every -1m", "61 * * * *", "@sometimes"} {
		if _, err := Parse(spec); err == nil || !strings.Contains(err.Error(), "invalid schedule") {
			t.Errorf("Parse(%q) = %v, want an invalid schedule error", spec, err)
		}
	}
}

// TestIntervalMetric: two schedulers on one registry, as main has (the main
// schedule and the code scanning analyses' own), each labelling its interval
// with the collectors it runs.
func TestIntervalMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New("*/10 * * * *", func(context.Context) {}, nil, reg, "dependabot", "secret_scanning"); err != nil {
		t.Fatal(err)
	}
	if _, err := New("@every 6h", func(context.Context) {}, nil, reg, "code_scanning_analyses"); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP github_exporter_collection_interval_seconds Seconds between two scheduled collections of the collector, from its configured schedule.
# TYPE github_exporter_collection_interval_seconds gauge
github_exporter_collection_interval_seconds{collector="code_scanning_analyses"} 21600
github_exporter_collection_interval_seconds{collector="dependabot"} 600
github_exporter_collection_interval_seconds{collector="secret_scanning"} 600
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

// TestRunsAtStartupThenOnScheduleWithoutOverlap uses a job slower than the schedule:
// the first run starts at once, due runs are skipped while one runs, and a panicking
// run neither kills the scheduler nor blocks the runs after it.
func TestRunsAtStartupThenOnScheduleWithoutOverlap(t *testing.T) {
	var runs, running, overlaps atomic.Int32
	third := make(chan struct{})
	job := func(ctx context.Context) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer running.Add(-1)
		n := runs.Add(1)
		switch n {
		case 1:
			time.Sleep(2500 * time.Millisecond) // two scheduled runs fall due meanwhile
		case 2:
			panic("collector bug")
		case 3:
			close(third)
		}
	}
	s, err := New("@every 1s", job, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitClosed(t, third, "the third run")
	cancel()
	waitClosed(t, done, "Run returning after shutdown")
	if overlaps.Load() != 0 {
		t.Fatalf("%d runs overlapped", overlaps.Load())
	}
}

func TestJobGetsTheRunContext(t *testing.T) {
	got := make(chan context.Context, 1)
	s, err := New("@every 1h", func(ctx context.Context) { got <- ctx; <-ctx.Done() }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	var jobCtx context.Context
	select {
	case jobCtx = <-got: // the start-up run, without waiting an hour
	case <-time.After(30 * time.Second):
		t.Fatal("no start-up run")
	}
	cancel()
	waitClosed(t, done, "Run returning after shutdown") // only after the running job saw the cancellation and returned
	if jobCtx.Err() == nil {
		t.Fatal("job's context not cancelled by shutdown")
	}
}

// waitClosed waits for ch to close; the bound only keeps a broken scheduler from
// hanging the suite (it is no speed requirement).
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: not after 30s", what)
	}
}
