package collector

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// alertDetail is what the records keep of an alert beyond its labels and times, for the
// metrics GitHub's security overview shows: why it was closed, Dependabot's advisory,
// exploitability, patch and dependency relationship, and secret scanning's exposure.
// Records share interned values (alertSet.Details): an organization has few distinct ones.
// Who bypassed push protection is never decoded, so never kept.
type alertDetail struct {
	// Reason is why a closed alert was closed: fixed, auto_dismissed, its dismissed_reason
	// or its resolution (the state when GitHub gives no reason); "" while open.
	Reason string

	Advisory     string  // Dependabot: the advisory's ghsa_id
	EPSS         float64 // Dependabot: security_advisory.epss percentage, -1 when not given
	Patched      bool    // Dependabot: the vulnerability has a first_patched_version
	Relationship string  // Dependabot: direct, transitive or unknown

	Bypassed       bool // secret scanning: push_protection_bypassed
	PubliclyLeaked bool // secret scanning: publicly_leaked
	MultiRepo      bool // secret scanning: multi_repo
}

// internDetail returns the record's Detail for d: 1 + its index in s.Details.
func (s *alertSet) internDetail(d alertDetail) uint32 {
	if s.detailIndex == nil {
		s.detailIndex = make(map[alertDetail]uint32, len(s.Details))
		for i, v := range s.Details {
			s.detailIndex[v] = uint32(i) + 1
		}
	}
	if i, ok := s.detailIndex[d]; ok {
		return i
	}
	s.Details = append(s.Details, d)
	i := uint32(len(s.Details))
	s.detailIndex[d] = i
	return i
}

// detail returns a record's detail; the zero value, with EPSS unknown, when none is kept
// (records of a state file written before details were kept).
func (s *alertSet) detail(r alertRecord) alertDetail {
	if r.Detail == 0 || int(r.Detail) > len(s.Details) {
		return alertDetail{EPSS: -1}
	}
	return s.Details[r.Detail-1]
}

// noteBypass remembers an alert seen with push protection bypassed, once: a later
// resolution or deletion of the alert does not take its bypass back.
func (s *alertSet) noteBypass(a alertFields) {
	if !a.detail.Bypassed {
		return
	}
	if s.Bypasses == nil {
		s.Bypasses = map[alertKey]int64{}
	}
	if _, ok := s.Bypasses[a.key]; ok {
		return
	}
	at := firstTime(a.bypassedAt, a.created).unixSeconds()
	s.Bypasses[a.key] = at
}

// closingReason is the reason label of a closed alert: the dismissal or resolution
// reason when GitHub gives one, else the closed state itself ("fixed", "auto_dismissed").
func closingReason(state string, reason *string) string {
	if state == "open" {
		return ""
	}
	return orDefault(reason, state)
}

// epssScore decodes security_advisory.epss in both shapes GitHub sends: the documented
// object {"percentage": 0.00045, "percentile": "0.16001e0"} and the array of such objects
// some examples show. The percentage may be a number or a string; null, an empty array or
// anything unreadable is "not given" (-1), never an error that fails the walk.
type epssScore struct{ percentage float64 }

func (e *epssScore) UnmarshalJSON(b []byte) error {
	e.percentage = -1
	type entry struct {
		Percentage json.RawMessage `json:"percentage"`
	}
	var entries []entry
	switch b = bytes.TrimSpace(b); {
	case bytes.HasPrefix(b, []byte("[")):
		if json.Unmarshal(b, &entries) != nil {
			return nil
		}
	case bytes.HasPrefix(b, []byte("{")):
		var one entry
		if json.Unmarshal(b, &one) != nil {
			return nil
		}
		entries = []entry{one}
	}
	for _, x := range entries {
		p, err := strconv.ParseFloat(string(bytes.Trim(x.Percentage, `"`)), 64)
		if err == nil && p >= 0 && p <= 1 {
			e.percentage = max(e.percentage, p)
		}
	}
	return nil
}

// value is the percentage, -1 when not given (also when the field was absent).
func (e *epssScore) value() float64 {
	if e == nil {
		return -1
	}
	return e.percentage
}
