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
		name:  "scaled between the lowest and the highest count",
		trend: []float64{100, 105, 110, 100},
		want: []string{
			`<polyline points="0.0,35.0 60.0,18.0 120.0,1.0 180.0,35.0"`,
			`data-trend="100 105 110 100"`,
			`aria-label="Open alerts over the last 3 days: 100 3 days ago, 100 now, between 100 and 110"`,
			`<span>now: 100</span>`,
		},
	}, {
		name:  "never changed: a flat line in the middle",
		trend: []float64{0, 0, 0},
		want:  []string{`<polyline points="0.0,18.0 90.0,18.0 180.0,18.0"`},
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
