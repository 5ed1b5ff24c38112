package collector

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"time"

	"github.com/github-security-exporter/github-security-exporter/store"
)

// stateVersion is the format of the state file; a file of another version is set aside.
// 2 added the flow counters (alertSet.Flow) and alertRecord.SeenOpen; 3: secret scanning
// records carry the kind label, records follow the inventory's repository ids. Files of
// versions 1 and 2 are set aside: their label tuples differ, so the next start walks in full.
const stateVersion = 3

// olderStateVersions are the versions Load still accepts.
var olderStateVersions []uint32

// savedState is what survives a restart: per organization the records of each alert
// family, the repository inventory, and when each source last succeeded.
type savedState struct {
	Orgs map[string]savedOrg
	// SavedAt and SaveFailures feed github_exporter_state_last_save_timestamp_seconds and
	// github_exporter_state_save_failures_total (a counter: kept across restarts).
	SavedAt      time.Time
	SaveFailures int
}

type savedOrg struct {
	Alerts      map[string]*alertSet
	Repos       []Repository
	LastSuccess map[string]time.Time
}

// alertFamilies are the sources whose series are derived from saved records.
var alertFamilies = map[string]familySpec{
	"code_scanning":   codeScanningListing.spec,
	"dependabot":      dependabotListing.spec,
	"secret_scanning": secretScanningListing.spec,
}

// save writes the state of every organization to the state file, as of now.
func (e *Exporter) save(now time.Time) error {
	e.saveMu.Lock()
	state := savedState{Orgs: map[string]savedOrg{}, SavedAt: now, SaveFailures: e.saveFailures}
	e.saveMu.Unlock()
	status := e.snap.Load().states
	for org, t := range e.targets {
		o := savedOrg{Alerts: t.alerts, LastSuccess: map[string]time.Time{}}
		for _, name := range t.Repos.Names() {
			r, _ := t.Repos.Lookup(name)
			o.Repos = append(o.Repos, r)
		}
		for k, st := range status {
			if k.org == org && !st.LastSuccess.IsZero() {
				o.LastSuccess[k.source] = st.LastSuccess
			}
		}
		state.Orgs[org] = o
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(state); err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	return e.state.Save(buf.Bytes())
}

// load restores the state file, if any, and serves the alert counts it holds at once.
// A bad file is reported and set aside by the store; the exporter then starts afresh.
func (e *Exporter) load() error {
	payload, err := e.state.Load()
	if errors.Is(err, store.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var state savedState
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&state); err != nil {
		return fmt.Errorf("decoding state file %s: %w; starting afresh", e.state.Path, err)
	}
	e.saveMu.Lock()
	e.lastSave, e.saveFailures = state.SavedAt, state.SaveFailures
	e.saveMu.Unlock()
	for org, saved := range state.Orgs {
		t, ok := e.targets[org]
		if !ok {
			continue // no longer configured
		}
		if len(saved.Repos) > 0 {
			t.Repos = NewInventory(saved.Repos)
		}
		t.alerts = saved.Alerts
		for _, set := range saved.Alerts {
			if set != nil && len(set.Records) > 0 && len(set.Details) == 0 {
				set.LastFull = 0 // a state from before details were kept: the next walk reads them all
			}
		}
		for family := range alertFamilies {
			metrics, ok, err := familyMetrics(t, family)
			if !ok {
				continue
			}
			if err != nil {
				return fmt.Errorf("restoring %s of %s: %w", family, org, err)
			}
			metrics, dropped := e.series.shape(metrics)
			e.store(stateKey{org, family}, SourceStatus{
				Org: org, Collector: family, Ran: true, Success: true, Available: true,
				LastSuccess: saved.LastSuccess[family], metrics: metrics, Trend: t.trend(family, saved.LastSuccess[family]),
				SeriesDropped: dropped,
			})
			e.render(stateKey{org, family}, metrics)
		}
	}
	return nil
}
