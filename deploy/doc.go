// Package deploy holds everything needed to run github-security-exporter
// somewhere: the Dockerfile, a docker-compose demo stack, Kubernetes manifests,
// and example Prometheus, Alertmanager and Grafana configuration.
//
// The Go code here exists for tests. Its tests check the configuration with
// the real tools (promtool, amtool) and check the manifests' structure; and
// [PrometheusConfig] and [AlertmanagerConfig] hand the example configurations
// to end-to-end tests with their placeholder addresses replaced, so those tests
// run exactly what users are told to run.
//
// deploy/generate writes the manifests derived from alerts/ and dashboards/.
package deploy
