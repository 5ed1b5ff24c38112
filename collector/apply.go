package collector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Changes pushed by GitHub (webhook deliveries, package webhook) enter here and are merged
// into the same per-alert records the walks keep: one merge path, two feeds. A change is
// merged at once when no source of its organization is running; while one runs, it is held
// and merged, newer wins, when the source ends. The walks stay the truth: a change they
// find that no delivery announced is counted in github_exporter_webhook_missed_changes_total.

// ErrIgnored marks a change Apply left aside on purpose: an organization or family not
// collected, a code scanning event on another branch than the default one, a delivery
// older than what is known.
var ErrIgnored = errors.New("ignored")

// Change is one change a webhook delivery announced.
type Change struct {
	Org string
	// Family is code_scanning, dependabot or secret_scanning for an alert change, "" for a
	// change of the repository itself.
	Family string
	// Action is the delivery's action, e.g. fixed, dismissed, renamed, deleted.
	Action     string
	Repository ChangedRepository
	// Alert is the delivery's alert object in GitHub's webhook shape.
	Alert json.RawMessage
	// Ref is the Git ref a code scanning event is about; "" for a user's action.
	Ref string
	// OldName is a renamed repository's former name.
	OldName string
}

// ChangedRepository is the delivery's repository object, the part that is used.
type ChangedRepository struct {
	ID            int64
	Name          string
	DefaultBranch string
	Archived      bool
	Fork          bool
	Visibility    string // public, private, internal
}

// maxHeld bounds the changes held for one organization while its sources run; beyond it
// the oldest go, and the walk that is under way reconciles them.
const maxHeld = 10_000

// liveState is what a Target needs to take changes between and during collections.
type liveState struct {
	mu     sync.Mutex
	busy   bool     // a source of the organization is running
	held   []Change // changes that came while busy, in arrival order
	missed map[string]float64
	// counting is set when webhooks are on: only then is a change a walk finds "missed".
	counting bool
}

func unixTime(s int64) githubTime {
	if s == 0 {
		return githubTime{}
	}
	return githubTime{time.Unix(s, 0)}
}

// Apply merges changes into the records of their organization and family and publishes
// the new counts. Each change gets nil (merged, or held until the source under way ends),
// an error wrapping ErrIgnored, or another error for a malformed change.
func (e *Exporter) Apply(changes []Change) []error {
	e.orgsMu.RLock()
	defer e.orgsMu.RUnlock()
	errs := make([]error, len(changes))
	touched := map[*Target]map[string]bool{}
	for i, c := range changes {
		targets := e.targetsOf(c)
		if len(targets) == 0 {
			errs[i] = fmt.Errorf("%w: organization %q is not collected", ErrIgnored, c.Org)
			continue
		}
		for _, t := range targets {
			errs[i] = e.applyTo(t, c, touched)
		}
	}
	for t, families := range touched {
		t.live.mu.Lock()
		if !t.live.busy {
			e.publish(t, families)
		}
		t.live.mu.Unlock()
	}
	return errs
}

// targetsOf returns the Targets a change is for: its organization's, or for a transferred
// repository (delivered to the new owner) every other one, which loses the repository.
func (e *Exporter) targetsOf(c Change) []*Target {
	if c.Family == "" && c.Action == "transferred" {
		var out []*Target
		for _, t := range e.targets {
			if !strings.EqualFold(t.Org, c.Org) {
				out = append(out, t)
			}
		}
		return out
	}
	if t := e.target(c.Org); t != nil {
		return []*Target{t}
	}
	return nil
}

// applyTo merges c into t's records at once, or holds it while a source of t runs.
func (e *Exporter) applyTo(t *Target, c Change, touched map[*Target]map[string]bool) (err error) {
	t.live.mu.Lock()
	defer t.live.mu.Unlock()
	if t.live.busy {
		if err = e.check(c); err == nil {
			t.live.hold(c)
		}
		return err
	}
	if err = e.merge(t, c); err != nil {
		return err
	}
	if touched[t] == nil {
		touched[t] = map[string]bool{}
	}
	for _, f := range affected(c) {
		touched[t][f] = true
	}
	return nil
}

func (l *liveState) hold(c Change) {
	if len(l.held) >= maxHeld {
		l.held = l.held[1:]
	}
	l.held = append(l.held, c)
}

// target returns the Target of org, matched without regard to case as GitHub does.
func (e *Exporter) target(org string) *Target {
	if t, ok := e.targets[org]; ok {
		return t
	}
	for name, t := range e.targets {
		if strings.EqualFold(name, org) {
			return t
		}
	}
	return nil
}

// collects reports whether the exporter collects source on its main schedule.
func (e *Exporter) collects(source string) bool {
	for _, s := range e.sources {
		if s.Name() == source {
			return true
		}
	}
	return false
}

// check validates a change without merging it.
func (e *Exporter) check(c Change) error {
	if c.Family == "" {
		return nil
	}
	if _, ok := alertFamilies[c.Family]; !ok || !e.collects(c.Family) {
		return fmt.Errorf("%w: %s is not collected", ErrIgnored, c.Family)
	}
	_, _, err := decodeChange(c)
	return err
}

// affected returns the families whose series a change may alter.
func affected(c Change) []string {
	if c.Family != "" {
		return []string{c.Family}
	}
	return []string{inventorySource, "code_scanning", "dependabot", "secret_scanning"}
}

// begin marks a source of t as running: changes are held from now on.
func (t *Target) begin() {
	t.live.mu.Lock()
	t.live.busy = true
	t.live.mu.Unlock()
}

// settle ends a source's run: the changes held meanwhile are merged, newer wins, and the
// series they alter are published again.
func (e *Exporter) settle(t *Target) {
	t.live.mu.Lock()
	defer t.live.mu.Unlock()
	t.live.busy = false
	if len(t.live.held) == 0 {
		return
	}
	families := map[string]bool{}
	for _, c := range t.live.held {
		if err := e.merge(t, c); err == nil {
			for _, f := range affected(c) {
				families[f] = true
			}
		} else if !errors.Is(err, ErrIgnored) {
			e.logger.Warn("dropping a held webhook change", "org", t.Org, "family", c.Family, "err", err)
		}
	}
	t.live.held = nil
	e.publish(t, families)
}

// merge applies one change to t's records and inventory. Called with t.live.mu held and
// no source of t running.
func (e *Exporter) merge(t *Target, c Change) error {
	if c.Family == "" {
		return t.mergeRepository(c)
	}
	if err := e.check(c); err != nil {
		return err
	}
	f, hasSeverity, _ := decodeChange(c)
	key := c.Family
	if c.Family == "secret_scanning" && slices.Contains(t.Walks.withDefaults().GenericSecretTypes, f.labels[1]) {
		key = genericSecretsKey // the generic walk's records, with its kind label
		f.labels[len(f.labels)-2] = kindGeneric
	}
	set, ok := t.alerts[key]
	if !ok || set.LastFull == 0 {
		return fmt.Errorf("%w: no walk of %s has finished yet", ErrIgnored, c.Family)
	}
	// Transitions are counted as the walks count them (flow.go), at the exporter's clock.
	set.merge = mergeContext{now: e.now().Unix(), keep: t.Keep}
	defer func() { set.merge = mergeContext{} }()
	return set.mergeDelivery(c, f, hasSeverity)
}

// mergeDelivery stores a delivered alert unless it is older than what is known. Code scanning
// deliveries carry no updated_at: they apply in arrival order, and one without a security
// severity keeps the severity already known.
func (s *alertSet) mergeDelivery(c Change, f alertFields, hasSeverity bool) error {
	cur, known := s.Records[f.key]
	if c.Family != "code_scanning" {
		if known && f.updated.unixSeconds() < cur.Updated {
			return fmt.Errorf("%w: the delivery is older than the alert's last known update", ErrIgnored)
		}
		return s.put(f)
	}
	if !onDefaultBranch(c) && !(c.Ref == "" && known) {
		return fmt.Errorf("%w: code scanning event on %q, not the default branch", ErrIgnored, c.Ref)
	}
	if known {
		tu := s.Tuples[cur.Tuple]
		if !hasSeverity {
			f.labels[2], f.severity = tu.Values[2], tu.Severity
		}
		if f.created.IsZero() {
			f.created = unixTime(cur.Created)
		}
	}
	// The record's updated_at is what the listings last said: a later incremental walk
	// reads the alert again only if GitHub's is newer.
	f.updated = unixTime(max(cur.Updated, f.created.unixSeconds(), f.closed.unixSeconds()))
	return s.put(f)
}

func onDefaultBranch(c Change) bool {
	return c.Ref != "" && c.Repository.DefaultBranch != "" && c.Ref == "refs/heads/"+c.Repository.DefaultBranch
}

// decodeChange reads a delivered alert with the listing's own type, so that webhook and
// walk count an alert alike. hasSeverity tells whether a code scanning alert said its
// security severity (GitHub's documented webhook schema has only the rule's severity).
func decodeChange(c Change) (f alertFields, hasSeverity bool, err error) {
	if c.Repository.ID <= 0 || c.Repository.Name == "" {
		return f, false, errors.New("the delivery names no repository id and name")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Alert))
	switch c.Family {
	case "code_scanning":
		var a codeScanningAlert
		if err = dec.Decode(&a); err != nil {
			break
		}
		a.Repository = repository{ID: c.Repository.ID, Name: c.Repository.Name}
		f, hasSeverity = a.fields(), a.Rule.SecuritySeverityLevel != nil && *a.Rule.SecuritySeverityLevel != ""
		f.key.Number = a.Number
	case "dependabot":
		var a dependabotAlert
		if err = dec.Decode(&a); err != nil {
			break
		}
		a.Repository = repository{ID: c.Repository.ID, Name: c.Repository.Name}
		f = dependabotListing.fields(&a)
	case "secret_scanning":
		var a secretScanningAlert
		if err = dec.Decode(&a); err != nil {
			break
		}
		if a.State == nil { // webhook alerts carry no state: a resolution means resolved
			state := "open"
			if orDefault(a.Resolution, "") != "" {
				state = "resolved"
			}
			a.State = &state
		}
		a.Repository = repository{ID: c.Repository.ID, Name: c.Repository.Name}
		f = secretScanningListing.fields(&a)
	default:
		return f, false, fmt.Errorf("unknown alert family %q", c.Family)
	}
	if err != nil {
		return f, false, fmt.Errorf("decoding the %s alert: %w", c.Family, err)
	}
	if f.key.Number <= 0 {
		return f, false, fmt.Errorf("the %s alert has no number", c.Family)
	}
	f.key.Repo = c.Repository.ID
	return f, hasSeverity, nil
}

// publish recomputes the series of the given families of t and swaps them into the
// snapshot. Called with t.live.mu held.
func (e *Exporter) publish(t *Target, families map[string]bool) {
	for family := range families {
		key := stateKey{t.Org, family}
		st, ok := e.snap.Load().states[key]
		if !ok || !st.Success {
			continue // nothing collected to correct, or the source failed: keep what is shown
		}
		var metrics []prometheus.Metric
		var err error
		if family == inventorySource {
			metrics, err = inventoryMetrics(t)
		} else if metrics, ok, err = familyMetrics(t, family); !ok {
			continue
		}
		if err != nil {
			e.logger.Error("recomputing series after a webhook change", "org", t.Org, "collector", family, "err", err)
			continue
		}
		metrics, st.SeriesDropped = e.series.shape(metrics)
		st.metrics = metrics
		e.store(key, st)
		e.render(key, metrics)
	}
}

// saveHeld saves the state with every organization's changes held meanwhile.
func (e *Exporter) saveHeld(now time.Time) error {
	for _, t := range e.targets {
		t.begin()
	}
	defer func() {
		for _, t := range e.targets {
			e.settle(t)
		}
	}()
	return e.save(now)
}
