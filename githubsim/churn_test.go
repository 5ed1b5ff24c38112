package githubsim

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestStepChangesGroundTruthAndServedData(t *testing.T) {
	m := newSim(t, Config{Seed: 4})
	before := map[string]DependabotAlert{}
	for _, a := range m.s.DependabotAlerts("octo-org") {
		before[depID(a)] = a
	}
	csBefore, ssBefore := len(m.s.CodeScanningAlerts("octo-org")), len(m.s.SecretScanningAlerts("octo-org"))
	m.walk("/orgs/octo-org/dependabot/alerts?per_page=100") // builds the sorted indexes

	m.clock.Add(time.Hour)
	now := testNow.Add(time.Hour)
	m.s.Step(60)

	after := m.s.DependabotAlerts("octo-org")
	changed := 0
	for _, a := range after {
		old, existed := before[depID(a)]
		if existed && reflect.DeepEqual(old, a) {
			continue
		}
		changed++
		if !a.UpdatedAt.Equal(now) {
			t.Errorf("%s changed but updated_at is %s, want %s", depID(a), a.UpdatedAt, now)
		}
		if existed && old.State == a.State {
			t.Errorf("%s: updated without a state change (%s)", depID(a), a.State)
		}
	}
	others := len(m.s.CodeScanningAlerts("octo-org")) - csBefore + len(m.s.SecretScanningAlerts("octo-org")) - ssBefore
	if changed == 0 || changed > 60 {
		t.Errorf("%d Dependabot alerts changed by 60 steps (%d new in other families)", changed, others)
	}

	// The served data follows: a walk by updated, newest first, starts with the changes.
	w := m.walk("/orgs/octo-org/dependabot/alerts?per_page=25&sort=updated&direction=desc")
	truth := map[string]DependabotAlert{}
	for _, a := range after {
		truth[depID(a)] = a
	}
	sameSet(t, ids(w.alerts, servedID), ids(after, depID))
	for i, a := range w.alerts {
		g := truth[alertID(a)]
		if a["state"] != g.State || a["updated_at"] != timestamp(g.UpdatedAt) {
			t.Errorf("%s served as %v/%v, ground truth %s/%s", alertID(a), a["state"], a["updated_at"], g.State, timestamp(g.UpdatedAt))
		}
		if (i < changed) != (a["updated_at"] == timestamp(now)) {
			t.Errorf("position %d: %s updated %v; the %d changed alerts should come first", i, alertID(a), a["updated_at"], changed)
		}
	}
}

func TestStepIsDeterministic(t *testing.T) {
	cfg := Config{Seed: 8, Orgs: testOrgs(), Now: func() time.Time { return testNow }}
	a, b := New(cfg), New(cfg)
	a.Step(25)
	a.Step(25)
	b.Step(25)
	b.Step(25)
	for _, org := range a.Orgs() {
		if !reflect.DeepEqual(a.CodeScanningAlerts(org), b.CodeScanningAlerts(org)) ||
			!reflect.DeepEqual(a.DependabotAlerts(org), b.DependabotAlerts(org)) ||
			!reflect.DeepEqual(a.SecretScanningAlerts(org), b.SecretScanningAlerts(org)) {
			t.Errorf("%s: same seed and steps, different data", org)
		}
	}
}

func TestStepLeavesEmptyFamiliesEmpty(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	m.s.Step(300)
	if n := len(m.s.DependabotAlerts("other-org")); n != 0 {
		t.Errorf("other-org has %d Dependabot alerts after Step; it had none", n)
	}
}

func TestChurn(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	before := m.s.SecretScanningAlerts("octo-org")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.s.Churn(ctx, time.Millisecond, 20)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for reflect.DeepEqual(before, m.s.SecretScanningAlerts("octo-org")) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Churn did not return after ctx ended")
	}
	if reflect.DeepEqual(before, m.s.SecretScanningAlerts("octo-org")) {
		t.Error("Churn changed nothing")
	}
}

// A cursor walk by creation time sees every alert that existed when it started
// exactly once, however the data changes meanwhile: new alerts go to the front.
func TestCursorWalkDuringChurn(t *testing.T) {
	m := newSim(t, Config{Seed: 6})
	existing := ids(m.s.DependabotAlerts("octo-org"), depID)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.s.Churn(ctx, time.Millisecond, 5)
	}()
	var walks sync.WaitGroup
	for range 3 {
		walks.Add(1)
		go func() {
			defer walks.Done()
			walker := *m
			walker.t = offTestGoroutine{m.t} // the helpers' Fatalf must not run here
			got := ids(walker.walk("/orgs/octo-org/dependabot/alerts?per_page=10").alerts, servedID)
			for id := range existing {
				if got[id] != 1 {
					t.Errorf("pre-existing alert %s served %d times", id, got[id])
				}
			}
		}()
	}
	walks.Wait()
	cancel()
	wg.Wait()
}

// offTestGoroutine is a testing.TB for helpers run off the test goroutine, where
// FailNow must not be called: Fatal reports with Error (safe from any goroutine) and
// ends only the calling goroutine.
type offTestGoroutine struct{ testing.TB }

func (g offTestGoroutine) Fatal(args ...any) {
	g.Helper()
	g.Error(args...)
	runtime.Goexit()
}

func (g offTestGoroutine) Fatalf(format string, args ...any) {
	g.Helper()
	g.Errorf(format, args...)
	runtime.Goexit()
}

func (g offTestGoroutine) FailNow() {
	g.Fail()
	runtime.Goexit()
}
