package collector

import (
	"bytes"
	"encoding/gob"
	"os"
	"path/filepath"
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
	if counted != 0 || notModified != 2 {
		t.Errorf("first run after restart: %d counted requests, %d 304s; want an incremental run with nothing changed (0 and 2)", counted, notModified)
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
	if want := pages(700) + 1 + pages(120) + 1; counted != want {
		t.Errorf("first run after a corrupt state made %d counted requests, want a full walk (%d)", counted, want)
	}
	r.check(t)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no new state file saved: %v", err)
	}
}

// TestVersion1StateFile starts on a state file of the format before the flow counters:
// its counts are served at once, the next walk of each family is a full walk, and it
// counts as a first walk (every alert opened, every closed one closed).
func TestVersion1StateFile(t *testing.T) {
	r := newRig(t, 700)
	path := filepath.Join(t.TempDir(), "state")
	r.exporter = r.newExporter(t, path)
	r.run(t)
	current := &store.File{Path: path, Version: stateVersion}
	payload, err := current.Load()
	if err != nil {
		t.Fatal(err)
	}
	var state savedState
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&state); err != nil {
		t.Fatal(err)
	}
	for _, o := range state.Orgs {
		for _, set := range o.Alerts {
			set.Flow = nil // what version 1 did not have
			for k, rec := range set.Records {
				rec.SeenOpen = 0
				set.Records[k] = rec
			}
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(state); err != nil {
		t.Fatal(err)
	}
	if err := (&store.File{Path: path, Version: 1}).Save(buf.Bytes()); err != nil {
		t.Fatal(err)
	}

	r.exporter = r.newExporter(t, path)
	if n := testutil.CollectAndCount(r.exporter, "github_dependabot_alerts"); n == 0 {
		t.Fatal("the counts of a version 1 state file are not served")
	}
	if n := testutil.CollectAndCount(r.exporter, "github_alerts_opened_total"); n != 0 {
		t.Fatalf("%d flow series before any walk of a version 1 state", n)
	}
	r.expClock.add(10 * time.Minute)
	counted, _ := r.run(t)
	if want := pages(700) + 1 + pages(120) + 1; counted != want {
		t.Errorf("first run on a version 1 state made %d counted requests, want a full walk (%d)", counted, want)
	}
	opened := 0.0
	for k, s := range scrape(t, r.exporter) {
		if strings.HasPrefix(k, `github_alerts_opened_total{family="dependabot"`) {
			opened += s.value
		}
	}
	if want := len(r.sim.DependabotAlerts(rigOrg)); opened != float64(want) {
		t.Errorf("opened after the first walk on a version 1 state: %g, want every alert (%d)", opened, want)
	}
	if aside, _ := filepath.Glob(path + ".version-*"); len(aside) != 0 {
		t.Errorf("a version 1 state file was set aside: %v", aside)
	}
}
