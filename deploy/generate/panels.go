package main

// Shared building blocks of the dashboards: the data source, the variables
// every dashboard has, the job/instance matcher, units, thresholds and one
// constructor per panel type with the options all our panels share. A panel
// in a dashboard file then says only what is its own: title, description,
// size, queries, unit and overrides.

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/prometheus/prometheus/promql/parser"
)

// dsInput is the __inputs entry Grafana's import asks the user to fill; the
// datasource variable defaults to it.
const dsInput = "DS_PROMETHEUS"

// datasource is the ${datasource} variable every panel and query uses.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// Units, written once (Grafana's unit ids).
const (
	unitNone    = "none"
	unitShort   = "short"
	unitSeconds = "s"
	unitRatio   = "percentunit"
	unitReqps   = "reqps"
	// unitSecondsPerSecond is time paused per second of wall-clock time.
	unitSecondsPerSecond = "suffix: s/s"
	unitISODate          = "dateTimeAsIso"
	// unitIntervals is a multiple of a collector's schedule interval.
	unitIntervals = "suffix: × interval"
)

// step is one threshold above the base colour.
type step struct {
	value float64
	color string
}

// Thresholds and colours used by more than one panel, written once.
var (
	// Age of data in intervals of its collector's schedule: orange after
	// one and a half, red after two (GitHubSecurityExporterDataStale).
	staleSteps = []step{{1.5, "orange"}, {2, "red"}}
	// Days since a repository's newest code scanning analysis: orange after
	// 14 days (GitHubCodeScanningStale), red after 30.
	analysisAgeSteps = []step{{14 * 86400, "orange"}, {30 * 86400, "red"}}
)

// jobMatcher is added to every vector selector of every query, so that each
// dashboard shows one exporter (grafana/dashboard-linter's job and instance rules).
const jobMatcher = `job=~"$job", instance=~"$instance"`

// newDashboard returns a dashboard with our shared settings and variables:
// datasource, job, instance, org and repository. orgs and repos describe the
// org and repository variables; single makes both single-select.
func newDashboard(uid, title, description, from, refresh string, vars variables) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"github-security"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time(from, "now").
		Refresh(refresh).
		Timezone("").
		Link(dashboard.NewDashboardLinkBuilder("GitHub security").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"github-security"}).
			AsDropdown(false).IncludeVars(true).KeepTime(true).TargetBlank(false).
			Icon("external link").Tooltip("").Url("")).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data source").
			Description("Prometheus that scrapes github-security-exporter.").
			Type("prometheus").
			Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("${" + dsInput + "}")},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("${" + dsInput + "}")}})).
		WithVariable(queryVariable("job", "Job", "Prometheus job of the exporter.",
			"label_values(github_exporter_build_info, job)", false)).
		WithVariable(queryVariable("instance", "Instance", "Exporter instance of the selected jobs.",
			`label_values(github_exporter_build_info{job=~"$job"}, instance)`, false)).
		WithVariable(queryVariable("org", "Organization", vars.orgDescription,
			scoped("label_values(github_exporter_collection_success, org)"), vars.single)).
		WithVariable(queryVariable("repository", "Repository", vars.repositoryDescription,
			scoped(vars.repositoryQuery), vars.single).Hide(vars.repositoryHide))
}

// variables describes a dashboard's org and repository variables.
type variables struct {
	orgDescription        string
	repositoryDescription string
	repositoryQuery       string // label_values(selector, repository)
	single                bool   // single-select, no "All"
	// repositoryHide hides the repository variable of a dashboard whose
	// panels do not use it (it still carries the selection across links).
	repositoryHide dashboard.VariableHide
}

// alertsRepositories lists repositories with alerts in the selected orgs.
const alertsRepositories = `label_values({__name__=~"github_code_scanning_alerts|github_dependabot_alerts|github_secret_scanning_alerts", org=~"$org"}, repository)`

func queryVariable(name, label, description, query string, single bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Description(description).
		Datasource(datasource).
		Query(dashboard.StringOrMap{Map: map[string]any{
			"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery",
		}}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if single {
		return v.Multi(false).IncludeAll(false)
	}
	return v.Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		})
}

// Panel constructors: the options every panel of that type shares.

func newStat(title, description string, w, h uint32) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).Description(description).Span(w).Height(h).
		Datasource(datasource).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Mappings([]dashboard.ValueMapping{}).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeNone).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto).
		TextMode(common.BigValueTextModeValueAndName).
		WideLayout(true).
		ShowPercentChange(false).
		ReduceOptions(lastValue())
}

func newTimeseries(title, description string, w, h uint32) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).Description(description).Span(w).Height(h).
		Datasource(datasource).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
		Mappings([]dashboard.ValueMapping{}).
		Thresholds(thresholds("green")).
		DrawStyle(common.GraphDrawStyleLine).
		LineInterpolation(common.LineInterpolationLinear).
		LineWidth(1).
		FillOpacity(0).
		PointSize(5).
		ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true).
			Calcs([]string{"lastNotNull", "max"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

func newTable(title, description string, w, h uint32) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(title).Description(description).Span(w).Height(h).
		Datasource(datasource).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Mappings([]dashboard.ValueMapping{}).
		Align(common.FieldTextAlignmentAuto).
		CellOptions(common.TableCellOptions{TableAutoCellOptions: &common.TableAutoCellOptions{Type: "auto"}}).
		Filterable(true).
		Inspect(false).
		CellHeight(common.TableCellHeightSm).
		ShowHeader(true).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false))
}

// merge joins a table's queries into one row per label set.
func merge() dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}
}

func newBarGauge(title, description string, w, h uint32) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Title(title).Description(description).Span(w).Height(h).
		Datasource(datasource).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Mappings([]dashboard.ValueMapping{}).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ValueMode(common.BarGaugeValueModeColor).
		NamePlacement(common.BarGaugeNamePlacementLeft).
		Orientation(common.VizOrientationHorizontal).
		ShowUnfilled(true).
		Sizing(common.BarGaugeSizingAuto).
		MinVizWidth(8).MinVizHeight(16).MaxVizHeight(300).
		ReduceOptions(lastValue())
}

// newRow returns an expanded row; the panels added after it belong to it.
func newRow(title string) *dashboard.RowBuilder {
	return dashboard.NewRowBuilder(title).Collapsed(false)
}

func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("").Values(false)
}

// Queries. Each adds the job/instance matcher to every selector of expr.

// instant is a query evaluated at the end of the time range.
func instant(expr, legend string) *prometheus.DataqueryBuilder {
	return query(expr, legend).Instant()
}

// series is a range query, one value per step.
func series(expr, legend string) *prometheus.DataqueryBuilder {
	return query(expr, legend).Range()
}

// tableQuery is an instant query in table format, one row per series.
func tableQuery(expr string) *prometheus.DataqueryBuilder {
	return query(expr, "__auto").Instant().Format(prometheus.PromQueryFormatTable)
}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(datasource).
		EditorMode(prometheus.QueryEditorModeCode).
		Expr(scoped(expr)).
		LegendFormat(legend)
}

// builtinRange matches Grafana's built-in interval variables, which PromQL
// cannot parse inside [...].
var builtinRange = regexp.MustCompile(`\$__[a-z_]+|\$\{__[a-z_]+\}`)

// scoped returns expr with jobMatcher added to each of its vector selectors
// (label_values(selector, label) variable queries included), keeping its
// layout. It panics on PromQL that does not parse: the dashboards are code,
// and a broken query is a bug of this program.
func scoped(expr string) string {
	inner, prefix, suffix := expr, "", ""
	if m := labelValues.FindStringSubmatch(expr); m != nil {
		inner, prefix, suffix = m[1], "label_values(", ", "+m[2]+")"
	}
	// Same length, so the positions the parser reports hold in inner.
	parsable := builtinRange.ReplaceAllStringFunc(inner, func(s string) string {
		return strings.Repeat("0", len(s)-2) + "1s"
	})
	e, err := parser.ParseExpr(parsable)
	if err != nil {
		panic(fmt.Sprintf("dashboard query does not parse: %v\n%s", err, expr))
	}
	var at []int // insertion offsets, ascending
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			at = append(at, int(vs.PosRange.Start))
		}
		return nil
	})
	var b strings.Builder
	last := 0
	for _, start := range at {
		i := start
		for i < len(inner) && inner[i] != '{' && isNameChar(inner[i]) {
			i++
		}
		b.WriteString(inner[last:i])
		switch {
		case i < len(inner) && inner[i] == '{' && strings.HasPrefix(strings.TrimLeft(inner[i+1:], " "), "}"):
			b.WriteString("{" + jobMatcher)
			i++
		case i < len(inner) && inner[i] == '{':
			b.WriteString("{" + jobMatcher + ", ")
			i++
		default:
			b.WriteString("{" + jobMatcher + "}")
		}
		last = i
	}
	b.WriteString(inner[last:])
	return prefix + b.String() + suffix
}

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

func isNameChar(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Field configuration.

// thresholds returns absolute thresholds from base upwards.
func thresholds(base string, steps ...step) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().
		Mode(dashboard.ThresholdsModeAbsolute).
		Steps(thresholdSteps(base, steps))
}

func thresholdSteps(base string, steps []step) []dashboard.Threshold {
	out := []dashboard.Threshold{{Color: base}}
	for _, s := range steps {
		out = append(out, dashboard.Threshold{Value: cog.ToPtr(s.value), Color: s.color})
	}
	return out
}

// Override properties.

func fixedColor(color string) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "color", Value: map[string]any{"fixedColor": color, "mode": "fixed"}}
}

func unit(u string) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "unit", Value: u}
}

func thresholdsProp(base string, steps ...step) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "thresholds", Value: map[string]any{"mode": "absolute", "steps": thresholdSteps(base, steps)}}
}

// colorText colours a table cell's text by the thresholds or mappings.
func colorText() dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}}
}

func dashed() dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "custom.lineStyle", Value: map[string]any{"dash": []int{10, 10}, "fill": "dash"}}
}

func negativeY() dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "custom.transform", Value: "negative-Y"}
}

// mapping is a value shown as text in a colour.
type mapping struct{ value, text, color string }

// valueMappings maps values to texts; the first mapping has index 0.
func valueMappings(ms ...mapping) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, m := range ms {
		opts[m.value] = dashboard.ValueMappingResult{Text: cog.ToPtr(m.text), Color: cog.ToPtr(m.color), Index: cog.ToPtr(int32(i))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

func mappingsProp(ms ...mapping) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "mappings", Value: valueMappings(ms...)}
}

// Mappings shared by the collection tables.
var (
	collectionMappings   = []mapping{{"1", "ok", "green"}, {"0", "failed", "red"}}
	availabilityMappings = []mapping{{"1", "yes", "green"}, {"0", "no (403/404)", "red"}}
)

// repositoryLink links a table row to the repository dashboard of its org
// and repository columns.
func repositoryLink() dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "links", Value: []map[string]string{{
		"title": "Repository dashboard",
		"url":   "/d/ghsec-repository/github-security-repository?${datasource:queryparam}&var-org=${__data.fields.org}&var-repository=${__data.fields.repository}&${__url_time_range}",
	}}}
}

// column is one column a table shows: the field and its header.
type column struct{ field, header string }

// columns orders and renames a table's fields; Time and hide are left out.
func columns(cols []column, hide ...string) dashboard.DataTransformerConfig {
	exclude := map[string]bool{"Time": true}
	for _, h := range hide {
		exclude[h] = true
	}
	index, rename := map[string]int{}, map[string]string{}
	for i, c := range cols {
		index[c.field] = i
		rename[c.field] = c.header
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": exclude, "includeByName": map[string]bool{}, "indexByName": index, "renameByName": rename,
	}}
}

// sortBy sorts a table by a column header.
func sortBy(header string, desc bool) []cog.Builder[common.TableSortByFieldState] {
	return []cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName(header).Desc(desc)}
}

// thresholdColors colours a field by the thresholds instead of the palette.
func thresholdColors() dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "color", Value: map[string]any{"mode": "thresholds"}}
}

// dataAge is the age of the stalest source's data in intervals of that
// source's own schedule (the code scanning analyses have theirs), so a
// 6-hour analyses schedule is not stale after an hour. orgMatcher selects the
// organizations, e.g. org=~"$org".
func dataAge(orgMatcher string) *stat.PanelBuilder {
	return newStat("Data age",
		"Age of the stalest data of the selected organizations, in collection intervals of its source (each source on its own schedule: every 15 minutes by default, the code scanning analyses on theirs). Orange from 1.5 intervals, red from 2, when GitHubSecurityExporterDataStale fires; see the exporter health dashboard then. Sources GitHub does not make available are left out.",
		4, 5).
		ColorMode(common.BigValueColorModeBackground).
		TextMode(common.BigValueTextModeValue).
		Unit(unitIntervals).
		Decimals(1).
		Thresholds(thresholds("green", staleSteps...)).
		WithTarget(instant(`max(
    (
      time() - github_exporter_last_success_timestamp_seconds{`+orgMatcher+`}
      unless github_exporter_source_available{`+orgMatcher+`} == 0
    )
  / on (job, instance, collector) group_left ()
    github_exporter_collection_interval_seconds
)`, "data age"))
}

// overrider is a panel builder that takes field overrides by series name.
type overrider[B any] interface {
	OverrideByName(name string, properties []dashboard.DynamicConfigValue) B
}

// seriesColor is the fixed colour of the series of one name.
type seriesColor struct{ name, color string }

var (
	severityColors = []seriesColor{{"critical", "dark-red"}, {"high", "red"}, {"medium", "orange"}, {"low", "yellow"}}
	validityColors = []seriesColor{{"active", "dark-red"}, {"unknown", "text"}, {"inactive", "green"}}
)

// colored gives each named series of the panel its fixed colour, in the order given.
func colored[B overrider[B]](b B, colors []seriesColor) B {
	for _, c := range colors {
		b = b.OverrideByName(c.name, []dashboard.DynamicConfigValue{fixedColor(c.color)})
	}
	return b
}
