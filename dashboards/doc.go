// Package dashboards owns the Grafana dashboards shipped with the exporter
// (security overview, repository detail, secret scanning and coverage,
// exporter health) as JSON files, and the structural tests that keep them
// loadable by Grafana and consistent with the metrics the exporter really
// exposes.
//
// The JSON files are the source of truth: edit them (or export them from
// Grafana) and run `go test ./dashboards/`. FS embeds them for the exporter
// and for generators under deploy/; Queries lists every panel query so that
// end-to-end tests can run each one against a real Prometheus.
package dashboards
