package githubapi

import "time"

// Budget is what a Transport knows of a resource's primary rate limit and its own
// pacing: what an estimate of a walk's remaining time counts with.
type Budget struct {
	Known             bool // a response has reported the resource's remaining requests and reset
	Limit, Remaining  int
	Reset             time.Time
	Reserve           int     // the Transport pauses until Reset when Remaining is down to this; negative: never
	RequestsPerSecond float64 // the Transport's pace
}

// Budget returns the last rate-limit figures seen for resource ("core", "graphql", ...).
func (t *Transport) Budget(resource string) Budget {
	t.mu.Lock()
	last, seen := t.limits[resource]
	t.mu.Unlock()
	b := Budget{Reserve: t.opts.Reserve, RequestsPerSecond: t.opts.RequestsPerSecond}
	if seen {
		b.Known, b.Remaining, b.Reset = true, last.remaining, last.reset
		b.Limit = last.limit
		if !last.hasLimit {
			b.Limit = last.remaining
		}
	}
	return b
}
