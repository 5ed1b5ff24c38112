package overview

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSparkline checks the inline SVG drawn from a family's trend: the points scaled to
// the highest count, a flat line at the bottom when nothing was open, none without a trend.
func TestSparkline(t *testing.T) {
	tests := []struct {
		name  string
		trend []float64
		want  []string // in the card of Dependabot
		not   []string
	}{{
		name:  "scaled to the highest count",
		trend: []float64{0, 5, 10},
		want: []string{
			`<polyline points="0.0,35.0 90.0,18.0 180.0,1.0"`,
			`data-trend="0 5 10"`,
			`aria-label="Open alerts over the last 2 days: 0 2 days ago, 10 now, at most 10"`,
		},
	}, {
		name:  "nothing open: a flat line at the bottom",
		trend: []float64{0, 0, 0},
		want:  []string{`<polyline points="0.0,35.0 90.0,35.0 180.0,35.0"`},
	}, {
		name: "no trend: no sparkline",
		not:  []string{"<svg"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := allOK("acme")
			status[1].Trend = tt.trend
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(constMetrics{dep("acme", "api", "high", "open", 10)})
			body := render(t, reg, status)
			_, card, _ := strings.Cut(body, `data-family="dependabot"`)
			card, _, _ = strings.Cut(card, "</article>")
			for _, w := range tt.want {
				if !strings.Contains(card, w) {
					t.Errorf("the Dependabot card lacks %s:\n%s", w, card)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(card, n) {
					t.Errorf("the Dependabot card has %s:\n%s", n, card)
				}
			}
			if strings.Contains(body, "<script") {
				t.Error("the page has a script")
			}
		})
	}
}
