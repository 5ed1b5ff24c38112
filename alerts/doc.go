// Package alerts owns the Prometheus alerting rules shipped with the exporter
// (github-security.rules.yml: security findings and exporter health), their
// promtool unit tests (tests/*.test.yml) and the runbook their runbook_url
// annotations point at (runbook.md).
//
// The package has no code: its tests run promtool on the rules and check that
// every rule is labelled, annotated, documented and only queries metrics the
// exporter serves (checked against its /metrics by the e2e stack test).
package alerts
