// Package dashboards owns the Grafana dashboards shipped with the exporter
// (security overview, repository detail, secret scanning and coverage,
// exporter health) as JSON files, and the structural tests that keep them
// loadable by Grafana: stable uids, the datasource, job, instance, org and
// repository variables, the job/instance matcher on every query, and the
// __inputs Grafana's import asks about.
//
// The JSON files are generated from Go (deploy/generate/dashboard_*.go,
// built with Grafana's foundation SDK): edit the Go code, run
// `go run ./deploy/generate`, then `go test ./dashboards/ ./deploy/...`.
// FS embeds them for the exporter and for generators under deploy/; Queries
// lists every panel query so that end-to-end tests can run each one against
// a real Prometheus, and check the metric names against the exporter's /metrics.
package dashboards
