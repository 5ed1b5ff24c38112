package collector

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/github-security-exporter/github-security-exporter/store"
)

// TestRestartServesSavedNumbersAndContinuesIncrementally restarts the exporter on its
// state file: the first scrape after start-up has the previous numbers, before any
// request, and the first run is incremental.
func TestRestartServesSavedNumbersAndContinuesIncrementally(t *testing.T) {
	r := newRig(t, 1500)
	state := filepath.Join(t.TempDir(), "state")
	r.exporter = r.newExporter(t, state)
	r.run(t)
	names := []string{"github_dependabot_alerts", "github_secret_scanning_alerts", "github_alerts_open_age_seconds", "github_alerts_sla_breached", "github_alerts_oldest_open_timestamp_seconds"}
	before, err := testutil.CollectAndFormat(r.exporter, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}

	requests := r.sim.Stats().Requests
	r.exporter = r.newExporter(t, state) // the restart
	after, err := testutil.CollectAndFormat(r.exporter, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	if r.sim.Stats().Requests != requests {
		t.Fatal("starting up called GitHub")
	}
	if string(before) != string(after) || !strings.Contains(string(after), "github_dependabot_alerts{") {
		t.Fatalf("after a restart the exporter serves other numbers:\nbefore:\n%.2000s\nafter:\n%.2000s", before, after)
	}

	r.expClock.add(10 * time.Minute)
	counted, notModified := r.run(t)
	if counted != 0 || notModified != 3 {
		t.Errorf("first run after restart: %d counted requests, %d 304s; want an incremental run with nothing changed (0 and 3)", counted, notModified)
	}
	r.check(t)
}

// TestCorruptStateIsSetAside starts on a damaged state file: the exporter reports it,
// sets it aside, serves nothing it cannot trust, and walks in full.
func TestCorruptStateIsSetAside(t *testing.T) {
	r := newRig(t, 700)
	path := filepath.Join(t.TempDir(), "state")
	state := path
	r.exporter = r.newExporter(t, state)
	r.run(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	r.exporter = r.newExporter(t, state)
	if n := testutil.CollectAndCount(r.exporter, "github_dependabot_alerts"); n != 0 {
		t.Fatalf("served %d series from a corrupt state file", n)
	}
	aside, _ := filepath.Glob(path + ".corrupt.*")
	if len(aside) != 1 {
		t.Fatalf("corrupt state file not set aside: %v", aside)
	}
	counted, _ := r.run(t)
	if want := pages(700) + 1 + pages(120) + 1 + 2; counted != want {
		t.Errorf("first run after a corrupt state made %d counted requests, want a full walk (%d)", counted, want)
	}
	r.check(t)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no new state file saved: %v", err)
	}
}

// TestOlderStateFileIsSetAside starts on a state file of version 2 (before records carried
// the kind label and followed repository ids): it is set aside, nothing of it is served,
// and the first walk is a full one that counts every alert as opened.
func TestOlderStateFileIsSetAside(t *testing.T) {
	r := newRig(t, 700)
	path := filepath.Join(t.TempDir(), "state")
	r.exporter = r.newExporter(t, path)
	first, _ := r.run(t)
	current := &store.File{Path: path, Version: stateVersion}
	payload, err := current.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := (&store.File{Path: path, Version: 2}).Save(payload); err != nil {
		t.Fatal(err)
	}

	r.exporter = r.newExporter(t, path)
	if n := testutil.CollectAndCount(r.exporter, "github_dependabot_alerts"); n != 0 {
		t.Fatalf("%d series served from a version 2 state file", n)
	}
	r.expClock.add(10 * time.Minute)
	counted, _ := r.run(t)
	if counted != first {
		t.Errorf("first run after a version 2 state made %d counted requests, want a full walk (%d, as the very first run)", counted, first)
	}
	opened := 0.0
	for k, s := range scrape(t, r.exporter) {
		if strings.HasPrefix(k, `github_alerts_opened_total{family="dependabot"`) {
			opened += s.value
		}
	}
	if want := len(r.sim.DependabotAlerts(rigOrg)); opened != float64(want) {
		t.Errorf("opened after the first walk: %g, want every alert (%d)", opened, want)
	}
	if aside, _ := filepath.Glob(path + ".*"); len(aside) == 0 {
		t.Errorf("the version 2 state file was not set aside")
	}
}

// TestStateSaveHealth makes the state file unsavable (a non-empty directory stands in
// its place), then savable again, then restarts: the failure is counted, the time of
// the last good save stays until a save succeeds, the log line says what a restart
// would do, and the counter survives the restart.
func TestStateSaveHealth(t *testing.T) {
	r := newRig(t, 300)
	state := filepath.Join(t.TempDir(), "state")
	var log strings.Builder
	newExporter := func() *Exporter {
		e, err := New(Config{Client: r.gh, Orgs: []string{rigOrg}, Sources: []string{"dependabot"}, Now: r.expClock.now,
			StatePath: state, Logger: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	health := func(e *Exporter) string {
		b, err := testutil.CollectAndFormat(e, expfmt.TypeTextPlain, "github_exporter_state_save_failures_total", "github_exporter_state_last_save_timestamp_seconds")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const failed1 = "github_exporter_state_save_failures_total 1\n"
	if err := os.MkdirAll(filepath.Join(state, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := newExporter()
	e.Run(t.Context())
	if got := health(e); !strings.Contains(got, failed1) || strings.Contains(got, "last_save_timestamp_seconds ") {
		t.Errorf("after a failed first save:\n%s", got)
	}
	if !strings.Contains(log.String(), "there is no saved state, so a restart would walk every listing in full") {
		t.Errorf("log line does not say a restart walks in full:\n%s", log.String())
	}

	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	r.expClock.add(time.Minute)
	e.Run(t.Context())
	saved := r.expClock.now().Unix()
	if got := health(e); !strings.Contains(got, failed1) || !strings.Contains(got, "github_exporter_state_last_save_timestamp_seconds "+strconv.FormatFloat(float64(saved), 'g', -1, 64)) {
		t.Errorf("after a good save at %d:\n%s", saved, got)
	}

	if err := os.Rename(state, state+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(state, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.expClock.add(time.Minute)
	log.Reset()
	e.Run(t.Context())
	if !strings.Contains(log.String(), "a restart would resume from the state saved earlier") {
		t.Errorf("log line does not say a restart resumes from the older state:\n%s", log.String())
	}
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(state+".moved", state); err != nil {
		t.Fatal(err)
	}
	// The counter is persisted with the state: the older file holds the first failure.
	if got := health(newExporter()); !strings.Contains(got, failed1) {
		t.Errorf("after a restart on the state saved at %d:\n%s", saved, got)
	}
}
