#!/usr/bin/env bash
# The whole test suite: unit tests, end-to-end tests against the real binary, and the checks
# that run real Prometheus, promtool, Alertmanager, amtool and Chromium (from Debian's
# packages: prometheus, prometheus-alertmanager, chromium; .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")"
go test -race -count=1 -timeout 30m ./...
