package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// dashboards are the shipped dashboards: file (relative to the repository
// root) and the function that builds it, one Go file each (dashboard_*.go).
var dashboards = []struct {
	file  string
	build func() *dashboard.DashboardBuilder
}{
	{"dashboards/exporter-health.json", exporterHealth},
	{"dashboards/repository-detail.json", repository},
	{"dashboards/secret-scanning-coverage.json", coverage},
	{"dashboards/security-overview.json", overview},
}

// dashboardJSON builds every dashboard, keyed by file.
func dashboardJSON() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range dashboards {
		b, err := renderDashboard(d.build())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
		out[d.file] = b
	}
	return out, nil
}

// renderDashboard returns the dashboard as Grafana's export writes it: panel
// ids and query refIds numbered in order, and __inputs/__requires, so that
// Grafana's import asks for the Prometheus data source.
func renderDashboard(b *dashboard.DashboardBuilder) ([]byte, error) {
	d, err := b.Build()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	id := 0
	for _, p := range objects(doc["panels"]) {
		id++
		p["id"] = id
		numberTargets(p)
		for _, child := range objects(p["panels"]) {
			id++
			child["id"] = id
			numberTargets(child)
		}
	}
	doc["id"] = nil
	doc["__inputs"] = []map[string]string{{
		"name": dsInput, "label": "Prometheus", "description": "Prometheus that scrapes github-security-exporter.",
		"type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus",
	}}
	doc["__requires"] = requires(doc)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// numberTargets gives a panel's queries the refIds A, B, C, ...
func numberTargets(p map[string]any) {
	for i, t := range objects(p["targets"]) {
		t["refId"] = string(rune('A' + i))
	}
}

// requires lists Grafana, the Prometheus data source and each panel type used.
func requires(doc map[string]any) []map[string]string {
	out := []map[string]string{
		{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "12.1.0"},
		{"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
	}
	var types []string
	for _, p := range objects(doc["panels"]) {
		for _, q := range append([]map[string]any{p}, objects(p["panels"])...) {
			if t, _ := q["type"].(string); t != "row" && !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	slices.Sort(types)
	for _, t := range types {
		out = append(out, map[string]string{"type": "panel", "id": t, "name": t, "version": ""})
	}
	return out
}

func objects(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
