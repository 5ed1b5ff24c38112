package githubsim

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Changes that move no alert's updated_at. GitHub documents updated_at of a Dependabot
// alert as moving on state changes; an advisory reclassified by the GitHub Advisory
// Database (severity), a new EPSS score or a dependency whose scope changes leave it
// where it was. A code scanning rule whose security_severity_level changes with a new
// query pack changes the level of its alerts without touching them either. Only a
// walk that reads the alerts again sees these changes.

// ReclassifyAdvisories gives n advisories of open Dependabot alerts another severity
// and EPSS score, on every organization (the advisory database is GitHub-wide). It
// returns how many alerts changed; none has a new updated_at.
func (s *Server) ReclassifyAdvisories(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rng := s.churn.quiet()
	var open []*advisory
	for _, o := range s.orgs {
		for _, a := range o.dependabot.all {
			if a.isOpen() && !slices.Contains(open, a.adv) {
				open = append(open, a.adv)
			}
		}
	}
	rng.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	changed := 0
	for _, old := range open[:min(n, len(open))] {
		next := old.reclassified(otherThan(rng, depSeverities, old.severity), rng.Float64())
		for _, o := range s.orgs {
			for _, a := range o.dependabot.all {
				if a.adv == old {
					a.adv, a.Severity = next, next.severity
					changed++
				}
			}
			o.dependabot.invalidate()
		}
	}
	return changed
}

// reclassified returns a copy of a with another severity and EPSS score; a itself,
// and the JSON it shares with responses under way, stay as they were.
func (a *advisory) reclassified(severity string, epssPercentage float64) *advisory {
	next := *a
	next.severity, next.epssPercentage = severity, epssPercentage
	j := *a.json
	j.Severity = severity
	j.Vulnerabilities = slices.Clone(j.Vulnerabilities)
	for i := range j.Vulnerabilities {
		j.Vulnerabilities[i].Severity = severity
	}
	j.EPSS = epss{Percentage: epssPercentage, Percentile: epssPercentage}
	next.json = &j
	return &next
}

// ChangeDependencyScopes moves the dependency of n open Dependabot alerts of org
// between runtime and development. It returns how many changed.
func (s *Server) ChangeDependencyScopes(org string, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return 0
	}
	rng := s.churn.quiet()
	changed := 0
	for range n {
		a := find(rng, o.dependabot.all, (*depRecord).isOpen)
		if a == nil {
			break
		}
		a.Scope = otherThan(rng, depScopes, a.Scope)
		changed++
	}
	o.dependabot.invalidate()
	return changed
}

// ChangeRuleSeverities gives n code scanning rules with open alerts in org another
// security severity, on every alert of the rule in org. It returns how many alerts
// changed; none has a new updated_at.
func (s *Server) ChangeRuleSeverities(org string, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return 0
	}
	rng := s.churn.quiet()
	var rules []string
	for _, a := range o.codeScanning.all {
		if a.isOpen() && a.SecuritySeverity != "" && !slices.Contains(rules, a.RuleID) {
			rules = append(rules, a.RuleID)
		}
	}
	rng.Shuffle(len(rules), func(i, j int) { rules[i], rules[j] = rules[j], rules[i] })
	changed := 0
	for _, id := range rules[:min(n, len(rules))] {
		level := ""
		for _, a := range o.codeScanning.all {
			if a.RuleID != id || a.SecuritySeverity == "" {
				continue
			}
			if level == "" {
				level = otherThan(rng, depSeverities, a.SecuritySeverity)
			}
			a.SecuritySeverity = level
			changed++
		}
	}
	o.codeScanning.invalidate()
	return changed
}

// otherThan draws a value of values other than v.
func otherThan(rng *rand.Rand, values []string, v string) string {
	for {
		if w := values[rng.IntN(len(values))]; w != v {
			return w
		}
	}
}

// quiet is the random stream of the changes that move no updated_at, separate from
// Step's so that the same Step calls give the same data with or without them.
func (ch *churner) quiet() *rand.Rand {
	if ch.quietRng == nil {
		ch.quietRng = ch.gen.rng("quiet-changes")
	}
	return ch.quietRng
}

// FixDependabotAlert marks a Dependabot alert of org fixed now, as a merged upgrade does
// (its updated_at moves). It reports whether the alert was open.
func (s *Server) FixDependabotAlert(org, repo string, number int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return false
	}
	for _, a := range o.dependabot.all {
		if a.Repo == repo && a.Number == number && a.isOpen() {
			a.fix(s.now().UTC().Truncate(time.Second))
			o.dependabot.invalidate()
			return true
		}
	}
	return false
}
