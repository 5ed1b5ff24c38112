package overview

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// Size of a sparkline in SVG user units; the element scales to the card's width.
const sparkWidth, sparkHeight = 180.0, 36.0

// sparkView is a family's open alerts over the last days, drawn as an inline SVG line
// by the "sparkline" template: no script, no image to load.
type sparkView struct {
	Points                string // polyline points, oldest first
	Area                  string // the same line closed along the bottom, for the fill
	Label                 string // what the line says, for screen readers and as a tooltip
	Values                string // the counts, space-separated, for tools reading the page
	First, Last, Min, Max string
	Days                  int
}

// sparkline draws a status's trend between its lowest and highest count, so that a
// change of a few alerts among hundreds shows; nil when there is no trend to draw.
func sparkline(st collector.SourceStatus) *sparkView {
	trend := st.Trend
	if len(trend) < 2 {
		return nil
	}
	low, top := slices.Min(trend), slices.Max(trend)
	points := make([]string, len(trend))
	for i, v := range trend {
		x := sparkWidth * float64(i) / float64(len(trend)-1)
		y := sparkHeight / 2 // a count that never changed: a flat line in the middle
		if top > low {
			y = 1 + (sparkHeight-2)*(top-v)/(top-low)
		}
		points[i] = coord(x) + "," + coord(y)
	}
	line := strings.Join(points, " ")
	days := len(trend) - 1
	return &sparkView{
		Points: line,
		Area:   "0," + coord(sparkHeight) + " " + line + " " + coord(sparkWidth) + "," + coord(sparkHeight),
		Label: fmt.Sprintf("Open alerts over the last %d days: %s %d days ago, %s now, between %s and %s",
			days, count(trend[0]), days, count(trend[len(trend)-1]), count(low), count(top)),
		First: count(trend[0]), Last: count(trend[len(trend)-1]), Min: count(low), Max: count(top),
		Days: days, Values: values(trend),
	}
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func values(trend []float64) string {
	parts := make([]string, len(trend))
	for i, v := range trend {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(parts, " ")
}
