package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMESeriesEstimates checks the README's sizing table against the series the
// exporter serves with each option: leaving closed alerts out drops the series as the
// README says.
func TestREADMESeriesEstimates(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := estimates()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := fmt.Sprintf("| `%s` | %s | %s |", r.name, thousands(r.series), thousands(r.counts))
		if !strings.Contains(string(readme), want) {
			t.Errorf("README lacks the sizing row %q", want)
		}
	}
	if rows[2].series >= rows[0].series*6/10 {
		t.Errorf("closed rows dropped: %d series of %d, want well under 60%%", rows[2].series, rows[0].series)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
