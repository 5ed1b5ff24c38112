package githubsim

import (
	"context"
	"math/rand/v2"
	"time"
)

// Change over time: new alerts, fixes and resolutions, dismissals and
// reopenings, drawn from their own random stream so that the same seed and
// the same sequence of Step calls give the same data.

// churner holds what Step needs between calls. Guarded by Server.mu.
type churner struct {
	gen      *generator
	rng      *rand.Rand
	quietRng *rand.Rand              // reclassify.go
	events   map[string][]AlertEvent // by lower-case login (events.go)
	// notify is told of each change: the organization, the record and the webhook
	// action that announces it (webhooks.go).
	notify func(o *org, record any, action string)
}

func (ch *churner) emit(o *org, record any, action string) {
	if ch.notify != nil {
		ch.notify(o, record, action)
	}
}

func newChurner(g *generator) *churner {
	return &churner{gen: g, rng: g.rng("churn")}
}

type change int

const (
	changeNew change = iota
	changeClose
	changeDismiss
	changeReopen
)

var changes = []weighted[change]{{changeNew, 30}, {changeClose, 30}, {changeDismiss, 20}, {changeReopen, 20}}

// Step makes n changes, each bumping the changed alert's updated_at to Now().
// Organizations and families change in proportion to their size; a family an
// organization has no alerts of stays empty. About one change in five is also a new
// code scanning analysis on a default branch (analyses.go).
func (s *Server) Step(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC().Truncate(time.Second)
	for range n {
		s.churn.step(s.orgs, now)
	}
	s.analyses.step(s.orgs, now, n)
}

// Churn calls Step(n) every interval until ctx ends (for the demo). A
// non-positive interval means no churn: it returns at once.
func (s *Server) Churn(ctx context.Context, interval time.Duration, n int) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Step(n)
		}
	}
}

func (ch *churner) step(orgs []*org, now time.Time) {
	var choices []weighted[*org]
	for _, o := range orgs {
		if n := len(o.codeScanning.all) + len(o.dependabot.all) + len(o.secretScanning.all); n > 0 {
			choices = append(choices, weighted[*org]{o, n})
		}
	}
	if len(choices) == 0 {
		return
	}
	o := pickOne(ch.rng, choices)
	fam := pickOne(ch.rng, []weighted[int]{
		{famCodeScanning, len(o.codeScanning.all)}, {famDependabot, len(o.dependabot.all)}, {famSecretScanning, len(o.secretScanning.all)},
	})
	kind := pickOne(ch.rng, changes)
	switch fam {
	case famCodeScanning:
		ch.codeScanning(o, kind, now)
	case famDependabot:
		ch.dependabot(o, kind, now)
	case famSecretScanning:
		ch.secretScanning(o, kind, now)
	}
}

func (ch *churner) codeScanning(o *org, kind change, now time.Time) {
	st, rng := &o.codeScanning, ch.rng
	switch kind {
	case changeClose:
		if a := find(rng, st.all, (*csRecord).isOpen); a != nil {
			a.fix(now)
			ch.log(o, csEvent(a, "fixed"))
			st.invalidate()
			ch.emit(o, a, "fixed")
			return
		}
	case changeDismiss:
		if a := find(rng, st.all, (*csRecord).isOpen); a != nil {
			a.dismiss(now, pickOne(rng, csDismissReasons))
			ch.log(o, csEvent(a, "dismissed"))
			st.invalidate()
			ch.emit(o, a, "closed_by_user")
			return
		}
	case changeReopen:
		if a := find(rng, st.all, (*csRecord).isClosed); a != nil {
			action := reopenAction(a.State)
			a.reopen(now)
			ch.log(o, csEvent(a, action))
			st.invalidate()
			ch.emit(o, a, "reopened_by_user")
			return
		}
	}
	if i := o.pickRepo(rng, famCodeScanning); i >= 0 && !o.repos[i].gone {
		a := newCodeScanning(rng, o.repos[i], now)
		st.add(&a)
		ch.log(o, csEvent(&a, "created"))
		ch.emit(o, &a, "created")
	}
}

func (ch *churner) dependabot(o *org, kind change, now time.Time) {
	st, rng := &o.dependabot, ch.rng
	switch kind {
	case changeClose:
		if a := find(rng, st.all, (*depRecord).isOpen); a != nil {
			a.fix(now)
			ch.log(o, depEvent(a, "fixed"))
			st.invalidate()
			ch.emit(o, a, "fixed")
			return
		}
	case changeDismiss:
		if a := find(rng, st.all, (*depRecord).isOpen); a != nil {
			action := "dismissed"
			if rng.Float64() < 0.3 {
				a.autoDismiss(now)
				ch.log(o, depEvent(a, "auto_dismissed"))
				action = "auto_dismissed"
			} else {
				a.dismiss(now, pickOne(rng, depDismissReasons))
				ch.log(o, depEvent(a, "dismissed"))
			}
			st.invalidate()
			ch.emit(o, a, action)
			return
		}
	case changeReopen:
		if a := find(rng, st.all, (*depRecord).isClosed); a != nil {
			action := reopenAction(a.State)
			a.reopen(now)
			ch.log(o, depEvent(a, action))
			st.invalidate()
			ch.emit(o, a, action)
			return
		}
	}
	if i := o.pickRepo(rng, famDependabot); i >= 0 && !o.repos[i].gone {
		a := ch.gen.newDependabot(rng, o.repos[i], now)
		st.add(&a)
		ch.log(o, depEvent(&a, "created"))
		ch.emit(o, &a, "created")
		// GitHub's preset rule dismisses low-impact development dependencies at creation.
		if a.Scope == "development" && rng.Float64() < 0.5 {
			a.autoDismiss(now)
			ch.log(o, depEvent(&a, "auto_dismissed"))
			ch.emit(o, &a, "auto_dismissed")
		}
	}
}

func (ch *churner) secretScanning(o *org, kind change, now time.Time) {
	st, rng := &o.secretScanning, ch.rng
	switch kind {
	case changeClose, changeDismiss:
		if a := find(rng, st.all, (*ssRecord).isOpen); a != nil {
			resolution := "revoked"
			if kind == changeDismiss {
				resolution = pickOne(rng, ssResolutions)
			}
			a.resolve(now, resolution)
			ch.log(o, ssEvent(a, "resolved"))
			st.invalidate()
			ch.emit(o, a, "resolved")
			return
		}
	case changeReopen:
		if a := find(rng, st.all, (*ssRecord).isClosed); a != nil {
			a.reopen(now)
			ch.log(o, ssEvent(a, "reopened"))
			st.invalidate()
			ch.emit(o, a, "reopened")
			return
		}
	}
	if i := o.pickRepo(rng, famSecretScanning); i >= 0 && !o.repos[i].gone {
		a := newSecretScanning(rng, o.repos[i], now)
		st.add(&a)
		ch.log(o, ssEvent(&a, "created"))
		ch.emit(o, &a, "created")
	}
}

// find draws a record satisfying ok, trying a bounded number of random picks;
// it returns the zero value when it finds none.
func find[R any](rng *rand.Rand, all []R, ok func(R) bool) R {
	var zero R
	if len(all) == 0 {
		return zero
	}
	for range 64 {
		if r := all[rng.IntN(len(all))]; ok(r) {
			return r
		}
	}
	return zero
}
